package config

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	// Special directives have their own Parse, for multi-word or
	// specially rendered values like save and client-output-buffer-limit.
	Special
)

// Directive describes one configuration parameter.
type Directive struct {
	Name    string
	Aliases []string
	Kind    Kind
	// Default is the value as CONFIG GET prints it.
	Default string
	// Immutable directives can only be set at start-up.
	Immutable bool
	// Protected directives can be changed by CONFIG SET only as
	// enable-protected-configs allows.
	Protected bool
	// Hidden directives answer CONFIG GET only when named exactly.
	Hidden bool
	// MultiArg directives take several words (save 3600 1 300 100).
	MultiArg bool
	// Min and Max bound Int and Memory values.
	Min, Max int64
	// Unsigned Memory values range over all of uint64 (Min and Max unused).
	Unsigned bool
	// Percent Memory values also accept "N%", stored as -N as Redis does.
	Percent bool
	// Octal Int values are written in base 8 (unixsocketperm).
	Octal bool
	// EnumValues lists the accepted values for Enum directives.
	EnumValues []string
	// EnumFlags Enum directives combine several values; EnumValues[0]
	// names the empty combination.
	EnumFlags bool
	// Clamp adjusts an accepted Int or Memory value, as Redis silently
	// bounds hz (always) and repl-backlog-size (on CONFIG SET only).
	Clamp func(n int64, loading bool) int64
	// Check rejects a well-formed value the server cannot take, with
	// Redis's message (activedefrag yes without a defragmenting
	// allocator).
	Check func(v string, loading bool) error
	// Parse validates and renders String and Special values.
	Parse func(p *parseCtx, args []string) (string, error)
	// Rewrite renders the directive's CONFIG REWRITE lines; nil means
	// "name value" forced when the value is not the default.
	Rewrite func(c *Config, d *Directive, v string) (lines []string, force bool)
	// Init computes the start-up value where it depends on the process,
	// as dir prints the working directory.
	Init func() string
}

// parseCtx is what a Parse function may look at.
type parseCtx struct {
	c   *Config
	d   *Directive
	cur string
	// loading is set for config-file and command-line lines.
	loading bool
	// first is set for the first line of this directive in the load.
	first bool
}

// msgError is a Redis error message about a value.
type msgError string

func (e msgError) Error() string { return string(e) }

// SetError is a failed CONFIG SET; Name is the parameter as the client
// spelled it.
type SetError struct {
	Name string
	Msg  string
	// Unknown is set when no directive has that name.
	Unknown bool
}

// Error is the reply text after "ERR ".
func (e *SetError) Error() string {
	if e.Unknown {
		return "Unknown option or number of arguments for CONFIG SET - '" + e.Name + "'"
	}
	return "CONFIG SET failed (possibly related to argument '" + e.Name + "') - " + e.Msg
}

// Config is the set of directive values in effect.
type Config struct {
	byName map[string]*Directive
	values map[string]string
	// raw holds each directive's last accepted input as given, for
	// hooks that need what the printed value drops (notify-keyspace-events
	// prints "A" for every class, hiding n, which Redis still honours).
	raw map[string]string
	// hooks run after a value changes (at start-up too).
	hooks map[string][]func(v string)
	// seen holds the directives set so far by the load in progress.
	seen  map[string]bool
	depth int
	// readFile reads included files; nil means os.ReadFile (tests and
	// the fuzzer substitute their own).
	readFile func(string) ([]byte, error)

	// File is the absolute path of the config file the server started
	// with, which CONFIG REWRITE rewrites; empty when there is none.
	File string
	// Renames, Users and Modules hold the rename-command, user and
	// loadmodule lines, which are not directives, in file order.
	Renames []Rename
	Users   [][]string
	Modules []Line
	// UserLines, when set, renders the live ACL users as "user ..."
	// lines for CONFIG REWRITE (the server sets it; the configuration
	// itself does not know the users changed since start-up).
	UserLines func() []string
}

