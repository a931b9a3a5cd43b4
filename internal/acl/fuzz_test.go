package acl

import (
	"strings"
	"testing"
)

// FuzzRules feeds arbitrary ACL SETUSER rule lists to the parser: it may
// refuse them, never panic; and an accepted user, rendered as ACL LIST
// does and parsed again, renders the same.
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"on nopass ~* &* +@all",
		"on >secret ~cache:* %R~ro:* -@all +get +set +config|get",
		"off #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 resetkeys allchannels",
		"on nopass (~a* +get) (%W~b* +@write -del) clearselectors (+ping)",
		"reset on >a >b <a +@hash -hdel &news:* resetchannels &x",
		"on nopass +select|0 -@dangerous +client|setname ~k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rules string) {
		ops, err := MergeSelectors(strings.Fields(rules))
		if err != nil {
			return
		}
		a := NewUsers()
		u, err := a.SetUser("u", ops)
		if err != nil {
			return
		}
		desc := u.Describe()
		if parenInside(desc) {
			// A pattern with a parenthesis inside cannot be split back
			// into selectors, by Redis's ACL LOAD either.
			return
		}
		again, err := MergeSelectors(strings.Fields(desc)) // onto a fresh user
		if err != nil {
			t.Fatalf("rendering %q of %q does not split: %v", desc, rules, err)
		}
		v, err := a.SetUser("v", again)
		if err != nil {
			t.Fatalf("rendering %q of %q is refused: %v", desc, rules, err)
		}
		if v.Describe() != desc {
			t.Fatalf("%q rendered %q, which renders %q", rules, desc, v.Describe())
		}
	})
}

// parenInside reports whether a key or channel pattern of a rendering
// holds a parenthesis, which selector splitting would take for a
// selector's edge.
func parenInside(desc string) bool {
	for _, w := range strings.Fields(desc) {
		w = strings.TrimPrefix(w, "(")
		if strings.ContainsAny(w[:min(1, len(w))], "~%&") && strings.ContainsAny(w, "()") {
			return true
		}
	}
	return false
}
