// Package acl holds Redis 7.0's access control lists: users with their
// passwords, flags and selectors (command bits, key and channel
// patterns), the rule language ACL SETUSER and user lines speak, the
// checks the dispatcher runs before a command, and the ACL LOG.
//
// Everything here is engine-owned: the server calls it under its lock.
package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/respd/respd/internal/command"
)

// Key pattern permissions (%R~, %W~, %RW~ and plain ~).
const (
	permRead  = 1
	permWrite = 2
	permAll   = permRead | permWrite
)

type keyPattern struct {
	pat   string
	perms uint8
}

// Selector is one set of command, key and channel permissions; a user
// has a root selector and any number of extra ones, and a command is
// allowed when any of them allows it.
type Selector struct {
	// cmds has one bit per command ID, plus the bit futureBit set only by
	// +@all, which is how "+@all -x" is told apart from "-@all +...".
	cmds []uint64
	// firstArgs lists, per command ID whose bit is clear, the first
	// arguments still allowed (+select|0).
	firstArgs map[int][]string
	// allKeys and allChannels are ~* and &*.
	allKeys, allChannels bool
	keys                 []keyPattern
	channels             []string
}

// User is one ACL user.
type User struct {
	Name    string
	Enabled bool
	NoPass  bool
	// Sanitize is "" or the explicit sanitize-payload /
	// skip-sanitize-payload flag.
	Sanitize string
	// passwords are SHA-256 hex digests, in the order added.
	passwords []string
	root      *Selector
	selectors []*Selector
	// all caches "root allows every command, key and channel and there
	// is nothing else to consult": the dispatcher's fast path.
	all bool
}

// byID maps command IDs to commands and subcommands.
var byID []*command.Command

// futureBit is the command-bit index only +@all sets.
var futureBit int

func init() {
	futureBit = command.Count()
	byID = make([]*command.Command, futureBit)
	command.Walk(func(c *command.Command) { byID[c.ID()] = c })
}

func newSelector(allChannels bool) *Selector {
	return &Selector{cmds: make([]uint64, futureBit/64+1), allChannels: allChannels}
}

func (s *Selector) bit(id int) bool { return s.cmds[id/64]&(1<<(id%64)) != 0 }

func (s *Selector) setBit(id int, on bool) {
	if on {
		s.cmds[id/64] |= 1 << (id % 64)
	} else {
		s.cmds[id/64] &^= 1 << (id % 64)
	}
}

// changePerm allows or denies cmd and, for a container, every
// subcommand; first-argument exceptions for it are dropped.
func (s *Selector) changePerm(cmd *command.Command, allow bool) {
	s.setBit(cmd.ID(), allow)
	delete(s.firstArgs, cmd.ID())
	for _, sub := range cmd.Sub {
		s.setBit(sub.ID(), allow)
		delete(s.firstArgs, sub.ID())
	}
}

func (s *Selector) setAll(allow bool) {
	var v uint64
	if allow {
		v = ^uint64(0)
	}
	for i := range s.cmds {
		s.cmds[i] = v
	}
	s.firstArgs = nil
}

func (s *Selector) setCategory(cat command.Category, allow bool) {
	for _, c := range byID {
		if c.ACLCategories()&cat != 0 {
			s.changePerm(c, allow)
		}
	}
}

func (s *Selector) clone() *Selector {
	n := *s
	n.cmds = slices.Clone(s.cmds)
	n.keys = slices.Clone(s.keys)
	n.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		n.firstArgs = map[int][]string{}
		for k, v := range s.firstArgs {
			n.firstArgs[k] = slices.Clone(v)
		}
	}
	return &n
}

// allowsEverything reports whether every command bit is set and every
// key and channel allowed.
func (s *Selector) allowsEverything() bool {
	if !s.allKeys || !s.allChannels {
		return false
	}
	for i := 0; i <= futureBit; i++ {
		if !s.bit(i) {
			return false
		}
	}
	return true
}

// Errors of the rule language, with Redis's texts.
var (
	ErrUnknown     = errors.New("Unknown command or category name in ACL")
	ErrSyntax      = errors.New("Syntax error")
	ErrKeysAfter   = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	ErrChansAfter  = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	ErrNoPassword  = errors.New("The password you are trying to remove from the user does not exist")
	ErrBadHash     = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	ErrSubFirstArg = errors.New("Allowing first-arg of a subcommand is not supported")
)

// lookup finds a command or "container|sub" by name, any case.
func lookup(name string) *command.Command {
	if strings.Count(name, "|") > 1 {
		return nil
	}
	return command.FindFull(name)
}

// applySelector applies one selector rule.
func (s *Selector) apply(op string) error {
	lower := strings.ToLower(op)
	switch {
	case lower == "allkeys" || op == "~*":
		s.allKeys = true
		s.keys = nil
	case lower == "resetkeys":
		s.allKeys = false
		s.keys = nil
	case lower == "allchannels" || op == "&*":
		s.allChannels = true
		s.channels = nil
	case lower == "resetchannels":
		s.allChannels = false
		s.channels = nil
	case lower == "allcommands" || lower == "+@all":
		s.setAll(true)
	case lower == "nocommands" || lower == "-@all":
		s.setAll(false)
	case op != "" && (op[0] == '~' || op[0] == '%'):
		return s.addKeyPattern(op)
	case op != "" && op[0] == '&':
		if s.allChannels {
			return ErrChansAfter
		}
		if !slices.Contains(s.channels, op[1:]) {
			s.channels = append(s.channels, op[1:])
		}
	case len(op) > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		i := slices.Index(command.CategoryNames, lower[2:])
		if i < 0 {
			return ErrUnknown
		}
		s.setCategory(1<<i, op[0] == '+')
	case op == "":
	case op[0] == '+':
		return s.allowCommand(op[1:])
	case op[0] == '-':
		cmd := lookup(op[1:])
		if cmd == nil {
			return ErrUnknown
		}
		s.changePerm(cmd, false)
	default:
		return ErrSyntax
	}
	return nil
}

