package server

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

const (
	readBufSize = 16 * 1024
	// Buffers that grew past these sizes for one big request or reply are
	// dropped afterwards so idle clients stay small.
	keepReadBuf  = 64 * 1024
	keepWriteBuf = 1 << 20
)

var errReadOnlyReplica = resp.Error("READONLY You can't write against a read only replica.")

// client is one connection. Its goroutine owns conn and the buffers; the
// Session and ctx are engine-owned (touched only under the engine lock).
type client struct {
	s      *Server
	conn   net.Conn
	sess   command.Session
	ctx    command.Ctx
	parser resp.Parser
	args   [][]byte
	// lastCmd and lastMs feed CLIENT LIST; engine-owned.
	lastCmd string
	lastMs  int64
	// blocked is the parked command while the client waits; engine-owned.
	blocked *blocked
	// pending is the output produced before the command that parked,
	// handed from the engine to the client's goroutine at the park.
	pending []byte
}

func (s *Server) newClient(conn net.Conn) {
	id := s.nextID.Add(1)
	c := &client{s: s, conn: conn}
	now := time.Now().UnixMilli()
	c.sess = command.Session{ID: id, Addr: conn.RemoteAddr().String(), LAddr: conn.LocalAddr().String(), CreatedMs: now}
	c.lastMs = now
	c.ctx = command.Ctx{Sess: &c.sess, KS: s.ks, DB: s.ks.DBs[0], Host: s, Writer: resp.Writer{Proto: 2}}

	s.cmu.Lock()
	if s.closing {
		s.cmu.Unlock()
		conn.Close()
		return
	}
	if int64(len(s.clients)) >= s.maxClients.Load() {
		s.cmu.Unlock()
		s.stats.rejected.Add(1)
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return
	}
	s.clients[id] = c
	s.cmu.Unlock()
	s.stats.connections.Add(1)

	s.wg.Add(1)
	go c.serve()
}

func (c *client) serve() {
	s := c.s
	defer func() {
		c.conn.Close()
		s.cmu.Lock()
		delete(s.clients, c.sess.ID)
		s.cmu.Unlock()
		s.wg.Done()
	}()
	buf := make([]byte, readBufSize)
	n := 0 // buf[:n] is unparsed input; it always starts at a request
	for {
		// Read readBufSize at a time, as Redis does, so that the InlineMax
		// limits trip at the same points; but read a big bulk's data
		// straight to its end.
		need := c.parser.Need()
		want := max(readBufSize, need-n)
		if len(buf)-n < readBufSize && !(need > n && need <= len(buf)) {
			buf = growReadBuf(buf, n, need)
		}
		r, err := c.conn.Read(buf[n:min(len(buf), n+want)])
		if r > 0 {
			s.stats.netIn.Add(int64(r))
			n += r
			if need := c.parser.Need(); need > n {
				// Still inside a bulk: nothing to parse, no lock to take.
				continue
			}
			if !c.run(&buf, &n) {
				return
			}
			if len(buf) > keepReadBuf && n < readBufSize && c.parser.Need() < readBufSize {
				nb := make([]byte, readBufSize)
				copy(nb, buf[:n])
				buf = nb
				// The arguments kept for reuse still point into the old
				// buffer and would keep it alive.
				clear(c.args[:cap(c.args)])
			}
		}
		if err != nil {
			return
		}
	}
}

// run executes the complete requests in (*buf)[:*n], writes the replies
// and keeps the unfinished tail at the start of the buffer. A command that
// blocks parks the client until it is served, then the rest of the input
// runs. It returns false when the connection must close.
func (c *client) run(buf *[]byte, n *int) bool {
	for {
		consumed, closeNow, parked := c.process((*buf)[:*n])
		if consumed > 0 {
			// Only the unfinished tail moves, once: from then on it
			// starts the buffer and nothing is consumed until it is
			// complete.
			*n = copy(*buf, (*buf)[consumed:*n])
		}
		if parked {
			// The output belongs to the engine while parked (a served
			// reply may be appended at any moment): waitUnparked writes
			// what was pending before the park.
			if !c.waitUnparked(buf, n) {
				return false
			}
			continue
		}
		return c.flush() && !closeNow
	}
}

