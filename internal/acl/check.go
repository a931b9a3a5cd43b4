package acl

import (
	"strings"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/ds/glob"
)

// Result is the outcome of a permission check, ordered as Redis ranks
// denials when no selector allows a command: a key or channel denial is
// more telling than a command one.
type Result uint8

// Check results.
const (
	OK Result = iota
	DeniedCmd
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// Check reports whether u may run cmd with args, and when not, why and
// (for keys and channels) the position of the argument at fault.
func (u *User) Check(cmd *command.Command, args [][]byte) (Result, int) {
	if u.all {
		return OK, 0
	}
	res, pos := u.root.check(cmd, args)
	if res == OK {
		return OK, 0
	}
	for _, s := range u.selectors {
		r, p := s.check(cmd, args)
		if r == OK {
			return OK, 0
		}
		if r > res || r == res && p > pos {
			res, pos = r, p
		}
	}
	return res, pos
}

func (s *Selector) check(cmd *command.Command, args [][]byte) (Result, int) {
	// Commands that run before authentication (AUTH, HELLO, QUIT...)
	// are never refused by command rules.
	if !s.bit(cmd.ID()) && !cmd.Has(command.NoAuth) {
		allowed := false
		if len(args) > 1 {
			for _, a := range s.firstArgs[cmd.ID()] {
				if strings.EqualFold(a, string(args[1])) {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			return DeniedCmd, 0
		}
	}
	if !s.allKeys {
		var buf [16]int
		idx := cmd.ACLKeys(args, buf[:0])
		for n, i := range idx {
			if !s.keyAllowed(args[i], keyPerm(cmd, args, n)) {
				return DeniedKey, i
			}
		}
	}
	if !s.allChannels {
		var buf [16]int
		idx, patterns := cmd.ACLChannels(args, buf[:0])
		for _, i := range idx {
			if !s.channelAllowed(args[i], patterns) {
				return DeniedChannel, i
			}
		}
	}
	return OK, 0
}

func (s *Selector) keyAllowed(key []byte, perms uint8) bool {
	for _, k := range s.keys {
		if k.perms&perms == perms && glob.Match([]byte(k.pat), key, false) {
			return true
		}
	}
	return false
}

func (s *Selector) channelAllowed(ch []byte, literal bool) bool {
	if s.allChannels {
		return true
	}
	for _, p := range s.channels {
		if literal {
			if p == string(ch) {
				return true
			}
		} else if glob.Match([]byte(p), ch, false) {
			return true
		}
	}
	return false
}

// ChannelsAllowed reports whether every one of a client's subscriptions
// would still be allowed to u (used to disconnect subscribers whose
// channels an ACL change revoked).
func (u *User) ChannelsAllowed(channels, patterns []string) bool {
	if u.all {
		return true
	}
	ok := func(ch string, lit bool) bool {
		if u.root.channelAllowed([]byte(ch), lit) {
			return true
		}
		for _, s := range u.selectors {
			if s.channelAllowed([]byte(ch), lit) {
				return true
			}
		}
		return false
	}
	for _, c := range channels {
		if !ok(c, false) {
			return false
		}
	}
	for _, p := range patterns {
		if !ok(p, true) {
			return false
		}
	}
	return true
}

// ErrorText is the NOPERM reply text (without "-") for a denial.
func ErrorText(res Result, cmd *command.Command) string {
	switch res {
	case DeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case DeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "NOPERM this user has no permissions to run the '" + cmd.FullName() + "' command"
}
