// Package storage probes disks, chooses the install targets, plans the
// GPT layout and applies, wipes and inspects disks. A "disk" is a block
// device or a regular image file everywhere.
package storage

// Vol names a volume of the layout (SPEC §4) as storage_vol names it.
type Vol string

// Volume names, in the order of the oVirt positional storage_vol form
// BOOT:SWAP:ROOT:CONFIG:LOGGING:DATA:SWAP2:DATA2 (see VolOrder).
const (
	VolEFI     Vol = "EFI" // oVirt "Boot" is an alias
	VolSwap    Vol = "Swap"
	VolRoot    Vol = "Root" // size of each root slot (RootA and RootB)
	VolConfig  Vol = "Config"
	VolLogging Vol = "Logging"
	VolData    Vol = "Data"
	VolSwap2   Vol = "Swap2" // on the extra (APPDISK) disks
	VolData2   Vol = "Data2" // on the extra (APPDISK) disks
)

// VolOrder is the positional order of storage_vol.
var VolOrder = []Vol{VolEFI, VolSwap, VolRoot, VolConfig, VolLogging, VolData, VolSwap2, VolData2}

// DiskRef is one item of storage_init: a path (globs and /dev/disk/by-id
// allowed) or a bus with an optional serial or ALL.
type DiskRef struct {
	Raw    string `json:"raw"`
	Path   string `json:"path,omitempty"`   // "/dev/sda", "/dev/disk/by-id/*", an image file
	Bus    string `json:"bus,omitempty"`    // ata, scsi, usb, virtio, nvme
	Serial string `json:"serial,omitempty"` // with Bus
	All    bool   `json:"all,omitempty"`    // Bus:ALL
}

// Rule is one condition of a node.disk selector, e.g. size>=100G.
type Rule struct {
	Key   string `json:"key"`   // serial, model, size, type, bus, largest, smallest, path, wwid, vendor
	Op    string `json:"op"`    // "=", ">=", "<=", ">", "<", "" (for largest/smallest)
	Value string `json:"value"` // as written
}

// Selector is one node.disk= value: its rules are AND-ed.
type Selector struct {
	Raw   string `json:"raw"`
	Rules []Rule `json:"rules"`
	// From names the setting when it is not node.disk (the answer file's
	// storage.root_device); messages show it instead of "node.disk=".
	From string `json:"from,omitempty"`
}

// Label is how messages name the selector.
func (s Selector) Label() string {
	if s.From != "" {
		return s.From + " (" + s.Raw + ")"
	}
	return "node.disk=" + s.Raw
}

// RootDeviceHints are OpenStack Ironic's root device hints (the schema
// Metal3 re-exports), as the answer file's storage.root_device gives
// them; the installer turns them into a Selector. Values are as
// written: "100" or ">= 100" for size (GiB), "s== X" or X for strings.
type RootDeviceHints struct {
	Name               string `json:"name,omitempty"`
	Size               string `json:"size,omitempty"`
	Model              string `json:"model,omitempty"`
	Vendor             string `json:"vendor,omitempty"`
	Serial             string `json:"serial,omitempty"`
	WWN                string `json:"wwn,omitempty"`
	WWNWithExtension   string `json:"wwn_with_extension,omitempty"`
	WWNVendorExtension string `json:"wwn_vendor_extension,omitempty"`
	Rotational         string `json:"rotational,omitempty"`
	HCTL               string `json:"hctl,omitempty"`
	ByPath             string `json:"by_path,omitempty"`
}

// Spec is what the admin asked of the disks.
type Spec struct {
	// Init is true when storage_init was given (bare or with disks).
	Init bool `json:"init"`
	// Disks are the boot disk candidates of storage_init (before ';').
	Disks []DiskRef `json:"disks,omitempty"`
	// AppDisks are the extra data disks of storage_init (after ';').
	AppDisks []DiskRef `json:"app_disks,omitempty"`
	// Selectors are the node.disk= values, an ordered fallback list.
	Selectors []Selector `json:"selectors,omitempty"`
	// RootDevice are the answer file's Ironic root device hints, turned
	// into the first selector (installer: rootDeviceSelector).
	RootDevice *RootDeviceHints `json:"root_device,omitempty"`
	// Volumes holds storage_vol overrides in MiB: -1 fills, 0 omits.
	// A volume absent from the map takes its default.
	Volumes map[Vol]int64 `json:"volumes,omitempty"`
	// MemOvercommit is the swap formula coefficient (default 0.5).
	MemOvercommit float64 `json:"mem_overcommit"`
	WipeFakeRAID  bool    `json:"wipe_fakeraid,omitempty"`
	SwapEncrypt   bool    `json:"swap_encrypt,omitempty"`
	// Wipe is node.wipe: "" (refuse non-empty disks) or "force".
	Wipe string `json:"wipe,omitempty"`
	// AllowNonEmpty lets Choose take disks that hold an installation or
	// any partition table/filesystem (set for reinstall/firstboot).
	AllowNonEmpty bool `json:"allow_non_empty,omitempty"`
}

