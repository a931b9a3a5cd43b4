package command

import (
	"sort"
	"strings"
)

// Flag is a command property the dispatcher acts on.
type Flag uint32

// Command flags, named as COMMAND reports them.
const (
	Write Flag = 1 << iota
	ReadOnly
	DenyOOM
	Admin
	PubSub
	NoScript
	Blocking
	Loading // allowed while loading the dataset
	Stale   // allowed on a replica with a stale dataset
	SkipMonitor
	SkipSlowlog
	Fast
	NoAuth
	MayReplicate
	NoMulti
	AllowBusy
	Sentinel
	OnlySentinel
	NoMandatoryKeys
	NoAsyncLoading
	AllowQueuedInMulti
	// Asking commands are served for a slot being imported as if the
	// client had sent ASKING (RESTORE-ASKING, which MIGRATE sends).
	Asking

	// Flags below are respd's own and not shown by COMMAND.

	// Unqueued commands run at once inside MULTI instead of being queued
	// (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET).
	Unqueued
	// EndsTx marks EXEC: when the dispatcher rejects it, the transaction
	// is aborted with EXECABORT and the reason.
	EndsTx
	// Subscribed commands are the ones a RESP2 client in subscribed mode
	// may still send.
	Subscribed
	// DiskCheck marks the non-write commands that are refused with
	// MISCONF while persistence is failing, as writes are: PING, so that
	// monitoring notices.
	DiskCheck
	// Long marks the commands that may hold the engine long enough that
	// other clients must be answered meanwhile: scripts, and EXEC, whose
	// transaction may run scripts. The server's event loop leaves them
	// to the client's own goroutine.
	Long
)

var flagNames = []string{"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking", "loading", "stale",
	"skip_monitor", "skip_slowlog", "fast", "no_auth", "may_replicate", "no_multi", "allow_busy", "sentinel",
	"only_sentinel", "no_mandatory_keys", "no_async_loading", "allow_queued_in_multi", "asking"}

// Category is a set of ACL categories.
type Category uint32

// ACL categories, named as ACL CAT reports them.
const (
	CatKeyspace Category = 1 << iota
	CatRead
	CatWrite
	CatSet
	CatSortedSet
	CatList
	CatHash
	CatString
	CatBitmap
	CatHyperLogLog
	CatGeo
	CatStream
	CatPubSub
	CatAdmin
	CatFast
	CatSlow
	CatBlocking
	CatDangerous
	CatConnection
	CatTransaction
	CatScripting
)

// CategoryNames are the category names in bit order.
var CategoryNames = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
	"transaction", "scripting"}

// KeySpec gives the positions of a command's key arguments: First and Last
// (negative counts from the end) with Step between them; First 0 means the
// command takes no keys.
type KeySpec struct{ First, Last, Step int }

func keys(first, last, step int) KeySpec { return KeySpec{first, last, step} }

// Command is one row of the command table.
type Command struct {
	Name string
	Fn   func(*Ctx)
	// Arity is the exact argument count including the name, or -N for at
	// least N.
	Arity int
	Flags Flag
	Keys  KeySpec
	ACL   Category
	// Group, Since and Summary feed COMMAND DOCS.
	Group, Since, Summary string
	// Sub holds subcommands; a container's own Fn is not called.
	Sub []*Command

	parent   *Command
	fullName string
	subIndex map[string]*Command
	// id numbers every command and subcommand densely (ID, Count).
	id int
}

// numCommands counts the registered commands and subcommands.
var numCommands int

// ID is a small dense number unique to the command (or subcommand), for
// per-command tables such as INFO commandstats.
func (c *Command) ID() int { return c.id }

// Count is the number of commands and subcommands, one more than the
// largest ID.
func Count() int { return numCommands }

// FullName is the name COMMAND and error texts use: "get", "config|get".
func (c *Command) FullName() string { return c.fullName }

// Has reports whether the command has every flag in f; nil (no command
// found) has none.
func (c *Command) Has(f Flag) bool { return c != nil && c.Flags&f == f }

// families lists every family table; each file owns its own.
var families = [][]*Command{
	connectionCommands, serverCommands, configCommands, transactionCommands, pubsubCommands,
	stringCommands, keyCommands, listCommands, hashCommands, setCommands, bitmapCommands, hllCommands,
	zsetCommands, geoCommands, streamCommands, sortCommands,
	slowlogCommands, latencyCommands, debugCommands, memoryCommands, persistenceCommands, dumpCommands, migrateCommands,
	replicationCommands, aclCommands, scriptingCommands, clusterCommands,
}

