package glob

import (
	"strings"
	"testing"
	"time"
)

// The expected results were checked against redis-server 7.0 with KEYS.
var cases = []struct {
	pattern, s string
	want       bool
}{
	{"", "", true},
	{"", "a", false},
	{"*", "", false}, // KEYS special-cases a lone "*"; the matcher does not
	{"**", "", false},
	{"*", "anything", true},
	{"**", "x", true},
	{"a*", "a", true},
	{"a*", "abc", true},
	{"a*", "ba", false},
	{"*a", "bba", true},
	{"*a", "ab", false},
	{"a*b*c", "aXbYc", true},
	{"a*b*c", "abc", true},
	{"a*b*c", "acb", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"?", "", false},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-b]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	{"h[b-a]llo", "hallo", true}, // reversed range
	{"[a-]", "]", true},          // '-' then ']' is still a range: ']'..'a'
	{"[a-]", "^", true},
	{"[a-]", "-", false},
	{"[a-]", "b", false},
	{"[-a]", "-", true},
	{"[]", "]", false},
	{"[]a]", "]a]", false},
	{"[]a]", "a", false},
	{"[", "[", false}, // unterminated with nothing inside matches nothing
	{"[^", "x", true}, // ...and its negation anything
	{"ab[c", "abc", true},
	{"ab[c-", "abc", true},
	{"ab[c-", "ab-", true},
	{"ab[c-d", "abd", true},
	{"x[\\]]y", "x]y", true},
	{"x[\\", "x\\", true},
	{"x[a\\-z]", "x-", true},
	{"x[a\\-z]", "xb", false},
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"\\?", "?", true},
	{"\\", "\\", true},
	{"a\\", "a\\", true},
	{"\\a", "a", true},
	{"[\\^a]", "^", true},
	{"[a-\xff]", "\xff", true}, // signed chars: 0xff is -1, below 'a'
	{"[a-\xff]", "\x00", true},
	{"[a-\xff]", "b", false},
	{"[\x80-\xff]", "\x90", true},
	{"*[", "a[", false},
	{"a*[", "a", false},
	{"*?", "a", true},
	{"*??", "a", false},
	{"a**b", "ab", true},
	{"*b*", "b", true},
	{"Hello", "hello", false},
}

func TestMatch(t *testing.T) {
	for _, c := range cases {
		if got := Match([]byte(c.pattern), []byte(c.s), false); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if got := MatchString([]byte(c.pattern), c.s, false); got != c.want {
			t.Errorf("MatchString(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if ref := reference(c.pattern, c.s, false); ref != c.want {
			t.Errorf("reference(%q, %q) = %v, want %v", c.pattern, c.s, ref, c.want)
		}
	}
}

func TestMatchNoCase(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"Hello", "hELLO", true},
		{"MAX*", "maxmemory", true},
		{"[A-C]x", "bx", true},
		{"[a-c]x", "BX", true},
		{"[^A]", "a", false},
		{"[\\A]", "a", false}, // an escape inside brackets compares exactly
		{"\\A", "a", true},
	} {
		if got := Match([]byte(c.pattern), []byte(c.s), true); got != c.want {
			t.Errorf("Match(%q, %q, nocase) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if ref := reference(c.pattern, c.s, true); ref != c.want {
			t.Errorf("reference(%q, %q, nocase) = %v, want %v", c.pattern, c.s, ref, c.want)
		}
	}
}

// TestPathological checks that patterns that make naive backtracking
// exponential finish fast, and that the answers are still right.
func TestPathological(t *testing.T) {
	long := strings.Repeat("a", 20000)
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{strings.Repeat("a*", 40) + "b", false},
		{strings.Repeat("*a", 40) + "*b", false},
		{strings.Repeat("*?", 40) + "b", false},
		{strings.Repeat("a*", 40) + "a", true},
		{strings.Repeat("*[a-z]", 30) + "*[^a]", false},
	} {
		start := time.Now()
		got := MatchString([]byte(tc.pattern), long, false)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q took %v", tc.pattern[:20], d)
		}
		if got != tc.want {
			t.Errorf("%q... = %v, want %v", tc.pattern[:20], got, tc.want)
		}
	}
}

