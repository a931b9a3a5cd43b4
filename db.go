package respd

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/keyspace"
)

// DB gives direct access to one numbered database, for seeding data and
// for assertions that should not go through a client. Each call takes the
// server's engine lock, so it sees the effects of every command that
// replied before it, and never a command half done. Reads do not count
// as hits or misses, and do not change access times; a key past its TTL
// reads as missing.
type DB struct {
	s  *Server
	id int
}

// DB returns database n. It panics when n is not below the number of
// databases, as that is a mistake in the test, not a run-time condition.
func (s *Server) DB(n int) *DB {
	var count int
	s.srv.Do(func(ks *keyspace.Keyspace) { count = len(ks.DBs) })
	if n < 0 || n >= count {
		panic(fmt.Sprintf("respd: no database %d (there are %d)", n, count))
	}
	return &DB{s: s, id: n}
}

// db0 is database 0, which the Server's shortcuts use.
func (s *Server) db0() *DB { return &DB{s: s} }

// Get returns the string stored under key in database 0; see DB.Get.
func (s *Server) Get(key string) (string, bool) { return s.db0().Get(key) }

// Set stores a string under key in database 0; see DB.Set.
func (s *Server) Set(key, value string) { s.db0().Set(key, value) }

// Del deletes key from database 0; see DB.Del.
func (s *Server) Del(key string) bool { return s.db0().Del(key) }

// Exists reports whether key exists in database 0.
func (s *Server) Exists(key string) bool { return s.db0().Exists(key) }

// Type returns the type of key in database 0; see DB.Type.
func (s *Server) Type(key string) string { return s.db0().Type(key) }

// Keys returns the keys of database 0, sorted.
func (s *Server) Keys() []string { return s.db0().Keys() }

// TTL returns the time key in database 0 has left to live; see DB.TTL.
func (s *Server) TTL(key string) time.Duration { return s.db0().TTL(key) }

// SetTTL sets the time key in database 0 has left; see DB.SetTTL.
func (s *Server) SetTTL(key string, ttl time.Duration) bool { return s.db0().SetTTL(key, ttl) }

// FlushAll empties every database, as FLUSHALL does: transactions
// watching keys that existed are aborted.
func (s *Server) FlushAll() {
	s.srv.Do(func(ks *keyspace.Keyspace) { ks.FlushAll() })
}

// Dump renders every non-empty database as text, one key a line, sorted:
// strings with their quoted value, other types with their type and size,
// and a key with a TTL with the time it has left. It is meant for test
// failure messages; its layout may change.
func (s *Server) Dump() string {
	var b strings.Builder
	s.srv.Do(func(ks *keyspace.Keyspace) {
		now := ks.Now()
		for _, d := range ks.DBs {
			type row struct{ key, text string }
			var rows []row
			d.Range(func(k string, o *keyspace.Object) bool {
				text := describe(o)
				if at := d.Expire([]byte(k)); at >= 0 {
					text += " ttl=" + (time.Duration(at-now) * time.Millisecond).String()
				}
				rows = append(rows, row{k, text})
				return true
			})
			if len(rows) == 0 {
				continue
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
			fmt.Fprintf(&b, "db%d:\n", d.ID)
			for _, r := range rows {
				fmt.Fprintf(&b, "  %s = %s\n", strconv.Quote(r.key), r.text)
			}
		}
	})
	return b.String()
}

// describe renders a value for Dump.
func describe(o *keyspace.Object) string {
	if o.Type == keyspace.TypeString {
		return strconv.Quote(string(o.Str))
	}
	if l, ok := o.Val.(interface{ Len() int }); ok {
		return o.Type.String() + "(" + strconv.Itoa(l.Len()) + ")"
	}
	return o.Type.String()
}

// peek returns key's live value, or nil; it deletes nothing, so looking
// does not change what INFO or a WATCH would see.
func peek(d *keyspace.DB, key []byte) *keyspace.Object {
	if d.Expired(key) {
		return nil
	}
	return d.Peek(key)
}

// do runs fn on the database under the engine lock.
func (db *DB) do(fn func(d *keyspace.DB)) {
	db.s.srv.Do(func(ks *keyspace.Keyspace) { fn(ks.DBs[db.id]) })
}

// Get returns the string stored under key. ok is false when the key does
// not exist or holds another type.
func (db *DB) Get(key string) (value string, ok bool) {
	db.do(func(d *keyspace.DB) {
		if o := peek(d, []byte(key)); o != nil && o.Type == keyspace.TypeString {
			value, ok = string(o.Str), true
		}
	})
	return value, ok
}

// Set stores a string under key, replacing any value and TTL, as SET
// does; clients blocked or WATCHing the key see the change.
func (db *DB) Set(key, value string) {
	db.do(func(d *keyspace.DB) { d.SetString([]byte(key), []byte(value), false) })
}

// Del deletes key and reports whether it existed.
func (db *DB) Del(key string) (existed bool) {
	db.do(func(d *keyspace.DB) { existed = d.Delete([]byte(key)) })
	return existed
}

// Exists reports whether key exists.
func (db *DB) Exists(key string) (ok bool) {
	db.do(func(d *keyspace.DB) { ok = peek(d, []byte(key)) != nil })
	return ok
}

// Type returns what TYPE would: "string", "list", "set", "zset", "hash",
// "stream", or "none" for a missing key.
func (db *DB) Type(key string) (t string) {
	t = "none"
	db.do(func(d *keyspace.DB) {
		if o := peek(d, []byte(key)); o != nil {
			t = o.Type.String()
		}
	})
	return t
}

// Keys returns every live key, sorted.
func (db *DB) Keys() []string {
	var keys []string
	db.do(func(d *keyspace.DB) {
		keys = make([]string, 0, d.Len())
		d.Range(func(k string, _ *keyspace.Object) bool {
			keys = append(keys, strings.Clone(k))
			return true
		})
	})
	sort.Strings(keys)
	return keys
}

// TTL returns the time key has left to live by the server's clock, to
// the millisecond. It is 0 when the key does not exist or has no TTL.
func (db *DB) TTL(key string) (ttl time.Duration) {
	db.do(func(d *keyspace.DB) {
		k := []byte(key)
		if peek(d, k) == nil {
			return
		}
		if at := d.Expire(k); at >= 0 {
			ttl = time.Duration(at-d.Now()) * time.Millisecond
		}
	})
	return ttl
}

// SetTTL makes an existing key expire after ttl by the server's clock, as
// PEXPIRE does (a ttl of 0 or less deletes the key at once). It reports
// whether the key existed.
func (db *DB) SetTTL(key string, ttl time.Duration) (ok bool) {
	db.do(func(d *keyspace.DB) {
		k := []byte(key)
		if peek(d, k) == nil {
			return
		}
		ok = true
		if ttl <= 0 {
			d.Delete(k)
			return
		}
		d.SetExpire(k, d.Now()+ttl.Milliseconds())
	})
	return ok
}
