package storage

import "runtime"

// GPT partition type GUIDs (upper case, as PlannedPartition.TypeGUID holds
// them). Where one fits they come from the UAPI Discoverable Partitions
// Specification, so systemd and blkid name them correctly.
const (
	// TypeESP is the EFI System Partition.
	TypeESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	// TypeRootX86_64 is a root partition for x86-64.
	TypeRootX86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
	// TypeRootARM64 is a root partition for 64-bit ARM.
	TypeRootARM64 = "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"
	// TypeSwap is a swap partition.
	TypeSwap = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
	// TypeSrv is the server data partition (/srv); used for Data volumes.
	TypeSrv = "3B8F8425-20E0-4F3B-907F-1A25A76F98E8"
	// TypeVar is the variable data partition (/var). Not used for Logging:
	// Logging holds /var/log only, and systemd would mount a /var partition
	// over the whole /var.
	TypeVar = "4D21B016-B534-45C2-A9FB-5C16E091FD2D"
	// TypeLinuxData is the generic Linux filesystem data partition, used
	// where no specific type fits (Config, Logging).
	TypeLinuxData = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
)

// RootTypeGUID is the root partition type of the architecture this
// binary is built for (the node image is built for the same one).
func RootTypeGUID() string {
	if runtime.GOARCH == "arm64" {
		return TypeRootARM64
	}
	return TypeRootX86_64
}
