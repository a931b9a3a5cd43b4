package tests

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/config"
	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/server"
	"github.com/respd/respd/internal/servertest"
)

func expectReply(t *testing.T, c *servertest.Conn, want string, args ...string) {
	t.Helper()
	if r := c.Do(args...); r != want {
		t.Fatalf("%v: got %q, want %q", args, r, want)
	}
}

// requirepass makes the default user need a password: NOAUTH before
// AUTH, except for the commands allowed unauthenticated.
func TestACLRequirePass(t *testing.T) {
	in := servertest.Start(t, "--requirepass", "secret")
	c := in.Raw(t)
	expectReply(t, c, "-NOAUTH Authentication required.\r\n", "PING")
	expectReply(t, c, "-NOAUTH Authentication required.\r\n", "ACL", "WHOAMI")
	// Lookup and arity errors come first.
	expectReply(t, c, "-ERR wrong number of arguments for 'get' command\r\n", "GET")
	expectReply(t, c, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n", "HELLO", "2")
	expectReply(t, c, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "nope")
	expectReply(t, c, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO", "2", "AUTH", "default", "nope")
	expectReply(t, c, "+OK\r\n", "AUTH", "secret")
	expectReply(t, c, "+PONG\r\n", "PING")
	if r := c.Do("ACL", "LIST"); !strings.Contains(r, "user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all") {
		t.Fatalf("ACL LIST: %q", r)
	}

	h := in.Raw(t)
	if r := h.Do("HELLO", "3", "AUTH", "default", "secret"); !strings.HasPrefix(r, "%7\r\n") {
		t.Fatalf("HELLO AUTH: %q", r)
	}
	expectReply(t, h, "+PONG\r\n", "PING")

	ctx := context.Background()
	good := redis.NewClient(&redis.Options{Addr: in.Addr, Password: "secret", Protocol: 2, DisableIdentity: true})
	defer good.Close()
	if err := good.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	// CONFIG SET requirepass changes the default user; clients already
	// authenticated stay so, new ones follow the new setting.
	expectReply(t, c, "+OK\r\n", "CONFIG", "SET", "requirepass", "")
	fresh := in.Raw(t)
	expectReply(t, fresh, "+PONG\r\n", "PING")
	expectReply(t, fresh, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", "AUTH", "x")
	expectReply(t, c, "+OK\r\n", "CONFIG", "SET", "requirepass", "two")
	expectReply(t, fresh, "+PONG\r\n", "PING")
	later := in.Raw(t)
	expectReply(t, later, "-NOAUTH Authentication required.\r\n", "GET", "k")
	expectReply(t, later, "+OK\r\n", "AUTH", "default", "two")
	expectReply(t, later, "$1\r\nv\r\n", "GET", "k")
	// RESET logs the client out again.
	expectReply(t, later, "+RESET\r\n", "RESET")
	expectReply(t, later, "-NOAUTH Authentication required.\r\n", "GET", "k")
}

// Users made by ACL SETUSER: NOPERM replies through go-redis, the ACL
// LOG entries they leave, CLIENT LIST's user field, and DELUSER
// disconnecting the user's clients.
func TestACLUsersLive(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	admin := in.Client(t)
	if err := admin.Do(ctx, "ACL", "SETUSER", "alice", "on", ">pw", "~a*", "&news", "+get", "+set", "+publish", "+client|info", "+acl|whoami").Err(); err != nil {
		t.Fatal(err)
	}
	alice := redis.NewClient(&redis.Options{Addr: in.Addr, Username: "alice", Password: "pw", Protocol: 2, DisableIdentity: true})
	defer alice.Close()
	if err := alice.Set(ctx, "a1", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := alice.Get(ctx, "b").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to access one of the keys used as arguments" {
		t.Fatalf("GET b: %v", err)
	}
	if err := alice.Incr(ctx, "a1").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to run the 'incr' command" {
		t.Fatalf("INCR: %v", err)
	}
	if err := alice.Publish(ctx, "sports", "x").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to access one of the channels used as arguments" {
		t.Fatalf("PUBLISH: %v", err)
	}
	if err := alice.Publish(ctx, "news", "x").Err(); err != nil {
		t.Fatal(err)
	}
	info, err := alice.Do(ctx, "CLIENT", "INFO").Text()
	if err != nil || !strings.Contains(info, " user=alice ") {
		t.Fatalf("CLIENT INFO: %q %v", info, err)
	}

	entries, err := admin.Do(ctx, "ACL", "LOG").Slice()
	if err != nil || len(entries) != 3 {
		t.Fatalf("ACL LOG: %v %v", entries, err)
	}
	want := []struct{ reason, object string }{{"channel", "sports"}, {"command", "incr"}, {"key", "b"}}
	for i, e := range entries {
		f := map[string]any{}
		kv := e.([]any)
		for j := 0; j+1 < len(kv); j += 2 {
			f[kv[j].(string)] = kv[j+1]
		}
		if f["reason"] != want[i].reason || f["object"] != want[i].object || f["username"] != "alice" ||
			f["context"] != "toplevel" || f["count"] != int64(1) || !strings.Contains(f["client-info"].(string), " user=alice ") {
			t.Fatalf("entry %d: %v", i, f)
		}
	}
	// A repeat is counted on the same entry, which moves to the front.
	alice.Get(ctx, "b")
	e0, _ := admin.Do(ctx, "ACL", "LOG", "1").Slice()
	if kv := e0[0].([]any); kv[1] != int64(2) || kv[7] != "b" {
		t.Fatalf("grouped entry: %v", kv)
	}
	// A failed AUTH is logged with the user name it tried.
	raw := in.Raw(t)
	expectReply(t, raw, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "alice", "bad")
	e0, _ = admin.Do(ctx, "ACL", "LOG", "1").Slice()
	if kv := e0[0].([]any); kv[3] != "auth" || kv[7] != "AUTH" || kv[9] != "alice" {
		t.Fatalf("auth entry: %v", kv)
	}
	expectReply(t, raw, "+OK\r\n", "AUTH", "alice", "pw")
	expectReply(t, raw, "$5\r\nalice\r\n", "ACL", "WHOAMI")
	if n, err := admin.Do(ctx, "ACL", "DELUSER", "alice").Int(); err != nil || n != 1 {
		t.Fatalf("DELUSER: %d %v", n, err)
	}
	expectClosed(t, raw)
	// A user deleting itself gets its reply, then is disconnected.
	self := in.Raw(t)
	expectReply(t, self, "+OK\r\n", "ACL", "SETUSER", "carol", "on", "nopass", "+@all", "~*")
	expectReply(t, self, "+OK\r\n", "AUTH", "carol", "x")
	expectReply(t, self, ":1\r\n", "ACL", "DELUSER", "carol")
	expectClosed(t, self)
	if err := admin.Do(ctx, "ACL", "LOG", "RESET").Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := admin.Do(ctx, "ACL", "LOG").Slice(); len(n) != 0 {
		t.Fatalf("log after RESET: %v", n)
	}
}

// Revoking a subscriber's channels disconnects it.
func TestACLRevokedSubscriber(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	expectReply(t, admin, "+OK\r\n", "ACL", "SETUSER", "sub", "on", "nopass", "+@all", "&news*")
	s := in.Raw(t)
	expectReply(t, s, "+OK\r\n", "AUTH", "sub", "x")
	if r := s.Do("SUBSCRIBE", "news1"); !strings.Contains(r, "news1") {
		t.Fatalf("SUBSCRIBE: %q", r)
	}
	expectReply(t, admin, "+OK\r\n", "ACL", "SETUSER", "sub", "resetchannels", "&other")
	expectClosed(t, s)
}

// user directives in the configuration, and an ACL file with SAVE and
// LOAD.
func TestACLUserDirectivesAndFile(t *testing.T) {
	// A default user line overrides requirepass, starting from reset.
	in := servertest.Start(t, "--requirepass", "foo", "--user", "bob", "on", ">pw", "~*", "+@all", "--user", "default", "on", "nopass", "~*", "&*", "+@all")
	c := in.Raw(t)
	expectReply(t, c, "*2\r\n$100\r\nuser bob on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* resetchannels +@all\r\n$51\r\nuser default on nopass sanitize-payload ~* &* +@all\r\n", "ACL", "LIST")
	expectReply(t, c, "+OK\r\n", "AUTH", "bob", "pw")
	in = servertest.Start(t, "--requirepass", "foo", "--user", "bob", "on")
	expectReply(t, in.Raw(t), "-NOAUTH Authentication required.\r\n", "PING")

	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(file, []byte("user default on nopass ~* &* +@all\nuser eve on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~e* resetchannels -@all +get\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in2 := servertest.Start(t, "--aclfile", file)
	a := in2.Raw(t)
	if r := a.Do("ACL", "LIST"); r != "*2\r\n$34\r\nuser default on nopass ~* &* +@all\r\n$106\r\nuser eve on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~e* resetchannels -@all +get\r\n" {
		t.Fatalf("ACL LIST: %q", r)
	}
	e := in2.Raw(t)
	expectReply(t, e, "+OK\r\n", "AUTH", "eve", "a")
	expectReply(t, a, "+OK\r\n", "ACL", "SETUSER", "frank", "on", ">x", "+ping")
	expectReply(t, a, "+OK\r\n", "ACL", "SAVE")
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), "user frank on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 resetchannels -@all +ping\n") {
		t.Fatalf("saved file: %q %v", data, err)
	}
	if err := os.WriteFile(file, []byte("user default on nopass ~* &* +@all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("user default on nopass ~* &* +@all\nuser x foo\nuser x on\nbad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectReply(t, a, "-ERR "+file+":2: Syntax error. WARNING: Duplicate user 'x' found on line 3. "+file+":4 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n", "ACL", "LOAD")
	if err := os.WriteFile(file, []byte("user default on nopass ~* &* +@all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectReply(t, a, "+OK\r\n", "ACL", "LOAD")
	expectReply(t, a, "*1\r\n$7\r\ndefault\r\n", "ACL", "USERS")
	// eve no longer exists: her connection is closed.
	expectClosed(t, e)

	os.Remove(file)
	expectReply(t, a, "-ERR Error loading ACLs, opening file '"+file+"': No such file or directory\r\n", "ACL", "LOAD")
	if err := servertest.StartErr(t, "--aclfile", file); err == nil || err.Error() != "Error loading ACLs, opening file '"+file+"': No such file or directory" {
		t.Fatalf("start with a missing aclfile: %v", err)
	}
	if err := servertest.StartErr(t, "--aclfile", file, "--user", "x", "on"); err == nil {
		t.Fatal("aclfile and user directives together were accepted")
	}
}

// nonLoopback returns an address of this machine that is not loopback.
func nonLoopback(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			return ip.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address")
	return ""
}

func startOn(t *testing.T, host string, args ...string) string {
	cfg := config.New()
	_, lines, err := config.ParseArgs(append([]string{"--dir", t.TempDir()}, args...))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Apply(lines, "test"); err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(cfg, server.Options{Addr: net.JoinHostPort(host, "0")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr().String()
}

// Protected mode turns away connections from other hosts while the
// default user has no password, with Redis's DENIED text.
func TestProtectedMode(t *testing.T) {
	ip := nonLoopback(t)
	read := func(addr string, send string) string {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if send != "" {
			conn.Write([]byte(send))
		}
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(conn)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
		return string(b)
	}
	addr := startOn(t, ip)
	if got := read(addr, ""); !strings.HasPrefix(got, "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface.") || !strings.HasSuffix(got, "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n") {
		t.Fatalf("protected mode reply: %q", got)
	}
	// With a password, or protected mode off, the connection is served.
	addr = startOn(t, ip, "--requirepass", "x")
	if got := read(addr, "PING\r\nQUIT\r\n"); got != "-NOAUTH Authentication required.\r\n+OK\r\n" {
		t.Fatalf("with requirepass: %q", got)
	}
	addr = startOn(t, ip, "--protected-mode", "no")
	if got := read(addr, "PING\r\nQUIT\r\n"); got != "+PONG\r\n+OK\r\n" {
		t.Fatalf("protected-mode no: %q", got)
	}
}

// CONFIG REWRITE writes the live users as user lines, which the next
// start reads back.
func TestACLConfigRewrite(t *testing.T) {
	bin := buildRespd(t)
	dir := t.TempDir()
	port := oracle.FreePort(t)
	conf := filepath.Join(dir, "respd.conf")
	writeFile(t, conf, "port "+strconv.Itoa(port)+"\n")
	p, c := runRespd(t, bin, port, conf, "--dir", dir)
	ctx := context.Background()
	if err := c.Do(ctx, "ACL", "SETUSER", "zed", "on", ">p", "~z*", "+get").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nuser default on nopass ~* &* +@all\nuser zed on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~z* resetchannels -@all +get\n") {
		t.Fatalf("rewritten file:\n%s", data)
	}
	p.stop()
	runRespd(t, bin, port, conf)
	zed := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Username: "zed", Password: "p", Protocol: 2, DisableIdentity: true})
	defer zed.Close()
	if err := zed.Get(ctx, "zz").Err(); err != redis.Nil {
		t.Fatalf("GET zz as zed: %v", err)
	}
	if err := zed.Get(ctx, "a").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("GET a as zed: %v", err)
	}
}

// MONITOR hides the passwords of AUTH and HELLO AUTH.
func TestACLMonitorRedacts(t *testing.T) {
	in := servertest.Start(t)
	mon := in.Raw(t)
	expectReply(t, mon, "+OK\r\n", "MONITOR")
	c := in.Raw(t)
	expectReply(t, c, "+OK\r\n", "AUTH", "default", "secret")
	if r := c.Do("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n"); !strings.HasPrefix(r, "*14\r\n") {
		t.Fatalf("HELLO: %q", r)
	}
	for _, want := range []string{`"AUTH" "(redacted)" "(redacted)"`, `"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "n"`} {
		if line := mon.Read(); !strings.HasSuffix(line, "] "+want+"\r\n") {
			t.Fatalf("monitor line %q, want ...%s", line, want)
		}
	}
}

// A command refused inside MULTI is logged with context "multi" and
// makes EXEC abort.
func TestACLMultiContext(t *testing.T) {
	in := servertest.Start(t)
	admin := in.Raw(t)
	expectReply(t, admin, "+OK\r\n", "ACL", "SETUSER", "m", "on", "nopass", "+multi", "+exec", "+get", "~*")
	c := in.Raw(t)
	expectReply(t, c, "+OK\r\n", "AUTH", "m", "x")
	expectReply(t, c, "+OK\r\n", "MULTI")
	expectReply(t, c, "-NOPERM this user has no permissions to run the 'set' command\r\n", "SET", "a", "b")
	expectReply(t, c, "-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
	r := admin.Do("ACL", "LOG")
	for _, want := range []string{"$6\r\nreason\r\n$7\r\ncommand\r\n$7\r\ncontext\r\n$5\r\nmulti\r\n$6\r\nobject\r\n$3\r\nset\r\n$8\r\nusername\r\n$1\r\nm\r\n", " user=m "} {
		if !strings.Contains(r, want) {
			t.Fatalf("ACL LOG %q lacks %q", r, want)
		}
	}
}
