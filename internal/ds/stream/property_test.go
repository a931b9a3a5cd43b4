package stream

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The property test drives a Stream and a naive model (a slice of entries
// grouped into nodes by Redis's entry-count rule) with the same random
// XADD, XDEL and XTRIM operations and compares everything observable
// after each one.

type modelEntry struct {
	id      ID
	fv      []string
	deleted bool
}

type modelNode struct{ entries []*modelEntry }

type model struct {
	nodes      []*modelNode
	length     int64
	last       ID
	maxDeleted ID
	maxEntries int
}

func (m *model) add(id ID, fv []string) {
	var tail *modelNode
	if len(m.nodes) > 0 {
		tail = m.nodes[len(m.nodes)-1]
		if len(tail.entries) >= m.maxEntries {
			tail = nil
		}
	}
	if tail == nil {
		tail = &modelNode{}
		m.nodes = append(m.nodes, tail)
	}
	tail.entries = append(tail.entries, &modelEntry{id: id, fv: fv})
	m.length++
	m.last = id
}

func (n *modelNode) live() int64 {
	c := int64(0)
	for _, e := range n.entries {
		if !e.deleted {
			c++
		}
	}
	return c
}

func (m *model) del(id ID) bool {
	for i, n := range m.nodes {
		for _, e := range n.entries {
			if e.id == id && !e.deleted {
				e.deleted = true
				m.length--
				if m.maxDeleted.Less(id) {
					m.maxDeleted = id
				}
				if n.live() == 0 {
					m.nodes = append(m.nodes[:i], m.nodes[i+1:]...)
				}
				return true
			}
		}
	}
	return false
}

func (m *model) trim(a TrimArgs) int64 {
	var removed int64
	for len(m.nodes) > 0 {
		if !a.ByMinID && m.length <= a.MaxLen {
			break
		}
		n := m.nodes[0]
		live := n.live()
		if a.Limit > 0 && removed+live > a.Limit {
			break
		}
		var whole bool
		if a.ByMinID {
			whole = n.entries[len(n.entries)-1].id.Less(a.MinID)
		} else {
			whole = m.length-live >= a.MaxLen
		}
		if whole {
			m.nodes = m.nodes[1:]
			m.length -= live
			removed += live
			continue
		}
		if a.Approx {
			break
		}
		for _, e := range n.entries {
			if a.ByMinID && !e.id.Less(a.MinID) || !a.ByMinID && m.length <= a.MaxLen {
				break
			}
			if !e.deleted {
				e.deleted = true
				m.length--
				removed++
			}
		}
		break
	}
	return removed
}

func (m *model) live() []*modelEntry {
	var out []*modelEntry
	for _, n := range m.nodes {
		for _, e := range n.entries {
			if !e.deleted {
				out = append(out, e)
			}
		}
	}
	return out
}

func randomFields(r *rand.Rand, schema []string) []string {
	if r.IntN(4) > 0 {
		fv := make([]string, 0, 2*len(schema))
		for _, f := range schema {
			fv = append(fv, f, randomValue(r))
		}
		return fv
	}
	n := 1 + r.IntN(4)
	fv := make([]string, 0, 2*n)
	for i := 0; i < n; i++ {
		fv = append(fv, "f"+strconv.Itoa(r.IntN(6)), randomValue(r))
	}
	return fv
}

func randomValue(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return strconv.Itoa(r.IntN(100000) - 50000)
	case 1:
		return ""
	case 2:
		return string(bytes.Repeat([]byte{byte('a' + r.IntN(26))}, r.IntN(300)))
	}
	return fmt.Sprintf("v%d", r.IntN(1000))
}

func toBytes(fv []string) [][]byte {
	out := make([][]byte, len(fv))
	for i, s := range fv {
		out[i] = []byte(s)
	}
	return out
}

func collect(s *Stream, start, end ID, rev bool, limit int) ([]ID, [][]string) {
	var ids []ID
	var fvs [][]string
	s.Range(start, end, rev, func(id ID, fv [][]byte) bool {
		ids = append(ids, id)
		row := make([]string, len(fv))
		for i, x := range fv {
			row[i] = string(x)
		}
		fvs = append(fvs, row)
		return limit == 0 || len(ids) < limit
	})
	return ids, fvs
}

