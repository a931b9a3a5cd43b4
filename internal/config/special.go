package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// parseSave checks "seconds changes" pairs. Within one config load the
// first save line replaces the defaults and later ones add to it; CONFIG
// SET replaces the whole list. A lone empty word clears it.
func parseSave(p *parseCtx, args []string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	if len(args)%2 != 0 {
		return "", msgError("Invalid save parameters")
	}
	pairs := make([]string, 0, len(args))
	for i, a := range args {
		n, ok := cStrtoll(a, 10)
		if !ok || (i%2 == 0 && n < 1) || (i%2 == 1 && n < 0) {
			return "", msgError("Invalid save parameters")
		}
		if i%2 == 1 {
			// Changes are a C int in Redis: larger counts wrap.
			n = int64(int32(n))
		}
		pairs = append(pairs, strconv.FormatInt(n, 10))
	}
	out := strings.Join(pairs, " ")
	if p.loading && !p.first && p.cur != "" {
		if out == "" {
			return p.cur, nil
		}
		return p.cur + " " + out, nil
	}
	return out, nil
}

func rewriteSave(c *Config, d *Directive, v string) ([]string, bool) {
	if v == "" {
		return []string{`save ""`}, true
	}
	f := strings.Fields(v)
	var lines []string
	for i := 0; i+1 < len(f); i += 2 {
		lines = append(lines, "save "+f[i]+" "+f[i+1])
	}
	return lines, true
}

// Client classes of client-output-buffer-limit, in the order CONFIG GET
// prints them; "replica" is another name for "slave".
var obufClasses = []string{"normal", "slave", "pubsub"}

// obufLimits is one class's hard, soft and soft-seconds limits.
type obufLimits [3]string

func splitObuf(v string) map[string]obufLimits {
	f := strings.Fields(v)
	m := map[string]obufLimits{}
	for i := 0; i+3 < len(f); i += 4 {
		m[f[i]] = obufLimits{f[i+1], f[i+2], f[i+3]}
	}
	return m
}

func joinObuf(m map[string]obufLimits) string {
	var parts []string
	for _, cl := range obufClasses {
		l := m[cl]
		parts = append(parts, cl, l[0], l[1], l[2])
	}
	return strings.Join(parts, " ")
}

