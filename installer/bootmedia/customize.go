package bootmedia

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"node-installer/installer/media"
	"node-installer/internal/live"
	"node-installer/internal/sparse"
)

// Change is one `media customize`: what to change in the Options kept
// on the media (nil / empty fields leave them as they are).
type Change struct {
	Answer       string // answer file to embed (ISO only: on PXE use node.config)
	RemoveAnswer bool
	AddArgs      []string
	RemoveArgs   []string
	Default      *string
	Timeout      *int
	PXEBase      *string // PXE set only: boot.ipxe's default ${base}
	CA           string  // PEM file of CA certificates to embed (see CAImage)
	RemoveCA     bool
}

// Apply returns o changed by c, checked.
func (c Change) Apply(o Options) (Options, error) {
	if c.Answer != "" && c.RemoveAnswer {
		return o, fmt.Errorf("--answer and --remove-answer: choose one")
	}
	if c.CA != "" && c.RemoveCA {
		return o, fmt.Errorf("--ca and --remove-ca: choose one")
	}
	if c.CA != "" {
		o.CA = true
	}
	if c.RemoveCA {
		o.CA = false
	}
	if c.Answer != "" {
		if st, err := os.Stat(c.Answer); err != nil || !st.Mode().IsRegular() {
			return o, fmt.Errorf("--answer %s: not a readable file", c.Answer)
		}
		o.Answer = true
	}
	if c.RemoveAnswer {
		o.Answer = false
	}
	args := slices.Clone(o.Args)
	for _, r := range c.RemoveArgs {
		i := slices.Index(args, r)
		if i < 0 {
			return o, fmt.Errorf("--remove-karg %q: not among the media's arguments %q", r, o.Args)
		}
		args = slices.Delete(args, i, i+1)
	}
	for _, a := range c.AddArgs {
		if !slices.Contains(args, a) { // adding twice is adding once
			args = append(args, a)
		}
	}
	o.Args = args
	if c.Default != nil {
		o.Default = *c.Default
	} else if o.Default != "" && c.RemoveAnswer && strings.HasPrefix(o.Default, AutomatedID) {
		o.Default = "" // the Automated entry is gone
	}
	if c.Timeout != nil {
		o.Timeout = *c.Timeout
	}
	if c.PXEBase != nil {
		if !media.IsURL(*c.PXEBase) || strings.ContainsAny(*c.PXEBase, " \t\n\"'\\") {
			return o, fmt.Errorf("--pxe-base %q: want an http:// or https:// URL", *c.PXEBase)
		}
		o.PXEBase = strings.TrimSuffix(*c.PXEBase, "/")
	}
	return o, o.Check()
}

// Info is what `media inspect` shows.
type Info struct {
	Kind     string         `json:"kind"` // "iso" or "pxe"
	Path     string         `json:"path"`
	Options  Options        `json:"options"`
	DefaultE string         `json:"default_entry"`
	Timeout  int            `json:"timeout"`
	Entries  []Entry        `json:"entries"`
	Bundle   media.Manifest `json:"bundle"`
}

// Inspect reads an ISO (or USB image) file or a PXE set folder.
func Inspect(ctx context.Context, path string) (*Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	info := &Info{Path: path}
	var stateData, manData []byte
	if st.IsDir() {
		info.Kind = "pxe"
		if stateData, err = media.ReadSmall(filepath.Join(path, StateName), 1<<20); err != nil {
			return nil, fmt.Errorf("%s: not a PXE set of media build: %w", path, err)
		}
		if manData, err = media.ReadSmall(filepath.Join(path, BundleDir, media.ManifestName), media.ManifestMax); err != nil {
			return nil, err
		}
	} else {
		info.Kind = "iso"
		tmp, err := os.MkdirTemp("", "media-inspect-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		if err := extract(ctx, path, tmp, "/"+StateName, "/"+BundleDir+"/"+media.ManifestName); err != nil {
			return nil, err
		}
		if stateData, err = media.ReadSmall(filepath.Join(tmp, StateName), 1<<20); err != nil {
			return nil, err
		}
		if manData, err = media.ReadSmall(filepath.Join(tmp, media.ManifestName), media.ManifestMax); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(stateData, &info.Options); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, StateName, err)
	}
	if err := json.Unmarshal(manData, &info.Bundle); err != nil {
		return nil, fmt.Errorf("%s: bundle manifest: %w", path, err)
	}
	o := info.Options
	info.DefaultE, info.Timeout = o.DefaultID(), o.TimeoutSec()
	if info.Kind == "pxe" {
		info.Entries, info.DefaultE = pxeEntries(o, o.PXEBase), pxeDefault(o)
	} else {
		info.Entries = Entries(o)
	}
	return info, nil
}

