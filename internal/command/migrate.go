package command

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/rdb"
	"github.com/respd/respd/internal/resp"
)

var migrateCommands = []*Command{
	{Name: "migrate", Fn: migrateCommand, Arity: -6, Flags: Write, Keys: keys(3, 3, 1), ACL: CatKeyspace | CatWrite | CatSlow | CatDangerous, Group: "generic", Since: "2.6.0", Summary: "Atomically transfer a key from a Redis instance to another one."},
	// RESTORE-ASKING is what MIGRATE sends in cluster mode: RESTORE that
	// a node importing the slot accepts as if ASKING had been sent.
	{Name: "restore-asking", Fn: restoreCommand, Arity: -4, Flags: Write | DenyOOM | Asking, Keys: keys(1, 1, 1), ACL: CatKeyspace | CatWrite | CatSlow | CatDangerous, Group: "server", Since: "3.0.0", Summary: "An internal command for migrating keys in a cluster"},
}

var (
	errMigrateKeysArg  = resp.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
	errMigrateConnect  = resp.Error("IOERR error or timeout connecting to the client")
	errMigrateWriting  = resp.Error("IOERR error or timeout writing to target instance")
	errMigrateReading  = resp.Error("IOERR error or timeout reading to target instance")
	migrateTargetError = "ERR Target instance replied with error: "
)

// MIGRATE's connection cache, as Redis keeps it: one connection per
// target "host:port" (as spelled in the command), at most
// migrateCacheMax of them (a random one is closed to make room), each
// closed after migrateIdle without use, and forgotten on any socket
// error. A connection remembers the database it last selected, so SELECT
// is sent only when the db changes.
const (
	migrateCacheMax = 64
	migrateIdle     = 10 * time.Second
	// migrateChunk is how much is written under one timeout.
	migrateChunk = 64 * 1024
)

type migrateConn struct {
	conn net.Conn
	r    *bufio.Reader
	// lastDB is the database selected on the target, -1 when unknown.
	lastDB  int64
	lastUse time.Time
	idle    *time.Timer
}

// migrateKey names a cached connection: the server that owns it (found
// by its keyspace, as a process may run several servers, as the tests
// do) and the target as spelled in the command.
type migrateKey struct {
	ks   *keyspace.Keyspace
	name string
}

// migrateConns is every server's cache. MIGRATE uses it under its
// server's engine lock; the idle timers close connections from their
// own goroutines, hence the mutex.
var (
	migrateMu    sync.Mutex
	migrateConns = map[migrateKey]*migrateConn{}
)

// migrateGet returns ks's cached connection to host:port or dials one;
// on failure it returns the error reply.
func migrateGet(ks *keyspace.Keyspace, host, port []byte, timeout time.Duration) (*migrateConn, migrateKey, resp.Error) {
	key := migrateKey{ks, string(host) + ":" + string(port)}
	migrateMu.Lock()
	if cc := migrateConns[key]; cc != nil {
		cc.lastUse = time.Now()
		migrateMu.Unlock()
		return cc, key, ""
	}
	var mine []migrateKey
	for k := range migrateConns {
		if k.ks == ks {
			mine = append(mine, k)
		}
	}
	if len(mine) >= migrateCacheMax {
		k := mine[rand.IntN(len(mine))]
		migrateCloseLocked(k, migrateConns[k])
	}
	migrateMu.Unlock()

	conn, err := net.DialTimeout("tcp", net.JoinHostPort(string(host), strconv.Itoa(targetPort(port))), timeout)
	if err != nil {
		// Redis connects without blocking and only waits for the socket
		// to become writable: a refused connection shows as a failed
		// write; a timeout or an unresolvable name fails the connect.
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, key, errMigrateWriting
		}
		return nil, key, errMigrateConnect
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	cc := &migrateConn{conn: conn, r: bufio.NewReader(conn), lastDB: -1, lastUse: time.Now()}
	cc.idle = time.AfterFunc(migrateIdle, func() { migrateExpire(key, cc) })
	migrateMu.Lock()
	// Only this server's engine dials for it, so nobody cached another
	// connection to the target meanwhile.
	migrateConns[key] = cc
	migrateMu.Unlock()
	return cc, key, ""
}

