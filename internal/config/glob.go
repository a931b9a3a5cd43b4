package config

// globMatch reports whether name matches a Redis glob pattern (* ? [...]
// with ^ negation and a-z ranges, \ escapes), ignoring ASCII case as
// CONFIG GET does. It is private to the package until a shared matcher
// exists; Match accepts another one.
//
// On a mismatch it retries from the most recent '*' only, one byte
// further on; that is enough for globs and keeps the work linear in the
// pattern times the name, where naive backtracking is exponential in the
// number of stars.
func globMatch(pattern, name string) bool {
	p, s := 0, 0
	star, starS := -1, 0
	for s < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				star, starS = p, s
				continue
			case '?':
				p++
				s++
				continue
			case '[':
				if ok, next := matchClass(pattern, p+1, name[s]); ok {
					p = next
					s++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if lower(pattern[p+1]) == lower(name[s]) {
						p += 2
						s++
						continue
					}
					break
				}
				fallthrough
			default:
				if lower(c) == lower(name[s]) {
					p++
					s++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		starS++
		p, s = star, starS
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches c against the class starting at pattern[p] (just
// after '['), returning whether it matched and where the pattern goes on.
// A class left open runs to the end of the pattern, as in Redis.
func matchClass(pattern string, p int, c byte) (bool, int) {
	not := p < len(pattern) && pattern[p] == '^'
	if not {
		p++
	}
	c = lower(c)
	matched := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			matched = matched || lower(pattern[p]) == c
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := lower(pattern[p]), lower(pattern[p+2])
			if lo > hi {
				lo, hi = hi, lo
			}
			matched = matched || c >= lo && c <= hi
			p += 2
		default:
			matched = matched || lower(pattern[p]) == c
		}
		p++
	}
	if p < len(pattern) {
		p++ // the closing ']'
	}
	return matched != not, p
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