// extract copies files of an ISO image into dir (by base name); a file
// the image lacks is an error naming it.
func extract(ctx context.Context, iso, dir string, names ...string) error {
	if err := isISO9660(iso); err != nil {
		return err
	}
	args := []string{"-osirrox", "on", "-indev", iso}
	for _, n := range names {
		args = append(args, "-extract", n, filepath.Join(dir, filepath.Base(n)))
	}
	if _, err := live.Run(ctx, "", "xorriso", args...); err != nil {
		return fmt.Errorf("%s: not an image of media build (xorriso: %s)", iso, failureLine(err))
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, filepath.Base(n))); err != nil {
			return fmt.Errorf("%s: has no %s: not an image of media build", iso, n)
		}
	}
	return nil
}

// Customize applies c to the ISO or PXE set at path, writing the result
// to out (an ISO: "" or path itself replaces it through a temporary file;
// a PXE set is changed in place). The boot records are replayed, so the
// image keeps booting from CD and USB.
func Customize(ctx context.Context, path, out string, c Change) (*Options, error) {
	info, err := Inspect(ctx, path)
	if err != nil {
		return nil, err
	}
	o, err := c.Apply(info.Options)
	if err != nil {
		return nil, err
	}
	var ca []byte
	if c.CA != "" {
		if ca, err = CAImage(c.CA); err != nil {
			return nil, err
		}
	}
	if info.Kind == "iso" && c.PXEBase != nil {
		return nil, fmt.Errorf("--pxe-base: an ISO image has no PXE menu; customize the PXE set folder")
	}
	if info.Kind == "pxe" {
		if c.Answer != "" || c.RemoveAnswer {
			return nil, fmt.Errorf("--answer: a PXE set carries no answer file; add --karg node.config=URL")
		}
		same, err := sameCA(filepath.Join(path, PXECA), info.Options, ca)
		if err != nil || (same && reflect.DeepEqual(o, info.Options)) {
			return &o, err // nothing changes: nothing is written
		}
		switch {
		case ca != nil:
			err = writeReplace(filepath.Join(path, PXECA), ca)
		case !o.CA:
			if err = os.Remove(filepath.Join(path, PXECA)); errors.Is(err, os.ErrNotExist) {
				err = nil
			}
		}
		if err != nil {
			return nil, err
		}
		return &o, writePXETexts(path, o)
	}
	tmp, err := os.MkdirTemp("", "media-customize-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if out == "" {
		out = path
	}
	same, err := sameAnswer(ctx, path, tmp, info.Options, c)
	if err != nil {
		return nil, err
	}
	if same && ca != nil && info.Options.CA {
		if err := extract(ctx, path, tmp, LiveCA); err != nil {
			return nil, err
		}
		same, err = sameCA(filepath.Join(tmp, filepath.Base(LiveCA)), info.Options, ca)
		if err != nil {
			return nil, err
		}
	} else if ca != nil {
		same = false
	}
	if same && reflect.DeepEqual(o, info.Options) {
		// nothing changes: the same bytes (customize twice is customize once)
		if out != path {
			st, err := os.Stat(path)
			if err != nil {
				return nil, err
			}
			return &o, sparse.CopyRange(out, path, 0, st.Size())
		}
		return &o, nil
	}
	if err := extract(ctx, path, tmp, "/boot/efi.img"); err != nil {
		return nil, err
	}
	img := filepath.Join(tmp, "efi.img")
	if err := writeEFIMenu(img, o, ca); err != nil {
		return nil, err
	}
	root := filepath.Join(tmp, "iso")
	if err := os.MkdirAll(filepath.Join(root, "isolinux"), 0o755); err != nil {
		return nil, err
	}
	if err := writeISOTexts(root, o); err != nil {
		return nil, err
	}
	dst := out + ".tmp"
	args := []string{"-indev", path, "-outdev", dst, "-boot_image", "any", "replay",
		"-map", img, "/boot/efi.img",
		"-map", filepath.Join(root, "isolinux", "isolinux.cfg"), "/isolinux/isolinux.cfg",
		"-map", filepath.Join(root, StateName), "/" + StateName}
	switch {
	case c.Answer != "":
		args = append(args, "-map", c.Answer, "/"+AnswerName)
	case !o.Answer && info.Options.Answer:
		args = append(args, "-rm", "/"+AnswerName)
	}
	switch {
	case ca != nil:
		caFile := filepath.Join(tmp, "ca.img.new")
		if err := os.WriteFile(caFile, ca, 0o644); err != nil {
			return nil, err
		}
		args = append(args, "-map", caFile, LiveCA)
	case !o.CA && info.Options.CA:
		args = append(args, "-rm", LiveCA)
	}
	_ = os.Remove(dst)
	if _, err := live.Run(ctx, "", "xorriso", args...); err != nil {
		os.Remove(dst)
		return nil, fmt.Errorf("xorriso: %w", err)
	}
	if err := os.Rename(dst, out); err != nil {
		os.Remove(dst)
		return nil, err
	}
	return &o, nil
}

