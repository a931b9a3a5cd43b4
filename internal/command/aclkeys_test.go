package command

import (
	"strings"
	"testing"
)

// The movable-key finders give the keys Redis 7.0's COMMAND GETKEYS
// reports for the same arguments.
func TestACLKeys(t *testing.T) {
	for line, want := range map[string]string{
		"zunion 2 a b WITHSCORES":                  "a b",
		"zinter 2 a b":                             "a b",
		"zdiff 2 a b":                              "a b",
		"zintercard 2 a b LIMIT 1":                 "a b",
		"sintercard 3 a b c":                       "a b c",
		"lmpop 2 a b LEFT":                         "a b",
		"zmpop 2 a b MIN":                          "a b",
		"blmpop 0 2 a b LEFT":                      "a b",
		"bzmpop 0 2 a b MIN":                       "a b",
		"zunionstore d 2 a b":                      "d a b",
		"zinterstore d 2 a b WEIGHTS 1 2":          "d a b",
		"zdiffstore d 2 a b":                       "d a b",
		"xread COUNT 2 STREAMS a b 0 0":            "a b",
		"xreadgroup GROUP g c STREAMS a b 0 0":     "a b",
		"sort a BY x GET y LIMIT 0 1 STORE d":      "a d",
		"sort_ro a BY x":                           "a",
		"georadius a 0 0 1 km STORE d STOREDIST e": "a d e",
		"georadiusbymember a m 1 km STOREDIST e":   "a e",
		"zunion 5 a b":                             "",
		"get a":                                    "a",
		"mset a 1 b 2":                             "a b",
		"spublish ch m":                            "",
		"ssubscribe a b":                           "",
	} {
		var args [][]byte
		for _, f := range strings.Fields(line) {
			args = append(args, []byte(f))
		}
		cmd, errText := Lookup(args)
		if errText != "" {
			t.Fatalf("%s: %s", line, errText)
		}
		var got []string
		for _, i := range cmd.ACLKeys(args, nil) {
			got = append(got, string(args[i]))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %q, want %q", line, got, want)
		}
	}
	// The finders of commands respd does not have yet (scripting,
	// MIGRATE) are checked on their own.
	for _, tc := range []struct {
		f    keyFinder
		line string
		want string
	}{
		{keyFinders["eval"], `eval x 2 a b c`, "a b"},
		{keyFinders["eval_ro"], `eval_ro x 0 a`, ""},
		{keyFinders["fcall"], `fcall f 1 a b`, "a"},
		{keyFinders["migrate"], `migrate h 1 k 0 10`, "k"},
		{keyFinders["migrate"], `migrate h 1  0 10 KEYS a b`, "a b"},
	} {
		var args [][]byte
		for _, f := range strings.Split(tc.line, " ") {
			args = append(args, []byte(f))
		}
		var got []string
		for _, i := range tc.f(args, nil) {
			got = append(got, string(args[i]))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestACLCategoriesImplied(t *testing.T) {
	for name, want := range map[string]Category{
		"get":         CatRead | CatString | CatFast,
		"blpop":       CatWrite | CatList | CatSlow | CatBlocking,
		"config|set":  CatAdmin | CatSlow | CatDangerous,
		"publish":     CatPubSub | CatFast,
		"acl|setuser": CatAdmin | CatSlow | CatDangerous,
	} {
		if got := FindFull(name).ACLCategories(); got != want {
			t.Errorf("%s: %b, want %b", name, got, want)
		}
	}
}