func checkAgainst(t *testing.T, step int, s *Stream, m *model, r *rand.Rand) {
	t.Helper()
	live := m.live()
	if s.Len() != m.length || int64(len(live)) != m.length {
		t.Fatalf("step %d: Len %d, model %d (%d live)", step, s.Len(), m.length, len(live))
	}
	if s.Blocks() != len(m.nodes) {
		t.Fatalf("step %d: %d blocks, model %d nodes", step, s.Blocks(), len(m.nodes))
	}
	if s.LastID != m.last || s.MaxDeletedID != m.maxDeleted {
		t.Fatalf("step %d: last %v maxdel %v, model %v %v", step, s.LastID, s.MaxDeletedID, m.last, m.maxDeleted)
	}
	wantFirst, wantLast := ID{}, ID{}
	if len(live) > 0 {
		wantFirst, wantLast = live[0].id, live[len(live)-1].id
	}
	if s.FirstID() != wantFirst || s.LastValid() != wantLast {
		t.Fatalf("step %d: first %v last valid %v, model %v %v", step, s.FirstID(), s.LastValid(), wantFirst, wantLast)
	}
	ids, fvs := collect(s, ID{}, MaxID, false, 0)
	if len(ids) != len(live) {
		t.Fatalf("step %d: forward range has %d entries, model %d", step, len(ids), len(live))
	}
	for i, e := range live {
		if ids[i] != e.id || fmt.Sprint(fvs[i]) != fmt.Sprint(e.fv) {
			t.Fatalf("step %d: entry %d is %v %q, model %v %q", step, i, ids[i], fvs[i], e.id, e.fv)
		}
	}
	rids, _ := collect(s, ID{}, MaxID, true, 0)
	for i := range rids {
		if rids[i] != ids[len(ids)-1-i] {
			t.Fatalf("step %d: reverse range differs at %d", step, i)
		}
	}
	// A random sub-range, both ways, with a random count.
	if len(live) > 0 {
		start := randomNear(r, live)
		end := randomNear(r, live)
		if end.Less(start) {
			start, end = end, start
		}
		var want []ID
		for _, e := range live {
			if !e.id.Less(start) && !end.Less(e.id) {
				want = append(want, e.id)
			}
		}
		limit := r.IntN(5)
		got, _ := collect(s, start, end, false, limit)
		cut := want
		if limit > 0 && len(cut) > limit {
			cut = cut[:limit]
		}
		if fmt.Sprint(got) != fmt.Sprint(cut) {
			t.Fatalf("step %d: range %v..%v count %d = %v, want %v", step, start, end, limit, got, cut)
		}
		got, _ = collect(s, start, end, true, limit)
		var rwant []ID
		for i := len(want) - 1; i >= 0 && (limit == 0 || len(rwant) < limit); i-- {
			rwant = append(rwant, want[i])
		}
		if fmt.Sprint(got) != fmt.Sprint(rwant) {
			t.Fatalf("step %d: reverse range %v..%v count %d = %v, want %v", step, start, end, limit, got, rwant)
		}
		probe := randomNear(r, live)
		inModel := false
		for _, e := range live {
			inModel = inModel || e.id == probe
		}
		if s.Exists(probe) != inModel {
			t.Fatalf("step %d: Exists(%v) = %v, model %v", step, probe, s.Exists(probe), inModel)
		}
	}
}

// randomNear returns an ID at, next to or between live entries.
func randomNear(r *rand.Rand, live []*modelEntry) ID {
	id := live[r.IntN(len(live))].id
	switch r.IntN(4) {
	case 0:
		if n, ok := id.Incr(); ok {
			return n
		}
	case 1:
		if n, ok := id.Decr(); ok {
			return n
		}
	case 2:
		return ID{id.Ms, 0}
	}
	return id
}

func TestPropertyAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, seed*7919))
			maxEntries := []int{1, 2, 5, 100}[seed%4]
			lim := NodeLimits{MaxBytes: 1 << 30, MaxEntries: int64(maxEntries)}
			s := New()
			m := &model{maxEntries: maxEntries}
			schema := []string{"name", "n"}
			var all []ID
			for step := 0; step < 3000; step++ {
				switch op := r.IntN(20); {
				case op < 12:
					id := s.LastID
					if r.IntN(3) == 0 {
						id = ID{id.Ms + 1 + uint64(r.IntN(1<<uint(r.IntN(40)))), uint64(r.IntN(3))}
					} else {
						id.Seq += 1 + uint64(r.IntN(300))
					}
					fv := randomFields(r, schema)
					s.Add(id, toBytes(fv), lim)
					m.add(id, fv)
					all = append(all, id)
				case op < 17:
					if len(all) == 0 {
						continue
					}
					id := all[r.IntN(len(all))]
					if r.IntN(5) == 0 {
						id.Seq++
					}
					if got, want := s.Delete(id), m.del(id); got != want {
						t.Fatalf("step %d: Delete(%v) = %v, model %v", step, id, got, want)
					}
				default:
					a := TrimArgs{Approx: r.IntN(2) == 0}
					if r.IntN(2) == 0 {
						a.MaxLen = int64(r.IntN(int(s.Len()) + 2))
						if r.IntN(3) == 0 {
							a.MaxLen = s.Len() - int64(r.IntN(5))
						}
					} else if len(all) > 0 {
						a.ByMinID = true
						a.MinID = all[r.IntN(len(all))]
					}
					if a.Approx && r.IntN(2) == 0 {
						a.Limit = int64(r.IntN(200))
					}
					if got, want := s.Trim(a), m.trim(a); got != want {
						t.Fatalf("step %d: Trim(%+v) = %d, model %d", step, a, got, want)
					}
				}
				checkAgainst(t, step, s, m, r)
			}
			c := s.Copy()
			checkAgainst(t, -1, c, m, r)
			// The clone is independent: changing it leaves s alone.
			c.Trim(TrimArgs{MaxLen: 0})
			checkAgainst(t, -2, s, m, r)
		})
	}
}
