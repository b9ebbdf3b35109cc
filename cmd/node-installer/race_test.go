package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/storage"
)

// raceChildEnv makes the test binary run `auto` with the JSON-encoded
// arguments it holds, as a process of its own.
const raceChildEnv = "NODE_INSTALLER_TEST_AUTO_ARGS"

// Two `auto` processes on one image file, the second started 0-120 ms
// after the first (an install, then an install or a reinstall): each
// probes, plans and claims by itself, as two installers booted against
// one disk do. Every pair ends with one installation, exit 0 for one run
// and exit 3 (refused before writing: busy, changed since the plan, or
// the plan refusing a disk that now holds something) for the other,
// unless the reinstall's plan saw the first's finished installation.
// Without the claim both runs of pairs exited 0 (2 of 8 here, 8 of 8 in
// the fault study).
func TestAutoTwoProcessesOneDisk(t *testing.T) {
	if js := os.Getenv(raceChildEnv); js != "" {
		var args []string
		if err := json.Unmarshal([]byte(js), &args); err != nil {
			t.Fatal(err)
		}
		code, _ := autoMain(args, os.Stdout, os.Stdout)
		os.Exit(code)
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("needs mkfs.ext4 (test/deps.sh installs it)")
	}
	pairs := 16
	if testing.Short() {
		pairs = 2
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "media")
	if err := media.BuildDemo(bundle, "2.0.1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	refused, after := 0, 0
	for i := range pairs {
		if time.Now().After(deadline) {
			t.Logf("time budget spent after %d pairs", i)
			break
		}
		disk := filepath.Join(dir, "disk.img")
		os.Remove(disk)
		if err := os.WriteFile(disk, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Truncate(disk, 4<<30)
		// installs meet within 40 ms (later, the second's plan refuses the
		// partitioned disk), a reinstall up to 120 ms later
		offset := time.Duration(rand.IntN(40)) * time.Millisecond
		second := "storage_init"
		if i%2 == 1 {
			second = "reinstall storage_init"
			offset = time.Duration(rand.IntN(120)) * time.Millisecond
		}
		run := func(action string) *exec.Cmd {
			line := action + "=" + disk + smallVols + " adminpw=" + autoHash
			args, _ := json.Marshal([]string{"--cmdline", line, "--media", bundle, "--disk", disk, "--log", filepath.Join(dir, "log")})
			cmd := exec.Command(os.Args[0], "-test.run=^TestAutoTwoProcessesOneDisk$")
			cmd.Env = append(os.Environ(), raceChildEnv+"="+string(args))
			cmd.Stdout = &bytes.Buffer{}
			cmd.Stderr = cmd.Stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			return cmd
		}
		cmds := []*exec.Cmd{run("storage_init")}
		time.Sleep(offset)
		cmds = append(cmds, run(second))
		var codes []int
		var outs []string
		for _, c := range cmds {
			c.Wait()
			codes = append(codes, c.ProcessState.ExitCode())
			outs = append(outs, c.Stdout.(*bytes.Buffer).String())
		}
		ok := 0
		for k, code := range codes {
			switch code {
			case installer.ExitOK:
				ok++
			case installer.ExitInvalid:
				if !strings.Contains(outs[k], "busy: another installer holds "+disk) && !strings.Contains(outs[k], "changed since the plan was made") &&
					!strings.Contains(outs[k], "installation of this product (add reinstall") && !strings.Contains(outs[k], "partition table") {
					t.Errorf("pair %d, run %d refused without saying why:\n%s", i, k, outs[k])
				}
				if strings.Contains(outs[k], "kernel arguments have problems") || !strings.Contains(outs[k], "refused for the problems above; nothing was written (exit code 3)") {
					t.Errorf("pair %d, run %d: the last word blames the kernel arguments or is missing:\n%s", i, k, outs[k])
				}
			default:
				t.Errorf("pair %d (offset %v, second %q), run %d: exit %d:\n%s", i, offset, second, k, code, outs[k])
			}
		}
		// A reinstall that probed after the first run had ended replaces
		// its installation, as asked: that is no race.
		// (an unfinished one is another run still writing).
		sequential := ok == 2 && second != "storage_init" && strings.Contains(outs[1], "erases what it holds now: an installation of this product")
		if sequential {
			after++
		} else {
			refused++
		}
		if ok != 1 && !sequential {
			t.Errorf("pair %d (offset %v, second %q): %d runs exited 0, want 1: %v\n---\n%s", i, offset, second, ok, codes, outs[1])
		}
		if rep := storage.Inspect(disk); rep.Installation == nil || rep.Installation.NotFinished || len(rep.Problems) > 0 {
			t.Errorf("pair %d: after the pair:\n%s", i, rep.Text())
		}
	}
	t.Logf("%d pairs met, %d reinstalls started after the first run had ended", refused, after)
	if refused == 0 {
		t.Error("no pair of runs met: the race was not tested")
	}
}
