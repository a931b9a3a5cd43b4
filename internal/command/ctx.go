package command

import (
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// Session is the per-connection state commands may read and change.
// Owned by the engine while a command runs.
type Session struct {
	ID   int64
	Name string
	// DB is the selected database index.
	DB int
	// Addr and LAddr are the peer's and our address ("ip:port").
	Addr, LAddr string
	// CreatedMs is when the connection was accepted.
	CreatedMs int64
	// CloseAfterReply makes the server close the connection once the
	// reply is written (QUIT).
	CloseAfterReply bool
}

// Host is what handlers need from the server that runs them.
type Host interface {
	// Info renders INFO for the given sections (lower-case; empty means
	// the default set).
	Info(sections []string) string
	// Config is the live configuration.
	Config() *config.Config
	// ClientList renders CLIENT LIST / CLIENT INFO lines; id 0 means all.
	ClientList(id int64) string
	// ResetSession returns s to a fresh connection's state (RESET).
	ResetSession(s *Session)
	// ResetStats zeroes the INFO statistics (CONFIG RESETSTAT).
	ResetStats()
}

// Ctx is one command invocation.
type Ctx struct {
	resp.Writer
	Args [][]byte
	Cmd  *Command
	Sess *Session
	KS   *keyspace.Keyspace
	DB   *keyspace.DB
	Host Host
	// Blocked is set by Block; the server takes it after the handler
	// returns.
	Blocked *BlockRequest
	// NoBlock is set where a command must not block (inside MULTI or a
	// script): blocking handlers reply as on timeout instead.
	NoBlock bool
	// ReadyKey is set while the server re-runs a parked command because
	// that key changed (nil on a command's first run): a woken command
	// may serve only from it, and wait on where its first run would
	// have failed, as Redis 7.0 does for a key that turned into another
	// type.
	ReadyKey []byte
}

// Arg returns argument i as a string (allocates; for option parsing).
func (c *Ctx) Arg(i int) string { return string(c.Args[i]) }

// ArgIs reports whether argument i equals opt, ignoring ASCII case.
func (c *Ctx) ArgIs(i int, opt string) bool { return EqualFold(c.Args[i], opt) }

// EqualFold compares b with an ASCII string ignoring case, without
// allocating.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Select makes database i current for the session.
func (c *Ctx) Select(i int) {
	c.Sess.DB = i
	c.DB = c.KS.DBs[i]
}
