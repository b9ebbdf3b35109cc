package installer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// secretArgsOnLines are the secret-bearing arguments real oVirt/RHEV-H
// PXE lines carry (plugin arguments of ovirt-node-plugin-vdsm, the RHN,
// CIM and SNMP plugins) and names that only say they are secret.
var secretArgsOnLines = []string{
	"rhevm_admin_password", "engine_admin_password", "rhn_password", "rhn_proxypassword",
	"rhn_activationkey", "cim_passwd", "snmp_password", "luks_passphrase", "api_token", "client_secret",
	"ldap_bind_pw_password",
}

// TestSecretArgsNeverLeave runs every output of the plan with a marked
// value in every secret-bearing argument: none may show it, none is
// passed to the installed system, and each is listed as dropped.
func TestSecretArgsNeverLeave(t *testing.T) {
	facts := loadProfile(t, "sata2-usbboot")
	var line []string
	for i, k := range secretArgsOnLines {
		line = append(line, fmt.Sprintf("%s=LEAK%02dX", k, i))
	}
	line = append(line, "storage_init=/dev/sda", "console=ttyS0", "--", "init_password=LEAK99X", "3")
	cfg, ps := ParseCmdline(strings.Join(line, " "))
	p := MakePlan(cfg, facts)
	p.Problems = append(ps, p.Problems...)
	if !p.OK() {
		t.Fatalf("problems: %v", p.Problems)
	}
	js, _ := json.Marshal(p)
	eff, _ := json.Marshal(MaskedConfig(cfg))
	outputs := map[string]string{
		"plan text": p.Text(), "plan JSON": string(js), "effective config": string(eff),
		"boot parameters": strings.Join(p.BootParams, " "), "problems": p.Problems.Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "LEAK") {
			t.Errorf("%s shows a secret value:\n%s", name, out)
		}
	}
	if want := []string{"console=ttyS0", "--", "3"}; !slices.Equal(p.BootParams, want) {
		t.Errorf("passed through %q, want %q", p.BootParams, want)
	}
	for _, k := range append(secretArgsOnLines, "init_password") {
		if !slices.ContainsFunc(p.Dropped, func(d Dropped) bool { return d.Arg == k+"=***" }) {
			t.Errorf("%s not listed as dropped (masked): %+v", k, p.Dropped)
		}
		if !strings.Contains(p.Text(), "  "+k+"=*** (") {
			t.Errorf("the text plan does not list %s as dropped", k)
		}
	}
}

// The live media's own arguments (oVirt's ovirt-early list, dracut's
// rd.live.*) are dropped; everything else goes through. The line is
// Foreman's ovirt PXE template example (foreman-docs, "oVirt Node"),
// with a SHA-512 hash for adminpw.
func TestLiveArgsDropped(t *testing.T) {
	line := "initrd=boot/ovirt/initrd0.img ks=http://foreman/unattended/provision root=live:/ovirt-node.iso BOOTIF=link storage_init " +
		"rhevm_admin_password=123 adminpw=" + hash6 + " management_server=192.0.2.5:443 rootfstype=auto ro liveimg check " +
		"RD_NO_LVM rd_NO_MULTIPATH rootflags=ro crashkernel=128M elevator=deadline quiet max_loop=256 rhgb rd_NO_LUKS rd_NO_MD " +
		"rd.live.image rd.live.check BOOT_IMAGE=/vmlinuz0 single"
	cfg, ps := ParseCmdline(line)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	want := []string{"ks=http://foreman/unattended/provision", "RD_NO_LVM", "rd_NO_MULTIPATH", "crashkernel=128M", "elevator=deadline",
		"quiet", "max_loop=256", "rhgb", "rd_NO_LUKS", "rd_NO_MD"}
	if !slices.Equal(cfg.BootParams, want) {
		t.Errorf("passed through\n %q\nwant\n %q", cfg.BootParams, want)
	}
	var dropped []string
	for _, d := range cfg.Dropped {
		dropped = append(dropped, d.Arg)
	}
	wantDropped := []string{"initrd=boot/ovirt/initrd0.img", "root=live:/ovirt-node.iso", "rhevm_admin_password=***", "rootfstype=auto", "ro",
		"liveimg", "check", "rootflags=ro", "rd.live.image", "rd.live.check", "BOOT_IMAGE=/vmlinuz0", "single"}
	if !slices.Equal(dropped, wantDropped) {
		t.Errorf("dropped\n %q\nwant\n %q", dropped, wantDropped)
	}
}

// boot_params in an answer file may not carry what the kernel command
// line would drop; the problem names the item and never the secret.
func TestAnswerBootParamsRefused(t *testing.T) {
	cfg := Defaults()
	ps := LoadAnswerFile(strings.NewReader("boot_params: [quiet, vnc_password=LEAK1, root=live:CDLABEL=x]\n"), &cfg)
	ps = append(ps, cfg.Validate()...)
	js, _ := json.Marshal(ps)
	if len(ps) != 2 || ps[0].Field != "boot_params[1]" || ps[1].Field != "boot_params[2]" || strings.Contains(string(js), "LEAK") ||
		!strings.Contains(ps[0].Msg, "vnc_password: its name says it holds a secret") || !strings.Contains(ps[1].Msg, "root: belongs to the boot of the live media") {
		t.Errorf("problems:\n%s", js)
	}
}