// sameAnswer tells whether c leaves the ISO's answer file as it is: no
// --answer, or one with the bytes already embedded.
func sameAnswer(ctx context.Context, iso, tmp string, was Options, c Change) (bool, error) {
	if c.Answer == "" {
		return true, nil // --remove-answer changes Options.Answer
	}
	if !was.Answer {
		return false, nil
	}
	want, err := os.ReadFile(c.Answer)
	if err != nil {
		return false, fmt.Errorf("--answer: %w", err)
	}
	if err := extract(ctx, iso, tmp, "/"+AnswerName); err != nil {
		return false, err
	}
	have, err := os.ReadFile(filepath.Join(tmp, AnswerName))
	if err != nil {
		return false, err
	}
	return string(have) == string(want), nil
}

// isISO9660 checks the primary volume descriptor's signature (sector 16).
func isISO9660(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sig := make([]byte, 5)
	if _, err := f.ReadAt(sig, 16*2048+1); err != nil || string(sig) != "CD001" {
		return fmt.Errorf("%s: not an ISO 9660 image (no CD001 volume descriptor at sector 16)", path)
	}
	return nil
}

// failureLine is the first FAILURE line of a xorriso error, else all of it.
func failureLine(err error) string {
	for _, l := range strings.Split(err.Error(), "\n") {
		if i := strings.Index(l, "FAILURE : "); i >= 0 {
			return strings.TrimSpace(l[i+len("FAILURE : "):])
		}
	}
	return err.Error()
}

// sameCA tells whether the CA initrd at have (on the media before the
// change) is already ca; no new CA leaves it as it is.
func sameCA(have string, was Options, ca []byte) (bool, error) {
	if ca == nil {
		return true, nil // --remove-ca changes Options.CA
	}
	if !was.CA {
		return false, nil
	}
	cur, err := os.ReadFile(have)
	if err != nil {
		return false, err
	}
	return bytes.Equal(cur, ca), nil
}