// parseObuf sets the limits of the classes named, leaving the others.
func parseObuf(p *parseCtx, args []string) (string, error) {
	if len(args)%4 != 0 {
		return "", msgError("Wrong number of arguments in buffer limit configuration.")
	}
	m := splitObuf(p.cur)
	for i := 0; i < len(args); i += 4 {
		class := strings.ToLower(args[i])
		if class == "replica" {
			class = "slave"
		}
		if class != "normal" && class != "slave" && class != "pubsub" {
			return "", msgError("Invalid client class specified in buffer limit configuration.")
		}
		hard, ok1 := memToULL(args[i+1])
		soft, ok2 := memToULL(args[i+2])
		secs, ok3 := parseLL(args[i+3])
		if !ok1 || !ok2 || !ok3 || secs < 0 {
			return "", msgError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		m[class] = obufLimits{strconv.FormatUint(hard, 10), strconv.FormatUint(soft, 10), strconv.FormatInt(secs, 10)}
	}
	return joinObuf(m), nil
}

func rewriteObuf(c *Config, d *Directive, v string) ([]string, bool) {
	cur, def := splitObuf(v), splitObuf(d.Default)
	var lines []string
	for _, cl := range obufClasses {
		if cur[cl] == def[cl] {
			continue
		}
		name := cl
		if name == "slave" {
			name = "replica"
		}
		l := cur[cl]
		lines = append(lines, "client-output-buffer-limit "+name+" "+formatMemory(l[0])+" "+formatMemory(l[1])+" "+l[2])
	}
	return lines, len(lines) > 0
}

// Keyspace event classes in the order Redis prints them.
const (
	evAll     = "g$lshzxetd"
	evClasses = "Ag$lshzxeKEtmdn"
)

// parseNotify normalizes a notify-keyspace-events flag string to the form
// Redis prints: A when every class is on, else the classes one by one
// (with n, which A does not include but also hides, as in Redis 7.0),
// then K, E and m.
func parseNotify(p *parseCtx, args []string) (string, error) {
	set := map[byte]bool{}
	for i := 0; i < len(args[0]); i++ {
		c := args[0][i]
		switch {
		case c == 'A':
			for j := 0; j < len(evAll); j++ {
				set[evAll[j]] = true
			}
		case strings.IndexByte(evClasses, c) >= 0:
			set[c] = true
		default:
			return "", msgError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
	}
	var b strings.Builder
	all := true
	for j := 0; j < len(evAll); j++ {
		all = all && set[evAll[j]]
	}
	if all {
		b.WriteByte('A')
	} else {
		for _, c := range []byte(evAll + "n") {
			if set[c] {
				b.WriteByte(c)
			}
		}
	}
	for _, c := range []byte("KEm") {
		if set[c] {
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func rewriteQuoted(c *Config, d *Directive, v string) ([]string, bool) {
	return []string{d.Name + " " + Repr(v)}, v != d.Default
}

// parseOOMValues checks the three oom-score-adj values.
func parseOOMValues(p *parseCtx, args []string) (string, error) {
	if len(args) != 3 {
		return "", msgError("wrong number of arguments")
	}
	out := make([]string, 3)
	for i, a := range args {
		n, ok := cStrtoll(a, 10)
		if !ok || n < -2000 || n > 2000 {
			return "", msgError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), nil
}

// parsePercentiles checks latency-tracking-info-percentiles.
func parsePercentiles(p *parseCtx, args []string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	out := make([]string, 0, len(args))
	for _, a := range args {
		f, ok := parseDouble(a)
		if !ok {
			return "", msgError("Invalid latency-tracking-info-percentiles parameters")
		}
		if f < 0 || f > 100 {
			return "", msgError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		out = append(out, formatPercentile(f))
	}
	return strings.Join(out, " "), nil
}

func rewriteWords(c *Config, d *Directive, v string) ([]string, bool) {
	if v == "" {
		return []string{d.Name + ` ""`}, v != d.Default
	}
	return []string{d.Name + " " + v}, v != d.Default
}

// rewritePercentiles always writes the line, as Redis does.
func rewritePercentiles(c *Config, d *Directive, v string) ([]string, bool) {
	lines, _ := rewriteWords(c, d, v)
	return lines, true
}

// parseBind keeps up to 16 addresses; a lone empty word means none.
// Binding happens in the server.
func parseBind(p *parseCtx, args []string) (string, error) {
	if len(args) > 16 {
		return "", msgError("Too many bind addresses specified.")
	}
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	return strings.Join(args, " "), nil
}

// parseReplicaOf takes "host port" or "no one"; the value is "host port"
// or empty.
func parseReplicaOf(p *parseCtx, args []string) (string, error) {
	if len(args) != 2 {
		return "", msgError("wrong number of arguments")
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return "", nil
	}
	port, ok := cStrtoll(args[1], 10)
	if !ok || port < 0 || port > 65535 {
		return "", msgError("Invalid master port")
	}
	return args[0] + " " + strconv.FormatInt(port, 10), nil
}

func rewriteReplicaOf(c *Config, d *Directive, v string) ([]string, bool) {
	if v == "" {
		return nil, false
	}
	return []string{"replicaof " + v}, true
}

// parseDir checks that the directory exists and stores its absolute
// path, which is what CONFIG GET dir prints. Unlike Redis, respd does not
// chdir into it (tests run several servers in one process).
func parseDir(p *parseCtx, args []string) (string, error) {
	dir := args[0]
	st, err := os.Stat(dir)
	if err != nil {
		return "", msgError(Strerror(err))
	}
	if !st.IsDir() {
		return "", msgError(Strerror(syscall.ENOTDIR))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", msgError(Strerror(err))
	}
	return abs, nil
}

func workingDir() string {
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "."
}

func rewriteDir(c *Config, d *Directive, v string) ([]string, bool) {
	return []string{"dir " + Repr(v)}, true
}

// Strerror renders an OS error the way C's strerror does ("No such file
// or directory").
func Strerror(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:]
}

// baseName refuses values with a '/', for file names that Redis keeps
// inside dir.
func baseName(what, kind string) func(p *parseCtx, args []string) (string, error) {
	return func(p *parseCtx, args []string) (string, error) {
		if strings.ContainsRune(args[0], '/') {
			return "", msgError(what + " can't be a path, just a " + kind)
		}
		return args[0], nil
	}
}

// checkShutdownFlags rejects SAVE together with NOSAVE.
func checkShutdownFlags(v string, loading bool) error {
	f := strings.Fields(v)
	if slices.Contains(f, "save") && slices.Contains(f, "nosave") {
		return msgError("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	return nil
}

// checkActiveDefrag refuses activedefrag yes: respd's allocator is the Go
// runtime's, which Redis's message for a build without its jemalloc fits.
func checkActiveDefrag(v string, loading bool) error {
	if v == "yes" {
		return msgError("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
	}
	return nil
}

// checkHostname accepts letters, digits, hyphens and dots.
func checkHostname(v string, loading bool) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.') {
			return msgError("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// checkTLS refuses turning TLS on at run time, as Redis does when it has
// no usable certificates: respd sets its listeners' TLS up at start-up
// only.
func checkTLS(v string, loading bool) error {
	if !loading && v != "0" && v != "no" {
		return msgError("Unable to update TLS configuration. Check server logs.")
	}
	return nil
}

// parseTLSReplication is a yes/no that CONFIG SET turns on only when a
// certificate, its key and CAs are configured, as Redis requires them to
// reload its TLS setup; the master link picks it up when it next
// connects. At start-up the server checks the files themselves.
func parseTLSReplication(p *parseCtx, args []string) (string, error) {
	v := strings.ToLower(args[0])
	if v != "yes" && v != "no" {
		return "", msgError("argument must be 'yes' or 'no'")
	}
	c := p.c
	if v == "yes" && !p.loading && (c.Get("tls-cert-file") == "" || c.Get("tls-key-file") == "" ||
		c.Get("tls-ca-cert-file") == "" && c.Get("tls-ca-cert-dir") == "") {
		return "", msgError("Unable to update TLS configuration. Check server logs.")
	}
	return v, nil
}

// parseProcTitle checks a proc-title-template: {name} variables must be
// known, {{ and }} stand for braces, and the title must not come out
// empty.
func parseProcTitle(p *parseCtx, args []string) (string, error) {
	bad := msgError("template format is invalid or contains unknown variables")
	t := args[0]
	var out strings.Builder
	for i := 0; i < len(t); i++ {
		switch {
		case t[i] == '{' && i+1 < len(t) && t[i+1] == '{':
			out.WriteByte('{')
			i++
		case t[i] == '}' && i+1 < len(t) && t[i+1] == '}':
			out.WriteByte('}')
			i++
		case t[i] == '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return "", bad
			}
			name := t[i+1 : i+end]
			switch name {
			case "title", "server-mode", "config-file":
				// Empty while validating, as in Redis.
			case "listen-addr", "port", "tls-port":
				out.WriteString("0")
			case "unixsocket":
				if p != nil && p.c != nil {
					out.WriteString(p.c.values["unixsocket"])
				}
			default:
				return "", bad
			}
			i += end
		default:
			out.WriteByte(t[i])
		}
	}
	if strings.Trim(out.String(), " ") == "" {
		return "", bad
	}
	return t, nil
}

// formatMemory writes a byte count the way CONFIG REWRITE does: in gb, mb
// or kb when it divides evenly.
func formatMemory(v string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return v
	}
	switch {
	case n%(1<<30) == 0:
		return strconv.FormatInt(n/(1<<30), 10) + "gb"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n/(1<<20), 10) + "mb"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n/(1<<10), 10) + "kb"
	}
	return v
}
