package installer

import (
	"strings"

	"node-installer/internal/cmdline"
)

// The signature arguments (docs/media-bundle.md, "Signed media"):
//
//	node.trust_key=PATH[,PATH]  trusted public keys (files or directories
//	                            of *.pub), added to the live system's
//	                            embedded ones; repeatable
//	node.insecure_media         accept unsigned or wrongly signed media
//	node.config_signature=required|optional
//	                            node.config must come with a valid
//	                            node.config.sig (required), or not
var trustHandlers = map[string]argHandler{
	"node.trust_key":        (*argParser).trustKey,
	"node.insecure_media":   flagArg("unattended.insecure_media", func(c *Config) *bool { return &c.Unattended.InsecureMedia }),
	"node.config_signature": (*argParser).configSignature,
}

// trustKey reads node.trust_key=PATH[,PATH] (repeatable: lists are joined).
func (p *argParser) trustKey(prm cmdline.Param) {
	const field = "unattended.trust_keys"
	p.resetList("node.trust_key", func() { p.cfg.Unattended.TrustKeys = nil })
	if !p.needValue(field, prm, "PATH[,PATH]") {
		return
	}
	for _, k := range strings.Split(prm.Value, ",") {
		if !strings.HasPrefix(k, "/") {
			p.problem(field, prm, "%q: expected an absolute path of a public key file (KEY.pub) or a directory of them; a key is never fetched over the network", k)
			continue
		}
		p.cfg.Unattended.TrustKeys = append(p.cfg.Unattended.TrustKeys, k)
	}
	p.origin(field, prm)
}

// configSignature reads node.config_signature=required|optional.
func (p *argParser) configSignature(prm cmdline.Param) {
	const field = "unattended.config_signature"
	if !p.once(field, prm) || !p.needValue(field, prm, "required|optional") {
		return
	}
	switch prm.Value {
	case ConfigSignatureRequired, ConfigSignatureOptional:
		p.cfg.Unattended.ConfigSignature = prm.Value
		p.origin(field, prm)
	default:
		p.problem(field, prm, "expected required or optional")
	}
}

// node.config_signature values.
const (
	ConfigSignatureRequired = "required"
	ConfigSignatureOptional = "optional"
)
