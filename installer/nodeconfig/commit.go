package nodeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"node-installer/installer"
	"node-installer/network"
)

// Result is what a change wrote.
type Result struct {
	Pages []Page `json:"pages"`
	// Written and Removed are node paths below the root (etc/...).
	Written []string `json:"written,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// Plan is the network plan rendered, when the network page changed.
	Plan *network.Plan `json:"-"`
	// undo restores the files as they were before the change.
	undo *backup
}

// Undo puts every file the change wrote back as it was before it, under
// the root and on the Config partition (the network revert rule).
func (r Result) Undo() error {
	if r.undo == nil {
		return nil
	}
	return r.undo.restore()
}

// Commit validates next for the pages, then writes the pages' files
// under the root and persists next on the Config partition. With any
// problem it returns installer.Problems (each naming its field) and
// writes nothing.
func Commit(o Options, next installer.Config, pages ...Page) (Result, error) {
	res := Result{Pages: pages}
	if len(pages) == 0 {
		return res, nil
	}
	dir := o.Dir()
	cur, err := Load(o)
	if err != nil {
		return res, err
	}
	if ps := Problems(next, pages...); len(ps) > 0 {
		return res, ps
	}
	oldTree, err := readTree(dir)
	if err != nil {
		return res, err
	}
	groups := map[string][]network.File{}
	if slices.Contains(pages, PageNetwork) {
		nics, err := o.nics()
		if err != nil {
			return res, err
		}
		plan, err := network.MakePlan(next.Network, nics)
		if err != nil {
			return res, installer.Problems{{Field: "network", Msg: err.Error()}}
		}
		res.Plan = &plan
		groups[installer.GroupNetwork] = network.Render(plan)
	}
	for _, pg := range pages {
		if pg == PageNetwork {
			continue
		}
		files, err := installer.RenderGroup(next, group[pg])
		if err != nil {
			return res, err
		}
		groups[group[pg]] = files
	}
	netFiles, ok := groups[installer.GroupNetwork]
	if !ok {
		netFiles = groupFiles(oldTree, installer.GroupNetwork)
	}
	// what goes where under the root
	root := o.root()
	write := map[string]network.File{}
	var remove []string
	for g, files := range groups {
		for _, f := range files {
			write[installer.NodePath(f.Path)] = f
		}
		for _, f := range groupFiles(oldTree, g) {
			if _, ok := write[f.Path]; !ok {
				remove = append(remove, f.Path)
			}
		}
	}
	shadow := map[string]string{}
	for user, pw := range map[string][2]string{installer.AdminUser: {cur.Host.AdminPW, next.Host.AdminPW}, "root": {cur.Host.RootPW, next.Host.RootPW}} {
		if pw[1] != "" && pw[1] != pw[0] {
			shadow[user] = pw[1]
		}
	}
	touched := append(slices.Collect(mapKeys(write)), remove...)
	if len(shadow) > 0 {
		touched = append(touched, shadowPath)
	}
	b, err := takeBackup(root, dir, touched, oldTree)
	if err != nil {
		return res, err
	}
	res.undo = b
	fail := func(err error) (Result, error) {
		if rerr := b.restore(); rerr != nil {
			err = fmt.Errorf("%w; restoring the previous files also failed: %v", err, rerr)
		}
		res.undo = nil
		return res, err
	}
	for _, p := range sortedKeys(write) {
		f := write[p]
		if err := writeAtomic(filepath.Join(root, p), f.Data, installer.FileMode(f)); err != nil {
			return fail(err)
		}
		res.Written = append(res.Written, p)
	}
	sort.Strings(remove)
	for _, p := range remove {
		if err := os.Remove(filepath.Join(root, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
		res.Removed = append(res.Removed, p)
	}
	if len(shadow) > 0 {
		if err := setShadow(root, shadow, o.ShadowDay); err != nil {
			return fail(err)
		}
		res.Written = append(res.Written, shadowPath)
	}
	if err := installer.PersistConfig(dir, next, netFiles); err != nil {
		return fail(fmt.Errorf("persist on the Config partition %s: %w", dir, err))
	}
	return res, nil
}

// groupFiles returns the files of group from a Config partition tree,
// with their node paths.
func groupFiles(tree map[string]file, g string) []network.File {
	var out []network.File
	prefix := g + "/"
	for _, p := range sortedKeys(tree) {
		if rel, ok := cutPrefix(p, prefix); ok {
			out = append(out, network.File{Path: rel, Mode: tree[p].mode, Data: tree[p].data})
		}
	}
	return out
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// file is a regular file's content and mode; absent marks a path that
// did not exist.
type file struct {
	data   []byte
	mode   os.FileMode
	absent bool
}

// readTree reads every regular file under dir, by slash path.
func readTree(dir string) (map[string]file, error) {
	tree := map[string]file{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "lost+found" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		tree[filepath.ToSlash(rel)] = file{data: data, mode: info.Mode().Perm()}
		return nil
	})
	return tree, err
}

// backup holds the files a change touches as they were before it.
type backup struct {
	root, dir string
	rootFiles map[string]file
	tree      map[string]file
}

func takeBackup(root, dir string, paths []string, tree map[string]file) (*backup, error) {
	b := &backup{root: root, dir: dir, rootFiles: map[string]file{}, tree: tree}
	for _, p := range paths {
		full := filepath.Join(root, p)
		data, err := os.ReadFile(full)
		if errors.Is(err, fs.ErrNotExist) {
			b.rootFiles[p] = file{absent: true}
			continue
		}
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(full)
		if err != nil {
			return nil, err
		}
		b.rootFiles[p] = file{data: data, mode: st.Mode().Perm()}
	}
	return b, nil
}

// restore writes the backed-up files back: the root's touched paths and
// the Config partition's whole tree.
func (b *backup) restore() error {
	var errs []error
	for _, p := range sortedKeys(b.rootFiles) {
		if err := putBack(filepath.Join(b.root, p), b.rootFiles[p]); err != nil {
			errs = append(errs, err)
		}
	}
	now, err := readTree(b.dir)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for p := range now {
		if _, ok := b.tree[p]; !ok {
			errs = append(errs, putBack(filepath.Join(b.dir, p), file{absent: true}))
		}
	}
	for _, p := range sortedKeys(b.tree) {
		if f := b.tree[p]; !bytes.Equal(now[p].data, f.data) || now[p].mode != f.mode {
			errs = append(errs, putBack(filepath.Join(b.dir, p), f))
		}
	}
	return errors.Join(errs...)
}

func putBack(p string, f file) error {
	if f.absent {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return writeAtomic(p, f.data, f.mode)
}

// writeAtomic replaces p by data through a temporary file and a rename:
// a reader (NetworkManager, sshd) never sees half a file.
func writeAtomic(p string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".new*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(mapKeys(m))
	sort.Strings(keys)
	return keys
}
