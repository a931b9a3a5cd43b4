package cluster

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// rpcMarker is the first byte of a connection to the bus port that
// carries respd's own requests (join, forwarded proposals) instead of
// Raft's. Raft's NetworkTransport starts every connection with an RPC
// type byte below 8, so the two never collide.
const rpcMarker = 'X'

// bus owns the bus port's listener. Connections that start with
// rpcMarker are answered by handle; the others go to the stream layer of
// the Raft instance running now (a join restarts Raft, and a Raft
// shutdown closes its transport, but the port stays ours). Outgoing dials
// leave from the node's own address, so that per-address packet filters
// in tests cut the bus as they cut the client port.
type bus struct {
	ln     net.Listener
	adv    net.Addr
	local  net.IP
	handle func(req *rpcRequest) *rpcReply
	done   chan struct{}
	once   sync.Once

	mu  sync.Mutex
	cur *busLayer
}

func newBus(ln net.Listener, adv net.Addr, local net.IP, handle func(*rpcRequest) *rpcReply) *bus {
	b := &bus{ln: ln, adv: adv, local: local, handle: handle, done: make(chan struct{})}
	go b.acceptLoop()
	return b
}

// layer returns a new stream layer for a Raft instance; connections go
// to it until the next one is made.
func (b *bus) layer() *busLayer {
	l := &busLayer{bus: b, conns: make(chan net.Conn), done: make(chan struct{})}
	b.mu.Lock()
	b.cur = l
	b.mu.Unlock()
	return l
}

func (b *bus) acceptLoop() {
	for {
		conn, err := b.ln.Accept()
		if err != nil {
			select {
			case <-b.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			b.Close()
			return
		}
		go b.sort(conn)
	}
}

// Close stops listening.
func (b *bus) Close() {
	b.once.Do(func() {
		close(b.done)
		b.ln.Close()
	})
}

// sort reads a connection's first byte to tell respd's requests from
// Raft's, without holding up the accept loop.
func (b *bus) sort(conn net.Conn) {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	first, err := br.Peek(1)
	if err != nil {
		conn.Close()
		return
	}
	conn.SetReadDeadline(time.Time{})
	if first[0] == rpcMarker {
		br.ReadByte()
		b.serveRPC(conn, br)
		return
	}
	b.mu.Lock()
	l := b.cur
	b.mu.Unlock()
	if l == nil {
		conn.Close()
		return
	}
	select {
	case l.conns <- &peekedConn{Conn: conn, r: br}:
	case <-l.done:
		conn.Close()
	case <-b.done:
		conn.Close()
	}
}

// serveRPC answers one JSON request line per line until the peer hangs up.
func (b *bus) serveRPC(conn net.Conn, br *bufio.Reader) {
	defer conn.Close()
	enc := json.NewEncoder(conn)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		var req rpcRequest
		if err := json.Unmarshal(line, &req); err != nil {
			return
		}
		req.local = conn.LocalAddr()
		if err := enc.Encode(b.handle(&req)); err != nil {
			return
		}
	}
}

// busLayer is one Raft instance's stream layer on the bus.
type busLayer struct {
	bus   *bus
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Accept implements net.Listener for Raft.
func (l *busLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener: it detaches this Raft instance only.
func (l *busLayer) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener: the address peers reach us at.
func (l *busLayer) Addr() net.Addr { return l.bus.adv }

// Dial implements raft.StreamLayer.
func (l *busLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dialFrom(l.bus.local, string(addr), timeout)
}

// dialFrom dials addr from the local IP (any when nil or unspecified).
func dialFrom(local net.IP, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if local != nil && !local.IsUnspecified() {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	return d.Dial("tcp", addr)
}

// peekedConn is a connection whose first bytes were read into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

// Read serves the peeked bytes first.
func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// rpcRequest is one of respd's own bus requests (see doc.go).
type rpcRequest struct {
	Op string `json:"op"`
	// Entry is a proposal forwarded to the leader (op "apply").
	Entry *Entry `json:"entry,omitempty"`
	// Node and Ranges are a joining node's record (op "join").
	Node   *Node    `json:"node,omitempty"`
	Ranges [][2]int `json:"ranges,omitempty"`
	// IP and Port ask the receiver to join the node there (op "meet").
	IP   string `json:"ip,omitempty"`
	Port int    `json:"port,omitempty"`
	Bus  int    `json:"bus,omitempty"`
	// Ms is how long a master holds writes (op "pause").
	Ms int64 `json:"ms,omitempty"`

	local net.Addr
}

// rpcReply answers an rpcRequest.
type rpcReply struct {
	Err string `json:"err,omitempty"`
	// Index and Resp answer "apply": the entry's log index and result.
	Index uint64 `json:"index,omitempty"`
	Resp  string `json:"resp,omitempty"`
	// ID, Members and Leader answer "info".
	ID      string `json:"id,omitempty"`
	Members int    `json:"members,omitempty"`
	Leader  string `json:"leader,omitempty"`
	// State is the group's configuration, answering "join" (encoded as
	// snapshots are).
	State json.RawMessage `json:"state,omitempty"`
}

// call sends one request to the bus at addr and returns the reply.
func call(local net.IP, addr string, req *rpcRequest, timeout time.Duration) (*rpcReply, net.Addr, error) {
	conn, err := dialFrom(local, addr, timeout)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	b, _ := json.Marshal(req)
	b = append([]byte{rpcMarker}, b...)
	b = append(b, '\n')
	if _, err := conn.Write(b); err != nil {
		return nil, nil, err
	}
	var rep rpcReply
	if err := json.NewDecoder(conn).Decode(&rep); err != nil {
		return nil, nil, err
	}
	if rep.Err != "" {
		return &rep, conn.LocalAddr(), errors.New(rep.Err)
	}
	return &rep, conn.LocalAddr(), nil
}
