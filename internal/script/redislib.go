package script

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/respd/respd/internal/command"
)

// redis.log levels.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// redisLib builds the redis table.
func (e *Engine) redisLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return e.redisCall(L, true) },
		"pcall":              func(L *lua.LState) int { return e.redisCall(L, false) },
		"error_reply":        errorReply,
		"status_reply":       statusReply,
		"sha1hex":            sha1hex,
		"log":                e.redisLog,
		"setresp":            e.setResp,
		"set_repl":           e.setRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"register_function":  e.registerFunction,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(e.Version))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(versionNum(e.Version)))
	return t
}

// versionNum is a version as 0x00MMmmpp.
func versionNum(v string) int {
	n := 0
	for _, p := range strings.SplitN(v, ".", 3) {
		x, _ := strconv.Atoi(p)
		n = n<<8 | x
	}
	return n
}

// raise raises a Redis error: a table {err=msg}, which an uncaught error
// reports without a Lua position, and pcall turns into the string msg.
func raise(L *lua.LState, msg string) int {
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(msg))
	L.Error(t, 0)
	return 0
}

// errorTable is the {err=...} table for an error text, with Redis's
// normalisation: "-CODE msg" loses the dash, and a text without a code
// gets ERR.
func errorTable(L *lua.LState, s string) *lua.LTable {
	if strings.HasPrefix(s, "-") && strings.IndexByte(s, ' ') > 0 {
		s = s[1:]
	} else {
		s = "ERR " + strings.TrimPrefix(s, "-")
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(s))
	return t
}

// badArgsTable is what error_reply and status_reply return (not raise)
// when called wrongly, as Redis does.
func badArgsTable(L *lua.LState) int {
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString("ERR wrong number or type of arguments"))
	L.Push(t)
	return 1
}

func errorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		return badArgsTable(L)
	}
	s := L.ToString(1)
	if !strings.HasPrefix(s, "-") {
		s = "-" + s
	}
	L.Push(errorTable(L, s))
	return 1
}

func statusReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		return badArgsTable(L)
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", L.Get(1))
	L.Push(t)
	return 1
}

func sha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "ERR wrong number of arguments")
	}
	L.Push(lua.LString(SHA1Hex([]byte(L.ToString(1)))))
	return 1
}

func (e *Engine) redisLog(L *lua.LState) int {
	if L.GetTop() < 2 {
		return raise(L, "ERR redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		return raise(L, "ERR First argument must be a number (log level).")
	}
	if lv < LogDebug || lv > LogWarning {
		return raise(L, "ERR Invalid debug level.")
	}
	var parts []string
	for i := 2; i <= L.GetTop(); i++ {
		parts = append(parts, L.ToString(i))
	}
	if e.Log != nil {
		e.Log(int(lv), strings.Join(parts, " "))
	}
	return 0
}

func (e *Engine) setResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "ERR redis.setresp() requires one argument.")
	}
	n := L.ToInt(1)
	if n != 2 && n != 3 {
		return raise(L, "ERR RESP version must be 2 or 3.")
	}
	if e.run != nil {
		e.run.proto = n
	}
	return 0
}

func (e *Engine) setRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "ERR redis.set_repl() requires two arguments.")
	}
	n := L.ToInt(1)
	if n < 0 || n > 3 {
		return raise(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	if e.run != nil {
		// One stream feeds both the AOF and the replicas: only "none"
		// can be honoured.
		e.run.noRepl = n == 0
	}
	return 0
}

// luaPcall is Lua's pcall, except that an error table with an err field
// comes back as its err string, as Redis's Lua returns it.
func (e *Engine) luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	nargs := L.GetTop() - 1
	if err := L.PCall(nargs, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// redisCall is redis.call (raise) and redis.pcall: the checks Redis
// makes before running a command from a script, the call, and the
// reply converted to Lua.
func (e *Engine) redisCall(L *lua.LState, raiseErr bool) int {
	r := e.run
	fail := func(msg string) int {
		if raiseErr {
			return raise(L, msg)
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(msg))
		L.Push(t)
		return 1
	}
	n := L.GetTop()
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	if r == nil || r.loading {
		return fail("ERR attempt to call field 'call' (a nil value)")
	}
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = []byte(v)
		case lua.LNumber:
			args[i-1] = formatNumber(float64(v))
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	cmd, errText := e.Names.Lookup(args)
	if errText != "" {
		if cmd == nil {
			return fail("ERR Unknown Redis command called from script")
		}
		return fail("ERR Wrong number of args calling Redis command from script")
	}
	if cmd.Has(command.NoScript) {
		return fail("ERR This Redis command is not allowed from script")
	}
	if cmd.Has(command.Write) {
		if r.readOnly {
			return fail("ERR Write commands are not allowed from read-only scripts.")
		}
		e.wrote.Store(true)
	}
	reply := r.call(cmd, args, r.proto, r.noRepl)
	if len(reply) > 0 && reply[0] == '-' {
		end := len(reply) - 2
		if end < 1 {
			end = 1
		}
		msg := string(reply[1:end])
		if raiseErr {
			return raise(L, msg)
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(msg))
		L.Push(t)
		return 1
	}
	v, _ := replyToLua(L, reply, 0)
	L.Push(v)
	return 1
}

// formatNumber renders a Lua number argument as Redis does (%.17g, the
// shortest form that reads back; integers without a fraction).
func formatNumber(f float64) []byte {
	if f == float64(int64(f)) && f < 1e17 && f > -1e17 {
		return strconv.AppendInt(nil, int64(f), 10)
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}