// TestNestingLimit pins Redis's cap: a match may recurse through at most
// 1000 stars, so 1000 "*a" match a long run of a's and 1001 do not.
func TestNestingLimit(t *testing.T) {
	s := strings.Repeat("a", 1100)
	if !MatchString([]byte(strings.Repeat("*a", 1000)), s, false) {
		t.Error("1000 stars should match")
	}
	if MatchString([]byte(strings.Repeat("*a", 1001)), s, false) {
		t.Error("1001 stars should fail, as in Redis")
	}
}

func TestNoAllocs(t *testing.T) {
	p, s := []byte("user:[0-9]*:name"), "user:1234:name"
	if n := testing.AllocsPerRun(100, func() { MatchString(p, s, false) }); n != 0 {
		t.Errorf("MatchString allocates %v times", n)
	}
}

// FuzzMatch compares Match with reference, an independent dynamic
// programming matcher, on short inputs, and checks longer ones finish.
func FuzzMatch(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c.pattern), []byte(c.s))
	}
	f.Fuzz(func(t *testing.T, pattern, s []byte) {
		got := Match(pattern, s, false)
		if MatchString(pattern, string(s), false) != got {
			t.Fatalf("Match and MatchString disagree on %q %q", pattern, s)
		}
		if len(pattern) > 32 || len(s) > 32 {
			return
		}
		if want := reference(string(pattern), string(s), false); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, s, got, want)
		}
		if got, want := Match(pattern, s, true), reference(string(pattern), string(s), true); got != want {
			t.Fatalf("Match(%q, %q, nocase) = %v, reference says %v", pattern, s, got, want)
		}
	})
}

// token is one compiled pattern element: a star or a byte set.
type token struct {
	star bool
	set  [256]bool
}

// reference matches by compiling the pattern to byte sets and running the
// textbook dynamic program, with none of Match's early exits.
func reference(pattern, s string, nocase bool) bool {
	if s == "" {
		// Redis's loop never starts on an empty subject.
		return pattern == ""
	}
	toks := compile(pattern, nocase)
	// ok[i][j]: toks[i:] matches s[j:].
	ok := make([][]bool, len(toks)+1)
	for i := range ok {
		ok[i] = make([]bool, len(s)+1)
	}
	ok[len(toks)][len(s)] = true
	for i := len(toks) - 1; i >= 0; i-- {
		for j := len(s); j >= 0; j-- {
			if toks[i].star {
				ok[i][j] = ok[i+1][j] || (j < len(s) && ok[i][j+1])
			} else {
				ok[i][j] = j < len(s) && toks[i].set[s[j]] && ok[i+1][j+1]
			}
		}
	}
	return ok[0][0]
}

func compile(p string, nocase bool) []token {
	var toks []token
	lit := func(b byte) token {
		var t token
		for c := 0; c < 256; c++ {
			t.set[c] = sameByte(byte(c), b, nocase)
		}
		return t
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			toks = append(toks, token{star: true})
		case '?':
			var t token
			for c := range t.set {
				t.set[c] = true
			}
			toks = append(toks, t)
		case '\\':
			if i+1 < len(p) {
				i++
			}
			toks = append(toks, lit(p[i]))
		case '[':
			var t token
			i++
			neg := i < len(p) && p[i] == '^'
			if neg {
				i++
			}
			for ; i < len(p) && p[i] != ']'; i++ {
				switch {
				case p[i] == '\\' && i+1 < len(p):
					i++
					t.set[p[i]] = true
				case i+2 < len(p) && p[i+1] == '-':
					lo, hi := int(int8(p[i])), int(int8(p[i+2]))
					lo, hi = min(lo, hi), max(lo, hi)
					for c := 0; c < 256; c++ {
						x, l, h := int(int8(c)), lo, hi
						if nocase {
							x, l, h = lowerInt(x), lowerInt(l), lowerInt(h)
						}
						if x >= l && x <= h {
							t.set[c] = true
						}
					}
					i += 2
				default:
					for c := 0; c < 256; c++ {
						if sameByte(byte(c), p[i], nocase) {
							t.set[c] = true
						}
					}
				}
			}
			if neg {
				for c := range t.set {
					t.set[c] = !t.set[c]
				}
			}
			toks = append(toks, t)
		default:
			toks = append(toks, lit(p[i]))
		}
	}
	return toks
}
