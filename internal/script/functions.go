package script

import (
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/ds/glob"
	"github.com/respd/respd/internal/resp"
)

// Library is a FUNCTION library: its code and the functions its body
// registered.
type Library struct {
	Name, Code string
	Funcs      []*Function
}

// Function is a function a library registered.
type Function struct {
	Name, Desc string
	HasDesc    bool
	Flags      int
	fn         *lua.LFunction
	lib        *Library
}

var (
	errFuncNotFound  = resp.Error("ERR Function not found")
	errBadNumKeys    = resp.Error("ERR Bad number of keys provided")
	errLibNotFound   = resp.Error("ERR Library not found")
	errFuncFlush     = resp.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
	errRestorePolicy = resp.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
)

// FCall runs FCALL (or FCALL_RO when ro) for c.
func (e *Engine) FCall(c *command.Ctx, call Caller, ro bool, threshold time.Duration) {
	f := e.funcs[string(c.Args[1])]
	if f == nil {
		c.Error(errFuncNotFound)
		return
	}
	if _, ok := resp.ParseInt(c.Args[2]); !ok {
		c.Error(errBadNumKeys)
		return
	}
	keys, argv, ok := splitKeys(c, 2)
	if !ok {
		return
	}
	if ro && f.Flags&FlagNoWrites == 0 {
		c.Error(errROWriteFlag)
		return
	}
	r := &run{call: call, sha: f.Name, proto: 2, readOnly: ro || f.Flags&FlagNoWrites != 0, lib: f.lib, args: c.Args}
	e.invoke(c, r, f.fn, threshold, true, func() {
		// Functions get their keys and arguments as parameters only.
		e.globals.RawSetString("KEYS", lua.LNil)
		e.globals.RawSetString("ARGV", lua.LNil)
	}, stringsTable(e.L, keys), stringsTable(e.L, argv))
}

// Function runs a FUNCTION subcommand (by c.Cmd.Name) for c.
func (e *Engine) Function(c *command.Ctx) {
	switch c.Cmd.Name {
	case "load":
		replace := false
		i := 2
		if len(c.Args) > 3 {
			if !c.ArgIs(2, "replace") || len(c.Args) > 4 {
				c.Errorf("ERR Unknown option given: " + string(c.Args[2]))
				return
			}
			replace, i = true, 3
		}
		name, errText := e.LoadLibrary(string(c.Args[i]), replace)
		if errText != "" {
			c.Errorf(errText)
			return
		}
		c.MarkDirty()
		c.BulkString(name)
	case "delete":
		lib := e.libs[string(c.Args[2])]
		if lib == nil {
			c.Error(errLibNotFound)
			return
		}
		e.removeLibrary(lib)
		c.MarkDirty()
		c.OK()
	case "flush":
		if len(c.Args) > 3 || (len(c.Args) == 3 && !c.ArgIs(2, "sync") && !c.ArgIs(2, "async")) {
			c.Error(errFuncFlush)
			return
		}
		e.FlushFunctions()
		c.MarkDirty()
		c.OK()
	case "kill":
		c.Error(ErrNotBusy)
	case "stats":
		c.Map(2)
		c.BulkString("running_script")
		c.Null()
		writeEngines(&c.Writer, len(e.libs), len(e.funcs))
	case "list":
		e.functionList(c)
	case "dump", "restore":
		// Routed by the server, which owns the payload format.
		c.Errorf("ERR unsupported")
	case "help":
		lines := []string{
			"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"LOAD [REPLACE] <FUNCTION CODE>",
			"    Create a new library with the given library name and code.",
			"DELETE <LIBRARY NAME>",
			"    Delete the given library.",
			"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
			"    Return general information on all the libraries:",
			"    * Library name",
			"    * The engine used to run the Library",
			"    * Library description",
			"    * Functions list",
			"    * Library code (if WITHCODE is given)",
			"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
			"STATS",
			"    Return information about the current function running:",
			"    * Function name",
			"    * Command used to run the function",
			"    * Duration in MS that the function is running",
			"    If no function is running, return nil",
			"    In addition, returns a list of available engines.",
			"KILL",
			"    Kill the current running function.",
			"FLUSH [ASYNC|SYNC]",
			"    Delete all the libraries.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the libraries.",
			"    * SYNC: Synchronously flush the libraries.",
			"DUMP",
			"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
			"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
			"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
			"    control how to handle existing libraries (default APPEND):",
			"    * FLUSH: delete all existing libraries.",
			"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
			"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
			"      libraries with the new libraries (notice that even on this option there is a chance of failure",
			"      in case of functions name collision with another library).",
			"HELP",
			"    Prints this help.",
		}
		c.Array(len(lines))
		for _, l := range lines {
			c.Simple(l)
		}
	}
}

func (e *Engine) functionList(c *command.Ctx) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "withcode"):
			withCode = true
		case c.ArgIs(i, "libraryname") && i+1 < len(c.Args) && pattern == nil:
			pattern = c.Args[i+1]
			i++
		case c.ArgIs(i, "libraryname"):
			c.Errorf("ERR library name argument was not given")
			return
		default:
			c.Errorf("ERR Unknown argument " + string(c.Args[i]))
			return
		}
	}
	var libs []*Library
	for _, l := range e.Libraries() {
		if pattern == nil || glob.MatchString(pattern, l.Name, false) {
			libs = append(libs, l)
		}
	}
	c.Array(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		c.Map(n)
		c.BulkString("library_name")
		c.BulkString(l.Name)
		c.BulkString("engine")
		c.BulkString("LUA")
		c.BulkString("functions")
		c.Array(len(l.Funcs))
		for _, f := range l.Funcs {
			c.Map(3)
			c.BulkString("name")
			c.BulkString(f.Name)
			c.BulkString("description")
			if f.HasDesc {
				c.BulkString(f.Desc)
			} else {
				c.Null()
			}
			c.BulkString("flags")
			var names []string
			for _, fn := range flagNames {
				if f.Flags&fn.flag != 0 {
					names = append(names, fn.name)
				}
			}
			c.Set(len(names))
			for _, name := range names {
				c.Simple(name)
			}
		}
		if withCode {
			c.BulkString("library_code")
			c.BulkString(l.Code)
		}
	}
}

