package rdb

import (
	"encoding/binary"
	"math"

	"github.com/respd/respd/internal/ds/stream"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// Entry flags inside a stream listpack.
const (
	streamDeleted    = 1
	streamSameFields = 2
)

// stream reads a stream of format 1, 2 or 3 (value types 15, 19, 21).
func (l *loader) stream(t byte) (*keyspace.Object, error) {
	s := stream.New()
	l.streamAdded = false
	nodes, err := l.r.count()
	if err != nil {
		return nil, err
	}
	var live int64
	for range nodes {
		key, err := l.r.str()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, corrupt("stream node key entry is not the size of a stream ID")
		}
		master := stream.ID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		blob, err := l.r.str()
		if err != nil {
			return nil, err
		}
		items, err := listpackEntries(blob)
		if err != nil {
			return nil, corrupt("stream listpack: %v", err)
		}
		if len(items) == 0 {
			return nil, corrupt("Empty listpack inside stream")
		}
		n, err := l.streamNode(s, master, items)
		if err != nil {
			return nil, err
		}
		live += n
	}
	length, err := l.r.length()
	if err != nil {
		return nil, err
	}
	if int64(length) != live {
		return nil, corrupt("stream length %d but %d entries", length, live)
	}
	var last stream.ID
	if last, err = l.streamID(); err != nil {
		return nil, err
	}
	if l.streamAdded && last.Less(s.LastID) {
		return nil, corrupt("stream last ID is below its entries")
	}
	s.LastID = last
	if t >= typeStreamListpacks2 {
		if _, err := l.streamID(); err != nil { // first ID: recomputed
			return nil, err
		}
		if s.MaxDeletedID, err = l.streamID(); err != nil {
			return nil, err
		}
		if s.EntriesAdded, err = l.r.length(); err != nil {
			return nil, err
		}
	} else {
		s.MaxDeletedID = stream.ID{}
		s.EntriesAdded = uint64(s.Len())
	}
	groups, err := l.r.count()
	if err != nil {
		return nil, err
	}
	for range groups {
		if err := l.streamGroup(s, t); err != nil {
			return nil, err
		}
	}
	return &keyspace.Object{Type: keyspace.TypeStream, Enc: keyspace.EncStream, Val: s}, nil
}

func (l *loader) streamID() (stream.ID, error) {
	ms, err := l.r.length()
	if err != nil {
		return stream.ID{}, err
	}
	seq, err := l.r.length()
	return stream.ID{Ms: ms, Seq: seq}, err
}