var table = map[string]*Command{}

func init() {
	for _, fam := range families {
		for _, c := range fam {
			register(c, nil)
			table[c.Name] = c
		}
	}
}

func register(c *Command, parent *Command) {
	c.id = numCommands
	numCommands++
	c.parent = parent
	c.fullName = c.Name
	if parent != nil {
		c.fullName = parent.Name + "|" + c.Name
		// Subcommands inherit the parent's categories by default, as the
		// keyspace-wide ones (like @slow) are usually shared.
		if c.ACL == 0 {
			c.ACL = parent.ACL
		}
		if c.Group == "" {
			c.Group = parent.Group
		}
	}
	if len(c.Sub) > 0 {
		c.subIndex = map[string]*Command{}
		for _, s := range c.Sub {
			register(s, c)
			c.subIndex[s.Name] = s
		}
	}
}

// All returns the top-level commands sorted by name.
func All() []*Command {
	out := make([]*Command, 0, len(table))
	for _, c := range table {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FindFull returns the command or subcommand with the given full name
// ("get", "config|get"; any case), or nil.
func FindFull(name string) *Command { return Names(nil).findFull(name) }

// Find returns the top-level command named name (any case), or nil.
func Find(name []byte) *Command { return findIn(table, name) }

// findIn looks name up in t, whose keys are lower case.
func findIn(t map[string]*Command, name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return t[strings.ToLower(string(name))]
	}
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return t[string(buf[:len(name)])]
}

// Lookup resolves args to a command, a subcommand where the command is a
// container, and checks arity. On failure it returns the error reply
// Redis gives, and the command too when only its arity was wrong.
func Lookup(args [][]byte) (*Command, string) { return Resolve(Find(args[0]), args) }

// Finder is Find with a memory of the last command it found: the
// requests of a pipeline mostly repeat one command, and comparing its
// name costs less than a lookup in the table. Not safe for concurrent use.
type Finder struct {
	// Names, when not nil, are the names commands are called by (the
	// finder then has no memory: a command's own name may not be one).
	Names Names
	last  *Command
}

// Top is Find with the finder's memory of the last command found.
func (f *Finder) Top(name []byte) *Command {
	if f.Names != nil {
		return f.Names.Find(name)
	}
	c := f.last
	if c == nil || !EqualFold(name, c.Name) {
		if c = Find(name); c != nil {
			f.last = c
		}
	}
	return c
}

// Stream finds the command a request read from the AOF or a master's
// stream names: by the command's own name first, which is what a server
// writes there for the commands it rewrites (SET ... PXAT) whatever
// they were called, or else by the names clients call commands by.
func (f *Finder) Stream(name []byte) *Command {
	if f.Names == nil {
		return f.Top(name)
	}
	if c := Find(name); c != nil {
		return c
	}
	return f.Names.Find(name)
}

// Resolve is Lookup's part after Find (or Finder.Top) found the
// top-level command c of args (nil: none).
func Resolve(c *Command, args [][]byte) (*Command, string) {
	if c == nil {
		return nil, unknownCommand(args)
	}
	if c.subIndex != nil && len(args) >= 2 {
		s := c.subIndex[strings.ToLower(string(args[1]))]
		if s == nil {
			return nil, "ERR unknown subcommand '" + cString(args[1], 128) + "'. Try " + strings.ToUpper(c.Name) + " HELP."
		}
		c = s
	}
	if (c.Arity > 0 && len(args) != c.Arity) || len(args) < -c.Arity {
		return c, string(ArityError(c.fullName))
	}
	return c, ""
}

// cString renders b as C's "%.*s" would: up to max bytes, stopping at NUL.
func cString(b []byte, max int) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}

func unknownCommand(args [][]byte) string {
	var sb strings.Builder
	for _, a := range args[1:] {
		if sb.Len() >= 128 {
			break
		}
		sb.WriteString("'")
		sb.WriteString(cString(a, 128-sb.Len()))
		sb.WriteString("' ")
	}
	return "ERR unknown command '" + cString(args[0], 128) + "', with args beginning with: " + sb.String()
}

// KeyIndexes returns the positions of the key arguments in args,
// movable keys included (see ACLKeys).
func (c *Command) KeyIndexes(args [][]byte) []int { return c.ACLKeys(args, nil) }
