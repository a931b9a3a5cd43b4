package config

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Line is one directive line: its name and arguments.
type Line struct {
	Name string
	Args []string
	// Num is the 1-based line number in its source, for error messages.
	Num int
	// Text is the line as written, trimmed, for error messages.
	Text string
	// Bad is set when the line's quotes do not balance.
	Bad bool
}

// LoadError is a fatal start-up configuration error. Its Error text is
// what Redis prints under its FATAL CONFIG FILE ERROR banner.
type LoadError struct {
	// Source names where the line came from (a file or "command line").
	Source string
	// Line is 0 for errors found after reading every line.
	Line int
	Text string
	Msg  string
}

// Error is the text Redis prints under its banner: where, and what.
func (e *LoadError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return "Reading the configuration file, at line " + strconv.Itoa(e.Line) + "\n>>> '" + e.Text + "'\n" + e.Msg
}

// Banner renders the error as Redis prints it to stderr, for a server
// reporting version.
func (e *LoadError) Banner(version string) string {
	return "\n*** FATAL CONFIG FILE ERROR (Redis " + version + ") ***\n" + e.Error() + "\n"
}

// FileError is a config file (or included file) that cannot be read.
type FileError struct {
	Path string
	Err  error
}

// Error is the line redis-server prints before exiting.
func (e *FileError) Error() string {
	return "Fatal error, can't open config file '" + e.Path + "': " + Strerror(e.Err)
}

// Unwrap gives the OS error.
func (e *FileError) Unwrap() error { return e.Err }

// Parse splits configuration text into directive lines as Redis reads
// redis.conf: one directive per line (a NUL byte cuts the rest of its
// line and joins the next to it), blank lines and lines starting with # skipped, words split by SplitArgs, the name lower-cased. first is the
// number of the text's first line. Lines with unbalanced quotes are kept
// with Bad set, so the error is reported in order.
func Parse(text string, first int) []Line {
	var lines []Line
	for i, raw := range strings.Split(cString(text), "\n") {
		raw = strings.Trim(raw, " \t\r\n")
		if raw == "" || raw[0] == '#' {
			continue
		}
		l := Line{Num: first + i, Text: raw}
		words, ok := SplitArgs(raw)
		switch {
		case !ok:
			l.Bad = true
		case len(words) == 0:
			continue
		default:
			l.Name, l.Args = strings.ToLower(words[0]), words[1:]
		}
		lines = append(lines, l)
	}
	return lines
}

// cString drops what follows a NUL byte on each line, newline included,
// as Redis does when it appends each line it reads as a C string: the
// line then runs on into the next one.
func cString(text string) string {
	if strings.IndexByte(text, 0) < 0 {
		return text
	}
	var b strings.Builder
	for text != "" {
		line, rest, found := strings.Cut(text, "\n")
		if z := strings.IndexByte(line, 0); z >= 0 {
			b.WriteString(line[:z])
		} else {
			b.WriteString(line)
			if found {
				b.WriteByte('\n')
			}
		}
		text = rest
	}
	return b.String()
}

// OptionsText turns command-line arguments into configuration text as
// redis-server does: an optional config file path first (any argument not
// starting with '-'), then `--name value...` groups, each becoming a line
// with its values quoted. A value may itself start with "--" right after
// a name; `--save` followed by another option or nothing means save "".
// A lone "-" first or last reads configuration from stdin.
func OptionsText(args []string) (file, text string, stdin bool) {
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, j = args[0], 1
	}
	var b strings.Builder
	named := true // the previous argument completed a name or a value
	for ; j < len(args); j++ {
		a := args[j]
		last := j == len(args)-1
		switch {
		case a == "-" && (j == 0 || last):
			stdin = true
		case named && strings.HasPrefix(a, "--"):
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			b.WriteByte(' ')
			if words, ok := SplitArgs(a); ok && len(words) == 1 {
				named = false
				isSave := strings.EqualFold(a, "--save")
				if isSave && (last || strings.HasPrefix(args[j+1], "--")) {
					b.WriteString(`""`)
					named = true
				}
			}
		default:
			b.WriteString(Repr(a))
			b.WriteByte(' ')
			named = true
		}
	}
	return file, b.String(), stdin
}

