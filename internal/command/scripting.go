package command

import "github.com/respd/respd/internal/resp"

// ScriptHost is the server's side of scripting: the Lua engine lives in
// the server, which alone can run commands on a script's behalf. The
// handlers below only route to it.
type ScriptHost interface {
	// Eval runs EVAL, EVALSHA and their _RO forms (by c.Cmd.Name).
	Eval(c *Ctx)
	// FCall runs FCALL and FCALL_RO.
	FCall(c *Ctx)
	// Script runs a SCRIPT subcommand, Function a FUNCTION subcommand.
	Script(c *Ctx)
	Function(c *Ctx)
}

var errNoScripting = resp.Error("ERR scripting is not available")

// scripting routes a handler to the host's ScriptHost.
func scripting(fn func(h ScriptHost, c *Ctx)) func(*Ctx) {
	return func(c *Ctx) {
		h, ok := c.Host.(ScriptHost)
		if !ok {
			c.Error(errNoScripting)
			return
		}
		fn(h, c)
	}
}

var (
	runEval     = scripting(ScriptHost.Eval)
	runFCall    = scripting(ScriptHost.FCall)
	runScript   = scripting(ScriptHost.Script)
	runFunction = scripting(ScriptHost.Function)
)

const scriptFlags = NoScript | Stale | SkipMonitor | NoMandatoryKeys | Long

var scriptingCommands = []*Command{
	{Name: "eval", Fn: runEval, Arity: -3, Flags: scriptFlags, ACL: CatSlow | CatScripting, Group: "scripting", Since: "2.6.0", Summary: "Executes a server-side Lua script."},
	{Name: "evalsha", Fn: runEval, Arity: -3, Flags: scriptFlags, ACL: CatSlow | CatScripting, Group: "scripting", Since: "2.6.0", Summary: "Executes a server-side Lua script by SHA1 digest."},
	{Name: "eval_ro", Fn: runEval, Arity: -3, Flags: scriptFlags | ReadOnly, ACL: CatSlow | CatScripting, Group: "scripting", Since: "7.0.0", Summary: "Executes a read-only server-side Lua script."},
	{Name: "evalsha_ro", Fn: runEval, Arity: -3, Flags: scriptFlags | ReadOnly, ACL: CatSlow | CatScripting, Group: "scripting", Since: "7.0.0", Summary: "Executes a read-only server-side Lua script by SHA1 digest."},
	{Name: "fcall", Fn: runFCall, Arity: -3, Flags: scriptFlags, ACL: CatSlow | CatScripting, Group: "scripting", Since: "7.0.0", Summary: "Invokes a function."},
	{Name: "fcall_ro", Fn: runFCall, Arity: -3, Flags: scriptFlags | ReadOnly, ACL: CatSlow | CatScripting, Group: "scripting", Since: "7.0.0", Summary: "Invokes a read-only function."},
	{Name: "script", Arity: -2, ACL: CatSlow, Group: "scripting", Since: "2.6.0", Summary: "A container for Lua scripts management commands.", Sub: []*Command{
		{Name: "load", Fn: runScript, Arity: 3, Flags: NoScript | Stale, ACL: CatSlow | CatScripting, Since: "2.6.0", Summary: "Loads a server-side Lua script to the script cache."},
		{Name: "exists", Fn: runScript, Arity: -3, Flags: NoScript, ACL: CatSlow | CatScripting, Since: "2.6.0", Summary: "Determines whether server-side Lua scripts exist in the script cache."},
		{Name: "flush", Fn: runScript, Arity: -2, Flags: NoScript, ACL: CatSlow | CatScripting, Since: "2.6.0", Summary: "Removes all server-side Lua scripts from the script cache."},
		{Name: "kill", Fn: runScript, Arity: 2, Flags: NoScript | AllowBusy, ACL: CatSlow | CatScripting, Since: "2.6.0", Summary: "Terminates a server-side Lua script during execution."},
		{Name: "debug", Fn: runScript, Arity: 3, Flags: NoScript, ACL: CatSlow | CatScripting, Since: "3.2.0", Summary: "Sets the debug mode of server-side Lua scripts."},
		{Name: "help", Fn: runScript, Arity: 2, Flags: Loading | Stale, ACL: CatSlow | CatScripting, Since: "5.0.0", Summary: "Returns helpful text about the different subcommands."},
	}},
	{Name: "function", Arity: -2, ACL: CatSlow, Group: "scripting", Since: "7.0.0", Summary: "A container for function commands.", Sub: []*Command{
		{Name: "load", Fn: runFunction, Arity: -3, Flags: Write | DenyOOM | NoScript, ACL: CatWrite | CatSlow | CatScripting, Since: "7.0.0", Summary: "Creates a library."},
		{Name: "delete", Fn: runFunction, Arity: 3, Flags: Write | NoScript, ACL: CatWrite | CatSlow | CatScripting, Since: "7.0.0", Summary: "Deletes a library and its functions."},
		{Name: "list", Fn: runFunction, Arity: -2, Flags: NoScript, ACL: CatSlow | CatScripting, Since: "7.0.0", Summary: "Returns information about all libraries."},
		{Name: "dump", Fn: runFunction, Arity: 2, Flags: NoScript, ACL: CatSlow | CatScripting, Since: "7.0.0", Summary: "Dumps all libraries into a serialized binary payload."},
		{Name: "restore", Fn: runFunction, Arity: -3, Flags: Write | DenyOOM | NoScript, ACL: CatWrite | CatSlow | CatScripting, Since: "7.0.0", Summary: "Restores all libraries from a payload."},
		{Name: "flush", Fn: runFunction, Arity: -2, Flags: Write | NoScript, ACL: CatWrite | CatSlow | CatScripting, Since: "7.0.0", Summary: "Deletes all libraries and functions."},
		{Name: "kill", Fn: runFunction, Arity: 2, Flags: NoScript | AllowBusy, ACL: CatSlow | CatScripting, Since: "7.0.0", Summary: "Terminates a function during execution."},
		{Name: "stats", Fn: runFunction, Arity: 2, Flags: NoScript | AllowBusy, ACL: CatSlow | CatScripting, Since: "7.0.0", Summary: "Returns information about a function during execution."},
		{Name: "help", Fn: runFunction, Arity: 2, Flags: Loading | Stale, ACL: CatSlow | CatScripting, Since: "7.0.0", Summary: "Returns helpful text about the different subcommands."},
	}},
}
