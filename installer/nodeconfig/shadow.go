package nodeconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// shadowPath is the shadow password file below the root.
const shadowPath = "etc/shadow"

// setShadow sets the hash of each user in the root's /etc/shadow (the
// line's second field, and the day of the last change), keeping every
// other line and field; a user without a line gets one.
func setShadow(root string, hashes map[string]string, day int64) error {
	p := filepath.Join(root, shadowPath)
	mode := os.FileMode(0o640)
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if st, err := os.Stat(p); err == nil {
			mode = st.Mode().Perm()
		}
	}
	if day == 0 {
		day = time.Now().Unix() / 86400
	}
	for _, h := range hashes {
		if strings.ContainsAny(h, ":\n") {
			return fmt.Errorf("a password hash cannot hold ':' or a line break")
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(data) == 0 {
		lines = nil
	}
	done := map[string]bool{}
	for i, l := range lines {
		f := strings.Split(l, ":")
		h, ok := hashes[f[0]]
		if !ok || len(f) < 2 {
			continue
		}
		for len(f) < 9 {
			f = append(f, "")
		}
		f[1], f[2] = h, strconv.FormatInt(day, 10)
		lines[i] = strings.Join(f, ":")
		done[f[0]] = true
	}
	for _, u := range sortedKeys(hashes) {
		if !done[u] {
			lines = append(lines, fmt.Sprintf("%s:%s:%d:0:99999:7:::", u, hashes[u], day))
		}
	}
	return writeAtomic(p, []byte(strings.Join(lines, "\n")+"\n"), mode)
}
