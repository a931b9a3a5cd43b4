package main

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// conn is a minimal RESP2 client: commands are appended to a buffer and
// sent together, so the loaders can pipeline thousands of commands per
// round trip, which a general-purpose client library makes awkward.
type conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  []byte
}

// reply is one decoded RESP2 reply; arrays are read but their elements
// dropped, since the tool only checks them for errors.
type reply struct {
	kind byte // '+', '-', ':', '$' or '*'
	str  string
	num  int64
	null bool
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}, nil
}

func (c *conn) Close() error { return c.nc.Close() }

// add appends one command to the pending pipeline.
func (c *conn) add(args ...string) {
	c.w = appendCommand(c.w, args...)
}

// appendCommand appends args as a RESP multibulk request.
func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// flush sends the pending pipeline.
func (c *conn) flush() error {
	_, err := c.nc.Write(c.w)
	c.w = c.w[:0]
	return err
}

// read reads one reply.
func (c *conn) read() (reply, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return reply{}, fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	rep := reply{kind: line[0]}
	switch rep.kind {
	case '+', '-':
		rep.str = string(body)
	case ':':
		rep.num, err = strconv.ParseInt(string(body), 10, 64)
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return rep, err
		}
		if n < 0 {
			rep.null = true
			return rep, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(c.r, buf); err != nil {
			return rep, err
		}
		rep.str = string(buf[:n])
	case '*':
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return rep, err
		}
		rep.num = int64(n)
		for range max(n, 0) {
			if _, err := c.read(); err != nil {
				return rep, err
			}
		}
	default:
		return rep, fmt.Errorf("unexpected reply %q", line)
	}
	return rep, err
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// do sends one command and returns its reply; an error reply is an error.
func (c *conn) do(args ...string) (reply, error) {
	c.add(args...)
	if err := c.flush(); err != nil {
		return reply{}, err
	}
	rep, err := c.read()
	if err == nil && rep.kind == '-' {
		err = errors.New(rep.str)
	}
	return rep, err
}

// load runs n commands, the i-th built by gen, over conns connections
// in pipelined batches, and fails on the first error reply.
func load(addr string, n, conns int, gen func(b []byte, i int) []byte) error {
	const batch = 2000
	var wg sync.WaitGroup
	errs := make([]error, conns)
	per := (n + conns - 1) / conns
	for w := range conns {
		lo, hi := w*per, min((w+1)*per, n)
		wg.Go(func() {
			c, err := dial(addr)
			if err != nil {
				errs[w] = err
				return
			}
			defer c.Close()
			for i := lo; i < hi; i += batch {
				end := min(i+batch, hi)
				for j := i; j < end; j++ {
					c.w = gen(c.w, j)
				}
				if err := c.flush(); err != nil {
					errs[w] = err
					return
				}
				for j := i; j < end; j++ {
					rep, err := c.read()
					if err == nil && rep.kind == '-' {
						err = fmt.Errorf("command %d: %s", j, rep.str)
					}
					if err != nil {
						errs[w] = err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sample is one probe request: when it was sent and how long its reply
// took, both in nanoseconds.
type sample struct{ at, lat int64 }

// probe sends GETs of random keys of the benchmark keyspace ("key:" and
// 12 digits, as redis-benchmark -r names them), one at a time on each of
// conns connections, until stop is closed, and returns every request's
// latency.
func probe(addr string, conns, keys int, stop <-chan struct{}) ([]sample, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []sample
	var firstErr error
	for range conns {
		wg.Go(func() {
			c, err := dial(addr)
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			defer c.Close()
			var local []sample
			key := []byte("key:000000000000")
			for {
				select {
				case <-stop:
					mu.Lock()
					all = append(all, local...)
					mu.Unlock()
					return
				default:
				}
				k := rand.IntN(keys)
				for i := 15; i >= 4; i-- {
					key[i] = byte('0' + k%10)
					k /= 10
				}
				c.w = append(c.w, "*2\r\n$3\r\nGET\r\n$16\r\n"...)
				c.w = append(c.w, key...)
				c.w = append(c.w, '\r', '\n')
				t0 := time.Now()
				err := c.flush()
				if err == nil {
					_, err = c.read()
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				local = append(local, sample{at: t0.UnixNano(), lat: int64(time.Since(t0))})
			}
		})
	}
	wg.Wait()
	return all, firstErr
}

// latencies summarizes the samples sent within [from, to): p99 and max
// in milliseconds and their count.
func latencies(s []sample, from, to int64) (p99, maxMs float64, n int) {
	var lat []int64
	for _, x := range s {
		if x.at >= from && x.at < to {
			lat = append(lat, x.lat)
		}
	}
	return p99of(lat), maxOf(lat), len(lat)
}

func p99of(lat []int64) float64 {
	if len(lat) == 0 {
		return nan
	}
	lat = slices.Clone(lat)
	slices.Sort(lat)
	i := (len(lat)*99 + 99) / 100
	return float64(lat[min(i, len(lat))-1]) / 1e6
}

func maxOf(lat []int64) float64 {
	if len(lat) == 0 {
		return nan
	}
	return float64(slices.Max(lat)) / 1e6
}

// idle opens n connections to addr and leaves them idle; the caller
// closes them.
func idle(addr string, n int) ([]net.Conn, error) {
	out := make([]net.Conn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	const workers = 16
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				nc, err := net.DialTimeout("tcp", addr, 30*time.Second)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				out[i] = nc
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(out)
		return nil, firstErr
	}
	return out, nil
}

func closeAll(cs []net.Conn) {
	for _, c := range cs {
		if c != nil {
			c.Close()
		}
	}
}
