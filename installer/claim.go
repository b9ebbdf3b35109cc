package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"node-installer/storage"
)

// ClaimDir holds one lock file per disk an installer is writing, on every
// installer of the machine: /run is per boot and not on any disk.
var ClaimDir = "/run/node-installer/claims"

// claims are the disks of one run, held from before their contents are
// judged again to the end of the run.
type claims []*os.File

func (c claims) release() {
	for _, f := range c {
		f.Close() // drops the flock
	}
}

// claimPlan takes the claim of every disk the plan writes and then reads
// each again: a disk another installer holds is refused at once ("busy:
// another installer holds ... since ..."), and one whose contents changed
// since the plan was made (another installer wrote it meanwhile, even
// the same layout again: storage.Fingerprint) is refused too. Both are ErrRefused: nothing was written.
func claimPlan(plan Plan, action string) (claims, error) {
	var c claims
	for _, d := range planDisks(plan) {
		f, err := claimOne(d.Path, action)
		if err != nil {
			c.release()
			return nil, err
		}
		c = append(c, f)
		now := storage.Reread(d)
		if storage.Fingerprint(d) != storage.Fingerprint(now) || now.ReadError != "" {
			c.release()
			was, is := storage.Contents(d), storage.Contents(now)
			switch {
			case now.ReadError != "":
				is = "unreadable: " + now.ReadError
			case was == is:
				is = "another one" // rewritten alike: a new table, or an installation changed
			}
			return nil, fmt.Errorf("%w: %s changed since the plan was made (it held %s, now %s): another installer may have written it; plan again",
				ErrRefused, d.Path, orNothing(was), orNothing(is))
		}
	}
	return c, nil
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// planDisks is every disk the plan writes, each once.
func planDisks(p Plan) []storage.Disk {
	var out []storage.Disk
	seen := map[string]bool{}
	add := func(d storage.Disk) {
		if d.Path != "" && !seen[d.Path] {
			seen[d.Path] = true
			out = append(out, d)
		}
	}
	for _, dl := range p.Layout.Disks {
		add(dl.Disk)
	}
	for _, s := range []*DiskSet{p.Wipe, p.Uninstall} {
		if s != nil {
			for _, d := range s.Disks {
				add(d)
			}
		}
	}
	if p.Upgrade != nil {
		add(*p.Upgrade)
	}
	return out
}

// claimOne locks the claim file of the disk at path (keyed by the device
// number, or the file's identity for an image) without waiting, and
// records who holds it for the refusal message of the next one.
func claimOne(path, action string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nil, fmt.Errorf("%w: claim %s: %w", ErrRefused, path, err)
	}
	key := fmt.Sprintf("file-%d-%d", st.Dev, st.Ino)
	if st.Mode&unix.S_IFMT == unix.S_IFBLK {
		key = fmt.Sprintf("block-%d-%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	dir, err := claimDir()
	if err != nil {
		return nil, fmt.Errorf("%w: claim %s: %w", ErrRefused, path, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, key), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: claim %s: %w", ErrRefused, path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: busy: another installer holds %s (%s)", ErrRefused, path, holder(f.Name()))
		}
		return nil, fmt.Errorf("%w: claim %s: %w", ErrRefused, path, err)
	}
	// Written over the old text and cut after, so that a reader never
	// finds the file empty once a holder has written it.
	who := fmt.Sprintf("%s by pid %d since %s", action, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	f.WriteAt([]byte(who), 0)
	f.Truncate(int64(len(who)))
	return f, nil
}

// holder is who holds a claim, as its holder wrote it. A holder that has
// just taken the lock may not have written yet: wait for it a little.
func holder(name string) string {
	for range 20 {
		if who, _ := os.ReadFile(name); len(strings.TrimSpace(string(who))) > 0 {
			return strings.TrimSpace(string(who))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "who is not known"
}

// claimDir is ClaimDir, made if need be. A user who may not write /run
// (an install onto an image file without root) gets a folder of their own
// in the temporary directory instead: only root can write a block device,
// and root always uses ClaimDir.
func claimDir() (string, error) {
	if err := os.MkdirAll(ClaimDir, 0o700); err == nil {
		return ClaimDir, nil
	}
	// Without a writable ClaimDir (no root: the demo, image files) a private
	// folder of this user; only the same user's installers meet there.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("node-installer-claims-%d", os.Geteuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return "", err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() || st.Mode&0o077 != 0 {
		return "", fmt.Errorf("%s is not a private folder of this user", dir)
	}
	return dir, nil
}
