package installer

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCallbackSettings: the done callbacks and the Ironic webhook from
// an answer file, node.done_url replacing its list, and the effective
// config (what is written to the node) holding neither the token nor a
// URL's query.
func TestCallbackSettings(t *testing.T) {
	cfg := Defaults()
	answer := `unattended:
  webhook: http://ironic.example.org:6385/v1/heartbeat/7d1a
  webhook_format: ironic
  webhook_token: agent-tok3n
  done_url: [http://old.example.org/built, http://old.example.org/other]
  local_boot_trigger: http://u:pw-tok3n@foreman.example.org/built?token=tok3n
`
	if ps := LoadAnswerFile(strings.NewReader(answer), &cfg); len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	ps := ApplyCmdline(&cfg, "node.done_url=http://cobbler.example.org/cblr/svc/op/nopxe/system/n1?k=tok3n")
	if ps = append(ps, cfg.Validate()...); len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	u := cfg.Unattended
	if len(u.DoneURLs) != 1 || !strings.Contains(u.DoneURLs[0], "cobbler") {
		t.Errorf("node.done_url did not replace the answer file's list: %q", u.DoneURLs)
	}
	if u.WebhookFormat != "ironic" || u.WebhookToken != "agent-tok3n" || !strings.HasPrefix(u.LocalBootTrigger, "http://u:") {
		t.Errorf("answer file settings lost: %+v", u)
	}
	if o := cfg.Origins["unattended.done_url[0]"]; o.Arg != "node.done_url" || strings.Contains(o.Value, "tok3n") {
		t.Errorf("origin of done_url[0] = %+v", o)
	}
	if _, stale := cfg.Origins["unattended.done_url[1]"]; stale {
		t.Error("the replaced answer-file item keeps its origin")
	}
	for _, p := range cfg.BootParams {
		if strings.Contains(p, "done_url") {
			t.Errorf("node.done_url passed to the installed system: %q", cfg.BootParams)
		}
	}
	b, err := json.Marshal(MaskedConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "tok3n") {
		t.Errorf("effective config holds a secret: %s", b)
	}
	if !strings.Contains(string(b), `"webhook_token":"***"`) || !strings.Contains(string(b), "nopxe/system/n1?***") {
		t.Errorf("effective config lacks the masked callbacks: %s", b)
	}
	if cfg.Unattended.DoneURLs[0] != u.DoneURLs[0] || !strings.Contains(cfg.Unattended.DoneURLs[0], "tok3n") {
		t.Error("MaskedConfig changed the Config it was given")
	}
}
