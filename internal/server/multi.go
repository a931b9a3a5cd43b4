package server

import (
	"strings"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// Transactions. Inside MULTI the dispatcher queues every command but the
// Unqueued ones (after the same lookup and checks as outside), and a
// command rejected at queue time makes EXEC abort. WATCH records keys per
// database; the keyspace change hook marks every client watching a
// changed key dirty, and EXEC of a dirty client replies with a null array.
// All of it is engine-owned.

var (
	errNestedMulti    = resp.Error("ERR MULTI calls can not be nested")
	errExecNoMulti    = resp.Error("ERR EXEC without MULTI")
	errNotInMulti     = resp.Error("ERR Command not allowed inside a transaction")
	errDiscardNoMulti = resp.Error("ERR DISCARD without MULTI")
	errWatchInMulti   = resp.Error("ERR WATCH inside MULTI is not allowed")
	errExecAbort      = resp.Error("EXECABORT Transaction discarded because of previous errors.")
)

// multiState is an open transaction.
type multiState struct {
	queue []queued
	// aborted is set when a command was rejected while queueing.
	aborted bool
}

type queued struct {
	cmd  *command.Command
	args [][]byte
}

// watchedKey is one WATCHed key of a client.
type watchedKey struct {
	db  int
	key string
	// expired is set when the key was already logically expired at WATCH
	// time: its lazy deletion later is then no change.
	expired bool
}

func (s *Server) initWatch() {
	s.watchers = make([]map[string][]*client, len(s.ks.DBs))
	for i := range s.watchers {
		s.watchers[i] = map[string][]*client{}
	}
}

// touchWatched marks clients watching key (all keys of db when key is
// nil) dirty. For a whole-db change only keys that exist count.
func (s *Server) touchWatched(db int, key []byte) {
	w := s.watchers[db]
	if len(w) == 0 {
		return
	}
	if key == nil {
		d := s.ks.DBs[db]
		for k, list := range w {
			if d.Present([]byte(k)) {
				for _, c := range list {
					c.dirtyCAS = true
				}
			}
		}
		return
	}
	list, ok := w[string(key)]
	if !ok {
		return
	}
	present := s.ks.DBs[db].Present(key)
	for _, c := range list {
		if wk := c.findWatched(db, key); wk != nil && wk.expired && !present {
			// Already expired at WATCH time and now deleted: logically
			// nothing changed.
			wk.expired = false
			continue
		}
		c.dirtyCAS = true
	}
}

func (c *client) findWatched(db int, key []byte) *watchedKey {
	for i := range c.watched {
		if c.watched[i].db == db && c.watched[i].key == string(key) {
			return &c.watched[i]
		}
	}
	return nil
}

// Multi implements command.Conn.
func (c *client) Multi(ctx *command.Ctx) {
	if c.multi != nil {
		ctx.Error(errNestedMulti)
		return
	}
	c.multi = &multiState{}
	ctx.OK()
}

// queue adds a command to the open transaction.
func (c *client) queue(cmd *command.Command, args [][]byte) {
	q := queued{cmd: cmd}
	for _, a := range args {
		q.args = append(q.args, append([]byte(nil), a...))
	}
	c.multi.queue = append(c.multi.queue, q)
	c.ctx.Simple("QUEUED")
}

// Discard implements command.Conn.
func (c *client) Discard(ctx *command.Ctx) {
	if c.multi == nil {
		ctx.Error(errDiscardNoMulti)
		return
	}
	c.multi = nil
	c.unwatchAll()
	ctx.OK()
}

// Exec implements command.Conn.
func (c *client) Exec(ctx *command.Ctx) {
	m := c.multi
	if m == nil {
		ctx.Error(errExecNoMulti)
		return
	}
	c.multi = nil
	if m.aborted {
		c.unwatchAll()
		ctx.Error(errExecAbort)
		return
	}
	if c.watchBroken() {
		c.unwatchAll()
		ctx.NullArray()
		return
	}
	c.unwatchAll()
	ctx.Array(len(m.queue))
	ctx.NoBlock = true
	for _, q := range m.queue {
		if !c.recheckACL(q.cmd, q.args) {
			continue
		}
		c.call(q.cmd, q.args)
	}
	ctx.NoBlock = false
}

// watchBroken reports whether EXEC must fail: a watched key changed, or
// expired since WATCH.
func (c *client) watchBroken() bool {
	if c.dirtyCAS {
		return true
	}
	for _, wk := range c.watched {
		if !wk.expired && c.s.ks.DBs[wk.db].Expired([]byte(wk.key)) {
			return true
		}
	}
	return false
}

// Watch implements command.Conn.
func (c *client) Watch(ctx *command.Ctx) {
	if c.multi != nil {
		ctx.Error(errWatchInMulti)
		return
	}
	db := c.sess.DB
	for _, k := range ctx.Args[1:] {
		if c.findWatched(db, k) != nil {
			continue
		}
		c.watched = append(c.watched, watchedKey{db: db, key: string(k), expired: ctx.DB.Expired(k)})
		m := c.s.watchers[db]
		m[string(k)] = append(m[string(k)], c)
	}
	ctx.OK()
}

// Unwatch implements command.Conn.
func (c *client) Unwatch(ctx *command.Ctx) {
	c.unwatchAll()
	ctx.OK()
}

// unwatchAll forgets every watched key and the dirty mark.
func (c *client) unwatchAll() {
	for _, wk := range c.watched {
		m := c.s.watchers[wk.db]
		list := m[wk.key]
		for i, w := range list {
			if w == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(m, wk.key)
		} else {
			m[wk.key] = list
		}
	}
	c.watched = nil
	c.dirtyCAS = false
}

// reject answers a command refused by the dispatcher. Inside MULTI it
// also dooms the transaction, and a refused EXEC aborts it with the
// reason, as Redis does.
func (c *client) reject(cmd *command.Command, msg string) {
	if cmd != nil {
		c.s.cmdStat(cmd).rejected++
	}
	if c.multi != nil {
		if cmd != nil && cmd.Has(command.EndsTx) {
			c.multi = nil
			c.unwatchAll()
			c.ctx.Errorf("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
			return
		}
		c.multi.aborted = true
	}
	c.ctx.Errorf(msg)
}