// targetPort reads the port as Redis's atoi does (leading digits, 0 when
// none), wrapped to 16 bits as the resolver does.
func targetPort(b []byte) int {
	neg := len(b) > 0 && b[0] == '-'
	if neg || len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	n := 0
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			break
		}
		n = (n*10 + int(ch-'0')) & 0xffffff
	}
	if neg {
		n = -n
	}
	return n & 0xffff
}

// migrateExpire closes cc if it is still cached and idle.
func migrateExpire(key migrateKey, cc *migrateConn) {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if migrateConns[key] != cc {
		return
	}
	if wait := migrateIdle - time.Since(cc.lastUse); wait > 0 {
		cc.idle.Reset(wait)
		return
	}
	migrateCloseLocked(key, cc)
}

// migrateClose closes and forgets key's connection, if cached.
func migrateClose(key migrateKey) {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if cc := migrateConns[key]; cc != nil {
		migrateCloseLocked(key, cc)
	}
}

func migrateCloseLocked(key migrateKey, cc *migrateConn) {
	cc.idle.Stop()
	cc.conn.Close()
	delete(migrateConns, key)
}

// readLine reads one reply line within timeout, without its CRLF.
func (cc *migrateConn) readLine(timeout time.Duration) ([]byte, error) {
	cc.conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := cc.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			// An overlong line: keep its start, as Redis does with a
			// fixed buffer, and skip the rest.
			line = bytes.Clone(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = cc.r.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			return line, nil
		}
		return nil, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return bytes.Clone(line), nil
}