// growReadBuf returns a bigger buffer holding buf[:n]. It at least doubles
// so a request arriving slowly is copied O(1) times per byte, and when the
// request's length is known (need) it stops there instead of overshooting;
// it never allocates a whole declared bulk before its bytes arrive.
func growReadBuf(buf []byte, n, need int) []byte {
	size := max(2*len(buf), n+readBufSize)
	if need > n+readBufSize {
		size = min(size, need)
	}
	nb := make([]byte, size)
	copy(nb, buf[:n])
	return nb
}

// flush writes the pending replies in one write.
func (c *client) flush() bool {
	out := c.ctx.Writer.B
	if len(out) == 0 {
		return true
	}
	_, err := c.conn.Write(out)
	c.s.stats.netOut.Add(int64(len(out)))
	if cap(out) > keepWriteBuf {
		out = nil
	}
	c.ctx.Writer.B = out[:0]
	return err == nil
}

// process runs every complete request in buf under one engine lock and
// returns how many bytes it consumed, whether to close after writing and
// whether a command parked the client (processing stops after it).
// A protocol error is answered, after the replies of the requests before
// it, and closes the connection, as in Redis.
func (c *client) process(buf []byte) (int, bool, bool) {
	s := c.s
	pos := 0
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ks.Tick()
	c.parser.MaxBulk = s.maxBulk
	for pos < len(buf) {
		args, n, err := c.parser.Parse(buf[pos:], c.args)
		c.args = args
		if err != nil {
			if errors.Is(err, resp.ErrIncomplete) {
				break
			}
			var pe resp.ProtocolError
			if errors.As(err, &pe) {
				c.ctx.Errorf(string(pe))
			}
			return pos, true, false
		}
		pos += n
		if len(args) == 0 {
			continue
		}
		c.execute(args)
		if c.sess.CloseAfterReply {
			return pos, true, false
		}
		if c.blocked != nil {
			return pos, false, true
		}
	}
	return pos, false, false
}

// execute runs one command: lookup and arity, the checks the command's
// flags call for, then the handler.
func (c *client) execute(args [][]byte) {
	s := c.s
	s.stats.commands++
	c.lastMs = s.ks.Now()
	cmd, errText := command.Lookup(args)
	if cmd == nil {
		c.ctx.Errorf(errText)
		return
	}
	c.lastCmd = cmd.FullName()
	if s.masterHost != "" && cmd.Has(command.Write) {
		c.ctx.Error(errReadOnlyReplica)
		return
	}
	ctx := &c.ctx
	ctx.Args = args
	ctx.Cmd = cmd
	cmd.Fn(ctx)
	ctx.Args = nil
	if ctx.Blocked != nil {
		s.park(c, cmd, args)
	}
	if len(s.block.ready) > 0 {
		s.serveReady()
	}
}

func sortedIDs(m map[int64]*client) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ResetSession implements command.Host.
func (s *Server) ResetSession(sess *command.Session) {
	sess.Name = ""
	sess.DB = 0
}

// ClientList implements command.Host: one CLIENT LIST line per client,
// or just the one with the given id.
func (s *Server) ClientList(id int64) string {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	now := time.Now().UnixMilli()
	var sb strings.Builder
	for _, cid := range sortedIDs(s.clients) {
		if id != 0 && cid != id {
			continue
		}
		c := s.clients[cid]
		fmt.Fprintf(&sb, "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%d rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default redir=-1 resp=%d\n",
			cid, c.sess.Addr, c.sess.LAddr, cid+7, c.sess.Name, (now-c.sess.CreatedMs)/1000, (now-c.lastMs)/1000,
			clientFlags(c), c.sess.DB, readBufSize, orNULL(c.lastCmd), c.ctx.Proto)
	}
	return sb.String()
}

// clientFlags renders CLIENT LIST's flags field.
func clientFlags(c *client) string {
	if c.blocked != nil {
		return "b"
	}
	return "N"
}

func orNULL(s string) string {
	if s == "" {
		return "NULL"
	}
	return s
}
