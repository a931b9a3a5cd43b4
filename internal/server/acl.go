package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/respd/respd/internal/acl"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/pubsub"
	"github.com/respd/respd/internal/resp"
)

// ACL glue: the users (package acl), authentication, the permission
// check the dispatcher runs, ACL LOG, and the ACL commands that need the
// server. Network clients start as the default user, authenticated when
// it needs no password; internal clients (AOF loading, the master link)
// have no user and are never checked, as Redis's master client.

var (
	errNoAuth    = "NOAUTH Authentication required."
	errWrongPass = resp.Error("WRONGPASS invalid username-password pair or user is disabled.")
	errNoACLFile = resp.Error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.")
)

// protectedText is the reply to a non-loopback connection in protected
// mode, word for word Redis 7.0's.
const protectedText = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// initACL sets up the users from the aclfile or redis.conf's user lines,
// and keeps requirepass and acl-pubsub-default applied.
func (s *Server) initACL() error {
	s.users = acl.NewUsers()
	s.cfg.OnChange("acl-pubsub-default", func(v string) { s.users.PubsubAll = v == "allchannels" })
	file := s.cfg.Get("aclfile")
	if file != "" && len(s.cfg.Users) > 0 {
		return errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	// requirepass sets the default user's password first; user lines and
	// the ACL file then take over, as in Redis.
	s.cfg.OnChange("requirepass", func(v string) {
		if v != "" || s.aclReady {
			s.users.SetRequirePass(v)
		}
	})
	if len(s.cfg.Users) > 0 {
		if err := s.users.LoadConfigUsers(s.cfg.Users); err != nil {
			return err
		}
	}
	if file != "" {
		lines, err := readACLFile(file)
		if err != nil {
			return err
		}
		users, err := acl.Load(lines, file, s.users.PubsubAll)
		if err != nil {
			return err
		}
		s.users.Replace(users)
	}
	s.aclReady = true
	s.cfg.UserLines = s.users.Lines
	return nil
}

// readACLFile reads an ACL file's lines split into words (nil for blank
// and comment lines).
func readACLFile(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", path, strerror(err))
	}
	var lines [][]string
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			lines = append(lines, nil)
			continue
		}
		words, ok := config.SplitArgs(l)
		if !ok {
			return nil, fmt.Errorf("%s:%d: unbalanced quotes in acl line. WARNING: ACL errors detected, no change to the previously active ACL rules was performed", path, i+1)
		}
		lines = append(lines, words)
	}
	return lines, nil
}

// strerror words a file error as C's strerror does ("No such file or
// directory").
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	msg := errno.Error()
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg
}

// defaultAuth puts c back to the default user, authenticated only when
// that needs no password (new connections, RESET).
func (c *client) defaultAuth() {
	d := c.s.users.Default
	c.user = d
	c.sess.User = d
	c.sess.Authenticated = !d.RequiresPassword()
}

// setUser makes c authenticated as u.
func (c *client) setUser(u *acl.User) {
	c.user = u
	c.sess.User = u
	c.sess.Authenticated = true
}

// userName is the name CLIENT LIST and ACL LOG show.
func (c *client) userName() string {
	if c.user == nil {
		return "(superuser)"
	}
	return c.user.Name
}

// admit reports whether a new connection passes protected mode: while
// it is on and the default user has no password, only loopback peers
// are served.
func (s *Server) admit(c *client) bool {
	if s.cfg.Get("protected-mode") != "yes" || !s.users.Default.NoPass {
		return true
	}
	return isLoopback(c.conn.RemoteAddr().String())
}

// isLoopback reports whether a peer address is local: a loopback IP
// (IPv4-mapped ones too) or not an IP address at all (a Unix socket).
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || ip.Unmap().IsLoopback()
}

// checkAuth is the dispatcher's NOAUTH and ACL step: false when it
// rejected the command.
func (c *client) checkAuth(cmd *command.Command, args [][]byte) bool {
	u := c.user
	if u == nil {
		return true
	}
	if !c.sess.Authenticated && !cmd.Has(command.NoAuth) && c.s.users.Default.RequiresPassword() {
		c.reject(cmd, errNoAuth)
		return false
	}
	if u.AllowsAll() {
		return true
	}
	res, pos := u.Check(cmd, args)
	if res == acl.OK {
		return true
	}
	ctxName := "toplevel"
	if c.multi != nil {
		ctxName = "multi"
	}
	c.s.logDenial(c, res, ctxName, cmd, args, pos)
	c.reject(cmd, acl.ErrorText(res, cmd))
	return false
}

// logDenial adds an ACL LOG entry for a refused command.
func (s *Server) logDenial(c *client, res acl.Result, ctxName string, cmd *command.Command, args [][]byte, pos int) {
	obj := cmd.FullName()
	if res == acl.DeniedKey || res == acl.DeniedChannel {
		obj = string(args[pos])
	}
	s.addLog(c, acl.ReasonName(res), ctxName, obj, c.userName())
}

