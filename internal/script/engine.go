// Package script runs Lua scripts (EVAL and FUNCTION libraries) the way
// Redis 7.0 does, on gopher-lua (Lua 5.1 semantics): the sandboxed global
// environment, the redis library, the conversions between Lua values and
// RESP replies, Redis's error texts, and the busy/kill state other
// goroutines read while a script holds the engine.
//
// The engine does not run commands itself: the server gives each run a
// Caller, which executes a checked command on the script client and
// returns its RESP reply.
package script

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// Caller executes cmd (already looked up and checked) for the running
// script in proto (2 or 3), without propagating it when noRepl is set,
// and returns the RESP reply, valid until the next call.
type Caller func(cmd *command.Command, args [][]byte, proto int, noRepl bool) []byte

// Engine is one Lua interpreter with its script cache and function
// libraries. Everything but the busy state is engine-owned (used under
// the server's engine lock).
type Engine struct {
	// L is the one interpreter every script and library runs in, nil
	// until the first script or library is compiled (see state).
	L *lua.LState
	// globals backs the protected _G: scripts read globals through it
	// and cannot add or change any.
	globals *lua.LTable
	// loadingRedis is the restricted redis table of FUNCTION LOAD.
	loadingRedis *lua.LTable
	// proxies maps the read-only proxies (_G, the libraries) to the
	// tables they stand for (globals.go).
	proxies map[*lua.LTable]*lua.LTable
	// scripts maps the SHA1 of an EVAL body to its compiled function.
	scripts     map[string]*lua.LFunction
	scriptFlags map[string]int
	bodies      map[string]string
	// libs are the FUNCTION libraries by name; funcs every registered
	// function by name.
	libs  map[string]*Library
	funcs map[string]*Function
	// Version is redis.REDIS_VERSION.
	Version string
	// Names are the names redis.call finds commands by (rename-command);
	// nil is the built-in ones.
	Names command.Names
	// Log receives every redis.log line with its level; the server
	// filters by its verbosity.
	Log func(level int, msg string)

	// run is the running script, nil between scripts.
	run *run

	// The busy state, read by connection goroutines without the engine
	// lock (see Busy and Kill).
	mu  sync.Mutex
	gen uint64 // counts runs, under mu
	// busyInfo describes the running script for FUNCTION STATS, under mu.
	busyInfo busyInfo
	cancel   context.CancelFunc
	busy     atomic.Bool
	killed   atomic.Bool
	wrote    atomic.Bool
	running  atomic.Bool
	isFunc   atomic.Bool
}

// busyInfo is what FUNCTION STATS shows of a running function.
type busyInfo struct {
	name        string
	args        [][]byte
	start       time.Time
	libs, funcs int
}

// run is the state of the running script.
type run struct {
	// args is the FCALL command line (FUNCTION STATS shows it).
	args     [][]byte
	call     Caller
	sha      string
	readOnly bool // EVAL_RO, FCALL_RO or a no-writes script
	proto    int  // redis.setresp
	loading  bool // running a library's body (register_function allowed)
	lib      *Library
	// errLine is where the error being raised happened (0: unknown).
	errLine int
	// noRepl is set by redis.set_repl(redis.REPL_NONE): the writes that
	// follow are not propagated.
	noRepl bool
}

// New creates an engine. Its interpreter, with Redis's sandbox, is built
// on first use (see state).
func New(version string) *Engine {
	e := &Engine{proxies: map[*lua.LTable]*lua.LTable{}, scripts: map[string]*lua.LFunction{}, scriptFlags: map[string]int{}, bodies: map[string]string{}, libs: map[string]*Library{}, funcs: map[string]*Function{}, Version: version}
	return e
}

// state returns the interpreter, building it on first use. Most servers
// never run a script, and an interpreter is some 200 KB of pointers that
// every garbage collection would scan. Everything that runs Lua runs a
// script or library compiled before, so compiling is where it is built.
func (e *Engine) state() *lua.LState {
	if e.L == nil {
		e.L = e.newState()
	}
	return e.L
}

