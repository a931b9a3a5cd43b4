package script

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// EvalOptions describe one EVAL-family call.
type EvalOptions struct {
	// BySHA is set for EVALSHA(_RO): Args[1] is the script's id.
	BySHA bool
	// ReadOnly is set for the _RO variants.
	ReadOnly bool
	// Threshold is busy-reply-threshold.
	Threshold time.Duration
}

// compiled is a cached EVAL script.
type compiled struct {
	fn    *lua.LFunction
	flags int
}

// Eval runs EVAL, EVALSHA, EVAL_RO or EVALSHA_RO for c, replying to c.
func (e *Engine) Eval(c *command.Ctx, call Caller, o EvalOptions) {
	keys, argv, ok := splitKeys(c, 2)
	if !ok {
		return
	}
	var sc *compiled
	var sha string
	if o.BySHA {
		sha = strings.ToLower(string(c.Args[1]))
		sc = e.cached(sha)
		if sc == nil {
			c.Error(ErrNoScript)
			return
		}
	} else {
		sha = SHA1Hex(c.Args[1])
		if sc = e.cached(sha); sc == nil {
			var errText string
			sc, errText = e.compile(string(c.Args[1]), sha)
			if errText != "" {
				c.Errorf(errText)
				return
			}
		}
	}
	if o.ReadOnly && sc.flags&(FlagCompat|FlagNoWrites) == 0 {
		c.Error(errROWriteFlag)
		return
	}
	r := &run{call: call, sha: sha, proto: 2, readOnly: o.ReadOnly || sc.flags&FlagNoWrites != 0}
	e.invoke(c, r, sc.fn, o.Threshold, false, func() {
		e.globals.RawSetString("KEYS", stringsTable(e.L, keys))
		e.globals.RawSetString("ARGV", stringsTable(e.L, argv))
	})
}

// splitKeys parses numkeys at index i and returns the keys and the other
// arguments, replying with Redis's error when numkeys is wrong.
func splitKeys(c *command.Ctx, i int) ([][]byte, [][]byte, bool) {
	n, ok := resp.ParseInt(c.Args[i])
	if !ok {
		c.Error(command.ErrNotInt)
		return nil, nil, false
	}
	if n < 0 {
		c.Error(ErrNegKeys)
		return nil, nil, false
	}
	if n > int64(len(c.Args)-i-1) {
		c.Error(ErrTooManyKeys)
		return nil, nil, false
	}
	return c.Args[i+1 : i+1+int(n)], c.Args[i+1+int(n):], true
}

func stringsTable(L *lua.LState, a [][]byte) *lua.LTable {
	t := L.CreateTable(len(a), 0)
	for i, s := range a {
		t.RawSetInt(i+1, lua.LString(s))
	}
	return t
}

func (e *Engine) cached(sha string) *compiled {
	fn := e.scripts[sha]
	if fn == nil {
		return nil
	}
	return &compiled{fn: fn, flags: e.scriptFlags[sha]}
}

// compile compiles an EVAL body and caches it under sha.
func (e *Engine) compile(body, sha string) (*compiled, string) {
	flags, code, errText := evalShebang(body)
	if errText != "" {
		return nil, errText
	}
	fn, err := e.state().Load(strings.NewReader(code), "user_script")
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + compileError(err, "user_script", code)
	}
	e.scripts[sha] = fn
	e.scriptFlags[sha] = flags
	e.bodies[sha] = body
	return &compiled{fn: fn, flags: flags}, ""
}

// compileError renders a gopher-lua syntax error in Lua 5.1's
// "chunk:LINE: message near 'token'" form. Lua names what it expected in
// some errors; gopher-lua only reports a syntax error, which becomes
// "unexpected symbol".
func compileError(err error, chunk, code string) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if m := reParseAt.FindStringSubmatch(s); m != nil {
		return chunk + ":" + m[1] + ": " + parseMessage(m[3]) + " near '" + m[2] + "'"
	}
	if m := reParseEOF.FindStringSubmatch(s); m != nil {
		line := strings.Count(code, "\n") + 1
		return chunk + ":" + strconv.Itoa(line) + ": " + parseMessage(m[1]) + " near '<eof>'"
	}
	return strings.TrimPrefix(s, "<string>")
}

