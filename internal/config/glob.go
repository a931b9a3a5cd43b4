package config

// globMatch reports whether name matches a Redis glob pattern (* ? [...]
// with ^ negation and a-z ranges, \ escapes), ignoring ASCII case as
// CONFIG GET does. It is private to the package until a shared matcher
// exists; Match accepts another one.
func globMatch(pattern, name string) bool {
	p, s := 0, 0
	for p < len(pattern) && s < len(name) {
		switch pattern[p] {
		case '*':
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
			for i := s; i < len(name); i++ {
				if globMatch(pattern[p:], name[i:]) {
					return true
				}
			}
			return false
		case '?':
			// any one byte
		case '[':
			p++
			not := p < len(pattern) && pattern[p] == '^'
			if not {
				p++
			}
			matched := false
			for p < len(pattern) && pattern[p] != ']' {
				switch {
				case pattern[p] == '\\' && p+1 < len(pattern):
					p++
					if lower(pattern[p]) == lower(name[s]) {
						matched = true
					}
				case p+2 < len(pattern) && pattern[p+1] == '-':
					lo, hi := lower(pattern[p]), lower(pattern[p+2])
					if lo > hi {
						lo, hi = hi, lo
					}
					if c := lower(name[s]); c >= lo && c <= hi {
						matched = true
					}
					p += 2
				default:
					if lower(pattern[p]) == lower(name[s]) {
						matched = true
					}
				}
				p++
			}
			if p == len(pattern) {
				// An unterminated class ends the pattern; step back so
				// the shared advance below lands on the end.
				p--
			}
			if matched == not {
				return false
			}
		case '\\':
			if p+1 < len(pattern) {
				p++
			}
			fallthrough
		default:
			if lower(pattern[p]) != lower(name[s]) {
				return false
			}
		}
		p++
		s++
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern) && s == len(name)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
