//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"node-installer/installer/bootmedia"
	"node-installer/test/vm"
)

// media builds (or takes from the VM cache) the boot media of the v1
// bundle with `media build`'s code: the serial entry is the default so a
// VM without a screen shows the TUI, panic=-1 ends a crashed VM.
func (e *env) media(t *testing.T) *bootmedia.Result {
	t.Helper()
	return e.mediaOf(t, v1, vm.KernelFlavor())
}

// mediaOf is media of the test bundle of version with the live kernel
// of a Debian flavour (amd64 has USB and the hardware drivers the cloud
// kernel lacks).
func (e *env) mediaOf(t *testing.T, version, flavor string) *bootmedia.Result {
	t.Helper()
	bundle := e.bundles[version]
	pub := filepath.Join(t.TempDir(), "test.pub")
	if err := os.WriteFile(pub, []byte(vm.TestKeys().Lines()), 0o644); err != nil {
		t.Fatal(err)
	}
	key, err := vm.Key("media-v2-signed", vm.BuilderID(), "file:"+filepath.Join(bundle, "manifest.json"), "file:"+e.binary, flavor)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	dir, err := e.tc.Cache.Entry("media", key, func(dir string) error {
		_, err := bootmedia.Build(context.Background(), bootmedia.Spec{Bundle: bundle, Out: dir, Binary: e.binary, TrustKeys: []string{pub},
			Flavor: flavor, PXEBase: "http://" + vm.UserNetHost + ":8080", Cache: e.tc.Cache,
			Options: bootmedia.Options{Default: "install-serial", Args: []string{"panic=-1"}}})
		return err
	})
	if err != nil {
		t.Fatalf("media build: %v", err)
	}
	iso := filepath.Join(dir, "node-"+version+".iso")
	st, err := os.Stat(iso)
	if err != nil {
		t.Fatal(err)
	}
	ini, _ := os.Stat(filepath.Join(dir, "pxe", bootmedia.PXEInitrd))
	if ini == nil {
		t.Fatal("PXE set has no initrd")
	}
	t.Logf("timing: media build %.2fs (cached when fast); iso %d MiB, live initrd %d MiB", time.Since(start).Seconds(), st.Size()>>20, ini.Size()>>20)
	return &bootmedia.Result{ISO: iso, PXE: filepath.Join(dir, "pxe")}
}

// TestMediaBoots boots the hybrid ISO to the installer's first TUI page:
// as a CD with UEFI (systemd-boot from the El Torito EFI image) and with
// BIOS (isolinux), and written raw to a disk as to a USB stick (UEFI
// finds the ESP partition of the hybrid layout). The live init must find
// and mount its medium by label.
func TestMediaBoots(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	m := e.media(t)
	medium := regexp.MustCompile(`^live: boot medium (/dev/\S+) \(label NODE_1_0_0\)`)
	welcome := regexp.MustCompile(`Welcome`)
	blank := func(t *testing.T) []vm.Disk {
		p := filepath.Join(t.TempDir(), "disk.img")
		if err := vm.CreateSparse(p, 20*vm.GiB); err != nil {
			t.Fatal(err)
		}
		return []vm.Disk{{Path: p, Serial: "BLANK0001"}}
	}
	for _, c := range []struct {
		name   string
		uefi   bool
		usb    bool
		device string
	}{
		{"uefi-cd", true, false, "/dev/sr0"},
		{"bios-cd", false, false, "/dev/sr0"},
		{"uefi-usb", true, true, "/dev/vdb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mc := vm.Machine{Name: "media-" + c.name, UEFI: c.uefi, Disks: blank(t), Timeout: 3 * time.Minute,
				StopOn: append([]string{"Welcome"}, vm.DefaultStopOn...)}
			if c.usb {
				// a copy: the run must leave the medium's bytes alone
				usb := filepath.Join(t.TempDir(), "usb.img")
				if err := copyFile(m.ISO, usb); err != nil {
					t.Fatal(err)
				}
				before, _ := vm.Digest(usb)
				mc.Disks = append(mc.Disks, vm.Disk{Path: usb, Serial: "USBSTICK"})
				defer func() {
					if after, _ := vm.Digest(usb); after != before {
						t.Errorf("the boot medium changed (digest %s -> %s)", before, after)
					}
				}()
			} else {
				mc.CDROM = m.ISO
			}
			res, found := boot(t, mc, medium, welcome)
			if found[0][1] != c.device {
				t.Errorf("boot medium %s, want %s", found[0][1], c.device)
			}
			if res.StoppedOn != "Welcome" {
				t.Errorf("stopped on %q, want the TUI's Welcome page", res.StoppedOn)
			}
		})
	}
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
