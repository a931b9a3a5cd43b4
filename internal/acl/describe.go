package acl

import (
	"strings"

	"github.com/respd/respd/internal/command"
)

// Rendering users back into rules (ACL LIST, GETUSER, SAVE). Redis 7.0
// does not remember the rules it was given: it reconstructs them from the
// command bits, starting from +@all or -@all, then greedily applying the
// category that best fits what is left, then fixing single commands. The
// same procedure here gives the same text whenever at most one single
// command needs fixing (Redis's order among several follows its hash
// table and is not stable between runs; here it is by name).

// countCategory counts the commands of cat s allows (on) and denies (off).
func (s *Selector) countCategory(cat command.Category) (on, off int) {
	for _, c := range byID {
		if c.ACLCategories()&cat != 0 {
			if s.bit(c.ID()) {
				on++
			} else {
				off++
			}
		}
	}
	return
}

// Commands renders the selector's command rules.
func (s *Selector) Commands() string {
	var b strings.Builder
	fake := newSelector(false)
	additive := !s.bit(futureBit)
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := s.clone()
	applied := make([]bool, len(command.CategoryNames))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range command.CategoryNames {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(1 << j)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		cat := command.Category(1 << best)
		fake.setCategory(cat, additive)
		temp.setCategory(cat, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(command.CategoryNames[best])
		b.WriteByte(' ')
		applied[best] = true
	}
	for _, c := range command.All() {
		s.describeSingle(&b, fake, c)
		for _, sub := range c.Sub {
			s.describeSingle(&b, fake, sub)
		}
	}
	out := b.String()
	return out[:len(out)-1]
}

func (s *Selector) describeSingle(b *strings.Builder, fake *Selector, c *command.Command) {
	user := s.bit(c.ID())
	if user != fake.bit(c.ID()) {
		if user {
			b.WriteByte('+')
		} else {
			b.WriteByte('-')
		}
		b.WriteString(c.FullName())
		b.WriteByte(' ')
		fake.changePerm(c, user)
	}
	if !user {
		for _, a := range s.firstArgs[c.ID()] {
			b.WriteByte('+')
			b.WriteString(c.FullName())
			b.WriteByte('|')
			b.WriteString(a)
			b.WriteByte(' ')
		}
	}
}

// Keys renders the key patterns ("~*", "%R~a ~b", or "").
func (s *Selector) Keys() string {
	if s.allKeys {
		return "~*"
	}
	var parts []string
	for _, k := range s.keys {
		switch k.perms {
		case permRead:
			parts = append(parts, "%R~"+k.pat)
		case permWrite:
			parts = append(parts, "%W~"+k.pat)
		default:
			parts = append(parts, "~"+k.pat)
		}
	}
	return strings.Join(parts, " ")
}

// Channels renders the channel patterns ("&*", "&a &b", or "").
func (s *Selector) Channels() string {
	if s.allChannels {
		return "&*"
	}
	var parts []string
	for _, c := range s.channels {
		parts = append(parts, "&"+c)
	}
	return strings.Join(parts, " ")
}

// describe renders the selector as rules: keys, channels, commands.
func (s *Selector) describe() string {
	var parts []string
	if k := s.Keys(); k != "" {
		parts = append(parts, k)
	}
	if !s.allChannels {
		parts = append(parts, "resetchannels")
	}
	if c := s.Channels(); c != "" {
		parts = append(parts, c)
	}
	parts = append(parts, s.Commands())
	return strings.Join(parts, " ")
}

// Flags lists the user's flags as ACL GETUSER shows them.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.Enabled {
		f[0] = "on"
	}
	if u.NoPass {
		f = append(f, "nopass")
	}
	if u.Sanitize != "" {
		f = append(f, u.Sanitize)
	}
	return f
}

// Passwords returns the password digests.
func (u *User) Passwords() []string { return u.passwords }

// Root returns the root selector.
func (u *User) Root() *Selector { return u.root }

// Selectors returns the extra selectors.
func (u *User) Selectors() []*Selector { return u.selectors }

// Describe renders the user as its rules, without the "user name"
// prefix: what ACL LIST and ACL SAVE print after it.
func (u *User) Describe() string {
	parts := u.Flags()
	for _, p := range u.passwords {
		parts = append(parts, "#"+p)
	}
	parts = append(parts, u.root.describe())
	for _, s := range u.selectors {
		parts = append(parts, "("+s.describe()+")")
	}
	return strings.Join(parts, " ")
}