func (s *Server) addLog(c *client, reason, ctxName, obj, user string) {
	info := c.appendInfo(nil, time.Now().UnixMilli(), s.ks.Now())
	info = info[:len(info)-1]
	s.aclLog.Add(acl.LogEntry{Reason: reason, Context: ctxName, Object: obj, Username: user,
		CtimeMs: time.Now().UnixMilli(), ClientInfo: string(info)}, int(s.cfg.Int("acllog-max-len")))
}

// CheckACL implements command.Host for scripts.
func (s *Server) CheckACL(ctx *command.Ctx, cmd *command.Command, args [][]byte) string {
	c, ok := ctx.Conn.(*client)
	if !ok || c.user == nil || c.user.AllowsAll() {
		return ""
	}
	res, pos := c.user.Check(cmd, args)
	if res == acl.OK {
		return ""
	}
	s.logDenial(c, res, "lua", cmd, args, pos)
	switch res {
	case acl.DeniedKey:
		return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
	case acl.DeniedChannel:
		return "ERR The user executing the script can't publish to the channel mentioned in the command"
	}
	return "ERR The user executing the script can't run this command or subcommand"
}

// superuser exempts c from authentication and the ACL, as Redis's
// master client is: for the replication link's client.
func (c *client) superuser() {
	c.user = nil
	c.sess.User = nil
	c.sess.Authenticated = true
}

// ACLUserExists implements command.Host.
func (s *Server) ACLUserExists(name string) bool { return s.users.Get(name) != nil }

// Authenticate implements command.Conn (HELLO AUTH).
func (c *client) Authenticate(ctx *command.Ctx, user, password []byte) bool {
	u := c.s.users.Get(string(user))
	if u == nil || !u.CheckPassword(password) {
		c.s.addLog(c, "auth", "toplevel", "AUTH", string(user))
		return false
	}
	c.setUser(u)
	return true
}

