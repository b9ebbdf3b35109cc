package tui

import "testing"

// TestMediaSignatureShown: the Welcome page says who signed the media;
// media accepted unverified (node.insecure_media) is marked NOT VERIFIED
// on Welcome and again on Confirm, before the admin starts the run.
func TestMediaSignatureShown(t *testing.T) {
	opts := testOptions()
	opts.Media.Signature = "signed by ssh-ed25519 SHA256:abc (release-2026)"
	h := newHarness(t, opts)
	h.want("Media: signed by ssh-ed25519 SHA256:abc (release-2026)")
	h.toPage(pgConfirm)
	h.wantNot("NOT VERIFIED")

	opts = testOptions()
	opts.Media.Signature = "NOT VERIFIED (node.insecure_media): manifest.json is not signed"
	opts.Media.Insecure = true
	h = newHarness(t, opts)
	h.want("Media: NOT VERIFIED (node.insecure_media): manifest.json is not signed")
	h.toPage(pgConfirm)
	h.want("Media: NOT VERIFIED (node.insecure_media): manifest.json is not signed")
}