// ParseArgs turns command-line arguments into directive lines: an optional
// config file path first, then `--name value...` groups. Lines are
// numbered as redis-server numbers them after an empty file (from 2).
// Multi-word directives take "host port" as one argument or as several,
// so --replicaof "h p" and --replicaof h p mean the same.
func ParseArgs(args []string) (file string, lines []Line, err error) {
	file, text, _ := OptionsText(args)
	return file, Parse("\n"+text, 1), nil
}

// LoadFile reads a redis.conf file into directive lines.
func LoadFile(path string) ([]Line, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return Parse(string(data), 1), nil
}

// Load builds the start-up configuration from redis-server style
// arguments: the config file (if any, or stdin with "-") followed by the
// command-line options, read as one text so line numbers run on as in
// Redis. The config file's absolute path is kept in File.
func Load(args []string, stdin io.Reader) (*Config, error) {
	file, opts, fromStdin := OptionsText(args)
	var text strings.Builder
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, &FileError{Path: file, Err: err}
		}
		text.Write(data)
	}
	if fromStdin && stdin != nil {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, &FileError{Path: "-", Err: err}
		}
		text.Write(data)
	}
	text.WriteByte('\n')
	text.WriteString(opts)
	c := New()
	if err := c.Apply(Parse(text.String(), 1), file); err != nil {
		return nil, err
	}
	if file != "" {
		abs, err := filepath.Abs(file)
		if err != nil {
			abs = file
		}
		c.File = abs
	}
	return c, nil
}

// deprecated directives are accepted with one argument and ignored.
var deprecated = map[string]bool{"list-max-ziplist-entries": true, "list-max-ziplist-value": true, "lua-replicate-commands": true}

// Apply sets every line at start-up, stopping at the first bad one with
// a *LoadError naming it (or a *FileError for an include that cannot be
// read), as Redis stops with a fatal config error. Immutable directives
// are allowed. Within one Apply, including what it includes, the first
// save line replaces the default list and later ones add to it.
func (c *Config) Apply(lines []Line, source string) error {
	if c.depth == 0 {
		c.seen = map[string]bool{}
	}
	c.depth++
	defer func() { c.depth-- }()
	fail := func(l Line, msg string) error {
		return &LoadError{Source: source, Line: l.Num, Text: l.Text, Msg: msg}
	}
	for _, l := range lines {
		if l.Bad {
			return fail(l, "Unbalanced quotes in configuration line")
		}
		if d := c.Lookup(l.Name); d != nil {
			args := l.Args
			if !d.MultiArg && len(args) != 1 {
				return fail(l, "wrong number of arguments")
			}
			if d.MultiArg && len(args) == 1 && args[0] != "" {
				// "host port" in one argument counts as two words.
				args, _ = SplitArgs(args[0])
			}
			if err := c.setArgs(d, args); err != nil {
				return fail(l, err.Error())
			}
			continue
		}
		n := len(l.Args)
		switch {
		case deprecated[l.Name] && n == 1:
		case l.Name == "include" && n == 1:
			if err := c.include(l.Args[0]); err != nil {
				return err
			}
		case l.Name == "rename-command" && n == 2:
			c.Renames = append(c.Renames, Rename{From: l.Args[0], To: l.Args[1], Line: l})
		case l.Name == "user" && n >= 1:
			c.Users = append(c.Users, l.Args)
		case l.Name == "loadmodule" && n >= 1:
			c.Modules = append(c.Modules, l)
		case l.Name == "sentinel" && n >= 1:
			return fail(l, "sentinel directive while not in sentinel mode")
		default:
			return fail(l, "Bad directive or wrong number of arguments")
		}
	}
	if c.depth == 1 && c.values["cluster-enabled"] == "yes" && c.values["replicaof"] != "" {
		return &LoadError{Source: source, Msg: "replicaof directive not allowed in cluster mode"}
	}
	return nil
}

// include loads a file named by an include line; a glob pattern loads
// every match, in order, and may match nothing.
func (c *Config) include(path string) error {
	paths := []string{path}
	if hasGlob(path) && c.readFile == nil {
		var err error
		if paths, err = filepath.Glob(path); err != nil {
			paths = nil
		}
	}
	read := c.readFile
	if read == nil {
		read = os.ReadFile
	}
	for _, p := range paths {
		data, err := read(p)
		if err != nil {
			return &FileError{Path: p, Err: err}
		}
		lines := Parse(string(data), 1)
		if err := c.Apply(lines, p); err != nil {
			return err
		}
	}
	return nil
}