// Rename is one rename-command line.
type Rename struct {
	From, To string
	Line     Line
}

// byName indexes Table by name and alias; built once and shared by every
// Config, since the table never changes at run time.
var (
	byName     map[string]*Directive
	byNameOnce sync.Once
)

// New returns a Config holding the defaults of every directive in Table.
func New() *Config {
	byNameOnce.Do(func() {
		byName = make(map[string]*Directive, 2*len(Table))
		for i := range Table {
			d := &Table[i]
			byName[d.Name] = d
			for _, a := range d.Aliases {
				byName[a] = d
			}
		}
	})
	c := &Config{byName: byName, values: make(map[string]string, len(Table)), raw: map[string]string{}, hooks: map[string][]func(string){}}
	for i := range Table {
		d := &Table[i]
		c.values[d.Name] = d.Default
		if d.Init != nil {
			c.values[d.Name] = d.Init()
		}
	}
	return c
}

// Lookup finds a directive by name or alias, case-insensitively.
func (c *Config) Lookup(name string) *Directive { return c.byName[strings.ToLower(name)] }

// Get returns the current value of a directive, as CONFIG GET prints it.
func (c *Config) Get(name string) string {
	if v, ok := c.values[name]; ok {
		return v
	}
	if d := c.Lookup(name); d != nil {
		return c.values[d.Name]
	}
	return ""
}

// Raw returns the input that set name's current value, as given (the
// default value when it was never set).
func (c *Config) Raw(name string) string {
	if d := c.Lookup(name); d != nil {
		name = d.Name
	}
	if v, ok := c.raw[name]; ok {
		return v
	}
	return c.values[name]
}

