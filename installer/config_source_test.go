package installer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"node-installer/installer/media"
	"node-installer/storage"
)

var testRemote = media.Remote{Attempts: 2, Backoff: 10 * time.Millisecond, Stall: time.Second}

func TestFillPlaceholders(t *testing.T) {
	id := Identity{MAC: "52:54:00:12:34:56", Serial: "SN 1/2", UUID: "4c4c4544-0031"}
	got, missing := fillPlaceholders("http://cfg/${mac}/${serial}/${uuid}/${hostname}.yaml", id, "node1.example.org")
	if want := "http://cfg/52:54:00:12:34:56/SN%201%2F2/4c4c4544-0031/node1.example.org.yaml"; got != want || missing != "" {
		t.Errorf("got %q (missing %q), want %q", got, missing, want)
	}
	if _, missing := fillPlaceholders("http://cfg/${serial}-${hostname}", Identity{}, ""); missing != "${serial}" {
		t.Errorf("missing = %q, want ${serial}", missing)
	}
}

func TestMachineIdentity(t *testing.T) {
	root := t.TempDir()
	write := func(p, v string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(v+"\n"), 0o644)
	}
	write("sys/class/dmi/id/product_serial", "ABC123")
	write("sys/class/dmi/id/product_uuid", "4C4C4544-0031")
	nic := func(name, typ, mac, ifindex string, hardware bool) {
		write("sys/class/net/"+name+"/type", typ)
		write("sys/class/net/"+name+"/address", mac)
		write("sys/class/net/"+name+"/ifindex", ifindex)
		if hardware {
			os.MkdirAll(filepath.Join(root, "sys/class/net", name, "device"), 0o755)
		}
	}
	nic("lo", "772", "00:00:00:00:00:00", "1", false)
	nic("br0", "1", "52:54:00:aa:bb:99", "2", false) // virtual: not the machine's
	nic("eth1", "1", "52:54:00:AA:BB:02", "4", true)
	nic("eth0", "1", "52:54:00:AA:BB:01", "3", true) // first by ifindex
	id := MachineIdentity(root, Defaults())
	if id != (Identity{MAC: "52:54:00:aa:bb:01", Serial: "ABC123", UUID: "4c4c4544-0031"}) {
		t.Errorf("identity %+v", id)
	}
	cfg, _ := ParseCmdline("BOOTIF=01-52-54-00-AA-BB-02")
	if id := MachineIdentity(root, cfg); id.MAC != "52:54:00:aa:bb:02" {
		t.Errorf("BOOTIF's MAC not preferred: %+v", id)
	}
}

func TestLoadConfigAnswerFile(t *testing.T) {
	answer := "network:\n  hostname: from-answer.example.org\n  dns: [192.0.2.53]\nunattended:\n  after: poweroff\n"
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/cfg/52:54:00:aa:bb:01.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	id := Identity{MAC: "52:54:00:aa:bb:01"}
	local := filepath.Join(t.TempDir(), "answer.yaml")
	os.WriteFile(local, []byte(answer), 0o644)

	for _, src := range []string{srv.URL + "/cfg/${mac}.yaml", local} {
		cfg, ps := LoadConfig(context.Background(), "node.config="+src+" hostname=node9.example.org storage_init", ConfigSources{Identity: id, Remote: testRemote})
		if len(ps) != 0 {
			t.Fatalf("%s: problems %v", src, ps)
		}
		// The kernel argument wins over the answer file; the rest comes from it.
		if cfg.Network.Hostname != "node9.example.org" || fmt.Sprint(cfg.Network.DNS) != "[192.0.2.53]" || cfg.Unattended.After != "poweroff" {
			t.Errorf("%s: hostname %q dns %v after %q", src, cfg.Network.Hostname, cfg.Network.DNS, cfg.Unattended.After)
		}
	}

	tests := []struct {
		name, cmdline, want string
	}{
		{"not found", "node.config=http://user:secret@" + strings.TrimPrefix(srv.URL, "http://") + "/cfg/other.yaml", "404"},
		{"placeholder without value", "node.config=" + srv.URL + "/cfg/${serial}.yaml", "${serial} is not known on this machine"},
		{"missing local file", "node.config=/nonexistent/answer.yaml", "no such file"},
		{"nobody listening", "node.config=http://127.0.0.1:1/a.yaml", "connect"},
	}
	for _, tt := range tests {
		_, ps := LoadConfig(context.Background(), tt.cmdline, ConfigSources{Identity: id, Remote: testRemote})
		if len(ps) != 1 || ps[0].Arg != "node.config" || !strings.Contains(ps[0].Msg, tt.want) {
			t.Errorf("%s: problems %v, want one on node.config saying %q", tt.name, ps, tt.want)
			continue
		}
		if strings.Contains(ps[0].String(), "secret") {
			t.Errorf("%s: the URL's password is shown: %s", tt.name, ps[0])
		}
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("network:\n  hostnme: x\n")) }))
	defer bad.Close()
	if _, ps := LoadConfig(context.Background(), "node.config="+bad.URL+"/a.yaml", ConfigSources{Identity: id, Remote: testRemote}); len(ps) == 0 || !strings.Contains(ps.Error(), "hostnme") {
		t.Errorf("an answer file with an unknown key: %v", ps)
	}
}

func TestLoadConfigVolumeChoice(t *testing.T) {
	vol := func(path string) storage.Disk {
		return storage.Disk{Path: path, Signature: "ext4", Label: ConfigVolumeLabel}
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	os.WriteFile(img, nil, 0o644)
	parted := storage.Disk{Path: img, Partitions: []storage.Partition{{Number: 3, Start: 1 << 20, Size: 8 << 20, FSType: "vfat", Label: ConfigVolumeLabel}}}
	if v := configVolumes(Facts{Disks: []storage.Disk{parted}}); len(v) != 1 || strings.Join(v[0].mount, " ") != "-o ro,loop,offset=1048576,sizelimit=8388608 "+img {
		t.Errorf("partition of an image file: %+v", v)
	}
	marked := Facts{Disks: []storage.Disk{parted, {Path: "/dev/sdz"}}}
	MarkConfigVolumes(&marked)
	if !strings.Contains(marked.Disks[0].InUse, "NODECFG") || marked.Disks[1].InUse != "" {
		t.Errorf("MarkConfigVolumes: in use %q and %q", marked.Disks[0].InUse, marked.Disks[1].InUse)
	}
	// node.config wins over a volume; no volume, no answer file.
	facts := Facts{Disks: []storage.Disk{vol("/nonexistent/a.img"), {Path: "/nonexistent/b.img"}, vol("/nonexistent/c.img")}}
	if _, ps := LoadConfig(context.Background(), "storage_init", ConfigSources{Facts: &Facts{Disks: []storage.Disk{{Path: img}}}}); len(ps) != 0 {
		t.Errorf("no NODECFG volume: problems %v", ps)
	}
	_, ps := LoadConfig(context.Background(), "storage_init", ConfigSources{Facts: &facts})
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "2 volumes are labelled NODECFG (/nonexistent/a.img, /nonexistent/c.img)") {
		t.Errorf("two NODECFG volumes: problems %v", ps)
	}
	if _, ps := LoadConfig(context.Background(), "storage_init node.config=/nonexistent/x.yaml", ConfigSources{Facts: &facts}); len(ps) != 1 || !strings.Contains(ps[0].Msg, "no such file") {
		t.Errorf("node.config with volumes around: problems %v", ps)
	}
}
