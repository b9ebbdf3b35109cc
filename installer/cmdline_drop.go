package installer

import (
	"fmt"
	"strings"

	"node-installer/internal/cmdline"
	"node-installer/internal/event"
)

// Dropped is a kernel argument that is read but not passed to the
// installed system, and why. Arg is shown as given, a secret's value
// masked.
type Dropped struct {
	Arg string `json:"arg"`
	Why string `json:"why"`
}

// Why an argument is dropped.
const (
	whyLive       = "belongs to the boot of the live media (oVirt dropped it too): the installed system boots its own root"
	whyEngine     = "oVirt Engine registration (ovirt-node-plugin-vdsm): this installer does not register the node; the value is not kept"
	whyRHN        = "Red Hat Network registration (oVirt's RHN plugin): not done by this installer; the value is not kept"
	whyCIM        = "CIM provider (oVirt's CIM plugin): not installed by this installer; the value is not kept"
	whySNMP       = "SNMP agent (oVirt's SNMP plugin): not installed by this installer; the value is not kept"
	whySecret     = "its name says it holds a secret: never passed to the installed system, never shown"
	whyStandalone = "oVirt Node's standalone mode (ovirt-early: do not contact a management server): this installer contacts none unless management_server= is given; not passed on"
)

// ovirtModeArgs are ovirt-early switches with no meaning on the
// installed system.
var ovirtModeArgs = map[string]string{"standalone": whyStandalone, "ovirt_standalone": whyStandalone}

// liveArgs are the live media's own arguments; oVirt's ovirt-early kept
// them out of the installed system's boot parameters (BOOT_IMAGE,
// initrd, check, linux, liveimg, root, rootfstype, rootflags, ro,
// single), and dracut's dmsquash-live reads the rd.live.* ones.
var liveArgs = map[string]bool{
	"BOOT_IMAGE": true, "initrd": true, "check": true, "linux": true, "liveimg": true,
	"root": true, "rootfstype": true, "rootflags": true, "ro": true, "single": true,
}

// pluginPrefixes are the oVirt plugin argument families (the plugins
// registered them in /etc/ovirt-commandline.d/ and ovirt-early kept
// them out of the boot parameters).
var pluginPrefixes = []struct{ prefix, why string }{
	{"engine_", whyEngine}, {"rhevm_", whyEngine}, {"ovirt_vdsm_", whyEngine},
	{"rhn_", whyRHN}, {"cim_", whyCIM}, {"snmp_", whySNMP},
}

// refusedArgs are oVirt arguments for what this installer does not do
// and must not guess at: run with them, it would install somewhere else
// than asked. Each is a problem (nothing is written).
var refusedArgs = map[string]string{
	"iscsi_install":     "installing onto an iSCSI LUN is not implemented (the LUN would be taken for a local data disk); remove iscsi_install and the iscsi_init, iscsi_server and iscsi_target_name arguments, or install onto a local disk",
	"iscsi_init":        "iSCSI install targets are not implemented: remove iscsi_init (and iscsi_install, iscsi_server, iscsi_target_name)",
	"iscsi_server":      "iSCSI install targets are not implemented: remove iscsi_server (and iscsi_install, iscsi_init, iscsi_target_name)",
	"iscsi_target_name": "iSCSI install targets are not implemented: remove iscsi_target_name (and iscsi_install, iscsi_init, iscsi_server)",
	"team":              "team devices (teamd) are not supported: use bond=NAME:PORT,PORT[:OPTIONS] with the matching mode (the team's activebackup is mode=active-backup, lacp is mode=802.3ad)",
}

// dropReason tells why a parameter that no handler consumed is not
// passed to the installed system, or "" when it is passed through.
func dropReason(prm cmdline.Param) string {
	k := prm.Key
	switch {
	case liveArgs[k], strings.HasPrefix(k, "rd.live."):
		return whyLive
	case ovirtModeArgs[k] != "":
		return ovirtModeArgs[k]
	}
	lk := strings.ToLower(k)
	for _, p := range pluginPrefixes {
		if strings.HasPrefix(lk, p.prefix) {
			return p.why
		}
	}
	if event.SecretKey(k) {
		return whySecret
	}
	return ""
}

// drop records prm as read and not passed through.
func (p *argParser) drop(prm cmdline.Param, why string) {
	arg := prm.Key
	if prm.HasValue {
		arg += "=" + shownDropped(prm)
	}
	p.cfg.Dropped = append(p.cfg.Dropped, Dropped{Arg: arg, Why: why})
}

// shownDropped masks the value of every dropped plugin or secret
// argument: a plugin's username or URL is harmless, but the families
// carry passwords under names that do not always say so.
func shownDropped(prm cmdline.Param) string {
	if why := dropReason(prm); why == whyLive || why == whyStandalone {
		return redactRunaway(prm.Value)
	}
	return masked
}

// bootParams refuses, in boot_params from an answer file, what the
// kernel command line would drop: a secret or a live-media argument
// written there is a mistake, and the loader entry would carry it.
func (v *validator) bootParams() {
	for i, raw := range v.c.BootParams {
		if o, ok := v.c.Origins[fmt.Sprintf("boot_params[%d]", i)]; !ok || !strings.HasPrefix(o.Arg, answerArg) {
			continue // from the kernel command line: already sorted there
		}
		ps := cmdline.Tokenize(raw)
		if len(ps) != 1 {
			v.add(fmt.Sprintf("boot_params[%d]", i), "expects one kernel argument per item")
			continue
		}
		prm := ps[0]
		if why := dropReason(prm); why != "" {
			v.add(fmt.Sprintf("boot_params[%d]", i), "%s: %s; remove it", prm.Key, why)
		}
	}
}
