package command

import "github.com/respd/respd/internal/keyspace"

// NotifyClass is a set of keyspace-event classes, as the letters of
// notify-keyspace-events select them.
type NotifyClass uint32

// Event classes. Keyspace and Keyevent choose the channels; the others
// classify events.
const (
	NotifyKeyspace NotifyClass = 1 << iota // K
	NotifyKeyevent                         // E
	NotifyGeneric                          // g
	NotifyString                           // $
	NotifyList                             // l
	NotifySet                              // s
	NotifyHash                             // h
	NotifyZset                             // z
	NotifyExpired                          // x
	NotifyEvicted                          // e
	NotifyStream                           // t
	NotifyKeyMiss                          // m
	NotifyModule                           // d
	NotifyNew                              // n
)

// NotifyAll is what A stands for: n and m are left out in Redis 7.0.
const NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
	NotifyZset | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule

// ParseNotifyClasses turns a notify-keyspace-events value (already
// validated) into its class set.
func ParseNotifyClasses(v string) NotifyClass {
	var m NotifyClass
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case 'A':
			m |= NotifyAll
		case 'g':
			m |= NotifyGeneric
		case '$':
			m |= NotifyString
		case 'l':
			m |= NotifyList
		case 's':
			m |= NotifySet
		case 'h':
			m |= NotifyHash
		case 'z':
			m |= NotifyZset
		case 'x':
			m |= NotifyExpired
		case 'e':
			m |= NotifyEvicted
		case 't':
			m |= NotifyStream
		case 'm':
			m |= NotifyKeyMiss
		case 'd':
			m |= NotifyModule
		case 'n':
			m |= NotifyNew
		case 'K':
			m |= NotifyKeyspace
		case 'E':
			m |= NotifyKeyevent
		}
	}
	return m
}

// Notify publishes keyspace event for key of the current database when
// class is enabled. With notifications off it is one bit test: handlers
// call it on every write.
func (c *Ctx) Notify(class NotifyClass, event string, key []byte) {
	if c.Notifying == nil || *c.Notifying&class == 0 {
		return
	}
	c.Host.Notify(class, event, key, c.DB.ID)
}

// NotifyIn is Notify for a key of database db (MOVE, COPY ... DB).
func (c *Ctx) NotifyIn(db int, class NotifyClass, event string, key []byte) {
	if c.Notifying == nil || *c.Notifying&class == 0 {
		return
	}
	c.Host.Notify(class, event, key, db)
}

// lookupNoNotify is LookupNoTouch without a "keymiss" event, as Redis
// looks keys up for OBJECT and MEMORY USAGE.
func lookupNoNotify(c *Ctx, key []byte) *keyspace.Object {
	hook := c.KS.OnMiss
	c.KS.OnMiss = nil
	o := c.DB.LookupNoTouch(key)
	c.KS.OnMiss = hook
	return o
}
