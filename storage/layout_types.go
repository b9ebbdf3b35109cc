package storage

// Content is what a planned partition holds once applied.
type Content string

// Partition contents.
const (
	ContentESP   Content = "vfat" // FAT32 EFI system partition
	ContentSlot  Content = "slot" // raw root image slot (squashfs written as is)
	ContentExt4  Content = "ext4"
	ContentSwap  Content = "swap"
	ContentEmpty Content = "empty"
)

// PlannedPartition is one partition of a planned layout, sector-exact.
type PlannedPartition struct {
	Number   int     `json:"number"`
	Name     string  `json:"name"`      // GPT partition name: EFI, RootA, RootB, Config, Logging, Swap, Data, ...
	Vol      Vol     `json:"vol"`       // the storage_vol volume it comes from
	TypeGUID string  `json:"type_guid"` // upper-case GUID
	Start    uint64  `json:"start"`     // first sector (logical sectors of the disk)
	Size     uint64  `json:"size"`      // in sectors
	Content  Content `json:"content"`
	Label    string  `json:"label,omitempty"` // filesystem label
}

// End is the last sector of p (inclusive, as GPT stores it).
func (p PlannedPartition) End() uint64 { return p.Start + p.Size - 1 }

// DiskLayout is the planned partition table of one disk.
type DiskLayout struct {
	Disk       Disk               `json:"disk"`
	Role       string             `json:"role"` // "boot" or "data"
	SectorSize int                `json:"sector_size"`
	Partitions []PlannedPartition `json:"partitions"`
}

// Layout is the planned partition tables of every disk to write.
type Layout struct {
	Disks []DiskLayout `json:"disks"`
}