// Libraries returns the libraries sorted by name.
func (e *Engine) Libraries() []*Library {
	out := make([]*Library, 0, len(e.libs))
	for _, l := range e.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FlushFunctions deletes every library.
func (e *Engine) FlushFunctions() {
	clear(e.libs)
	clear(e.funcs)
}

func (e *Engine) removeLibrary(l *Library) {
	delete(e.libs, l.Name)
	for _, f := range l.Funcs {
		delete(e.funcs, f.Name)
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// libShebang parses a library's "#!lua name=..." line.
func libShebang(code string) (string, string, string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	line, rest, _ := strings.Cut(code, "\n")
	parts := strings.Split(line, " ")
	engine := parts[0][2:]
	name := ""
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		if v, ok := strings.CutPrefix(p, "name="); ok {
			name = v
			continue
		}
		return "", "", "ERR Invalid metadata value given: " + p
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "", "ERR Engine '" + engine + "' not found"
	}
	if name == "" {
		return "", "", "ERR Library name was not given"
	}
	if !validName(name) {
		return "", "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return name, "\n" + rest, ""
}

// LoadLibrary creates (or with replace, replaces) a library from its
// code and returns its name, or an error reply.
func (e *Engine) LoadLibrary(code string, replace bool) (string, string) {
	name, body, errText := libShebang(code)
	if errText != "" {
		return "", errText
	}
	old := e.libs[name]
	if old != nil && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	fn, err := e.state().Load(strings.NewReader(body), "user_function")
	if err != nil {
		return "", "ERR Error compiling function: " + compileError(err, "user_function", body)
	}
	lib := &Library{Name: name, Code: code}
	r := &run{loading: true, lib: lib, proto: 2}
	e.run = r
	e.L.Push(fn)
	perr := e.L.PCall(0, 0, nil)
	e.run = nil
	if perr != nil {
		e.L.SetTop(0)
		var obj lua.LValue = lua.LString(perr.Error())
		if ae, ok := perr.(*lua.ApiError); ok && ae.Object != nil {
			obj = ae.Object
		}
		msg := "ERR " + lua.LVAsString(obj)
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				msg = string(s)
			}
		}
		return "", "ERR Error registering functions: " + msg
	}
	if len(lib.Funcs) == 0 {
		return "", "ERR No functions registered"
	}
	for _, f := range lib.Funcs {
		if other := e.funcs[f.Name]; other != nil && other.lib != old {
			return "", "ERR Function " + f.Name + " already exists"
		}
	}
	if old != nil {
		e.removeLibrary(old)
	}
	e.libs[name] = lib
	for _, f := range lib.Funcs {
		e.funcs[f.Name] = f
	}
	return name, ""
}

// registerFunction is redis.register_function, allowed only while a
// library's body runs: (name, callback) or a table of named arguments.
func (e *Engine) registerFunction(L *lua.LState) int {
	r := e.run
	if r == nil || !r.loading {
		// Outside FUNCTION LOAD the field is nil in Redis.
		L.RaiseError("attempt to call field 'register_function' (a nil value)")
	}
	f := &Function{lib: r.lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return raise(L, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				bad = "ERR named argument key given to redis.register_function is not a string"
				return
			}
			switch string(ks) {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR function_name argument given to redis.register_function must be a string"
					return
				}
				f.Name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR description argument given to redis.register_function must be a string"
					return
				}
				f.Desc, f.HasDesc = string(s), true
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					bad = "ERR callback argument given to redis.register_function must be a function"
					return
				}
				f.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for i := 1; i <= ft.Len(); i++ {
					s, ok := ft.RawGetInt(i).(lua.LString)
					if !ok {
						bad = "ERR unknown flag given"
						return
					}
					fl, unknown := parseFlags(string(s))
					if unknown != "" || strings.Contains(string(s), ",") {
						bad = "ERR unknown flag given"
						return
					}
					f.Flags |= fl
				}
			default:
				bad = "ERR unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			return raise(L, bad)
		}
		if f.Name == "" {
			return raise(L, "ERR redis.register_function must get a function name argument")
		}
		if f.fn == nil {
			return raise(L, "ERR redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			return raise(L, "ERR first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return raise(L, "ERR second argument to redis.register_function must be a function")
		}
		f.Name, f.fn = string(s), fn
	default:
		return raise(L, "ERR wrong number of arguments to redis.register_function")
	}
	if !validName(f.Name) {
		return raise(L, "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, g := range r.lib.Funcs {
		if g.Name == f.Name {
			return raise(L, "ERR Function already exists in the library")
		}
	}
	r.lib.Funcs = append(r.lib.Funcs, f)
	return 0
}

// FunctionsMemory reports the number of functions and the size of the
// libraries' code, for INFO.
func (e *Engine) FunctionsMemory() (n, bytes int) {
	for _, l := range e.libs {
		bytes += len(l.Code)
	}
	return len(e.funcs), bytes
}