// Int returns the current value of an Int, Memory or Bool directive as a
// number (bools are 1 or 0, percentages -N as Redis keeps them, unsigned
// values beyond int64 saturate).
func (c *Config) Int(name string) int64 {
	d := c.Lookup(name)
	if d == nil {
		return 0
	}
	v := c.values[d.Name]
	switch {
	case d.Kind == Bool:
		if v == "yes" {
			return 1
		}
		return 0
	case d.Octal:
		n, _ := strconv.ParseInt(v, 8, 64)
		return n
	case strings.HasSuffix(v, "%"):
		n, _ := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 64)
		return -n
	case d.Unsigned:
		u, _ := strconv.ParseUint(v, 10, 64)
		if u > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(u)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// Bool returns the value of a Bool directive.
func (c *Config) Bool(name string) bool { return c.Get(name) == "yes" }

// OnChange registers fn to run with the value now and whenever name's
// value is set.
func (c *Config) OnChange(name string, fn func(v string)) {
	if d := c.Lookup(name); d != nil {
		name = d.Name
	}
	c.hooks[name] = append(c.hooks[name], fn)
	fn(c.values[name])
}

// Set validates and stores one value as CONFIG SET would (multi-word
// values are split on spaces). startup allows immutable and protected
// directives.
func (c *Config) Set(name, value string, startup bool) error {
	return c.SetMany([][2]string{{name, value}}, startup, false)
}

// SetMany is CONFIG SET of several name/value pairs: all are checked
// before any is stored, so either all change or none does. force allows
// immutable and protected directives (start-up); otherwise protected
// ones need enable-protected-configs yes, or local for a local client.
// The error is a *SetError.
func (c *Config) SetMany(pairs [][2]string, force, local bool) error {
	// First pass: names, as Redis checks them before any value.
	dirs := make([]*Directive, len(pairs))
	seen := map[string]bool{}
	for i, p := range pairs {
		d := c.Lookup(p[0])
		if d == nil {
			return &SetError{Name: p[0], Unknown: true}
		}
		if !force && d.Immutable {
			return &SetError{Name: p[0], Msg: "can't set immutable config"}
		}
		if !force && d.Protected && !c.protectedAllowed(local) {
			return &SetError{Name: p[0], Msg: "can't set protected config"}
		}
		key := strings.ToLower(p[0])
		if seen[key] {
			return &SetError{Name: p[0], Msg: "duplicate parameter"}
		}
		seen[key] = true
		dirs[i] = d
	}
	// Second pass: values, against a scratch copy so a failure leaves
	// everything as it was.
	staged := map[string]string{}
	stagedRaw := map[string]string{}
	order := make([]string, 0, len(pairs))
	for i, p := range pairs {
		d := dirs[i]
		args := []string{p[1]}
		if d.MultiArg {
			args = splitSpaces(p[1])
		}
		cur, ok := staged[d.Name]
		if !ok {
			cur = c.values[d.Name]
		}
		v, err := c.parse(d, args, cur, false, false)
		if err != nil {
			return &SetError{Name: p[0], Msg: err.Error()}
		}
		if _, ok := staged[d.Name]; !ok {
			order = append(order, d.Name)
		}
		staged[d.Name] = v
		stagedRaw[d.Name] = p[1]
	}
	for _, name := range order {
		c.values[name] = staged[name]
		c.raw[name] = stagedRaw[name]
	}
	for _, name := range order {
		c.runHooks(name)
	}
	return nil
}

func (c *Config) runHooks(name string) {
	for _, fn := range c.hooks[name] {
		fn(c.values[name])
	}
}

func (c *Config) protectedAllowed(local bool) bool {
	switch c.values["enable-protected-configs"] {
	case "yes":
		return true
	case "local":
		return local
	}
	return false
}

// splitSpaces splits a CONFIG SET value on single spaces, as Redis does
// for multi-word directives: "" is no words, and two spaces in a row make
// an empty word.
func splitSpaces(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

// setArgs stores a directive from a config line's words.
func (c *Config) setArgs(d *Directive, args []string) error {
	first := !c.seen[d.Name]
	v, err := c.parse(d, args, c.values[d.Name], true, first)
	if err != nil {
		return err
	}
	c.seen[d.Name] = true
	c.values[d.Name] = v
	c.raw[d.Name] = strings.Join(args, " ")
	c.runHooks(d.Name)
	return nil
}

// parse checks a directive's words and returns the value to store.
func (c *Config) parse(d *Directive, args []string, cur string, loading, first bool) (string, error) {
	v, err := c.parseValue(d, args, cur, loading, first)
	if err == nil && d.Check != nil {
		err = d.Check(v, loading)
	}
	return v, err
}

func (c *Config) parseValue(d *Directive, args []string, cur string, loading, first bool) (string, error) {
	p := &parseCtx{c: c, d: d, cur: cur, loading: loading, first: first}
	switch d.Kind {
	case Bool:
		switch strings.ToLower(args[0]) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", msgError("argument must be 'yes' or 'no'")
	case Int:
		return d.parseInt(args[0], loading)
	case Memory:
		return d.parseMemory(args[0], loading)
	case Enum:
		return d.parseEnum(args)
	}
	if d.Parse != nil {
		return d.Parse(p, args)
	}
	return args[0], nil
}

func (d *Directive) parseInt(s string, loading bool) (string, error) {
	var n int64
	if d.Octal {
		v, ok := cStrtoll(s, 8)
		if !ok || v == math.MaxInt64 || v == math.MinInt64 {
			return "", msgError("argument couldn't be parsed as an octal number")
		}
		if v < d.Min || v > d.Max {
			return "", msgError("argument must be between " + strconv.FormatInt(d.Min, 8) + " and " + strconv.FormatInt(d.Max, 8) + " inclusive")
		}
		return strconv.FormatInt(v, 8), nil
	}
	n, ok := parseLL(s)
	if !ok {
		return "", msgError("argument couldn't be parsed into an integer")
	}
	if n < d.Min || n > d.Max {
		return "", d.rangeError()
	}
	if d.Clamp != nil {
		n = d.Clamp(n, loading)
	}
	return strconv.FormatInt(n, 10), nil
}

func (d *Directive) rangeError() error {
	return msgError("argument must be between " + strconv.FormatInt(d.Min, 10) + " and " + strconv.FormatInt(d.Max, 10) + " inclusive")
}

func (d *Directive) parseMemory(s string, loading bool) (string, error) {
	u, ok := memToULL(s)
	if !ok {
		if d.Percent {
			if len(s) > 1 && s[len(s)-1] == '%' {
				if n, ok := parseLL(s[:len(s)-1]); ok && n >= 0 {
					return d.checkSigned(-n, loading)
				}
			}
			return "", msgError("argument must be a memory or percent value")
		}
		return "", msgError("argument must be a memory value")
	}
	if d.Unsigned {
		return strconv.FormatUint(u, 10), nil
	}
	return d.checkSigned(int64(u), loading)
}

func (d *Directive) checkSigned(n int64, loading bool) (string, error) {
	if d.Percent && n < 0 {
		if n < d.Min {
			return "", msgError("percentage argument must be less or equal to " + strconv.FormatInt(-d.Min, 10))
		}
		return strconv.FormatInt(-n, 10) + "%", nil
	}
	if n < d.Min || n > d.Max {
		return "", d.rangeError()
	}
	if d.Clamp != nil {
		n = d.Clamp(n, loading)
	}
	return strconv.FormatInt(n, 10), nil
}

func (d *Directive) enumError() error {
	return msgError("argument(s) must be one of the following: " + strings.Join(d.EnumValues, ", "))
}

func (d *Directive) enumIndex(s string) int {
	for i, e := range d.EnumValues {
		if strings.EqualFold(e, s) {
			return i
		}
	}
	return -1
}

func (d *Directive) parseEnum(args []string) (string, error) {
	if !d.EnumFlags {
		if len(args) != 1 || d.enumIndex(args[0]) < 0 {
			return "", d.enumError()
		}
		return d.EnumValues[d.enumIndex(args[0])], nil
	}
	if len(args) == 0 {
		return "", d.enumError()
	}
	var set uint64
	for _, a := range args {
		i := d.enumIndex(a)
		if i < 0 {
			return "", d.enumError()
		}
		if i > 0 {
			set |= 1 << (i - 1)
		}
	}
	var names []string
	for i := 1; i < len(d.EnumValues); i++ {
		if set&(1<<(i-1)) != 0 {
			names = append(names, d.EnumValues[i])
		}
	}
	if len(names) == 0 {
		return d.EnumValues[0], nil
	}
	return strings.Join(names, " "), nil
}

// hasGlob reports whether a CONFIG GET argument is a pattern rather than
// a name.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// Match returns the name/value pairs of every directive name or alias
// (aliases are listed under their own names, as Redis lists them) that
// matches pattern, sorted by name. Hidden directives are left out. A nil
// match uses Redis's case-insensitive glob.
func (c *Config) Match(pattern string, match func(pattern, name string) bool) [][2]string {
	if match == nil {
		match = globMatch
	}
	var out [][2]string
	for name, d := range c.byName {
		if d.Hidden || !match(pattern, name) {
			continue
		}
		out = append(out, [2]string{name, c.values[d.Name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Query answers CONFIG GET: each argument is an exact name (any case,
// answered under the spelling given, hidden directives included) or a
// glob pattern; every name is reported once.
func (c *Config) Query(args []string) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, a := range args {
		if !hasGlob(a) {
			key := strings.ToLower(a)
			if seen[key] {
				continue
			}
			if d := c.byName[key]; d != nil {
				seen[key] = true
				out = append(out, [2]string{a, c.values[d.Name]})
			}
			continue
		}
		for _, kv := range c.Match(a, nil) {
			if !seen[kv[0]] {
				seen[kv[0]] = true
				out = append(out, kv)
			}
		}
	}
	return out
}