// rawID reads a 16-byte big-endian ID.
func (l *loader) rawID() (stream.ID, error) {
	var b [16]byte
	if err := l.r.full(b[:]); err != nil {
		return stream.ID{}, err
	}
	return stream.ID{Ms: binary.BigEndian.Uint64(b[:]), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

// streamNode adds the entries of one node's listpack to s and returns how
// many live ones there were.
//
// Redis keeps a loaded node as it is, tombstones included, so the node
// becomes one block of its own here too, holding the deleted entries as
// deleted: XINFO's radix-tree-keys and -nodes, and where the next XADD
// starts a new node, then come out as in Redis.
func (l *loader) streamNode(s *stream.Stream, master stream.ID, items [][]byte) (int64, error) {
	p := lpCursor{items: items}
	count, deleted, nf := p.int(), p.int(), p.int()
	if p.bad || nf < 0 || nf > int64(len(items)) {
		return 0, corrupt("bad stream master entry")
	}
	fields := make([][]byte, nf)
	for i := range fields {
		fields[i] = p.next()
	}
	if p.int() != 0 || p.bad {
		return 0, corrupt("bad stream master entry terminator")
	}
	var live int64
	var fv [][]byte
	var tombstones []stream.ID
	for seen := int64(0); seen < count+deleted; seen++ {
		flags, dms, dseq := p.int(), p.int(), p.int()
		if p.bad {
			return 0, corrupt("truncated stream entry")
		}
		id := stream.ID{Ms: master.Ms + uint64(dms), Seq: master.Seq + uint64(dseq)}
		fv = fv[:0]
		if flags&streamSameFields != 0 {
			for _, f := range fields {
				fv = append(fv, f, p.next())
			}
		} else {
			n := p.int()
			if n < 0 || n > int64(len(items)) {
				return 0, corrupt("bad stream entry field count")
			}
			for range 2 * n {
				fv = append(fv, p.next())
			}
		}
		p.int() // lp-count, for walking backwards
		if p.bad {
			return 0, corrupt("truncated stream entry")
		}
		if l.streamAdded && !s.LastID.Less(id) {
			return 0, corrupt("stream entries out of order")
		}
		// The first entry of the node starts a block (a bound of one
		// entry makes the previous block full); the others join it
		// whatever the configured node bounds say.
		lim := stream.NodeLimits{}
		if seen == 0 {
			lim.MaxEntries = 1
		}
		s.Add(id, fv, lim)
		l.streamAdded = true
		if flags&streamDeleted != 0 {
			tombstones = append(tombstones, id)
		} else {
			live++
		}
	}
	if p.i != len(items) {
		return 0, corrupt("stream listpack has trailing items")
	}
	if live != count {
		return 0, corrupt("stream node counts %d live entries but holds %d", count, live)
	}
	// Marked once the whole node is in, so a node whose first entries
	// are deleted is not dropped before its live ones arrive. (A node
	// with no live entry at all, which Redis never writes, goes away.)
	for _, id := range tombstones {
		s.Delete(id)
	}
	return live, nil
}

// lpCursor walks decoded listpack items, remembering whether it ran out
// or met a non-integer where an integer belongs.
type lpCursor struct {
	items [][]byte
	i     int
	bad   bool
}

func (p *lpCursor) next() []byte {
	if p.i >= len(p.items) {
		p.bad = true
		return nil
	}
	p.i++
	return p.items[p.i-1]
}

func (p *lpCursor) int() int64 {
	v, ok := resp.ParseInt(p.next())
	if !ok {
		p.bad = true
	}
	return v
}

func (l *loader) streamGroup(s *stream.Stream, t byte) error {
	name, err := l.r.str()
	if err != nil {
		return err
	}
	last, err := l.streamID()
	if err != nil {
		return err
	}
	// Format 1 has no read counter: Redis estimates it from the group's
	// last ID as XGROUP CREATE does (exact at the stream's ends, unknown
	// in between), and so lag reads the same.
	entriesRead := s.EntriesReadAt(last)
	if t >= typeStreamListpacks2 {
		v, err := l.r.length()
		if err != nil {
			return err
		}
		entriesRead = int64(v)
	}
	g, ok := s.CreateGroup(string(name), last, entriesRead)
	if !ok {
		return corrupt("Duplicated consumer group name %s", name)
	}
	pending, err := l.r.count()
	if err != nil {
		return err
	}
	for range pending {
		id, err := l.rawID()
		if err != nil {
			return err
		}
		at, err := l.r.uint64LE()
		if err != nil {
			return err
		}
		n, err := l.r.length()
		if err != nil {
			return err
		}
		if g.Pending(id) != nil {
			return corrupt("Duplicated global PEL entry loading stream consumer group")
		}
		p := g.AddOrphan(id)
		p.DeliveryTime, p.DeliveryCount = int64(at), int64(n)
	}
	consumers, err := l.r.count()
	if err != nil {
		return err
	}
	owned := 0
	for range consumers {
		cname, err := l.r.str()
		if err != nil {
			return err
		}
		seen, err := l.r.uint64LE()
		if err != nil {
			return err
		}
		if t >= typeStreamListpacks3 {
			if _, err := l.r.uint64LE(); err != nil { // active time
				return err
			}
		}
		c, ok := g.CreateConsumer(cname, int64(seen))
		if !ok {
			return corrupt("Duplicate stream consumer detected")
		}
		n, err := l.r.count()
		if err != nil {
			return err
		}
		for range n {
			id, err := l.rawID()
			if err != nil {
				return err
			}
			p := g.Pending(id)
			if p == nil {
				return corrupt("Consumer PEL entry not found in group global PEL")
			}
			if p.Consumer != nil {
				// Listed twice, by one consumer or by two.
				return corrupt("Stream consumer PEL entry already has a consumer assigned")
			}
			g.Assign(p, c)
			owned++
		}
	}
	if owned != g.PendingLen() {
		return corrupt("Stream CG PEL entry without consumer")
	}
	return nil
}

// stream writes s in format 2 (value type 19): one node per run of
// entries that fits Redis's default node bounds, with the node's first
// entry as its master.
func (e *Encoder) stream(s *stream.Stream) {
	w := &e.w
	type node struct {
		master stream.ID
		lp     []byte
	}
	var nodes []node
	var (
		items   []lpItem
		master  stream.ID
		fields  [][]byte
		n, size int
	)
	flush := func() {
		if n == 0 {
			return
		}
		var lp lpWriter
		lp.appendInt(int64(n))
		lp.appendInt(0)
		lp.appendInt(int64(len(fields)))
		for _, f := range fields {
			lp.appendString(f)
		}
		lp.appendInt(0)
		for _, it := range items {
			if it.s != nil {
				lp.appendString(it.s)
			} else {
				lp.appendInt(it.v)
			}
		}
		nodes = append(nodes, node{master, lp.bytes()})
		items, n, size = items[:0], 0, 0
	}
	num := func(v int64) { items = append(items, lpItem{v: v}) }
	str := func(b []byte) { items = append(items, lpItem{s: append(make([]byte, 0, len(b)), b...)}) }
	s.Range(stream.ID{}, stream.MaxID, false, func(id stream.ID, fv [][]byte) bool {
		if n >= 100 || size >= 4096 {
			flush()
		}
		if n == 0 {
			master = id
			fields = fields[:0]
			for i := 0; i < len(fv); i += 2 {
				fields = append(fields, append([]byte(nil), fv[i]...))
			}
		}
		same := len(fv) == 2*len(fields)
		for i := 0; same && i < len(fields); i++ {
			same = string(fv[2*i]) == string(fields[i])
		}
		flags := int64(0)
		if same {
			flags = streamSameFields
		}
		num(flags)
		num(int64(id.Ms - master.Ms))
		num(int64(id.Seq - master.Seq))
		nf := int64(len(fv) / 2)
		if same {
			for i := 1; i < len(fv); i += 2 {
				str(fv[i])
			}
			num(nf + 3)
		} else {
			num(nf)
			for _, x := range fv {
				str(x)
			}
			num(2*nf + 4)
		}
		for _, x := range fv {
			size += len(x)
		}
		n++
		return true
	})
	flush()
	w.length(uint64(len(nodes)))
	for _, nd := range nodes {
		var key [16]byte
		binary.BigEndian.PutUint64(key[:], nd.master.Ms)
		binary.BigEndian.PutUint64(key[8:], nd.master.Seq)
		w.length(16)
		w.raw(key[:])
		w.length(uint64(len(nd.lp)))
		w.raw(nd.lp)
	}
	w.length(uint64(s.Len()))
	writeID(w, s.LastID)
	writeID(w, s.FirstID())
	writeID(w, s.MaxDeletedID)
	w.length(s.EntriesAdded)
	groups := s.Groups()
	w.length(uint64(len(groups)))
	for _, g := range groups {
		w.strString(g.Name)
		writeID(w, g.LastID)
		er := uint64(g.EntriesRead)
		if g.EntriesRead < 0 {
			er = math.MaxUint64 // Redis's SCG_INVALID_ENTRIES_READ as a length
		}
		w.length(er)
		w.length(uint64(g.PendingLen()))
		g.PendingRange(nil, stream.ID{}, stream.MaxID, func(p *stream.Pending) bool {
			writeRawID(w, p.ID)
			w.uint64LE(uint64(p.DeliveryTime))
			w.length(uint64(p.DeliveryCount))
			w.maybeFlush()
			return true
		})
		cs := g.Consumers()
		w.length(uint64(len(cs)))
		for _, c := range cs {
			w.strString(c.Name)
			w.uint64LE(uint64(c.SeenTime))
			w.length(uint64(c.PendingLen()))
			g.PendingRange(c, stream.ID{}, stream.MaxID, func(p *stream.Pending) bool {
				writeRawID(w, p.ID)
				w.maybeFlush()
				return true
			})
		}
	}
}

// lpItem is one listpack item waiting for its node: a string when s is
// not nil, else the integer v.
type lpItem struct {
	s []byte
	v int64
}

func writeID(w *writer, id stream.ID) {
	w.length(id.Ms)
	w.length(id.Seq)
}

func writeRawID(w *writer, id stream.ID) {
	w.buf = binary.BigEndian.AppendUint64(w.buf, id.Ms)
	w.buf = binary.BigEndian.AppendUint64(w.buf, id.Seq)
}
