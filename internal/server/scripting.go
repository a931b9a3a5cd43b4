package server

import (
	"slices"
	"strings"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/rdb"
	"github.com/respd/respd/internal/resp"
	"github.com/respd/respd/internal/script"
)

// Scripting: the Lua engine (internal/script) runs EVAL scripts and
// FUNCTION libraries under the engine lock, so nothing else runs while a
// script does. Commands a script calls go through call on the script
// client, a client without a connection whose database is the caller's;
// their writes join the caller's propagation unit (nesting > 0), so a
// script's effects, not the EVAL, are propagated, wrapped in MULTI/EXEC
// when there are several. A script that runs past busy-reply-threshold
// turns the engine busy: connection goroutines then answer BUSY without
// waiting for the lock (scripting_busy.go).

// scriptState is the engine-owned scripting state.
type scriptState struct {
	engine *script.Engine
	// client runs the commands scripts call; created on first use.
	client *client
}

func (s *Server) initScripting() {
	s.lua.engine = script.New(Version)
	s.lua.engine.Names = s.finder.Names
	s.lua.engine.Log = func(level int, msg string) {
		// The levels are in loglevel's order.
		min := slices.Index([]string{"debug", "verbose", "notice", "warning"}, s.cfg.Get("loglevel"))
		if level >= min {
			s.logf("%s", msg)
		}
	}
}

// scriptClient returns the script client, set to the caller's database.
func (s *Server) scriptClient(caller *command.Ctx) *client {
	sc := s.lua.client
	if sc == nil {
		sc = &client{s: s}
		// Redis's script client has no address ("?:0" in the slowlog)
		// and no name; MONITOR calls it "lua".
		sc.sess = command.Session{ID: -2, Addr: "?:0"}
		sc.ctx = command.Ctx{Sess: &sc.sess, KS: s.ks, DB: s.ks.DBs[0], Host: s, Conn: sc, Writer: resp.Writer{Proto: 2}, Notifying: &s.notifyMask, Prop: &s.prop.unit, NoBlock: true}
		s.lua.client = sc
	}
	sc.ctx.Select(caller.Sess.DB)
	return sc
}

// scriptCaller is the script.Caller that runs a script's commands on the
// script client, with the checks the dispatcher makes that depend on the
// server's state, and the ACL of the user who called the script.
func (s *Server) scriptCaller(caller *command.Ctx, sc *client) script.Caller {
	return func(cmd *command.Command, args [][]byte, proto int, noRepl bool) []byte {
		sc.ctx.B = sc.ctx.B[:0]
		sc.ctx.Proto = proto
		if msg := s.CheckACL(caller, cmd, args); msg != "" {
			sc.ctx.Errorf(msg)
			return sc.ctx.B
		}
		if s.masterHost != "" && cmd.Has(command.Write) {
			sc.ctx.Error(errReadOnlyReplica)
			return sc.ctx.B
		}
		if cmd.Flags&command.Write != 0 {
			if e := s.diskError(); e != "" {
				sc.ctx.Errorf(e)
				return sc.ctx.B
			}
		}
		mark := s.prop.unit.Len()
		sc.call(cmd, args)
		if noRepl {
			s.prop.unit.Truncate(mark)
		}
		return sc.ctx.B
	}
}

func (s *Server) busyThreshold() time.Duration {
	return time.Duration(s.cfg.Int("busy-reply-threshold")) * time.Millisecond
}

// feedScriptMonitors shows a script's invocation to MONITOR before the
// commands it runs, as Redis does for these skip-monitor commands.
func (s *Server) feedScriptMonitors(c *command.Ctx) {
	if cl, ok := c.Conn.(*client); ok && len(s.monitors) > 0 {
		s.monitorLine(cl, c.Cmd, c.Args)
	}
}

// Eval implements command.ScriptHost.
func (s *Server) Eval(c *command.Ctx) {
	name := c.Cmd.Name
	s.feedScriptMonitors(c)
	sc := s.scriptClient(c)
	s.lua.engine.Eval(c, s.scriptCaller(c, sc), script.EvalOptions{
		BySHA:     strings.HasPrefix(name, "evalsha"),
		ReadOnly:  strings.HasSuffix(name, "_ro"),
		Threshold: s.busyThreshold(),
	})
}

// FCall implements command.ScriptHost.
func (s *Server) FCall(c *command.Ctx) {
	s.feedScriptMonitors(c)
	sc := s.scriptClient(c)
	s.lua.engine.FCall(c, s.scriptCaller(c, sc), c.Cmd.Name == "fcall_ro", s.busyThreshold())
}

var (
	errScriptFlush = resp.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
	errScriptDebug = resp.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
)