// ACL implements command.Conn: AUTH and the ACL subcommands.
func (c *client) ACL(ctx *command.Ctx) {
	s := c.s
	args := ctx.Args
	switch ctx.Cmd.FullName() {
	case "auth":
		if len(args) > 3 {
			ctx.Error(command.ErrSyntax)
			return
		}
		user, pass := []byte("default"), args[1]
		if len(args) == 3 {
			user, pass = args[1], args[2]
		} else if s.users.Default.NoPass {
			ctx.Errorf("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
		if !c.Authenticate(ctx, user, pass) {
			ctx.Error(errWrongPass)
			return
		}
		ctx.OK()
	case "acl|whoami":
		ctx.BulkString(c.userName())
	case "acl|users":
		names := s.users.Names()
		ctx.Array(len(names))
		for _, n := range names {
			ctx.BulkString(n)
		}
	case "acl|list":
		lines := s.users.Lines()
		ctx.Array(len(lines))
		for _, l := range lines {
			ctx.BulkString(l)
		}
	case "acl|setuser":
		s.aclSetUser(ctx)
	case "acl|getuser":
		s.aclGetUser(ctx)
	case "acl|deluser":
		s.aclDelUser(ctx, c)
	case "acl|dryrun":
		s.aclDryRun(ctx)
	case "acl|log":
		s.aclLogCommand(ctx)
	case "acl|save":
		s.aclSave(ctx)
	case "acl|load":
		s.aclLoad(ctx, c)
	}
}

func (s *Server) aclSetUser(ctx *command.Ctx) {
	ops := make([]string, 0, len(ctx.Args)-3)
	for _, a := range ctx.Args[3:] {
		ops = append(ops, string(a))
	}
	u, err := s.users.SetUser(string(ctx.Args[2]), ops)
	if err != nil {
		ctx.Errorf("ERR " + err.Error())
		return
	}
	s.killRevokedSubscribers(u, ctx.Conn.(*client))
	ctx.OK()
}

// killRevokedSubscribers disconnects u's clients subscribed to channels
// u may no longer access, as Redis does after an ACL change.
func (s *Server) killRevokedSubscribers(u *acl.User, self *client) {
	for _, c := range s.selected(&command.ClientFilter{}) {
		if c.user != u || c.sess.Subs == 0 {
			continue
		}
		chans := append(slices.Clone(c.subscribed(pubsub.Channel)), c.subscribed(pubsub.Shard)...)
		if !u.ChannelsAllowed(chans, c.subscribed(pubsub.Pattern)) {
			s.closeClient(c, self)
		}
	}
}

// closeClient disconnects c; the client running the current command is
// closed after its reply instead.
func (s *Server) closeClient(c, self *client) {
	if c == self {
		c.sess.CloseAfterReply = true
		return
	}
	s.kill(c)
}

func (s *Server) aclGetUser(ctx *command.Ctx) {
	u := s.users.Get(string(ctx.Args[2]))
	if u == nil {
		ctx.Null()
		return
	}
	ctx.Map(6)
	ctx.BulkString("flags")
	flags := u.Flags()
	ctx.Set(len(flags))
	for _, f := range flags {
		ctx.BulkString(f)
	}
	ctx.BulkString("passwords")
	ctx.Array(len(u.Passwords()))
	for _, p := range u.Passwords() {
		ctx.BulkString(p)
	}
	writeSelector(ctx, u.Root())
	ctx.BulkString("selectors")
	ctx.Array(len(u.Selectors()))
	for _, sel := range u.Selectors() {
		ctx.Map(3)
		writeSelector(ctx, sel)
	}
}

func writeSelector(ctx *command.Ctx, sel *acl.Selector) {
	ctx.BulkString("commands")
	ctx.BulkString(sel.Commands())
	ctx.BulkString("keys")
	ctx.BulkString(sel.Keys())
	ctx.BulkString("channels")
	ctx.BulkString(sel.Channels())
}

func (s *Server) aclDelUser(ctx *command.Ctx, self *client) {
	for _, a := range ctx.Args[2:] {
		if string(a) == "default" {
			ctx.Errorf("ERR The 'default' user cannot be removed")
			return
		}
	}
	n := 0
	for _, a := range ctx.Args[2:] {
		u := s.users.Delete(string(a))
		if u == nil {
			continue
		}
		n++
		for _, c := range s.selected(&command.ClientFilter{}) {
			if c.user == u {
				s.closeClient(c, self)
			}
		}
	}
	ctx.Int(int64(n))
}

func (s *Server) aclDryRun(ctx *command.Ctx) {
	u := s.users.Get(string(ctx.Args[2]))
	if u == nil {
		ctx.Errorf("ERR User '" + string(ctx.Args[2]) + "' not found")
		return
	}
	args := ctx.Args[3:]
	cmd, errText := s.finder.Names.Lookup(args)
	if cmd == nil {
		ctx.Errorf("ERR Command '" + string(args[0]) + "' not found")
		return
	}
	if errText != "" {
		ctx.Errorf(errText)
		return
	}
	res, pos := u.Check(cmd, args)
	switch res {
	case acl.OK:
		ctx.OK()
	case acl.DeniedKey:
		ctx.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' key")
	case acl.DeniedChannel:
		ctx.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' channel")
	default:
		ctx.BulkString("This user has no permissions to run the '" + cmd.FullName() + "' command")
	}
}

func (s *Server) aclLogCommand(ctx *command.Ctx) {
	count := int64(10)
	switch {
	case len(ctx.Args) > 3:
		command.ACLSubArity(ctx)
		return
	case len(ctx.Args) == 3 && ctx.ArgIs(2, "reset"):
		s.aclLog.Reset()
		ctx.OK()
		return
	case len(ctx.Args) == 3:
		n, ok := resp.ParseInt(ctx.Args[2])
		if !ok {
			ctx.Error(command.ErrNotInt)
			return
		}
		count = max(n, 0)
	}
	entries := s.aclLog.Entries
	if int64(len(entries)) > count {
		entries = entries[:count]
	}
	now := time.Now().UnixMilli()
	ctx.Array(len(entries))
	for _, e := range entries {
		ctx.Map(7)
		ctx.BulkString("count")
		ctx.Int(e.Count)
		ctx.BulkString("reason")
		ctx.BulkString(e.Reason)
		ctx.BulkString("context")
		ctx.BulkString(e.Context)
		ctx.BulkString("object")
		ctx.BulkString(e.Object)
		ctx.BulkString("username")
		ctx.BulkString(e.Username)
		ctx.BulkString("age-seconds")
		ctx.Double(float64(now-e.CtimeMs) / 1000)
		ctx.BulkString("client-info")
		ctx.BulkString(e.ClientInfo)
	}
}

func (s *Server) aclSave(ctx *command.Ctx) {
	file := s.cfg.Get("aclfile")
	if file == "" {
		ctx.Error(errNoACLFile)
		return
	}
	data := strings.Join(s.users.Lines(), "\n") + "\n"
	tmp := file + ".tmp-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		ctx.Errorf("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		ctx.Errorf("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	ctx.OK()
}

func (s *Server) aclLoad(ctx *command.Ctx, self *client) {
	file := s.cfg.Get("aclfile")
	if file == "" {
		ctx.Error(errNoACLFile)
		return
	}
	lines, err := readACLFile(file)
	if err != nil {
		ctx.Errorf("ERR " + err.Error())
		return
	}
	users, err := acl.Load(lines, file, s.users.PubsubAll)
	if err != nil {
		ctx.Errorf("ERR " + err.Error())
		return
	}
	gone := s.users.Replace(users)
	for _, c := range s.selected(&command.ClientFilter{}) {
		if c.user != nil && slices.Contains(gone, c.user) {
			s.closeClient(c, self)
		}
	}
	ctx.OK()
}

// recheckACL checks a queued command again at EXEC, in case the rules
// changed since it was queued; a refusal is that command's reply.
func (c *client) recheckACL(cmd *command.Command, args [][]byte) bool {
	u := c.user
	if u == nil || u.AllowsAll() {
		return true
	}
	res, pos := u.Check(cmd, args)
	if res == acl.OK {
		return true
	}
	c.s.logDenial(c, res, "multi", cmd, args, pos)
	reason := "no permission to execute the command or subcommand"
	switch res {
	case acl.DeniedKey:
		reason = "no permission to touch the specified keys"
	case acl.DeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	}
	c.ctx.Errorf("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason)
	return false
}