// Disk is a probed disk: plain data, recorded in machine profiles.
type Disk struct {
	Name           string      `json:"name"`           // "sda", "nvme0n1", or the image file's base name
	Path           string      `json:"path"`           // "/dev/sda" or the image file
	Size           int64       `json:"size"`           // bytes
	LogicalSector  int         `json:"logical_sector"` // 512 or 4096
	PhysicalSector int         `json:"physical_sector"`
	Model          string      `json:"model,omitempty"`
	Vendor         string      `json:"vendor,omitempty"`
	Serial         string      `json:"serial,omitempty"`
	WWID           string      `json:"wwid,omitempty"`
	ByID           []string    `json:"by_id,omitempty"`
	ByPath         []string    `json:"by_path,omitempty"`
	Removable      bool        `json:"removable,omitempty"`
	Rotational     bool        `json:"rotational,omitempty"`
	ReadOnly       bool        `json:"read_only,omitempty"`
	Transport      string      `json:"transport"`              // ata, scsi, usb, nvme, virtio, loop, file, ...
	Table          string      `json:"table,omitempty"`        // "gpt", "dos", "" (none)
	DiskGUID       string      `json:"disk_guid,omitempty"`    // GPT disk GUID or DOS disk id: new at every partitioning
	Signature      string      `json:"signature,omitempty"`    // whole-disk filesystem signature, if any
	Label          string      `json:"label,omitempty"`        // whole-disk filesystem label, if any
	BackingFile    string      `json:"backing_file,omitempty"` // loop devices: the file behind it
	Partitions     []Partition `json:"partitions,omitempty"`
	Holders        []string    `json:"holders,omitempty"` // dm/md devices built on it
	// ReadError is why the disk could not be read: what it holds is then
	// unknown, and it is never offered for writing.
	ReadError string `json:"read_error,omitempty"`
	// Notes say what the probe did not read to the end (an ESP over its
	// read budget, loader entries beyond the cap): the plan warns of them.
	Notes     []string `json:"notes,omitempty"`
	InUse     string   `json:"in_use,omitempty"` // why it is busy ("mounted at /", "swap"), "" if free
	BootMedia bool     `json:"boot_media,omitempty"`
	// Installation is this product's installation found on the disk, if any.
	Installation *Installation `json:"installation,omitempty"`
}

// Partition is one partition of a probed disk.
type Partition struct {
	Number    int    `json:"number"`
	Name      string `json:"name,omitempty"` // kernel name, "sda1"
	Start     int64  `json:"start"`          // bytes
	Size      int64  `json:"size"`           // bytes
	PartLabel string `json:"part_label,omitempty"`
	TypeGUID  string `json:"type_guid,omitempty"`
	FSType    string `json:"fs_type,omitempty"` // ext4, vfat, swap, squashfs, LVM2_member...
	Label     string `json:"label,omitempty"`
	Mounted   string `json:"mounted,omitempty"`
}

// Slot is one root slot of an installation.
type Slot struct {
	Name    string `json:"name"`              // "A" or "B"
	Version string `json:"version,omitempty"` // from the loader entry / slot stamp
	Default bool   `json:"default,omitempty"`
	// TriesLeft/TriesDone are the boot-counting state of the slot's entry, -1 if none.
	TriesLeft int `json:"tries_left"`
	TriesDone int `json:"tries_done"`
}

// Installation describes this product's installation on a disk.
type Installation struct {
	Product     string `json:"product,omitempty"`
	Slots       []Slot `json:"slots,omitempty"`
	NotFinished bool   `json:"not_finished,omitempty"`
	// TrustedKeys is the ESP's /node/trusted-keys: the public keys the
	// node's upgrades must be signed with (authorized_keys lines).
	TrustedKeys string `json:"trusted_keys,omitempty"`
}
