package bootmedia

import (
	"fmt"
	"strings"
)

// Paths of the live kernel and initrd on the ISO (and in its EFI image);
// LiveCA is the second initrd that adds the embedded CA certificate.
const (
	LiveKernel = "/live/vmlinuz"
	LiveInitrd = "/live/initrd.img"
	LiveCA     = "/live/ca.img"
)

// liveInitrds are the initrds every ISO entry loads, in order.
func liveInitrds(o Options) []string {
	if o.CA {
		return []string{LiveInitrd, LiveCA}
	}
	return []string{LiveInitrd}
}

// pxeInitrds are the PXE set's initrds, in order.
func pxeInitrds(o Options) []string {
	if o.CA {
		return []string{PXEInitrd, PXECA}
	}
	return []string{PXEInitrd}
}

// LoaderConf is systemd-boot's loader/loader.conf.
func LoaderConf(o Options) string {
	return fmt.Sprintf("timeout %d\ndefault %s.conf\nconsole-mode keep\neditor yes\n", o.TimeoutSec(), o.DefaultID())
}

// LoaderEntry is loader/entries/<ID>.conf (Boot Loader Specification
// type 1); sort-key keeps the menu order.
func LoaderEntry(o Options, e Entry, n int) string {
	var initrds strings.Builder
	for _, i := range liveInitrds(o) {
		fmt.Fprintf(&initrds, "initrd %s\n", i)
	}
	return fmt.Sprintf("title %s\nversion %s\nsort-key %02d\nlinux %s\n%soptions %s\n",
		e.Title, o.Version, n, LiveKernel, initrds.String(), strings.Join(e.Args, " "))
}

// IsolinuxCfg is the BIOS menu (isolinux with menu.c32), on the VGA
// screen and the first serial port.
func IsolinuxCfg(o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SERIAL 0 115200\nUI menu.c32\nPROMPT 0\nTIMEOUT %d\nDEFAULT %s\nMENU TITLE %s %s\n",
		o.TimeoutSec()*10, o.DefaultID(), o.Product, o.Version)
	for _, e := range Entries(o) {
		fmt.Fprintf(&b, "\nLABEL %s\n  MENU LABEL %s\n  KERNEL %s\n  INITRD %s\n  APPEND %s\n",
			e.ID, e.Title, LiveKernel, strings.Join(liveInitrds(o), ","), strings.Join(e.Args, " "))
	}
	return b.String()
}

// PXE file names inside the PXE set.
const (
	PXEKernel = "vmlinuz"
	PXEInitrd = "initrd.img"
	PXECA     = "ca.img"
)

// pxeEntries are the entries of a network boot: no live medium, the
// bundle fetched from base (a URL or an iPXE expression).
func pxeEntries(o Options, base string) []Entry {
	p := o
	p.Label, p.Answer = "", false // no medium to carry an answer file: pass node.config
	es := Entries(p)
	for i := range es {
		es[i].Args = append([]string{"node.media=" + base + "/" + BundleDir}, es[i].Args...)
	}
	return es
}

// BootIPXE is the iPXE menu. ${base} is the URL the PXE set is served
// from; set it before chaining (or edit the default here).
func BootIPXE(o Options, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!ipxe\n# %s %s: serve this folder over HTTP and chain this script.\nisset ${base} || set base %s\n",
		o.Product, o.Version, base)
	fmt.Fprintf(&b, "menu %s %s\n", o.Product, o.Version)
	es := pxeEntries(o, "${base}")
	for _, e := range es {
		fmt.Fprintf(&b, "item %s %s\n", e.ID, e.Title)
	}
	fmt.Fprintf(&b, "choose --default %s --timeout %d target && goto ${target} || goto %s\n",
		pxeDefault(o), o.TimeoutSec()*1000, pxeDefault(o))
	var named, fetch []string // the EFI stub loads each initrd= iPXE fetched
	for _, i := range pxeInitrds(o) {
		named = append(named, "initrd="+i)
		fetch = append(fetch, "initrd ${base}/"+i)
	}
	for _, e := range es {
		fmt.Fprintf(&b, "\n:%s\nkernel ${base}/%s %s %s\n%s\nboot\n",
			e.ID, PXEKernel, strings.Join(named, " "), strings.Join(e.Args, " "), strings.Join(fetch, "\n"))
	}
	return b.String()
}

// pxeDefault: the Automated entry exists only on media carrying an
// answer file; on PXE the answer is node.config's.
func pxeDefault(o Options) string {
	if id := o.DefaultID(); !strings.HasPrefix(id, AutomatedID) {
		return id
	}
	return "install"
}

// KernelArgsTxt lists each entry's kernel arguments for any PXE loader.
func KernelArgsTxt(o Options, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s: kernel %s, initrd %s; one entry per line: ID<TAB>ARGUMENTS\n# add node.config=URL for an unattended run\n",
		o.Product, o.Version, PXEKernel, strings.Join(pxeInitrds(o), " then "))
	for _, e := range pxeEntries(o, base) {
		fmt.Fprintf(&b, "%s\t%s\n", e.ID, strings.Join(e.Args, " "))
	}
	return b.String()
}

// GrubCfg is an example grub.cfg for GRUB's network boot (grubnetx64.efi).
func GrubCfg(o Options, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s: GRUB network boot example; kernel and initrd over TFTP from $prefix\nset timeout=%d\nset default=%s\nserial --unit=0 --speed=115200\nterminal_input console serial\nterminal_output console serial\n",
		o.Product, o.Version, o.TimeoutSec(), pxeDefault(o))
	for _, e := range pxeEntries(o, base) {
		fmt.Fprintf(&b, "\nmenuentry '%s' --id %s {\n  linux %s %s\n  initrd %s\n}\n", e.Title, e.ID, PXEKernel, strings.Join(e.Args, " "), strings.Join(pxeInitrds(o), " "))
	}
	return b.String()
}

// PxelinuxCfg is an example pxelinux.cfg/default (BIOS PXE).
func PxelinuxCfg(o Options, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s: pxelinux example; needs menu.c32, ldlinux.c32 and libutil.c32 beside pxelinux.0\nSERIAL 0 115200\nUI menu.c32\nTIMEOUT %d\nDEFAULT %s\n",
		o.Product, o.Version, o.TimeoutSec()*10, pxeDefault(o))
	for _, e := range pxeEntries(o, base) {
		fmt.Fprintf(&b, "\nLABEL %s\n  MENU LABEL %s\n  KERNEL %s\n  INITRD %s\n  APPEND %s\n", e.ID, e.Title, PXEKernel, strings.Join(pxeInitrds(o), ","), strings.Join(e.Args, " "))
	}
	return b.String()
}
