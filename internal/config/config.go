package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind tells how a directive's value is parsed and printed.
type Kind uint8

// Directive kinds.
const (
	String Kind = iota
	Bool
	Int
	Memory // an integer with an optional k/kb/m/mb/g/gb suffix
	Enum
	// Special directives keep their value as given (after validation); used
	// for multi-word values like save and client-output-buffer-limit.
	Special
)

// Directive describes one configuration parameter.
type Directive struct {
	Name    string
	Aliases []string
	Kind    Kind
	Default string
	// Immutable directives can only be set at start-up.
	Immutable bool
	// Min and Max bound Int and Memory values.
	Min, Max int64
	// Enum lists the accepted values for Enum directives.
	EnumValues []string
	// Check validates and normalizes a value for String and Special
	// directives; it returns the value to store.
	Check func(v string) (string, error)
}

// Config is the set of directive values in effect.
type Config struct {
	byName map[string]*Directive
	values map[string]string
	// apply hooks run after a value changes (at start-up too).
	hooks map[string][]func(v string)
}

// New returns a Config holding the defaults of every directive in Table.
func New() *Config {
	c := &Config{byName: map[string]*Directive{}, values: map[string]string{}, hooks: map[string][]func(string){}}
	for i := range Table {
		d := &Table[i]
		c.byName[d.Name] = d
		for _, a := range d.Aliases {
			c.byName[a] = d
		}
		c.values[d.Name] = d.Default
	}
	return c
}

// Lookup finds a directive by name or alias, case-insensitively.
func (c *Config) Lookup(name string) *Directive { return c.byName[strings.ToLower(name)] }

// Get returns the current value of a directive (by canonical name).
func (c *Config) Get(name string) string { return c.values[name] }

// Int returns the current value of an Int, Memory or Bool directive as a
// number (bools are 1 or 0).
func (c *Config) Int(name string) int64 {
	v := c.values[name]
	if d := c.byName[name]; d != nil && d.Kind == Bool {
		if v == "yes" {
			return 1
		}
		return 0
	}
	n, _ := ParseMemory(v)
	return n
}

// Bool returns the value of a Bool directive.
func (c *Config) Bool(name string) bool { return c.values[name] == "yes" }

// OnChange registers fn to run whenever name's value is set.
func (c *Config) OnChange(name string, fn func(v string)) {
	c.hooks[name] = append(c.hooks[name], fn)
	fn(c.values[name])
}

// Set validates and stores a value. startup allows immutable directives.
func (c *Config) Set(name, value string, startup bool) error {
	d := c.Lookup(name)
	if d == nil {
		return fmt.Errorf("Unknown option or number of arguments for CONFIG SET - '%s'", name)
	}
	if d.Immutable && !startup {
		return fmt.Errorf("can't set immutable config")
	}
	v, err := d.normalize(value)
	if err != nil {
		return err
	}
	c.values[d.Name] = v
	for _, fn := range c.hooks[d.Name] {
		fn(v)
	}
	return nil
}

func (d *Directive) normalize(value string) (string, error) {
	switch d.Kind {
	case Bool:
		switch strings.ToLower(value) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", fmt.Errorf("argument must be 'yes' or 'no'")
	case Int, Memory:
		var n int64
		var err error
		if d.Kind == Memory {
			n, err = ParseMemory(value)
		} else {
			n, err = strconv.ParseInt(value, 10, 64)
		}
		if err != nil {
			return "", fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if n < d.Min || n > d.Max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", d.Min, d.Max)
		}
		return strconv.FormatInt(n, 10), nil
	case Enum:
		for _, e := range d.EnumValues {
			if strings.EqualFold(e, value) {
				return e, nil
			}
		}
		return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(d.EnumValues, ", "))
	}
	if d.Check != nil {
		return d.Check(value)
	}
	return value, nil
}

// ParseMemory parses a number with an optional memory unit suffix
// (b, k, kb, m, mb, g, gb; k = 1000, kb = 1024), as redis.conf does.
func ParseMemory(s string) (int64, error) {
	l := strings.ToLower(s)
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"kb", 1024}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000000}, {"g", 1000000000}, {"b", 1}} {
		if strings.HasSuffix(l, u.suffix) {
			l = strings.TrimSuffix(l, u.suffix)
			mul = u.mul
			break
		}
	}
	n, err := strconv.ParseInt(l, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mul, nil
}

// Match returns the name/value pairs of directives whose name or alias
// matches pattern (a glob), sorted by name, each directive once.
func (c *Config) Match(pattern string, match func(pattern, name string) bool) [][2]string {
	seen := map[*Directive]bool{}
	var out [][2]string
	for name, d := range c.byName {
		if seen[d] || !match(pattern, name) {
			continue
		}
		seen[d] = true
		out = append(out, [2]string{d.Name, c.values[d.Name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
