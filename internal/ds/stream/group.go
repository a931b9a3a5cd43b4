package stream

import (
	"sort"

	"github.com/tidwall/btree"
)

// Pending is an entry delivered to a consumer of a group and not yet
// acknowledged: one record, linked from the group's and the consumer's
// pending lists.
type Pending struct {
	ID ID
	// DeliveryTime is when it was last delivered, in ms.
	DeliveryTime int64
	// DeliveryCount is how many times it was delivered.
	DeliveryCount int64
	// Consumer owns it; nil only while XCLAIM FORCE creates it.
	Consumer *Consumer
}

func pendingLess(a, b *Pending) bool { return a.ID.Less(b.ID) }

func newPEL() *btree.BTreeG[*Pending] {
	return btree.NewBTreeGOptions(pendingLess, btree.Options{NoLocks: true, Degree: 16})
}

// Consumer is a member of a group.
type Consumer struct {
	Name string
	// SeenTime is when the consumer last did something, in ms.
	SeenTime int64
	pel      *btree.BTreeG[*Pending]
}

// PendingLen is the number of entries pending for the consumer.
func (c *Consumer) PendingLen() int { return c.pel.Len() }

// Group is a consumer group.
type Group struct {
	Name string
	// LastID is the last ID delivered to the group.
	LastID ID
	// EntriesRead is the group's logical read counter, or -1 when unknown.
	EntriesRead int64
	pel         *btree.BTreeG[*Pending]
	consumers   map[string]*Consumer
	pivot       Pending
}

// InvalidEntriesRead marks an unknown read counter.
const InvalidEntriesRead = -1

// Group returns the group called name, or nil.
func (s *Stream) Group(name []byte) *Group { return s.groups[string(name)] }

// CreateGroup adds a group; false if one has that name already.
func (s *Stream) CreateGroup(name string, last ID, entriesRead int64) (*Group, bool) {
	if _, ok := s.groups[name]; ok {
		return nil, false
	}
	if s.groups == nil {
		s.groups = map[string]*Group{}
	}
	g := &Group{Name: name, LastID: last, EntriesRead: entriesRead, pel: newPEL(), consumers: map[string]*Consumer{}}
	s.groups[name] = g
	return g, true
}

// DestroyGroup removes a group; false if there was none.
func (s *Stream) DestroyGroup(name []byte) bool {
	if _, ok := s.groups[string(name)]; !ok {
		return false
	}
	delete(s.groups, string(name))
	return true
}

// GroupCount is the number of groups.
func (s *Stream) GroupCount() int { return len(s.groups) }