var (
	reParseAt  = regexp.MustCompile(`^\S+ line:(\d+)\(column:\d+\) near '(.*)':\s+(.*)$`)
	reParseEOF = regexp.MustCompile(`^\S+ at EOF:\s+(.*)$`)
)

func parseMessage(m string) string {
	switch m {
	case "syntax error":
		return "unexpected symbol"
	case "unterminated string":
		return "unfinished string"
	}
	return m
}

// invoke calls fn (after setup sets its globals) with args, and writes its result or error to c.
func (e *Engine) invoke(c *command.Ctx, r *run, fn *lua.LFunction, threshold time.Duration, function bool, setup func(), args ...lua.LValue) {
	L := e.L
	end := e.begin(r, threshold, function)
	defer end()
	if setup != nil {
		setup()
	}
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, L.NewFunction(e.errorHandler))
	if err != nil {
		L.SetTop(0)
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
			obj = ae.Object
		}
		e.writeError(c, r, obj)
		return
	}
	v := L.Get(-1)
	L.Pop(1)
	writeValue(c, &c.Writer, v, r.proto, 0)
}

// errorHandler records where an uncaught error happened: the innermost
// Lua frame's line.
func (e *Engine) errorHandler(L *lua.LState) int {
	if e.run != nil && e.run.errLine == 0 {
		e.run.errLine = currentLine(L)
	}
	L.Push(L.Get(1))
	return 1
}

// currentLine is the line the innermost running Lua function is at.
func currentLine(L *lua.LState) int {
	for i := 0; i < 64; i++ {
		dbg, ok := L.GetStack(i)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, nil); err != nil {
			continue
		}
		if dbg.What != "G" && dbg.CurrentLine > 0 {
			return dbg.CurrentLine
		}
	}
	return 0
}

// writeError writes an uncaught script error as Redis formats it: the
// error text (an error table's err, or "ERR " and the message), then
// the script and where it failed.
func (e *Engine) writeError(c *command.Ctx, r *run, obj lua.LValue) {
	var msg string
	if e.killed.Load() {
		// Functions too: Redis 7.0 words it the same way.
		msg = "ERR Script killed by user with SCRIPT KILL..."
	} else if t, ok := obj.(*lua.LTable); ok {
		if s, ok := t.RawGetString("err").(lua.LString); ok {
			msg = string(s)
		} else {
			msg = "ERR " + lua.LVAsString(obj)
		}
	} else {
		msg = "ERR " + lua.LVAsString(obj)
	}
	msg = lua51Message(msg)
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r", " "), "\n", " ")
	line := "?"
	if r.errLine > 0 {
		line = strconv.Itoa(r.errLine)
	}
	if e.isFunc.Load() {
		c.Errorf(msg + " script: " + r.sha + ", on @user_function:" + line + ".")
		return
	}
	c.Errorf(msg + " script: " + r.sha + ", on @user_script:" + line + ".")
}

// gopher-lua words some errors unlike Lua 5.1; these rewrite the ones
// that can be mapped without knowing the variables involved.
var (
	reArgName = regexp.MustCompile(`bad argument #(\d+) to ([A-Za-z_][A-Za-z0-9_]*) \(`)
	reArith   = regexp.MustCompile(`cannot perform \w+ operation between (\w+) and (\w+)`)
	// gopher-lua says nil for a missing argument where Lua says "no
	// value"; only its own (unquoted) messages are rewritten.
	reGotNil = regexp.MustCompile(`bad argument #(\d+) to ([A-Za-z_][A-Za-z0-9_]*) \((\w+) expected, got nil\)`)
)

func lua51Message(msg string) string {
	if !strings.Contains(msg, "user_script:") && !strings.Contains(msg, "user_function:") {
		return msg
	}
	msg = reGotNil.ReplaceAllString(msg, "bad argument #$1 to '$2' ($3 expected, got no value)")
	msg = reArgName.ReplaceAllString(msg, "bad argument #$1 to '$2' (")
	msg = reArith.ReplaceAllStringFunc(msg, func(m string) string {
		sub := reArith.FindStringSubmatch(m)
		t := sub[1]
		if t == "number" {
			t = sub[2]
		}
		return "attempt to perform arithmetic on a " + t + " value"
	})
	return msg
}
