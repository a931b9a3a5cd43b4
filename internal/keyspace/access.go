package keyspace

import "math/rand/v2"

// Object.Access holds one of two things, chosen by the eviction policy,
// the way Redis reuses the 24-bit lru field of its objects:
//
//   - under every policy but the LFU ones, the time of the last access in
//     ms (OBJECT IDLETIME, LRU eviction);
//   - under allkeys-lfu and volatile-lfu, ldt<<8 | counter: an 8-bit
//     logarithmic access counter and, above it, the 16-bit minutes clock
//     of the last access, from which the counter decays by one every
//     lfu-decay-time minutes.
//
// Switching policy at run time does not convert anything: the field is
// read the new way, and keys adjust as they are accessed again, as in
// Redis.

// AccessPolicy is what the keyspace needs to know of the eviction
// configuration to keep Object.Access.
type AccessPolicy struct {
	// LFU selects access counters (allkeys-lfu, volatile-lfu).
	LFU bool
	// LRU marks the LRU policies, whose idle times RDB files record.
	LRU bool
	// LogFactor is lfu-log-factor: how much harder each increment gets
	// as the counter grows.
	LogFactor int64
	// DecayTime is lfu-decay-time, in minutes per decrement (0: never).
	DecayTime int64
}

// LFUInitVal is the counter a new key starts with under LFU, so it is not
// evicted before it had a chance to be used.
const LFUInitVal = 5

// SetAccessPolicy changes how Object.Access is kept from now on.
func (ks *Keyspace) SetAccessPolicy(p AccessPolicy) { ks.access = p }

// AccessPolicy returns the policy set by SetAccessPolicy.
func (ks *Keyspace) AccessPolicy() AccessPolicy { return ks.access }

// lfuMinutes is the 16-bit minutes clock LFU stamps keys with.
func (ks *Keyspace) lfuMinutes() int64 { return (ks.now / 60000) & 0xffff }

// LFUCounter returns o's access counter with the decay due since its last
// access applied, without storing it (OBJECT FREQ, eviction).
func (ks *Keyspace) LFUCounter(o *Object) int64 {
	counter := o.Access & 0xff
	if ks.access.DecayTime <= 0 {
		return counter
	}
	ldt := (o.Access >> 8) & 0xffff
	elapsed := ks.lfuMinutes() - ldt
	if elapsed < 0 {
		// The 16-bit clock wrapped since (about every 45 days).
		elapsed += 0xffff
	}
	return max(counter-elapsed/ks.access.DecayTime, 0)
}

// touch records an access to o: the access time, or under LFU one more
// access counted (countAccess). Small enough to be inlined into lookups.
func (ks *Keyspace) touch(o *Object) {
	if ks.access.LFU {
		ks.countAccess(o)
		return
	}
	o.Access = ks.now
}

// countAccess decays o's counter, then increments it with a probability
// that falls as it grows (1/(1+(c-5)*lfu-log-factor)), so 255 stands for
// about a million accesses with the default factor.
func (ks *Keyspace) countAccess(o *Object) {
	c := ks.LFUCounter(o)
	if c < 255 {
		base := max(c-LFUInitVal, 0)
		if rand.Float64() < 1/float64(base*ks.access.LogFactor+1) {
			c++
		}
	}
	o.Access = ks.lfuMinutes()<<8 | c
}

// initAccess stamps a freshly created object being stored, as Redis does
// when it creates one: the access time, or the initial counter.
func (ks *Keyspace) initAccess(o *Object) {
	if ks.access.LFU {
		o.Access = ks.lfuMinutes()<<8 | LFUInitVal
	} else {
		o.Access = ks.now
	}
}

// SetAccessHints stamps o, just stored as a new value, with what a
// RESTORE or an RDB file says about its use: under LFU the counter freq
// (when >= 0), otherwise the idle time in seconds (when >= 0). What the
// policy does not use is ignored, as in Redis, and without a hint o
// starts afresh (a RESTORE REPLACE does not inherit the counter of the
// value it replaces: Redis deletes that one first).
func (ks *Keyspace) SetAccessHints(o *Object, freq, idleSeconds int64) {
	switch {
	case ks.access.LFU && freq >= 0:
		o.Access = ks.lfuMinutes()<<8 | min(freq, 255)
	case !ks.access.LFU && idleSeconds >= 0:
		o.Access = ks.now - idleSeconds*1000
	default:
		ks.initAccess(o)
	}
}

// SetAccessHints is Keyspace.SetAccessHints for the value stored under
// key, whether it is a heap object or packed in its record.
func (d *DB) SetAccessHints(key []byte, freq, idleSeconds int64) {
	_, ref, _ := d.t.locate(key)
	if ref == 0 {
		return
	}
	r := d.t.rec(ref)
	if r.heap() {
		d.ks.SetAccessHints(d.t.objs[r.obj()], freq, idleSeconds)
		return
	}
	var o Object
	d.ks.SetAccessHints(&o, freq, idleSeconds)
	put32(r.b[offAccess:], d.ks.packAccess(o.Access))
}

// AccessRecords returns what an RDB file records about o's use, as Redis
// 7.0 writes it: the idle time in seconds under an LRU policy, the
// counter under an LFU one, -1 for what is not recorded.
func (ks *Keyspace) AccessRecords(o *Object) (idleSeconds, freq int64) {
	idleSeconds, freq = -1, -1
	switch {
	case ks.access.LFU:
		freq = ks.LFUCounter(o)
	case ks.access.LRU:
		idleSeconds = ks.IdleSeconds(o)
	}
	return idleSeconds, freq
}

// IdleSeconds is the whole seconds between o's last access and now,
// counted on a seconds clock as Redis's LRU clock does. It means nothing
// under LFU.
func (ks *Keyspace) IdleSeconds(o *Object) int64 {
	return max(ks.now/1000-o.Access/1000, 0)
}

// packAccess converts an Object.Access value to the 32 bits a record
// keeps: the seconds of an access time (IdleSeconds counts whole seconds
// anyway), or the 24 bits of an LFU counter and clock.
func (ks *Keyspace) packAccess(a int64) uint32 {
	if ks.access.LFU {
		return uint32(a)
	}
	return uint32(a / 1000)
}

// unpackAccess is the inverse of packAccess.
func (ks *Keyspace) unpackAccess(v uint32) int64 {
	if ks.access.LFU {
		return int64(v)
	}
	return int64(v) * 1000
}
