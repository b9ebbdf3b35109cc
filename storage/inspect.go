package storage

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Report is what Inspect found on one disk or image.
type Report struct {
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	Table      string `json:"table"`                 // "gpt", "dos" or "" (none)
	SectorSize int    `json:"sector_size,omitempty"` // the sector size the table uses
	DiskGUID   string `json:"disk_guid,omitempty"`   // GPT disk GUID, or the MBR disk signature
	FromBackup bool   `json:"from_backup,omitempty"` // the primary GPT is corrupt; read from the backup
	// Signature and Label: a filesystem on the whole disk (no table).
	Signature    string            `json:"signature,omitempty"`
	Label        string            `json:"label,omitempty"`
	Partitions   []ReportPartition `json:"partitions,omitempty"`
	Installation *Installation     `json:"installation,omitempty"`
	// Problems: what is wrong or notable (corrupt tables, unreadable ESP,
	// an unfinished install...). Error: the disk could not be read at all.
	Problems []string `json:"problems,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// ReportPartition is one partition of a Report.
type ReportPartition struct {
	Number   int    `json:"number"`
	Name     string `json:"name,omitempty"` // GPT partition name
	TypeGUID string `json:"type"`           // GPT type GUID, or MBR type "0x83"
	TypeName string `json:"type_name,omitempty"`
	Start    int64  `json:"start"` // bytes
	Size     int64  `json:"size"`  // bytes
	FSType   string `json:"fs_type,omitempty"`
	Label    string `json:"label,omitempty"`
}

// Inspect reads the disk or image at path and reports its partition
// table, what each partition holds and this product's installation. It
// never writes and never panics: garbage gives a readable report.
func Inspect(path string) (rep Report) {
	rep.Path = path
	defer func() {
		if v := recover(); v != nil {
			rep.Error = fmt.Sprintf("internal error while reading (please report): %v\n%s", v, debug.Stack())
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	ss := 0
	switch {
	case st.Mode().IsRegular():
		rep.Size = st.Size()
	case st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0:
		size, err := blkGetSize64(f)
		if err != nil {
			rep.Error = "size (BLKGETSIZE64): " + err.Error()
			return rep
		}
		rep.Size = int64(size)
		ss, _ = unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET)
	default:
		rep.Error = "not a block device or regular file"
		return rep
	}
	if rep.Size == 0 {
		rep.Problems = append(rep.Problems, "empty: 0 bytes")
		return rep
	}
	inspectReader(&rep, f, ss)
	return rep
}

// inspectReader fills rep from r (rep.Size set). ss is the device's
// logical sector size, 0 for image files.
func inspectReader(rep *Report, r io.ReaderAt, ss int) {
	t := readPartTable(r, rep.Size, ss)
	rep.Table, rep.SectorSize, rep.DiskGUID, rep.FromBackup = t.Kind, t.SectorSize, t.DiskGUID, t.FromBackup
	rep.Problems = append(rep.Problems, t.Problems...)
	if t.Kind == "" {
		s := DetectSignature(r, 0, rep.Size)
		rep.Signature, rep.Label = s.FSType, s.Label
		if s.FSType == "" && len(t.Problems) == 0 {
			rep.Problems = append(rep.Problems, "no partition table and no known signature")
		}
		return
	}
	for _, p := range t.Parts {
		rp := ReportPartition{Number: p.Number, Name: p.Name, TypeGUID: p.TypeGUID, TypeName: typeName(p.TypeGUID), Start: p.Start, Size: p.Size}
		if size := min(p.Size, rep.Size-p.Start); p.Size > 0 && size > 0 {
			s := DetectSignature(r, p.Start, size)
			rp.FSType, rp.Label = s.FSType, s.Label
		}
		rep.Partitions = append(rep.Partitions, rp)
	}
	for _, p := range rep.Partitions {
		if p.FSType != "vfat" || (p.TypeGUID != TypeESP && p.TypeGUID != "0xef" && p.Name != "EFI") {
			continue
		}
		inst, notes, capped, err := readESP(r, p.Start, min(p.Size, rep.Size-p.Start))
		if capped != "" && err == nil && !slices.Contains(notes, capped) {
			notes = append(notes, capped)
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("ESP (partition %d): %v", p.Number, err))
			continue
		}
		for _, n := range notes {
			rep.Problems = append(rep.Problems, fmt.Sprintf("ESP (partition %d): %s", p.Number, n))
		}
		if inst != nil && rep.Installation == nil {
			rep.Installation = inst
		}
	}
}

var typeNames = map[string]string{
	TypeESP: "ESP", TypeRootX86_64: "root-x86-64", TypeRootARM64: "root-arm64", TypeSwap: "swap",
	TypeSrv: "srv", TypeVar: "var", TypeLinuxData: "linux-data",
	"21686148-6449-6E6F-744E-656564454649": "BIOS boot", "E6D6D379-F507-44C2-A23C-238F2A3DF928": "LVM",
	"A19D880F-05FC-4D3B-A006-743F0F84911E": "RAID", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7": "Microsoft basic data",
	"E3C9E316-0B5C-4DB8-817D-F92DF00215AE": "Microsoft reserved", "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC": "Windows recovery",
	"0x83": "Linux", "0x82": "Linux swap", "0x8e": "Linux LVM", "0xfd": "Linux RAID", "0x07": "NTFS/exFAT",
	"0x0b": "FAT32", "0x0c": "FAT32 (LBA)", "0x0e": "FAT16 (LBA)", "0x06": "FAT16", "0xef": "EFI (FAT)",
	"0x05": "extended", "0x0f": "extended (LBA)", "0xee": "GPT protective",
}

func typeName(t string) string {
	if n, ok := typeNames[strings.ToUpper(t)]; ok {
		return n
	}
	return typeNames[strings.ToLower(t)]
}

// Text renders the report for people.
func (r Report) Text() string {
	var b strings.Builder
	b.WriteString(r.Path + ":")
	if r.Error == "" {
		b.WriteString(" " + humanBytes(r.Size))
	}
	switch r.Table {
	case "gpt":
		fmt.Fprintf(&b, ", GPT with %d-byte sectors, disk GUID %s", r.SectorSize, r.DiskGUID)
		if r.FromBackup {
			b.WriteString(" (read from the backup GPT)")
		}
	case "dos":
		fmt.Fprintf(&b, ", DOS partition table, disk id %s", r.DiskGUID)
	default:
		if r.Error == "" {
			b.WriteString(", no partition table")
		}
	}
	b.WriteString("\n")
	if r.Error != "" {
		fmt.Fprintf(&b, "  cannot read: %s\n", r.Error)
	}
	if r.Signature != "" {
		fmt.Fprintf(&b, "  whole disk: %s %s\n", r.Signature, quoteLabel(r.Label))
	}
	if len(r.Partitions) > 0 {
		fmt.Fprintf(&b, "  %3s  %-10s %10s %10s  %-20s %-18s %s\n", "#", "name", "start", "size", "type", "content", "label")
		for _, p := range r.Partitions {
			typ := p.TypeName
			if typ == "" {
				typ = p.TypeGUID
			}
			fs := p.FSType
			if fs == "" {
				fs = "-"
			}
			fmt.Fprintf(&b, "  %3d  %-10s %10s %10s  %-20s %-18s %s\n", p.Number, p.Name, humanBytes(p.Start), humanBytes(p.Size), typ, fs, p.Label)
		}
	}
	if in := r.Installation; in != nil {
		product := in.Product
		if product == "" {
			product = "(no product name)"
		}
		fmt.Fprintf(&b, "  installation: %s", product)
		if in.NotFinished {
			b.WriteString(", NOT FINISHED")
		}
		b.WriteString("\n")
		for _, s := range in.Slots {
			v := s.Version
			if v == "" {
				v = "(no version)"
			}
			fmt.Fprintf(&b, "    slot %s: %s", s.Name, v)
			if s.Default {
				b.WriteString(", default")
			}
			switch {
			case s.TriesLeft == 0:
				fmt.Fprintf(&b, ", bad (no boot tries left, %d done)", s.TriesDone)
			case s.TriesLeft > 0:
				fmt.Fprintf(&b, ", being tried (%d tries left, %d done)", s.TriesLeft, s.TriesDone)
			}
			b.WriteString("\n")
		}
	} else if r.Error == "" && r.Table != "" {
		b.WriteString("  installation: none found\n")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  ! %s\n", p)
	}
	return b.String()
}

func quoteLabel(l string) string {
	if l == "" {
		return ""
	}
	return fmt.Sprintf("label %q", l)
}

// humanBytes prints n in binary units with one decimal.
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
