package command

import (
	"net"
	"strings"

	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/resp"
)

// configCommands lists CONFIG's subcommands in the order COMMAND INFO
// shows them in Redis 7.0.
var configCommands = []*Command{
	{Name: "config", Arity: -2, ACL: CatSlow, Group: "server", Since: "2.0.0", Summary: "A container for server configuration commands.", Sub: []*Command{
		{Name: "rewrite", Fn: configRewrite, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.8.0", Summary: "Persists the effective configuration to file."},
		{Name: "get", Fn: configGet, Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.0.0", Summary: "Returns the effective values of configuration parameters."},
		{Name: "set", Fn: configSet, Arity: -4, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.0.0", Summary: "Sets configuration parameters in-flight."},
		{Name: "resetstat", Fn: configResetStat, Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Since: "2.0.0", Summary: "Resets the server's statistics."},
		{Name: "help", Fn: configHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow, Since: "5.0.0", Summary: "Returns helpful text about the different subcommands."},
	}},
}

var errNoConfigFile = resp.Error("ERR The server is running without a config file")

// configGet replies with a map of every parameter the arguments name or
// match.
func configGet(c *Ctx) {
	args := make([]string, len(c.Args)-2)
	for i, a := range c.Args[2:] {
		args[i] = string(a)
	}
	pairs := c.Host.Config().Query(args)
	c.Map(len(pairs))
	for _, p := range pairs {
		c.BulkString(p[0])
		c.BulkString(p[1])
	}
}

// configSet sets every pair or none.
func configSet(c *Ctx) {
	if (len(c.Args)-2)%2 != 0 {
		c.Error(ErrSyntax)
		return
	}
	pairs := make([][2]string, 0, (len(c.Args)-2)/2)
	for i := 2; i+1 < len(c.Args); i += 2 {
		pairs = append(pairs, [2]string{string(c.Args[i]), string(c.Args[i+1])})
	}
	if err := c.Host.Config().SetMany(pairs, false, isLocal(c.Sess)); err != nil {
		c.Errorf("ERR " + err.Error())
		return
	}
	c.OK()
}

// isLocal reports whether the client is on a loopback address or a unix
// socket, for enable-protected-configs local.
func isLocal(s *Session) bool {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil || strings.HasPrefix(host, "/") {
		// A unix socket peer ("/path:0").
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func configResetStat(c *Ctx) {
	c.Host.ResetStats()
	c.OK()
}

func configRewrite(c *Ctx) {
	cfg := c.Host.Config()
	if cfg.File == "" {
		c.Error(errNoConfigFile)
		return
	}
	if err := cfg.Rewrite(cfg.File); err != nil {
		c.Errorf("ERR Rewriting config file: " + config.RewriteError(err))
		return
	}
	c.OK()
}

func configHelp(c *Ctx) {
	lines := []string{
		"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}
