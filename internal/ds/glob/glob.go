// Package glob matches strings against Redis glob patterns, the syntax
// KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE take.
//
// The dialect is Redis's, quirks included, because replies must match
// byte for byte:
//
//	a*b      a, any run of bytes, b (but a non-empty pattern never
//	         matches the empty string: "*" does not match "")
//	a?b      any one byte between a and b
//	[abc]    one byte of the set; [^abc] one byte not in it
//	[a-z]    a range; reversed ranges ([z-a]) are swapped; bounds compare
//	         as signed chars, so bytes >= 0x80 sort below 'a'
//	\x       x literally, outside and inside brackets
//
// An unterminated bracket ends at the end of the pattern, taking what it
// has seen as its set. A byte followed by '-' and any other byte forms a
// range, even when that byte is ']' ("[a-]" is the range ']'..'a').
//
// Work is bounded: when the part of the pattern after a '*' fails for
// every remaining suffix, no earlier '*' can do better by consuming more,
// so the whole match gives up at once; this keeps patterns like
// "a*a*a*a*b" polynomial. Like Redis, a match nests at most 1000 stars
// deep and fails beyond that.
package glob

// maxNesting is how many '*' recursions deep a match may go before it
// fails, as Redis guards its C stack.
const maxNesting = 1000

// Match reports whether s matches pattern; nocase folds ASCII letters (as
// CONFIG GET does; KEYS and SCAN are case-sensitive).
func Match(pattern, s []byte, nocase bool) bool {
	giveUp := false
	return match(pattern, s, nocase, 0, &giveUp)
}

// MatchString is Match for a string subject, such as a stored key.
func MatchString(pattern []byte, s string, nocase bool) bool {
	giveUp := false
	return match(pattern, s, nocase, 0, &giveUp)
}

// text is what patterns and subjects can be; indexing either gives bytes.
type text interface{ ~string | ~[]byte }

// match is the matcher proper. giveUp is shared by every level of one
// match: a '*' sets it when its tail failed against every suffix, and
// the '*'s above then stop trying longer prefixes.
func match[P, S text](p P, s S, nocase bool, depth int, giveUp *bool) bool {
	if depth > maxNesting {
		return false
	}
	pi, si := 0, 0
	for pi < len(p) && si < len(s) {
		switch p[pi] {
		case '*':
			for pi+1 < len(p) && p[pi+1] == '*' {
				pi++
			}
			if pi+1 == len(p) {
				return true
			}
			for ; si < len(s); si++ {
				if match(p[pi+1:], s[si:], nocase, depth+1, giveUp) {
					return true
				}
				if *giveUp {
					return false
				}
			}
			*giveUp = true
			return false
		case '?':
			si++
		case '[':
			var ok bool
			pi, ok = matchClass(p, pi+1, s[si], nocase)
			if !ok {
				return false
			}
			si++
		case '\\':
			if len(p)-pi >= 2 {
				pi++
			}
			if !sameByte(p[pi], s[si], nocase) {
				return false
			}
			si++
		default:
			if !sameByte(p[pi], s[si], nocase) {
				return false
			}
			si++
		}
		pi++
		if si == len(s) {
			// Trailing stars match the empty rest.
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
		}
	}
	return pi == len(p) && si == len(s)
}

// matchClass matches c against the bracket expression starting at pi (just
// after '['). It returns the index of the closing ']' (or of the last
// pattern byte when the bracket is unterminated) and whether c matched.
func matchClass[P text](p P, pi int, c byte, nocase bool) (int, bool) {
	not := pi < len(p) && p[pi] == '^'
	if not {
		pi++
	}
	hit := false
	for {
		rest := len(p) - pi
		switch {
		case rest >= 2 && p[pi] == '\\':
			pi++
			if p[pi] == c {
				hit = true
			}
		case rest >= 1 && p[pi] == ']':
			return pi, hit != not
		case rest == 0:
			return pi - 1, hit != not
		case rest >= 3 && p[pi+1] == '-':
			// Redis compares plain chars, which are signed.
			lo, hi, x := int(int8(p[pi])), int(int8(p[pi+2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, x = lowerInt(lo), lowerInt(hi), lowerInt(x)
			}
			if x >= lo && x <= hi {
				hit = true
			}
			pi += 2
		default:
			if sameByte(p[pi], c, nocase) {
				hit = true
			}
		}
		pi++
	}
}

func sameByte(a, b byte, nocase bool) bool {
	if a == b {
		return true
	}
	return nocase && lower(a) == lower(b)
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func lowerInt(x int) int {
	if x >= 'A' && x <= 'Z' {
		return x + 'a' - 'A'
	}
	return x
}