// newState builds a sandboxed interpreter: the libraries Redis loads,
// without the ones reaching outside (os, io, loadfile, dofile, print,
// require), and a global table scripts cannot write.
func (e *Engine) newState() *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{"", lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	for _, name := range []string{"print", "loadfile", "dofile", "require", "module", "newproxy", "_printregs", "_GOPHER_LUA_VERSION", "getfenv", "setfenv"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("pcall", L.NewFunction(e.luaPcall))
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	g.RawSetString("redis", e.redisLib(L))
	g.RawSetString("bit", bitLib(L))
	g.RawSetString("cjson", cjsonLib(L))
	g.RawSetString("struct", structLib(L))
	g.RawSetString("cmsgpack", cmsgpackLib(L))
	g.RawSetString("_G", g)
	if ml, ok := g.RawGetString("math").(*lua.LTable); ok {
		// gopher-lua's is the largest finite double.
		ml.RawSetString("huge", lua.LNumber(math.Inf(1)))
	}
	if tl, ok := g.RawGetString("table").(*lua.LTable); ok {
		tl.RawSetString("foreach", L.NewFunction(tableForeach))
		tl.RawSetString("foreachi", L.NewFunction(tableForeachi))
	}
	e.installRawAccess(L, g)
	// Move every global into a backing table; _G itself stays empty so
	// that every read and write goes through its metatable.
	back := L.NewTable()
	g.ForEach(func(k, v lua.LValue) { back.RawSet(k, v) })
	for _, k := range keysOf(g) {
		g.RawSet(k, lua.LNil)
	}
	back.RawSetString("_G", g)
	e.globals = back
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if r := e.run; r != nil && r.loading && k == lua.LString("redis") {
			L.Push(e.loadingRedis)
			return 1
		}
		v := back.RawGet(k)
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		}
		L.Push(v)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(g, mt)
	e.proxies[g] = back
	for _, name := range []string{"string", "table", "math", "coroutine", "redis", "bit", "cjson", "struct", "cmsgpack"} {
		if t, ok := back.RawGetString(name).(*lua.LTable); ok {
			p := readonlyProxy(L, t)
			e.proxies[p] = t
			back.RawSetString(name, p)
		}
	}
	e.loadingRedis = loadingRedis(L, back.RawGetString("redis"))
	return L
}

// loadingRedis is the redis table a library's body sees: only what
// registering functions needs; anything else is reported as Redis does.
func loadingRedis(L *lua.LState, full lua.LValue) *lua.LTable {
	allowed := map[string]bool{"register_function": true, "log": true, "setresp": true, "REDIS_VERSION": true, "REDIS_VERSION_NUM": true,
		"LOG_DEBUG": true, "LOG_VERBOSE": true, "LOG_NOTICE": true, "LOG_WARNING": true}
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if s, ok := k.(lua.LString); ok && allowed[string(s)] {
			L.Push(L.GetField(full, string(s)))
			return 1
		}
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		return 0
	}))
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	return p
}

func keysOf(t *lua.LTable) []lua.LValue {
	var ks []lua.LValue
	t.ForEach(func(k, _ lua.LValue) { ks = append(ks, k) })
	return ks
}

