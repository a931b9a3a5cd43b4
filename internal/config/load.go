package config

import (
	"fmt"
	"os"
	"strings"
)

// Line is one directive line: its name and arguments.
type Line struct {
	Name string
	Args []string
	// Num is the 1-based line number in its source, for error messages.
	Num int
}

// ParseArgs turns command-line arguments into directive lines: an optional
// config file path first, then `--name value...` groups. A value that holds
// spaces ("host port") counts as several words, so --replicaof "h p" and
// --replicaof h p mean the same.
func ParseArgs(args []string) (file string, lines []Line, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		file, args = args[0], args[1:]
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			lines = append(lines, Line{Name: strings.ToLower(a[2:]), Num: len(lines) + 1})
			continue
		}
		if len(lines) == 0 {
			return "", nil, fmt.Errorf("unexpected argument %q: directives are given as --name value", a)
		}
		l := &lines[len(lines)-1]
		l.Args = append(l.Args, strings.Fields(a)...)
		if strings.TrimSpace(a) == "" {
			l.Args = append(l.Args, a)
		}
	}
	return file, lines, nil
}

// LoadFile reads a redis.conf file into directive lines.
func LoadFile(path string) ([]Line, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []Line
	for i, raw := range strings.Split(string(data), "\n") {
		raw = strings.TrimSpace(raw)
		if raw == "" || raw[0] == '#' {
			continue
		}
		words := strings.Fields(raw)
		lines = append(lines, Line{Name: strings.ToLower(words[0]), Args: unquote(words[1:]), Num: i + 1})
	}
	return lines, nil
}

func unquote(ws []string) []string {
	for i, w := range ws {
		if len(w) >= 2 && (w[0] == '"' && w[len(w)-1] == '"' || w[0] == '\'' && w[len(w)-1] == '\'') {
			ws[i] = w[1 : len(w)-1]
		}
	}
	return ws
}

// Apply sets every line at start-up, stopping at the first bad one with
// an error that names it, as Redis reports a fatal config error.
func (c *Config) Apply(lines []Line, source string) error {
	for _, l := range lines {
		if c.Lookup(l.Name) == nil {
			return fmt.Errorf("%s, line %d: >>> '%s %s': Bad directive or wrong number of arguments", source, l.Num, l.Name, strings.Join(l.Args, " "))
		}
		if err := c.Set(l.Name, strings.Join(l.Args, " "), true); err != nil {
			return fmt.Errorf("%s, line %d: >>> '%s %s': %v", source, l.Num, l.Name, strings.Join(l.Args, " "), err)
		}
	}
	return nil
}
