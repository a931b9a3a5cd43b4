package command

import "github.com/respd/respd/internal/resp"

// Key and channel positions for ACL checks. KeySpec covers commands whose
// keys sit at fixed positions; the commands below have "movable" keys
// (a numkeys argument, a STREAMS or STORE keyword) that a first/last/step
// triple cannot describe, so each has a small finder, as Redis gives such
// commands a getkeys procedure. Commands whose KeySpec names arguments
// that are not keys for the ACL (shard channels) map to noKeys.

// keyFinder appends the positions of args' keys to buf.
type keyFinder func(args [][]byte, buf []int) []int

var keyFinders = map[string]keyFinder{
	"eval": numkeysAt(2, 0), "evalsha": numkeysAt(2, 0), "eval_ro": numkeysAt(2, 0), "evalsha_ro": numkeysAt(2, 0),
	"fcall": numkeysAt(2, 0), "fcall_ro": numkeysAt(2, 0),
	"zunion": numkeysAt(1, 0), "zinter": numkeysAt(1, 0), "zdiff": numkeysAt(1, 0), "zintercard": numkeysAt(1, 0),
	"sintercard": numkeysAt(1, 0), "lmpop": numkeysAt(1, 0), "zmpop": numkeysAt(1, 0),
	"blmpop": numkeysAt(2, 0), "bzmpop": numkeysAt(2, 0),
	"zunionstore": numkeysAt(2, 1), "zinterstore": numkeysAt(2, 1), "zdiffstore": numkeysAt(2, 1),
	"xread": streamsKeys, "xreadgroup": streamsKeys,
	"sort": sortKeys, "sort_ro": sortKeys,
	"georadius": geoStoreKeys, "georadiusbymember": geoStoreKeys,
	"migrate":    migrateKeys,
	"ssubscribe": noKeys, "sunsubscribe": noKeys, "spublish": noKeys,
}

func noKeys(args [][]byte, buf []int) []int { return buf }

// numkeysAt finds keys counted by the numkeys argument at position at,
// preceded by the key at position dest when dest > 0.
func numkeysAt(at, dest int) keyFinder {
	return func(args [][]byte, buf []int) []int {
		if dest > 0 && dest < len(args) {
			buf = append(buf, dest)
		}
		if at >= len(args) {
			return buf
		}
		n, ok := resp.ParseInt(args[at])
		if !ok || n <= 0 || n > int64(len(args)-at-1) {
			return buf
		}
		for i := at + 1; i <= at+int(n); i++ {
			buf = append(buf, i)
		}
		return buf
	}
}

// streamsKeys finds XREAD's and XREADGROUP's keys: the first half of the
// arguments after STREAMS.
func streamsKeys(args [][]byte, buf []int) []int {
	for i := 1; i < len(args); i++ {
		if EqualFold(args[i], "streams") {
			rest := len(args) - i - 1
			if rest%2 != 0 {
				return buf
			}
			for j := i + 1; j <= i+rest/2; j++ {
				buf = append(buf, j)
			}
			return buf
		}
	}
	return buf
}

// sortKeys finds SORT's key and its STORE destination, skipping the
// arguments of the other options as Redis does.
func sortKeys(args [][]byte, buf []int) []int {
	if len(args) < 2 {
		return buf
	}
	buf = append(buf, 1)
	for i := 2; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "limit"):
			i += 2
		case EqualFold(args[i], "get"), EqualFold(args[i], "by"):
			i++
		case EqualFold(args[i], "store") && i+1 < len(args):
			buf = append(buf, i+1)
			i++
		}
	}
	return buf
}

// geoStoreKeys finds GEORADIUS's key and its STORE/STOREDIST destination.
func geoStoreKeys(args [][]byte, buf []int) []int {
	if len(args) < 2 {
		return buf
	}
	buf = append(buf, 1)
	for i := 2; i+1 < len(args); i++ {
		if EqualFold(args[i], "store") || EqualFold(args[i], "storedist") {
			buf = append(buf, i+1)
			i++
		}
	}
	return buf
}

// migrateKeys finds MIGRATE's key (position 3, unless empty and KEYS
// follows) or the keys after KEYS.
func migrateKeys(args [][]byte, buf []int) []int {
	if len(args) > 3 && len(args[3]) > 0 {
		return append(buf, 3)
	}
	for i := 6; i < len(args); i++ {
		if EqualFold(args[i], "keys") {
			for j := i + 1; j < len(args); j++ {
				buf = append(buf, j)
			}
			return buf
		}
	}
	return buf
}

// ACLKeys appends the positions of the keys in args an ACL check must
// see (movable keys included) to buf.
func (c *Command) ACLKeys(args [][]byte, buf []int) []int {
	if f := keyFinders[c.fullName]; f != nil {
		return f(args, buf)
	}
	k := c.Keys
	if k.First == 0 {
		return buf
	}
	last := k.Last
	if last < 0 {
		last = len(args) + last
	}
	for i := k.First; i <= last && i < len(args); i += max(k.Step, 1) {
		buf = append(buf, i)
	}
	return buf
}

// ACLChannels appends the positions of the Pub/Sub channels in args to
// buf; patterns reports that they are PSUBSCRIBE patterns, which a user's
// channel patterns must contain literally. Unsubscribing is never
// checked, as in Redis.
func (c *Command) ACLChannels(args [][]byte, buf []int) (idx []int, patterns bool) {
	switch c.fullName {
	case "publish", "spublish":
		if len(args) > 1 {
			buf = append(buf, 1)
		}
	case "subscribe", "ssubscribe", "psubscribe":
		for i := 1; i < len(args); i++ {
			buf = append(buf, i)
		}
		return buf, c.fullName == "psubscribe"
	}
	return buf, false
}

// ACLCategories returns the command's categories with the ones its flags
// imply added, as Redis derives them: write, read (not for scripting
// commands), admin and dangerous, pubsub, fast, blocking, and slow for
// every command that is not fast.
func (c *Command) ACLCategories() Category {
	acl := c.ACL
	if c.Flags&Write != 0 {
		acl |= CatWrite
	}
	if c.Flags&ReadOnly != 0 && acl&CatScripting == 0 {
		acl |= CatRead
	}
	if c.Flags&Admin != 0 {
		acl |= CatAdmin | CatDangerous
	}
	if c.Flags&PubSub != 0 {
		acl |= CatPubSub
	}
	if c.Flags&Fast != 0 {
		acl |= CatFast
	}
	if c.Flags&Blocking != 0 {
		acl |= CatBlocking
	}
	if acl&CatFast == 0 {
		acl |= CatSlow
	}
	return acl
}

// Parent returns the container of a subcommand, or nil.
func (c *Command) Parent() *Command { return c.parent }

// Subcommand returns the subcommand named name (lower case), or nil.
func (c *Command) Subcommand(name string) *Command { return c.subIndex[name] }

// Walk calls fn for every command and subcommand, each container before
// its subcommands, in name order.
func Walk(fn func(*Command)) {
	for _, c := range All() {
		fn(c)
		for _, s := range c.Sub {
			fn(s)
		}
	}
}