// Script implements command.ScriptHost: the SCRIPT subcommands.
func (s *Server) Script(c *command.Ctx) {
	e := s.lua.engine
	switch c.Cmd.Name {
	case "load":
		sha, errText := e.Load(c.Args[2])
		if errText != "" {
			c.Errorf(errText)
			return
		}
		c.BulkString(sha)
	case "exists":
		c.Array(len(c.Args) - 2)
		for _, a := range c.Args[2:] {
			if e.Exists(strings.ToLower(string(a))) {
				c.Int(1)
			} else {
				c.Int(0)
			}
		}
	case "flush":
		if len(c.Args) > 3 || (len(c.Args) == 3 && !c.ArgIs(2, "sync") && !c.ArgIs(2, "async")) {
			c.Error(errScriptFlush)
			return
		}
		e.FlushScripts()
		c.OK()
	case "kill":
		// Under the engine lock no script runs.
		c.Error(script.ErrNotBusy)
	case "debug":
		switch {
		case c.ArgIs(2, "no"):
			c.OK()
		case c.ArgIs(2, "yes"), c.ArgIs(2, "sync"):
			c.Errorf("ERR SCRIPT DEBUG is not supported")
		default:
			c.Error(errScriptDebug)
		}
	case "help":
		lines := []string{
			"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"DEBUG (YES|SYNC|NO)",
			"    Set the debug mode for subsequent scripts executed.",
			"EXISTS <sha1> [<sha1> ...]",
			"    Return information about the existence of the scripts in the script cache.",
			"FLUSH [ASYNC|SYNC]",
			"    Flush the Lua scripts cache. Very dangerous on replicas.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the scripts cache.",
			"    * SYNC: Synchronously flush the scripts cache.",
			"KILL",
			"    Kill the currently executing Lua script.",
			"LOAD <script>",
			"    Load a script into the scripts cache without executing it.",
			"HELP",
			"    Prints this help.",
		}
		c.Array(len(lines))
		for _, l := range lines {
			c.Simple(l)
		}
	}
}

// Function implements command.ScriptHost: the FUNCTION subcommands.
func (s *Server) Function(c *command.Ctx) {
	e := s.lua.engine
	switch c.Cmd.Name {
	case "dump":
		var codes []string
		for _, l := range e.Libraries() {
			codes = append(codes, l.Code)
		}
		c.Bulk(rdb.DumpFunctions(codes))
	case "restore":
		s.functionRestore(c)
	default:
		e.Function(c)
	}
}

// functionRestore is FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
func (s *Server) functionRestore(c *command.Ctx) {
	e := s.lua.engine
	policy := "append"
	switch {
	case len(c.Args) == 3:
	case len(c.Args) == 4 && (c.ArgIs(3, "flush") || c.ArgIs(3, "append") || c.ArgIs(3, "replace")):
		policy = strings.ToLower(string(c.Args[3]))
	default:
		c.Errorf("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		return
	}
	codes, err := rdb.RestoreFunctions(c.Args[2])
	if err != nil {
		c.Errorf("ERR " + err.Error())
		return
	}
	if policy == "flush" {
		e.FlushFunctions()
	}
	for _, code := range codes {
		if _, errText := e.LoadLibrary(code, policy != "append"); errText != "" {
			c.Errorf(errText)
			return
		}
	}
	c.MarkDirty()
	c.OK()
}

// writeFunctions adds the function libraries to an RDB image.
func (s *Server) writeFunctions(enc *rdb.Encoder) {
	for _, l := range s.lua.engine.Libraries() {
		enc.Function([]byte(l.Code))
	}
}

// infoScripting writes INFO memory's scripting fields. gopher-lua does
// not account its heap per interpreter, so the VM figures are the sizes
// of the code the interpreter holds, not of its allocations.
func (s *Server) infoScripting(b *strings.Builder) {
	e := s.lua.engine
	n, evalBytes := e.ScriptsMemory()
	funcs, funcBytes := e.FunctionsMemory()
	vm := uint64(evalBytes + funcBytes)
	field(b, "used_memory_lua", evalBytes)
	field(b, "used_memory_vm_eval", evalBytes)
	field(b, "used_memory_lua_human", humanBytes(uint64(evalBytes)))
	field(b, "used_memory_scripts_eval", evalBytes)
	field(b, "number_of_cached_scripts", n)
	field(b, "number_of_functions", funcs)
	field(b, "used_memory_vm_functions", funcBytes)
	field(b, "used_memory_vm_total", vm)
	field(b, "used_memory_vm_total_human", humanBytes(vm))
	field(b, "used_memory_functions", funcBytes)
	field(b, "used_memory_scripts", vm)
	field(b, "used_memory_scripts_human", humanBytes(vm))
}
