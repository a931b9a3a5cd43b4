package command

import (
	"strconv"

	"github.com/respd/respd/internal/resp"
)

// Propagation collects the commands one unit of execution (a command, a
// transaction, a blocked client served later) sends to the AOF and the
// replicas, in the deterministic form Redis 7.0 sends: relative times made
// absolute, random choices replaced by what was chosen, blocking commands
// by their non-blocking form.
//
// The server owns the one instance and opens and closes calls and units;
// handlers steer it through Ctx.Rewrite, Ctx.Also and Ctx.NoPropagate.
// Commands are encoded to RESP as they are given, so nothing of the read
// buffer is kept, and the buffers are reused from unit to unit: a plain
// write propagates without allocating.
type Propagation struct {
	// On is set while someone consumes the stream. When it is off every
	// method is a no-op and the server skips the bookkeeping.
	On bool

	// buf holds the unit's commands back to back; ops[i] ends at
	// ops[i].End.
	buf []byte
	ops []PropOp

	// The running call's choices: off (NoPropagate), and the replacement
	// given to Rewrite (rewritten, encoded in self).
	off, rewritten bool
	self           []byte
}

// PropOp is one propagated command of a unit: its database and where its
// RESP encoding ends in the unit's buffer.
type PropOp struct {
	DB  int
	End int
}

// BeginCall forgets the previous call's Rewrite and NoPropagate.
func (p *Propagation) BeginCall() {
	p.off, p.rewritten = false, false
	p.self = p.self[:0]
}

// EndCall adds the call's own command to the unit, after whatever it
// added with Also: the replacement given to Rewrite, or else args when
// the command is a write that changed the keyspace (dirty). Nothing after
// NoPropagate. db is the database the command ran in.
func (p *Propagation) EndCall(db int, args [][]byte, write, dirty bool) {
	switch {
	case p.off || !dirty:
	case p.rewritten:
		p.buf = append(p.buf, p.self...)
		p.ops = append(p.ops, PropOp{DB: db, End: len(p.buf)})
	case write:
		p.Add(db, args...)
	}
	p.off, p.rewritten = false, false
}

// Add appends a command to the unit.
func (p *Propagation) Add(db int, args ...[]byte) {
	p.buf = resp.AppendCommand(p.buf, args...)
	p.ops = append(p.ops, PropOp{DB: db, End: len(p.buf)})
}

// AddStrings is Add for arguments held as strings.
func (p *Propagation) AddStrings(db int, args ...string) {
	p.buf = strconv.AppendInt(append(p.buf, '*'), int64(len(args)), 10)
	p.buf = append(p.buf, '\r', '\n')
	for _, a := range args {
		p.buf = appendBulkString(p.buf, a)
	}
	p.ops = append(p.ops, PropOp{DB: db, End: len(p.buf)})
}

// Unit returns the unit's commands: the encoded bytes and the ops that
// cut them. They stay valid until Reset.
func (p *Propagation) Unit() ([]byte, []PropOp) { return p.buf, p.ops }

// Len is how many commands the unit holds.
func (p *Propagation) Len() int { return len(p.ops) }

// Truncate drops the commands added since the unit held n, for writes
// that must not propagate (a script's after redis.set_repl(REPL_NONE)).
func (p *Propagation) Truncate(n int) {
	if n >= len(p.ops) {
		return
	}
	end := 0
	if n > 0 {
		end = p.ops[n-1].End
	}
	p.buf = p.buf[:end]
	p.ops = p.ops[:n]
}

// Reset empties the unit, keeping the buffers.
func (p *Propagation) Reset() {
	p.buf = p.buf[:0]
	p.ops = p.ops[:0]
}

func appendBulkString(b []byte, s string) []byte {
	b = strconv.AppendInt(append(b, '$'), int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// Propagating reports whether anyone consumes the propagated stream; a
// handler checks it before doing work only propagation needs (formatting
// an absolute time, listing what it popped).
func (c *Ctx) Propagating() bool { return c.Prop != nil && c.Prop.On }

// Rewrite makes the call propagate args instead of its own arguments, if
// it changed the keyspace (as Redis rewrites SET ... EX into SET ... PXAT).
// A command without the write flag that must propagate when it changed
// something (PFCOUNT storing its cache) rewrites itself to its own args.
// The arguments are copied; the last Rewrite of a call wins.
func (c *Ctx) Rewrite(args ...[]byte) {
	p := c.Prop
	if p == nil || !p.On {
		return
	}
	p.self = resp.AppendCommand(p.self[:0], args...)
	p.rewritten = true
}

// Also propagates args as a command of its own, in the database the
// command runs in, whether or not the call changed the keyspace. Commands
// given to Also come before the call's own command (if any), in the order
// given, as Redis orders them; a call that propagates more than one
// command is wrapped in MULTI/EXEC. The arguments are copied.
func (c *Ctx) Also(args ...[]byte) {
	p := c.Prop
	if p == nil || !p.On {
		return
	}
	p.Add(c.DB.ID, args...)
}

// NoPropagate keeps the call's own command (original or rewritten) out
// of the stream; what it gave to Also still goes.
func (c *Ctx) NoPropagate() {
	if p := c.Prop; p != nil {
		p.off = true
	}
}

// Arguments of the commands handlers propagate instead of their own, as
// Redis spells them.
var (
	argSET       = []byte("SET")
	argPXAT      = []byte("PXAT")
	argKEEPTTL   = []byte("KEEPTTL")
	argDEL       = []byte("DEL")
	argUNLINK    = []byte("UNLINK")
	argPEXPIREAT = []byte("PEXPIREAT")
	argPERSIST   = []byte("PERSIST")
	argSREM      = []byte("SREM")
	argHSET      = []byte("HSET")
)

// configBool reads a yes/no directive, false without a configuration.
func (c *Ctx) configBool(name string) bool {
	if c.Host == nil {
		return false
	}
	cfg := c.Host.Config()
	return cfg != nil && cfg.Bool(name)
}

// rewriteDelete propagates the call as the deletion of key: UNLINK when
// the lazyfree directive that governs it (lazyfree-lazy-expire for a
// time already past, lazyfree-lazy-user-del for GETDEL) is on, DEL
// otherwise, as Redis chooses.
func (c *Ctx) rewriteDelete(key []byte, lazyfree string) {
	if !c.Propagating() {
		return
	}
	verb := argDEL
	if c.configBool(lazyfree) {
		verb = argUNLINK
	}
	c.Rewrite(verb, key)
}

// rewriteExpireAt propagates the call as PEXPIREAT key at (Redis's form
// for every relative or absolute expire).
func (c *Ctx) rewriteExpireAt(key []byte, at int64) {
	if !c.Propagating() {
		return
	}
	var num [20]byte
	c.Rewrite(argPEXPIREAT, key, strconv.AppendInt(num[:0], at, 10))
}

// Non-blocking forms the blocking commands propagate as.
var (
	argLPOP      = []byte("LPOP")
	argRPOP      = []byte("RPOP")
	argLMOVE     = []byte("LMOVE")
	argRPOPLPUSH = []byte("RPOPLPUSH")
	argZPOPMIN   = []byte("ZPOPMIN")
	argZPOPMAX   = []byte("ZPOPMAX")
)

// MarkDirty counts a change made without a keyspace write (a consumer
// group's state, a stream's last ID), so that the command is propagated
// and counted as a change, as Redis's server.dirty++ does, without WATCH
// seeing it.
func (c *Ctx) MarkDirty() { c.KS.Dirty++ }
