package config

import "github.com/respd/respd/internal/ds/glob"

// globMatch reports whether name matches a CONFIG GET pattern: Redis's
// glob, ignoring case.
func globMatch(pattern, name string) bool {
	return glob.MatchString([]byte(pattern), name, true)
}