// write sends b in chunks, each within timeout.
func (cc *migrateConn) write(b []byte, timeout time.Duration) error {
	for len(b) > 0 {
		n := min(len(b), migrateChunk)
		cc.conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := cc.conn.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var (
	argAUTH          = []byte("AUTH")
	argSELECT        = []byte("SELECT")
	argRESTORE       = []byte("RESTORE")
	argRESTOREASKING = []byte("RESTORE-ASKING")
	argREPLACE       = []byte("REPLACE")
)

// migrateCommand is MIGRATE host port key|"" destination-db timeout
// [COPY] [REPLACE] [AUTH password | AUTH2 username password]
// [KEYS key ...]. It sends each key as a RESTORE of its DUMP payload (with
// its remaining TTL) over a cached connection, waiting for the target
// while the server is blocked, as Redis does, and deletes the keys the
// target accepted unless COPY; those deletions propagate as one DEL.
func migrateCommand(c *Ctx) {
	var copyOpt, replace, hasPass, hasUser bool
	var user, pass []byte
	firstKey, numKeys := 3, 1
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.ArgIs(j, "copy"):
			copyOpt = true
		case c.ArgIs(j, "replace"):
			replace = true
		case c.ArgIs(j, "auth"):
			if more < 1 {
				c.Error(ErrSyntax)
				return
			}
			j++
			pass, hasPass = c.Args[j], true
		case c.ArgIs(j, "auth2"):
			if more < 2 {
				c.Error(ErrSyntax)
				return
			}
			user, pass, hasUser, hasPass = c.Args[j+1], c.Args[j+2], true, true
			j += 2
		case c.ArgIs(j, "keys"):
			if len(c.Args[3]) != 0 {
				c.Error(errMigrateKeysArg)
				return
			}
			firstKey, numKeys = j+1, len(c.Args)-j-1
			j = len(c.Args)
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	timeoutMs, ok := resp.ParseInt(c.Args[5])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	dbid, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if timeoutMs <= 0 {
		timeoutMs = 1000
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond

	// The keys that exist now; if none does there is nothing to do, which
	// is not an error (the key may just have expired).
	var keys [][]byte
	var objs []*keyspace.Object
	for _, k := range c.Args[firstKey : firstKey+numKeys] {
		if o := c.DB.Lookup(k); o != nil {
			keys = append(keys, k)
			objs = append(objs, o)
		}
	}
	if len(keys) == 0 {
		c.Simple("NOKEY")
		return
	}

	host, port := c.Args[1], c.Args[2]
	restoreVerb := argRESTORE
	if c.configBool("cluster-enabled") {
		restoreVerb = argRESTOREASKING
	}
	for mayRetry := true; ; mayRetry = false {
		cc, key, errReply := migrateGet(c.KS, host, port, timeout)
		if errReply != "" {
			c.Error(errReply)
			return
		}
		var buf []byte
		if hasPass {
			if hasUser {
				buf = resp.AppendCommand(buf, argAUTH, user, pass)
			} else {
				buf = resp.AppendCommand(buf, argAUTH, pass)
			}
		}
		sel := cc.lastDB != dbid
		if sel {
			buf = resp.AppendCommand(buf, argSELECT, strconv.AppendInt(nil, dbid, 10))
		}
		// Keys found above that expired since are left out.
		sent := keys[:0:0]
		now := c.DB.Now()
		for i, k := range keys {
			ttl := int64(0)
			if at := c.DB.Expire(k); at != -1 {
				if ttl = at - now; ttl < 0 {
					continue
				}
				ttl = max(ttl, 1)
			}
			sent = append(sent, k)
			args := [][]byte{restoreVerb, k, strconv.AppendInt(nil, ttl, 10), rdb.Dump(objs[i])}
			if replace {
				args = append(args, argREPLACE)
			}
			buf = resp.AppendCommand(buf, args...)
		}

		// failed ends the attempt on a socket error: the connection is
		// closed, and the command retried once on a fresh one unless the
		// error was a timeout (a stale cached connection is the common
		// case); otherwise the client gets the IOERR.
		failed := func(err error, writing bool) bool {
			migrateClose(key)
			if mayRetry && !isTimeout(err) {
				return true
			}
			if writing {
				c.Error(errMigrateWriting)
			} else {
				c.Error(errMigrateReading)
			}
			return false
		}
		if err := cc.write(buf, timeout); err != nil {
			if failed(err, true) {
				continue
			}
			return
		}
		var authReply, selReply []byte
		var err error
		if hasPass {
			if authReply, err = cc.readLine(timeout); err != nil {
				if failed(err, false) {
					continue
				}
				return
			}
		}
		if sel {
			if selReply, err = cc.readLine(timeout); err != nil {
				if failed(err, false) {
					continue
				}
				return
			}
		}

		targetErr := false
		var moved [][]byte
		j := 0
		for ; j < len(sent); j++ {
			line, rerr := cc.readLine(timeout)
			if rerr != nil {
				err = rerr
				break
			}
			var bad []byte
			switch {
			case len(authReply) > 0 && authReply[0] == '-':
				bad = authReply
			case len(selReply) > 0 && selReply[0] == '-':
				bad = selReply
			case len(line) > 0 && line[0] == '-':
				bad = line
			}
			if bad != nil {
				if !targetErr {
					// Only the first error is reported; the target's
					// database is unknown from now on.
					targetErr = true
					cc.lastDB = -1
					c.Error(resp.Error(migrateTargetError + string(bad[1:])))
				}
				continue
			}
			if !copyOpt && c.DB.Delete(sent[j]) {
				c.Notify(NotifyGeneric, "del", sent[j])
				moved = append(moved, sent[j])
			}
		}
		if err != nil && !targetErr && j == 0 && mayRetry && !isTimeout(err) {
			// Nothing was processed: try again on a fresh connection.
			migrateClose(key)
			continue
		}
		if err != nil {
			migrateClose(key)
		}
		if len(moved) > 0 && c.Propagating() {
			c.Rewrite(append([][]byte{argDEL}, moved...)...)
		}
		switch {
		case targetErr:
		case err != nil:
			c.Error(errMigrateReading)
		default:
			cc.lastDB = dbid
			c.OK()
		}
		return
	}
}