// Groups returns the groups sorted by name, the order Redis lists them in.
func (s *Stream) Groups() []*Group {
	out := make([]*Group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Consumer returns the consumer called name, or nil.
func (g *Group) Consumer(name []byte) *Consumer { return g.consumers[string(name)] }

// CreateConsumer adds a consumer seen now; false if it existed.
func (g *Group) CreateConsumer(name []byte, now int64) (*Consumer, bool) {
	if c := g.consumers[string(name)]; c != nil {
		return c, false
	}
	c := &Consumer{Name: string(name), SeenTime: now, pel: newPEL()}
	g.consumers[c.Name] = c
	return c, true
}

// DeleteConsumer removes a consumer and its pending entries, returning
// how many it had; -1 if there was no such consumer.
func (g *Group) DeleteConsumer(name []byte) int {
	c := g.consumers[string(name)]
	if c == nil {
		return -1
	}
	n := c.pel.Len()
	c.pel.Scan(func(p *Pending) bool {
		g.pel.Delete(p)
		return true
	})
	delete(g.consumers, c.Name)
	return n
}

// ConsumerCount is the number of consumers.
func (g *Group) ConsumerCount() int { return len(g.consumers) }

// Consumers returns the consumers sorted by name.
func (g *Group) Consumers() []*Consumer {
	out := make([]*Consumer, 0, len(g.consumers))
	for _, c := range g.consumers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PendingLen is the number of entries pending in the group.
func (g *Group) PendingLen() int { return g.pel.Len() }

// Pending returns the pending record of id, or nil.
func (g *Group) Pending(id ID) *Pending {
	g.pivot.ID = id
	p, _ := g.pel.Get(&g.pivot)
	return p
}

// FirstPending and LastPending return the pending records with the
// smallest and greatest IDs (nil when none are pending).
func (g *Group) FirstPending() *Pending { p, _ := g.pel.Min(); return p }

// LastPending: see FirstPending.
func (g *Group) LastPending() *Pending { p, _ := g.pel.Max(); return p }

// Deliver records id as delivered to c now (XREADGROUP): a fresh pending
// record, or, when the ID was pending already (the group's last ID was
// moved back), the existing one handed to c with its count reset to 1.
func (g *Group) Deliver(id ID, c *Consumer, now int64) {
	if p := g.Pending(id); p != nil {
		if p.Consumer != nil {
			p.Consumer.pel.Delete(p)
		}
		p.Consumer, p.DeliveryTime, p.DeliveryCount = c, now, 1
		c.pel.Set(p)
		return
	}
	p := &Pending{ID: id, DeliveryTime: now, DeliveryCount: 1, Consumer: c}
	g.pel.Set(p)
	c.pel.Set(p)
}

// AddOrphan creates a pending record owned by nobody yet (XCLAIM FORCE);
// Assign gives it to a consumer.
func (g *Group) AddOrphan(id ID) *Pending {
	p := &Pending{ID: id}
	g.pel.Set(p)
	return p
}

// Assign moves p to consumer c.
func (g *Group) Assign(p *Pending, c *Consumer) {
	if p.Consumer == c {
		return
	}
	if p.Consumer != nil {
		p.Consumer.pel.Delete(p)
	}
	p.Consumer = c
	c.pel.Set(p)
}

// Ack removes id from the pending lists; false if it was not pending.
func (g *Group) Ack(id ID) bool {
	p := g.Pending(id)
	if p == nil {
		return false
	}
	g.Remove(p)
	return true
}

// Remove drops a pending record.
func (g *Group) Remove(p *Pending) {
	g.pel.Delete(p)
	if p.Consumer != nil {
		p.Consumer.pel.Delete(p)
	}
}

// PendingRange calls fn for the pending records with IDs in [start, end]
// in order, of consumer c or of the whole group when c is nil, until fn
// returns false. fn may change the record's times and owner but must not
// add or remove records.
func (g *Group) PendingRange(c *Consumer, start, end ID, fn func(p *Pending) bool) {
	pel := g.pel
	if c != nil {
		pel = c.pel
	}
	g.pivot.ID = start
	pel.Ascend(&g.pivot, func(p *Pending) bool {
		if end.Less(p.ID) {
			return false
		}
		return fn(p)
	})
}

// NextPending returns the first pending record with an ID at or after id,
// or nil.
func (g *Group) NextPending(id ID) *Pending {
	var out *Pending
	g.PendingRange(nil, id, MaxID, func(p *Pending) bool {
		out = p
		return false
	})
	return out
}

func (g *Group) clone() *Group {
	c := &Group{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead, pel: newPEL(), consumers: map[string]*Consumer{}}
	for name, oc := range g.consumers {
		c.consumers[name] = &Consumer{Name: oc.Name, SeenTime: oc.SeenTime, pel: newPEL()}
	}
	g.pel.Scan(func(p *Pending) bool {
		np := &Pending{ID: p.ID, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
		if p.Consumer != nil {
			np.Consumer = c.consumers[p.Consumer.Name]
			np.Consumer.pel.Set(np)
		}
		c.pel.Set(np)
		return true
	})
	return c
}

// hasTombstonesFrom reports whether an entry at or after start may have
// been deleted: Redis's test, which only knows the greatest deleted ID.
func (s *Stream) hasTombstonesFrom(start ID) bool {
	if s.length == 0 || s.MaxDeletedID.IsZero() {
		return false
	}
	if s.MaxDeletedID.Less(s.firstID) {
		return false
	}
	return !s.MaxDeletedID.Less(start)
}

// EntriesReadAt returns the logical read counter of id: how many entries
// were added up to and including it, when that can be known without
// counting (InvalidEntriesRead otherwise), by Redis 7's rules.
func (s *Stream) EntriesReadAt(id ID) int64 {
	added := int64(s.EntriesAdded)
	if added == 0 {
		return 0
	}
	if s.length == 0 && id.Compare(s.LastID) <= 0 {
		return added
	}
	switch id.Compare(s.LastID) {
	case 0:
		return added
	case 1:
		return InvalidEntriesRead
	}
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Less(s.firstID) {
		switch id.Compare(s.firstID) {
		case -1:
			return added - s.length
		case 0:
			return added - s.length + 1
		}
	}
	return InvalidEntriesRead
}

// Lag is the number of entries not yet delivered to g, when it can be
// known.
func (s *Stream) Lag(g *Group) (int64, bool) {
	added := int64(s.EntriesAdded)
	if added == 0 {
		return 0, true
	}
	if g.EntriesRead != InvalidEntriesRead && !s.hasTombstonesFrom(g.LastID) {
		return added - g.EntriesRead, true
	}
	if n := s.EntriesReadAt(g.LastID); n != InvalidEntriesRead {
		return added - n, true
	}
	return 0, false
}

// Delivered moves g's last delivered ID to id, if id is past it, keeping
// the read counter as Redis does: counted while it is valid and no
// deletion lies ahead, else recomputed where it can be.
func (s *Stream) Delivered(g *Group, id ID) {
	if !g.LastID.Less(id) {
		return
	}
	if g.EntriesRead != InvalidEntriesRead && !s.hasTombstonesFrom(id) {
		g.EntriesRead++
	} else if s.EntriesAdded != 0 {
		g.EntriesRead = s.EntriesReadAt(id)
	}
	g.LastID = id
}