func readonlyError(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// readonlyProxy returns an empty table that reads through to t and
// refuses writes, as Redis makes its library tables read-only.
func readonlyProxy(L *lua.LState, t *lua.LTable) *lua.LTable {
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	return p
}

// SHA1Hex is the lower-case hex SHA1 of s (script ids, redis.sha1hex).
func SHA1Hex(s []byte) string {
	h := sha1.Sum(s)
	return hex.EncodeToString(h[:])
}

// Errors with Redis's texts.
var (
	ErrNoScript    = resp.Error("NOSCRIPT No matching script. Please use EVAL.")
	ErrNegKeys     = resp.Error("ERR Number of keys can't be negative")
	ErrTooManyKeys = resp.Error("ERR Number of keys can't be greater than number of args")
	ErrNotBusy     = resp.Error("NOTBUSY No scripts in execution right now.")
	ErrUnkillable  = resp.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	ErrBusy        = resp.Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	ErrBusyFunc    = resp.Error("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
	errROWriteFlag = resp.Error("ERR Can not execute a script with write flag using *_ro command.")
	errShebang     = resp.Error("ERR Invalid script shebang")
)

// Script flags (shebang flags=...).
const (
	FlagNoWrites = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagCompat marks an EVAL script without a shebang: Redis 6
	// semantics (may write, even through EVAL_RO until it tries).
	FlagCompat
)

var flagNames = []struct {
	name string
	flag int
}{{"no-writes", FlagNoWrites}, {"allow-oom", FlagAllowOOM}, {"allow-stale", FlagAllowStale}, {"no-cluster", FlagNoCluster}, {"allow-cross-slot-keys", FlagAllowCrossSlot}}

// parseFlags parses a comma-separated flag list.
func parseFlags(s string) (int, string) {
	f := 0
	if s == "" {
		return 0, ""
	}
	for _, name := range strings.Split(s, ",") {
		found := false
		for _, fn := range flagNames {
			if fn.name == name {
				f |= fn.flag
				found = true
			}
		}
		if !found {
			return 0, name
		}
	}
	return f, ""
}

// evalShebang reads an EVAL body's "#!lua flags=..." line. It returns
// the flags and the body with the shebang line blanked (keeping the line
// numbers), or an error reply.
func evalShebang(body string) (int, string, string) {
	if !strings.HasPrefix(body, "#!") {
		return FlagCompat, body, ""
	}
	nl := strings.IndexByte(body, '\n')
	line := body
	rest := ""
	if nl >= 0 {
		line, rest = body[:nl], body[nl:]
	} else {
		return 0, "", string(errShebang)
	}
	parts := strings.Split(line, " ")
	if parts[0] != "#!lua" {
		return 0, "", "ERR Unexpected engine in script shebang: " + parts[0]
	}
	flags := 0
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		if v, ok := strings.CutPrefix(p, "flags="); ok {
			f, bad := parseFlags(v)
			if bad != "" {
				return 0, "", "ERR Unexpected flag in script shebang: " + bad
			}
			flags |= f
			continue
		}
		return 0, "", "ERR Unknown lua shebang option: " + p
	}
	return flags, rest, ""
}

// Busy reports whether a script has run past busy-reply-threshold:
// other clients then get BUSY. Safe from any goroutine.
func (e *Engine) Busy() bool { return e.busy.Load() }

// Running reports whether a script runs. Safe from any goroutine.
func (e *Engine) Running() bool { return e.running.Load() }

// BusyError is the BUSY reply for the running kind of script.
func (e *Engine) BusyError() resp.Error {
	if e.isFunc.Load() {
		return ErrBusyFunc
	}
	return ErrBusy
}

// Kill stops the running script (SCRIPT KILL when function is false,
// FUNCTION KILL when true) and returns the reply. Safe from any
// goroutine.
func (e *Engine) Kill(function bool) resp.Error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running.Load() || !e.busy.Load() {
		return ErrNotBusy
	}
	if e.isFunc.Load() != function {
		return e.BusyError()
	}
	if e.wrote.Load() {
		return ErrUnkillable
	}
	e.killed.Store(true)
	if e.cancel != nil {
		e.cancel()
	}
	return ""
}

