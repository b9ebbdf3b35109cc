package esp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// badCluster marks a cluster the FAT says is unusable.
const badCluster = 0x0FFFFFF7

// maxDepth bounds the directory walk of a (possibly hostile) ESP.
const maxDepth = 32

// reclaim frees the clusters no directory entry reaches ("lost
// clusters": a kill or power cut between a FAT flush and the directory
// write that would have used them, or before a replaced file's old chain
// was freed) and makes FSInfo's free count true again. Every writable
// open runs it, so the run after an interrupted one leaves an ESP that
// fsck.vfat finds clean. A tree it cannot walk (a broken chain, a
// cluster reached twice) is left as it is: freeing on a guess could
// lose data.
func (f *FS) reclaim(infoFree uint32) {
	used := make([]bool, len(f.fat))
	if err := f.mark(f.rootClus, used, 0); err == nil {
		for c := 2; c < len(f.fat); c++ {
			if v := f.fat[c] & fatMask; v != 0 && v != badCluster && !used[c] {
				f.setFAT(uint32(c), 0)
				f.free++
			}
		}
	}
	f.infoStale = f.fsInfo > 0 && infoFree != uint32(f.free)
}

// mark sets used for the chain at c and, for a directory, everything
// below it.
func (f *FS) mark(c uint32, used []bool, depth int) error {
	if depth > maxDepth {
		return errors.New("directories nested too deep")
	}
	chain, err := f.chain(c)
	if err != nil {
		return err
	}
	for _, k := range chain {
		if used[k] {
			return errors.New("cluster reached twice")
		}
		used[k] = true
	}
	data, err := f.readChain(chain)
	if err != nil {
		return err
	}
	for _, e := range parseDir(data) {
		switch {
		case e.cluster == 0:
		case e.isDir():
			if err := f.mark(e.cluster, used, depth+1); err != nil {
				return err
			}
		default:
			fc, err := f.chain(e.cluster)
			if err != nil {
				return err
			}
			for _, k := range fc {
				if used[k] {
					return errors.New("cluster reached twice")
				}
				used[k] = true
			}
		}
	}
	return nil
}

// syncCopies marks dirty every sector where a second FAT differs from
// the first (raw, as read): a cut between the writes of the two copies
// leaves them different, and the next flush makes them equal again.
func (f *FS) syncCopies(raw []byte) error {
	ss := f.g.sectorSize
	other := make([]byte, len(raw))
	for k := 1; k < f.g.numFATs; k++ {
		off := f.base + (int64(f.g.reserved)+int64(k*f.g.fatSectors))*int64(ss)
		if _, err := f.dev.ReadAt(other, off); err != nil {
			return fmt.Errorf("read FAT %d: %w", k+1, err)
		}
		for s := 0; s*ss < len(raw); s++ {
			hi := min((s+1)*ss, len(raw))
			if !bytes.Equal(raw[s*ss:hi], other[s*ss:hi]) {
				f.dirty[s] = true
			}
		}
	}
	return nil
}

// fsInfoFree reads FSInfo's free-cluster count.
func fsInfoFree(info []byte) uint32 { return binary.LittleEndian.Uint32(info[488:]) }
