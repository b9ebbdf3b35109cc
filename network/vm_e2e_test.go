//go:build e2e

package network_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"node-installer/test/vm"
)

// guestTests are the root tests that need no dnsmasq and no testdata:
// they run in the guest, whose Debian kernel has the bonding and 8021q
// drivers the host kernel lacks.
const guestTests = `^(TestApplyBondVLAN|TestApplyStaticIdempotent|TestApplyBridge|TestBootIfLinkPicksTheNICWithCarrier|` +
	`TestBootIfLinkTimesOut|TestMalformedInputChangesNothing|TestProbeInNamespace|TestProbeLive|TestApplySetsMAC|TestApplyStaticWithoutCarrierWarns|` +
	`TestApplyIfnameBridgeOfTwo|TestApplyDracutVLANs|TestApplyTwoBonds)$`

// TestNetworkInVM builds this package's tests as a static binary and runs
// the namespace tests in a qemu guest (the VM test bed), so bond and VLAN
// apply are tested on a kernel that has them.
func TestNetworkInVM(t *testing.T) {
	if _, err := vm.QEMU(); err != nil {
		t.Skipf("VM test bed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tc, err := vm.Prepare(ctx, vm.DefaultCache())
	if err != nil {
		t.Skipf("VM test bed unavailable: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "network.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test binary: %v\n%s", err, out)
	}
	// veth and bridge for the namespaces, bonding and 8021q for what is tested
	vm.InstallerModules = append(vm.InstallerModules, "?veth", "?bridge", "bonding", "8021q")
	initrd, err := tc.InstallerInitrd(ctx, vm.InstallerSpec{Binary: bin, Args: []string{"-test.v", "-test.run", guestTests}})
	if err != nil {
		t.Fatalf("initramfs: %v", err)
	}
	m := vm.Machine{Name: "network-tests", Kernel: tc.Kernel.Vmlinuz(), Initrd: initrd,
		Append: "console=ttyS0 panic=-1 quiet", Timeout: 5 * time.Minute,
		Log: filepath.Join(t.TempDir(), "network-tests.log"), StopOn: vm.DefaultStopOn}
	res, err := m.Run(ctx)
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	t.Logf("guest run: %s", res.Duration.Round(time.Millisecond))
	out := strings.Join(res.Lines, "\n")
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "--- ") || strings.Contains(l, "apply took") {
			t.Log(l)
		}
	}
	if !res.Has("VMTEST-INSTALLER-EXIT rc=0") {
		t.Fatalf("the tests failed in the guest:\n%s", res.Tail(80))
	}
	for _, name := range []string{"TestApplyBondVLAN", "TestApplyStaticIdempotent", "TestApplyBridge", "TestMalformedInputChangesNothing"} {
		if !regexp.MustCompile(`(?m)^--- PASS: ` + name + ` `).MatchString(out) {
			t.Errorf("%s did not pass in the guest (skipped?):\n%s", name, res.Tail(80))
		}
	}
}
