package installer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"node-installer/installer/media"
)

// TrustedKeysPath is where an installed node keeps the keys its next
// upgrade's media must be signed with (on the ESP, authorized_keys
// format): the manifest's trusted_keys of the bundle it was installed or
// last upgraded from, else the keys that verified that bundle.
const TrustedKeysPath = "/node/trusted-keys"

// MediaTrust is the signature policy of a run's media. An upgrade of a
// node that stores trusted keys (its ESP's TrustedKeysPath) is checked
// against those only: media cannot bring the keys that vouch for it.
// Anything else is checked against the keys embedded in the live system
// (embeddedDir, normally media.TrustedKeysDir, optional), --trust-key
// files (flagKeys) and node.trust_key. node.insecure_media makes a bad
// or missing signature a warning.
func MediaTrust(plan Plan, flagKeys []string, embeddedDir string) (media.Trust, error) {
	cfg := plan.Config
	t := media.Trust{Insecure: cfg.Unattended.InsecureMedia}
	if plan.Action == ActionUpgrade && plan.Upgrade != nil && plan.Upgrade.Installation != nil && strings.TrimSpace(plan.Upgrade.Installation.TrustedKeys) != "" {
		ks, err := media.ParseKeys([]byte(plan.Upgrade.Installation.TrustedKeys), plan.Upgrade.Path+" ESP "+TrustedKeysPath)
		t.Keys, t.KeysFrom = ks, "the installed node ("+TrustedKeysPath+" on "+plan.Upgrade.Path+")"
		return t, err
	}
	var errs []error
	var from []string
	if embeddedDir != "" {
		ks, err := media.LoadKeys(true, embeddedDir)
		errs = append(errs, err)
		if len(ks) > 0 {
			t.Keys = append(t.Keys, ks...)
			from = append(from, embeddedDir)
		}
	}
	extra := append(append([]string{}, flagKeys...), cfg.Unattended.TrustKeys...)
	if len(extra) > 0 {
		ks, err := media.LoadKeys(false, extra...)
		if err != nil {
			err = fmt.Errorf("--trust-key or node.trust_key: %w", err)
		}
		errs = append(errs, err)
		t.Keys = append(t.Keys, ks...)
		from = append(from, strings.Join(extra, ", "))
	}
	t.KeysFrom = strings.Join(from, " and ")
	if t.KeysFrom == "" {
		t.KeysFrom = embeddedDir + ", --trust-key or node.trust_key="
	}
	return t, errors.Join(errs...)
}

// NeedsConfigSignature tells whether node.config must be signed: the
// argument says so, or the live system does (embeddedDir holds
// ConfigSignatureRequiredFile) and the argument does not say optional.
func NeedsConfigSignature(cfg Config, embeddedDir string) bool {
	switch cfg.Unattended.ConfigSignature {
	case ConfigSignatureRequired:
		return true
	case ConfigSignatureOptional:
		return false
	}
	_, err := os.Stat(filepath.Join(embeddedDir, media.ConfigSignatureRequiredFile))
	return embeddedDir != "" && err == nil
}

// NodeKeys are the keys an install or upgrade from b stores on the node:
// the manifest's trusted_keys (a rotation signed by the old key), else
// the trusted keys that verified b. None for insecure media without keys.
func NodeKeys(b *media.Bundle) media.Keys {
	if ks, err := b.Manifest.Keys(); err == nil && len(ks) > 0 {
		return ks
	}
	if b.Verdict.Signed {
		return b.Trusted
	}
	return nil
}

// checkNodeTrust is the engine's own check of an upgrade's media against
// the keys the node stores (st.TrustedKeys): the media must be signed by
// one of them, unless node.insecure_media. Nothing is written before it.
func checkNodeTrust(st ESPState, b *media.Bundle, cfg Config) error {
	if strings.TrimSpace(st.TrustedKeys) == "" || cfg.Unattended.InsecureMedia {
		return nil
	}
	ks, err := media.ParseKeys([]byte(st.TrustedKeys), "ESP "+TrustedKeysPath)
	if err != nil {
		return fmt.Errorf("%w: %w", media.ErrSignature, err)
	}
	if b.Verdict.Signed {
		for _, k := range ks {
			if k.Fingerprint() == b.Verdict.Signer.Fingerprint() {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: the media (%s) is not signed by one of the %d keys the node trusts (%s); nothing written (node.insecure_media accepts it, unverified)",
		media.ErrSignature, b.Verdict, len(ks), TrustedKeysPath)
}

// checkConfigSignature checks the answer file data read from where (a
// path or a URL) against where+".sig" when src asks for a signature.
func checkConfigSignature(ctx context.Context, src ConfigSources, where string, data []byte) error {
	if src.Signature == nil {
		return nil
	}
	var sig []byte
	var err error
	if media.IsURL(where) {
		sig, err = src.Remote.Fetch(ctx, where+".sig", media.SignatureMax)
	} else {
		sig, err = media.ReadSmall(where+".sig", media.SignatureMax)
	}
	t := *src.Signature
	t.Insecure = false // node.insecure_media is about the media, not this
	what := path.Base(strings.SplitN(where, "?", 2)[0])
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || media.IsNotFound(err) {
			_, err = t.Check(what, data, nil, media.ConfigNamespace)
		} else {
			_, err = t.Unreadable(what, err)
		}
		return fmt.Errorf("node.config_signature=required: %w", err)
	}
	if _, err := t.Check(what, data, sig, media.ConfigNamespace); err != nil {
		return fmt.Errorf("node.config_signature=required: %w", err)
	}
	return nil
}

// mediaPolicyText is the plan's line on how the media's signature is
// checked.
func mediaPolicyText(p Plan) string {
	u := p.Config.Unattended
	var s string
	switch {
	case p.Action == ActionUninstall:
		return "not needed (uninstall writes nothing from the media)"
	case p.Action == ActionUpgrade:
		s = "required, by a key the installed node trusts (" + TrustedKeysPath + ")"
	default:
		s = "required, by a key embedded in the live system (" + media.TrustedKeysDir + ")"
		if len(u.TrustKeys) > 0 {
			s += " or node.trust_key=" + strings.Join(u.TrustKeys, ",")
		}
	}
	if u.InsecureMedia {
		s = "NOT VERIFIED: node.insecure_media accepts unsigned or wrongly signed media"
	}
	if u.ConfigSignature == ConfigSignatureRequired {
		s += "; node.config must be signed (node.config_signature=required)"
	}
	return s
}
