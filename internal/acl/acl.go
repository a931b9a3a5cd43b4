package acl

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Users is the set of ACL users; the default user always exists.
type Users struct {
	users   map[string]*User
	Default *User
	// PubsubAll is acl-pubsub-default: whether new users start with
	// allchannels.
	PubsubAll bool
}

// NewUsers returns the users as Redis starts: only default, "on nopass
// ~* &* +@all".
func NewUsers() *Users {
	d := &User{Name: "default", Enabled: true, NoPass: true, root: newSelector(true)}
	d.root.allKeys = true
	d.root.setAll(true)
	d.refresh()
	return &Users{users: map[string]*User{"default": d}, Default: d}
}

// Get returns the named user, or nil.
func (a *Users) Get(name string) *User { return a.users[name] }

// Names returns the user names in order.
func (a *Users) Names() []string {
	out := make([]string, 0, len(a.users))
	for n := range a.users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// RuleError is a rule ACL SETUSER could not apply.
type RuleError struct {
	Op  string
	Err error
}

// Error returns Redis's message for the failed rule.
func (e *RuleError) Error() string {
	return "Error in ACL SETUSER modifier '" + e.Op + "': " + e.Err.Error()
}

// ErrBadName is the reply to a user name with spaces or NULs.
var ErrBadName = errors.New("Usernames can't contain spaces or null characters")

// MergeSelectors joins the arguments that make up "(...)" selectors into
// one, as they may arrive split on spaces.
func MergeSelectors(ops []string) ([]string, error) {
	var out []string
	for i := 0; i < len(ops); i++ {
		op := ops[i]
		if strings.HasPrefix(op, "(") && !strings.HasSuffix(op, ")") {
			start := i
			parts := []string{op}
			for i++; i < len(ops); i++ {
				parts = append(parts, ops[i])
				if strings.HasSuffix(ops[i], ")") {
					break
				}
			}
			if i == len(ops) {
				return nil, fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", ops[start])
			}
			op = strings.Join(parts, " ")
		}
		out = append(out, op)
	}
	return out, nil
}

// SetUser creates or changes a user by rules; nothing changes when a
// rule fails. It returns the user as it now is.
func (a *Users) SetUser(name string, ops []string) (*User, error) {
	if strings.ContainsAny(name, " \x00") {
		return nil, ErrBadName
	}
	ops, err := MergeSelectors(ops)
	if err != nil {
		return nil, err
	}
	old := a.users[name]
	var u *User
	if old != nil {
		u = old.clone()
	} else {
		u = &User{Name: name, root: newSelector(a.PubsubAll)}
	}
	for _, op := range ops {
		if err := u.apply(op, a.PubsubAll); err != nil {
			return nil, &RuleError{Op: op, Err: err}
		}
	}
	u.refresh()
	if old != nil {
		// Clients hold the *User: change it in place.
		*old = *u
		return old, nil
	}
	a.users[name] = u
	return u, nil
}

// Delete removes a user (never default) and reports whether it existed.
func (a *Users) Delete(name string) *User {
	u := a.users[name]
	if u != nil && name != "default" {
		delete(a.users, name)
		return u
	}
	return nil
}

// SetRequirePass gives the default user the password requirepass sets
// (or nopass when it is empty), as Redis does.
func (a *Users) SetRequirePass(pw string) {
	if pw == "" {
		a.SetUser("default", []string{"resetpass", "nopass"})
	} else {
		a.SetUser("default", []string{"resetpass", ">" + pw})
	}
}

// Lines renders every user as ACL LIST and ACL SAVE do.
func (a *Users) Lines() []string {
	var out []string
	for _, n := range a.Names() {
		out = append(out, "user "+n+" "+a.users[n].Describe())
	}
	return out
}

// Load builds a fresh user set from "user name rules..." lines (an ACL
// file named source, or redis.conf's user directives). The default user,
// when not defined, is as Redis starts it. On errors it returns Redis's
// text listing each bad line (nil lines are blank ones).
func Load(lines [][]string, source string, pubsubAll bool) (*Users, error) {
	a := NewUsers()
	a.PubsubAll = pubsubAll
	seen := map[string]bool{}
	var errs strings.Builder
	for i, words := range lines {
		if len(words) == 0 {
			continue
		}
		if words[0] != "user" || len(words) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", source, i+1)
			continue
		}
		name := words[1]
		if seen[name] {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, i+1)
			continue
		}
		seen[name] = true
		if name == "default" {
			// Declared, the default user starts like any new user.
			*a.Default = User{Name: "default", root: newSelector(pubsubAll)}
		}
		if _, err := a.SetUser(name, words[2:]); err != nil {
			var re *RuleError
			if errors.As(err, &re) {
				err = re.Err
			}
			fmt.Fprintf(&errs, "%s:%d: %s. ", source, i+1, err.Error())
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, errors.New(errs.String())
	}
	return a, nil
}

// LoadConfigUsers applies redis.conf's user directives (name, then
// rules) over the current users, as Redis does after reading the
// configuration: a default user line starts from "reset", so it overrides
// requirepass; another user may be declared only once.
func (a *Users) LoadConfigUsers(lines [][]string) error {
	for _, l := range lines {
		name, rules := l[0], l[1:]
		if name == "default" {
			rules = append([]string{"reset"}, rules...)
		} else if a.users[name] != nil {
			return fmt.Errorf("Error in user declaration '%s': Duplicate user found. A user can only be defined once in config files", name)
		}
		if _, err := a.SetUser(name, rules); err != nil {
			return fmt.Errorf("Error in user declaration '%s': %s", name, err)
		}
	}
	return nil
}

// Replace swaps in the users of b, keeping the default user's identity
// (clients point at it); it returns the users that no longer exist or
// were redefined, whose clients Redis disconnects.
func (a *Users) Replace(b *Users) []*User {
	var gone []*User
	for n, u := range a.users {
		if n != "default" {
			gone = append(gone, u)
		}
	}
	*a.Default = *b.Default
	b.users["default"] = a.Default
	a.users = b.users
	return gone
}
