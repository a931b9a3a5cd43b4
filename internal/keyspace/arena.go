package keyspace

import "encoding/binary"

// arena is where a database's records live: byte chunks the collector
// never scans (they hold no pointers), carved into records whose sizes
// are multiples of 8 bytes. A record is named by a 32-bit ref: the
// chunk's number in its high bits and the record's offset in 8-byte
// units in the low ones. Ref 0 names nothing (the first chunk starts its
// records at offset 8).
//
// Allocation takes a freed record of exactly the size wanted if there is
// one (each size has its own free list, linked through the freed records'
// first four bytes), and otherwise carves the next bytes of the last
// chunk. Records never move on their own: the keyspace moves a record
// only when it must grow or shrink, and says where to.
type arena struct {
	chunks [][]byte
	// tail is how much of the last chunk is carved.
	tail int
	// free heads each size's free list, by size in units.
	free [maxRecord>>unitShift + 1]uint32
	// inUse is the bytes of the records handed out and not released.
	inUse int
}

const (
	unitShift = 3
	// chunkShift sizes full chunks: 1 MiB. The first chunks are smaller
	// (firstChunk, doubling), so a database with few keys stays small.
	chunkShift = 20
	firstChunk = 4 << 10
	offBits    = chunkShift - unitShift
	// maxChunks is how many chunks a ref can name: 32 GiB of records per
	// database.
	maxChunks = 1 << (32 - offBits)
	// maxRecord is the largest record the arena hands out.
	maxRecord = 512
)

// recordSize rounds n bytes up to the arena's unit.
func recordSize(n int) int { return (n + 1<<unitShift - 1) &^ (1<<unitShift - 1) }

// bytes returns the record at ref and whatever follows it in its chunk.
func (a *arena) bytes(ref uint32) []byte {
	return a.chunks[ref>>offBits][(ref&(1<<offBits-1))<<unitShift:]
}

// alloc returns a record of size bytes (a multiple of 8, at most
// maxRecord). Its contents are undefined.
func (a *arena) alloc(size int) uint32 {
	a.inUse += size
	u := size >> unitShift
	if ref := a.free[u]; ref != 0 {
		a.free[u] = le32(a.bytes(ref))
		return ref
	}
	last := len(a.chunks) - 1
	if last < 0 || a.tail+size > len(a.chunks[last]) {
		if last >= 0 {
			a.releaseTail(last)
		}
		n := firstChunk
		if last >= 0 {
			n = min(len(a.chunks[last])*2, 1<<chunkShift)
		}
		if len(a.chunks) == maxChunks {
			panic("keyspace: a database's arena is full (32 GiB of records)")
		}
		a.chunks = append(a.chunks, make([]byte, n))
		last++
		a.tail = 0
		if last == 0 {
			a.tail = 1 << unitShift // ref 0 stays unused
		}
	}
	ref := uint32(last)<<offBits | uint32(a.tail>>unitShift)
	a.tail += size
	return ref
}

// releaseTail puts what is left uncarved of chunk c on the free lists, so
// moving on to a new chunk wastes nothing.
func (a *arena) releaseTail(c int) {
	for rest := len(a.chunks[c]) - a.tail; rest >= 1<<unitShift; rest = len(a.chunks[c]) - a.tail {
		size := min(rest, maxRecord)
		ref := uint32(c)<<offBits | uint32(a.tail>>unitShift)
		a.tail += size
		a.inUse += size
		a.release(ref, size)
	}
}

// release returns the record at ref, of size bytes, to its free list. Only
// its first four bytes change, so a reader still holding its contents
// (a reply being written, a key being propagated) sees them intact until
// the space is handed out again.
func (a *arena) release(ref uint32, size int) {
	a.inUse -= size
	u := size >> unitShift
	put32(a.bytes(ref), a.free[u])
	a.free[u] = ref
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

func put32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

func le64(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }

func put64(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) }
