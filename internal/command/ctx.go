package command

import (
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/pubsub"
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
	// Subs counts channel and pattern subscriptions; a RESP2 client with
	// any is in subscribed mode.
	Subs int
	// Reply is the CLIENT REPLY state (ReplyOn, ReplyOff, ...); the
	// dispatcher drops the output of commands run while it says so.
	Reply ReplyMode
	// NoEvict and NoTouch are the CLIENT NO-EVICT / NO-TOUCH switches.
	NoEvict, NoTouch bool
	// User is the ACL user the session is authenticated as (an
	// *acl.User, kept abstract because package acl builds on this one).
	User ACLUser
	// Authenticated is false until the client logs in, while the default
	// user requires a password.
	Authenticated bool
	// ReadOnly is the cluster READONLY mode (reads from replicas) and
	// Asking the ASKING flag, which lets the next command reach a slot
	// being imported.
	ReadOnly, Asking bool
}

// ACLUser is the authenticated user of a session.
type ACLUser interface{ UserName() string }

// ReplyMode is a client's CLIENT REPLY state.
type ReplyMode uint8

// The CLIENT REPLY states. SKIP first arms ReplySkipNext; the dispatcher
// turns that into ReplySkip for the following command only.
const (
	ReplyOn ReplyMode = iota
	ReplyOff
	ReplySkipNext
	ReplySkip
)

// ClientFilter selects clients for CLIENT KILL and CLIENT LIST; the zero
// value matches every client.
type ClientFilter struct {
	// IDs, when not empty, lists the ids that match.
	IDs []int64
	// Addr, LAddr and User match exactly when set.
	Addr, LAddr, User *string
	// Type is "normal", "master", "replica" or "pubsub"; empty: any.
	Type string
	// SkipID excludes one client (SKIPME yes); 0: none.
	SkipID int64
}

// Host is what handlers need from the server that runs them.
type Host interface {
	// Info renders INFO for the given sections (lower-case; empty means
	// the default set).
	Info(sections []string) string
	// Config is the live configuration.
	Config() *config.Config
	// CommandNames are the names clients call commands by
	// (rename-command); nil is the built-in ones.
	CommandNames() Names
	PubSubHost
	PersistenceHost
	// Version is the Redis version respd reports (INFO, HELLO).
	Version() string
	// Role is "master" or "slave".
	Role() string
	// CheckACL checks that the session's user may run cmd with args, for
	// a script's redis.call: "" when allowed, else the error a script
	// gets in Redis 7.0 ("ERR The user executing the script can't ...",
	// before the script's location is added); the denial is then in the
	// ACL LOG with context "lua".
	CheckACL(c *Ctx, cmd *Command, args [][]byte) string
	// ACLUserExists reports whether an ACL user is named name.
	ACLUserExists(name string) bool
	// ClientList renders the CLIENT LIST / CLIENT INFO lines of the
	// clients f selects.
	ClientList(f *ClientFilter) string
	// KillClients closes the clients f selects and returns how many. The
	// calling client (self) is closed only after its reply is written.
	KillClients(f *ClientFilter, self int64) int
	// UnblockClient ends the blocking command client id is parked on,
	// with an UNBLOCKED error or its timeout reply; false when the
	// client is not blocked.
	UnblockClient(id int64, withError bool) bool
	// PauseClients suspends clients' commands (all of them, or only the
	// writes) for ms milliseconds; UnpauseClients ends a pause.
	PauseClients(ms int64, all bool)
	UnpauseClients()
	// ResetStats zeroes the INFO statistics (CONFIG RESETSTAT).
	ResetStats()

	// Slowlog returns up to count entries, newest first (count < 0: all).
	Slowlog(count int64) []SlowlogEntry
	// SlowlogLen is the number of entries kept.
	SlowlogLen() int
	// SlowlogReset drops every entry (ids keep counting).
	SlowlogReset()
	// LatencyEvents returns every event with samples, sorted by name.
	LatencyEvents() []LatencyEvent
	// LatencyHistograms returns the latency distributions of the named
	// commands ("config|get" names a subcommand, a container name all of
	// its subcommands), or of every command called when names is empty.
	LatencyHistograms(names []string) []LatencyHistogram
	// LatencyReset drops the named events' samples, or every event's
	// when names is empty, and returns how many events it dropped.
	LatencyReset(names []string) int
	// SetActiveExpire turns the cron's expiry of keys nobody reads on or
	// off (DEBUG SET-ACTIVE-EXPIRE).
	SetActiveExpire(on bool)
	// MemoryStats reports the server's memory figures (MEMORY STATS).
	MemoryStats() MemoryStats
	// Notify publishes a keyspace event (see Ctx.Notify, which checks
	// the class first).
	Notify(class NotifyClass, event string, key []byte, db int)
}

// Conn is the connection-level state machine the server keeps for a
// client: transactions now, subscriptions later. Handlers of those
// commands delegate to it.
type Conn interface {
	Multi(c *Ctx)
	Exec(c *Ctx)
	Discard(c *Ctx)
	Watch(c *Ctx)
	Unwatch(c *Ctx)
	// Reset returns the connection to a fresh one's state (RESET).
	Reset(c *Ctx)
	// Subscribe and Unsubscribe change the client's subscriptions of a
	// kind to the names in c.Args[1:] (Unsubscribe with none: all).
	Subscribe(c *Ctx, k pubsub.Kind)
	Unsubscribe(c *Ctx, k pubsub.Kind)
	// Monitor turns the connection into a MONITOR stream.
	Monitor(c *Ctx)
	// ACL runs AUTH and the ACL subcommands that read or change users.
	ACL(c *Ctx)
	// Authenticate logs the client in as user with password (HELLO
	// AUTH), reporting failure (logged in the ACL LOG) as false.
	Authenticate(c *Ctx, user, password []byte) bool
	// Tracking runs CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO
	// (by c.Cmd.Name): client-side caching state lives with the server.
	Tracking(c *Ctx)
}

// PubSubHost is the server's side of Pub/Sub that commands query.
type PubSubHost interface {
	// Publish delivers msg to the subscribers of channel (and, for plain
	// channels, of matching patterns) and returns how many received it.
	Publish(k pubsub.Kind, channel, msg []byte) int64
	// Registry is the subscription registry.
	Registry() *pubsub.Registry[Conn]
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
	Conn Conn
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
	// Resumed is set while the server re-runs a parked command: the
	// request it blocked with, so the handler can find the State it kept
	// there (such as what XREAD's "$" meant when it blocked).
	Resumed *BlockRequest
	// Notifying points at the server's enabled event classes (zero
	// unless K or E is on too), so Notify costs one test when off.
	Notifying *NotifyClass
	// Prop is the server's collector of propagated commands (see
	// Rewrite, Also, NoPropagate); nil where nothing propagates.
	Prop *Propagation
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