// begin marks a script as running: after threshold (0: never) the
// engine turns busy. The context it sets is cancelled by Kill.
func (e *Engine) begin(r *run, threshold time.Duration, function bool) func() {
	e.run = r
	ctx, cancel := context.WithCancel(context.Background())
	e.mu.Lock()
	e.cancel = cancel
	e.killed.Store(false)
	e.wrote.Store(false)
	e.isFunc.Store(function)
	e.running.Store(true)
	e.busyInfo = busyInfo{name: r.sha, args: r.args, start: time.Now(), libs: len(e.libs), funcs: len(e.funcs)}
	e.mu.Unlock()
	e.L.SetContext(ctx)
	e.mu.Lock()
	e.gen++
	gen := e.gen
	e.mu.Unlock()
	var timer *time.Timer
	if threshold > 0 {
		timer = time.AfterFunc(threshold, func() {
			// The timer may fire while the run ends: only the run it was
			// set for turns busy.
			e.mu.Lock()
			if e.gen == gen && e.running.Load() {
				e.busy.Store(true)
			}
			e.mu.Unlock()
		})
	}
	return func() {
		if timer != nil {
			timer.Stop()
		}
		e.mu.Lock()
		e.gen++
		e.running.Store(false)
		e.busy.Store(false)
		e.cancel = nil
		e.busyInfo = busyInfo{}
		e.mu.Unlock()
		cancel()
		e.L.RemoveContext()
		e.run = nil
	}
}

// Abort stops the running script whatever it did (SHUTDOWN NOSAVE while
// busy). Safe from any goroutine.
func (e *Engine) Abort() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running.Load() && e.cancel != nil {
		e.killed.Store(true)
		e.cancel()
	}
}

// Load compiles body into the script cache (SCRIPT LOAD) and returns its
// SHA1, or an error reply.
func (e *Engine) Load(body []byte) (string, string) {
	sha := SHA1Hex(body)
	if e.scripts[sha] != nil {
		return sha, ""
	}
	if _, errText := e.compile(string(body), sha); errText != "" {
		return "", errText
	}
	return sha, ""
}

// Exists reports whether the script with this SHA1 is cached.
func (e *Engine) Exists(sha string) bool { return e.scripts[sha] != nil }

// FlushScripts empties the script cache (SCRIPT FLUSH).
func (e *Engine) FlushScripts() {
	clear(e.scripts)
	clear(e.scriptFlags)
	clear(e.bodies)
}

// ScriptsMemory estimates the cache's size for INFO.
func (e *Engine) ScriptsMemory() (n, bytes int) {
	for _, b := range e.bodies {
		bytes += len(b)
	}
	return len(e.scripts), bytes
}

// luaToString is tostring with Lua 5.1's number format ("%.14g"), which
// gopher-lua's own does not use.
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(numberString(float64(n))))
		return 1
	}
	if fn := L.GetMetaField(v, "__tostring"); fn != lua.LNil {
		L.Push(fn)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	L.Push(lua.LString(v.String()))
	return 1
}

// numberString formats a number as C's "%.14g" does.
func numberString(f float64) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// BusyStats answers FUNCTION STATS while a script is busy: the running
// function, or BUSY while an EVAL script runs. Safe from any goroutine;
// proto is the asking client's protocol.
func (e *Engine) BusyStats(proto int) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := resp.Writer{Proto: proto}
	if !e.running.Load() || !e.isFunc.Load() {
		w.Error(ErrBusy)
		return w.B
	}
	info := e.busyInfo
	w.Map(2)
	w.BulkString("running_script")
	w.Map(3)
	w.BulkString("name")
	w.BulkString(info.name)
	w.BulkString("command")
	w.Array(len(info.args))
	for _, a := range info.args {
		w.Bulk(a)
	}
	w.BulkString("duration_ms")
	w.Int(time.Since(info.start).Milliseconds())
	writeEngines(&w, info.libs, info.funcs)
	return w.B
}

// writeEngines writes FUNCTION STATS's engines entry.
func writeEngines(w *resp.Writer, libs, funcs int) {
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(libs))
	w.BulkString("functions_count")
	w.Int(int64(funcs))
}