func (s *Selector) addKeyPattern(op string) error {
	perms := uint8(permAll)
	pat := op[1:]
	if op[0] == '%' {
		perms = 0
		i := 1
		for ; i < len(op) && op[i] != '~'; i++ {
			switch op[i] {
			case 'R', 'r':
				perms |= permRead
			case 'W', 'w':
				perms |= permWrite
			default:
				return ErrSyntax
			}
		}
		if perms == 0 {
			return ErrSyntax
		}
		// "%R" with no "~" is accepted, as by Redis, as an empty pattern.
		pat = ""
		if i < len(op) {
			pat = op[i+1:]
		}
	}
	if s.allKeys {
		return ErrKeysAfter
	}
	if pat == "*" && perms == permAll {
		s.allKeys = true
		s.keys = nil
		return nil
	}
	for i := range s.keys {
		if s.keys[i].pat == pat {
			s.keys[i].perms |= perms
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{pat, perms})
	return nil
}

func (s *Selector) allowCommand(name string) error {
	bar := strings.LastIndexByte(name, '|')
	if bar < 0 {
		cmd := lookup(name)
		if cmd == nil {
			return ErrUnknown
		}
		s.changePerm(cmd, true)
		return nil
	}
	cmd := lookup(name[:bar])
	if cmd == nil {
		return ErrUnknown
	}
	if cmd.Parent() != nil {
		return ErrSubFirstArg
	}
	sub := name[bar+1:]
	if sub == "" {
		return ErrSyntax
	}
	if len(cmd.Sub) > 0 {
		sc := cmd.Subcommand(strings.ToLower(sub))
		if sc == nil {
			return ErrUnknown
		}
		s.changePerm(sc, true)
		return nil
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	list := s.firstArgs[cmd.ID()]
	if !slices.ContainsFunc(list, func(a string) bool { return strings.EqualFold(a, sub) }) {
		s.firstArgs[cmd.ID()] = append(list, sub)
	}
	return nil
}

func (u *User) clone() *User {
	n := *u
	n.passwords = slices.Clone(u.passwords)
	n.root = u.root.clone()
	n.selectors = nil
	for _, s := range u.selectors {
		n.selectors = append(n.selectors, s.clone())
	}
	return &n
}

func (u *User) refresh() { u.all = len(u.selectors) == 0 && u.root.allowsEverything() }

// AllowsAll reports whether the user may run anything on any key or
// channel (the default user as Redis starts it).
func (u *User) AllowsAll() bool { return u.all }

// UserName returns the user's name (command.ACLUser).
func (u *User) UserName() string { return u.Name }

func isHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// HashPassword returns the SHA-256 hex digest ACLs keep of a password.
func HashPassword(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(sum[:])
}

// apply applies one user rule; pubsubAll is acl-pubsub-default.
func (u *User) apply(op string, pubsubAll bool) error {
	lower := strings.ToLower(op)
	switch {
	case lower == "on":
		u.Enabled = true
	case lower == "off":
		u.Enabled = false
	case lower == "skip-sanitize-payload" || lower == "sanitize-payload":
		u.Sanitize = lower
	case lower == "nopass":
		u.NoPass = true
		u.passwords = nil
	case lower == "resetpass":
		u.NoPass = false
		u.passwords = nil
	case op != "" && (op[0] == '>' || op[0] == '#'):
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else if !isHash(h) {
			return ErrBadHash
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.NoPass = false
	case op != "" && (op[0] == '<' || op[0] == '!'):
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else if !isHash(h) {
			return ErrBadHash
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return ErrNoPassword
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
	case lower == "reset":
		u.NoPass = false
		u.passwords = nil
		u.root = newSelector(pubsubAll)
		u.Enabled = false
		u.Sanitize = "sanitize-payload"
		u.selectors = nil
	case lower == "clearselectors":
		u.selectors = nil
	case len(op) >= 2 && op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(pubsubAll)
		for _, f := range strings.Fields(op[1 : len(op)-1]) {
			if err := s.apply(f); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	default:
		return u.root.apply(op)
	}
	return nil
}

// CheckPassword reports whether pw authenticates u.
func (u *User) CheckPassword(pw []byte) bool {
	if !u.Enabled {
		return false
	}
	if u.NoPass {
		return true
	}
	sum := sha256.Sum256(pw)
	var h [64]byte
	hex.Encode(h[:], sum[:])
	for _, p := range u.passwords {
		if p == string(h[:]) {
			return true
		}
	}
	return false
}

// RequiresPassword reports whether clients must authenticate as the
// default user: it has passwords (no nopass) or is disabled.
func (u *User) RequiresPassword() bool { return !u.NoPass || !u.Enabled }
