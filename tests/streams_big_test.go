package tests

import (
	"bufio"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// bigXAdd is the command the big-stream test pipelines: an auto ID and two
// small fields.
var bigXAdd = servertest.Encode("XADD", "s", "*", "f", "v", "g", "w")

// pipelineXAdd sends n copies of bigXAdd to addr from one goroutine while
// reading the replies in this one (so neither side's buffers can fill up
// and stall the other) and returns every step-th ID (the first included).
func pipelineXAdd(t *testing.T, addr string, n, step int) []string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const batch = 10000
	errc := make(chan error, 1)
	go func() {
		buf := []byte(strings.Repeat(bigXAdd, batch))
		for sent := 0; sent < n; sent += batch {
			k := min(batch, n-sent)
			if _, err := conn.Write(buf[:k*len(bigXAdd)]); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	r := bufio.NewReaderSize(conn, 1<<16)
	var sample []string
	last := ""
	for i := 0; i < n; i++ {
		b, err := servertest.ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if len(b) == 0 || b[0] != '$' {
			t.Fatalf("reply %d to XADD: %q", i, b)
		}
		_, id, _ := strings.Cut(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
		if last != "" && !idLess(last, id) {
			t.Fatalf("ID %s after %s: IDs must grow", id, last)
		}
		last = id
		if i%step == 0 {
			sample = append(sample, id)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return sample
}

// idLess compares two "ms-seq" IDs numerically.
func idLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	x, _ := strconv.ParseUint(am, 10, 64)
	y, _ := strconv.ParseUint(bm, 10, 64)
	if x != y {
		return x < y
	}
	x, _ = strconv.ParseUint(as, 10, 64)
	y, _ = strconv.ParseUint(bs, 10, 64)
	return x < y
}

var usedMemoryRe = regexp.MustCompile(`used_memory:(\d+)`)

func usedMemory(t *testing.T, c *servertest.Conn) int64 {
	t.Helper()
	m := usedMemoryRe.FindStringSubmatch(c.Do("INFO", "memory"))
	if m == nil {
		t.Fatal("INFO memory has no used_memory")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// entryIDs returns the IDs of the entries in a raw XRANGE reply.
func entryIDs(t *testing.T, raw string) []string {
	t.Helper()
	r := bufio.NewReader(strings.NewReader(raw))
	hdr, err := r.ReadString('\n')
	if err != nil || hdr[0] != '*' {
		t.Fatalf("not an array: %.100q", raw)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
	ids := make([]string, 0, max(n, 0))
	for i := 0; i < n; i++ {
		b, err := servertest.ReadReply(r)
		if err != nil {
			t.Fatal(err)
		}
		// *2\r\n$len\r\nID\r\n...
		parts := strings.SplitN(string(b), "\r\n", 4)
		ids = append(ids, parts[2])
	}
	return ids
}

// TestStreamMillionEntries adds a million entries through a pipeline,
// reads them back in pages and by ranges, and reports what they cost in
// memory: the Go heap's growth and INFO used_memory, next to real
// redis-server's used_memory for the same commands when it is installed.
// Only the correctness of the replies is asserted, and that the memory per
// entry stays far below what a Go object per entry would cost.
func TestStreamMillionEntries(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	const step = 1000
	in := servertest.Start(t)
	ctl := in.Raw(t)
	heapBefore := heapAlloc()
	usedBefore := usedMemory(t, ctl)

	sample := pipelineXAdd(t, in.Addr, n, step)

	heapAfter := heapAlloc()
	usedAfter := usedMemory(t, ctl)
	heapPer := float64(heapAfter-heapBefore) / float64(n)
	t.Logf("respd: %d entries; Go heap +%d bytes (%.1f per entry); INFO used_memory +%d (%.1f per entry)",
		n, heapAfter-heapBefore, heapPer, usedAfter-usedBefore, float64(usedAfter-usedBefore)/float64(n))
	if heapPer > 32 {
		t.Errorf("%.1f heap bytes per entry: entries are not being packed", heapPer)
	}

	if got := ctl.Do("XLEN", "s"); got != ":"+strconv.Itoa(n)+"\r\n" {
		t.Fatalf("XLEN = %q", got)
	}
	// The sampled IDs are where the ranges say they are.
	for i, id := range sample {
		ids := entryIDs(t, ctl.Do("XRANGE", "s", id, "+", "COUNT", "3"))
		if len(ids) != 3 || ids[0] != id {
			t.Fatalf("XRANGE from sample %d (%s) = %v", i, id, ids)
		}
		ids = entryIDs(t, ctl.Do("XREVRANGE", "s", id, "-", "COUNT", "2"))
		if ids[0] != id || (i > 0 && len(ids) != 2) {
			t.Fatalf("XREVRANGE from sample %d (%s) = %v", i, id, ids)
		}
		if i%10 == 0 && i+1 < len(sample) {
			ids = entryIDs(t, ctl.Do("XRANGE", "s", id, "("+sample[i+1]))
			if len(ids) != step || ids[0] != id {
				t.Fatalf("XRANGE between samples %d and %d: %d entries, want %d", i, i+1, len(ids), step)
			}
		}
	}
	// The whole stream in pages of 50,000, each starting after the last.
	total, start, prev := 0, "-", ""
	for {
		ids := entryIDs(t, ctl.Do("XRANGE", "s", start, "+", "COUNT", "50000"))
		if len(ids) == 0 {
			break
		}
		if prev != "" && !idLess(prev, ids[0]) {
			t.Fatalf("page starts at %s after %s", ids[0], prev)
		}
		total += len(ids)
		prev = ids[len(ids)-1]
		start = "(" + prev
	}
	if total != n {
		t.Fatalf("paged through %d entries, want %d", total, n)
	}
	// Approximate trimming removes whole blocks, at most 100 blocks' worth
	// (10,000 entries) a call unless LIMIT says otherwise; then trimming
	// to a tenth by whole blocks, then exactly.
	if got := ctl.Do("XTRIM", "s", "MAXLEN", "~", strconv.Itoa(n/10)); got != ":10000\r\n" {
		t.Fatalf("XTRIM MAXLEN ~ with the default limit = %q, want 10000", got)
	}
	ctl.Do("XTRIM", "s", "MAXLEN", "~", strconv.Itoa(n/10), "LIMIT", "0")
	ln, _ := strconv.Atoi(strings.Trim(ctl.Do("XLEN", "s"), ":\r\n"))
	if ln < n/10 || ln >= n/10+100 {
		t.Fatalf("XLEN after MAXLEN ~ %d LIMIT 0: %d", n/10, ln)
	}
	if got := ctl.Do("XTRIM", "s", "MAXLEN", strconv.Itoa(n/10)); got != ":"+strconv.Itoa(ln-n/10)+"\r\n" {
		t.Fatalf("exact XTRIM = %q, want %d", got, ln-n/10)
	}
	want := sample[len(sample)-len(sample)/10]
	if ids := entryIDs(t, ctl.Do("XRANGE", "s", "-", "+", "COUNT", "1")); ids[0] != want {
		t.Fatalf("first entry after trimming %s, want %s", ids[0], want)
	}

	if testing.Short() {
		return
	}
	oracle := servertest.RedisServer(t)
	rc := servertest.Dial(t, oracle)
	redisBefore := usedMemory(t, rc)
	pipelineXAdd(t, oracle, n, step)
	redisAfter := usedMemory(t, rc)
	t.Logf("redis-server: %d entries; INFO used_memory +%d (%.1f per entry)",
		n, redisAfter-redisBefore, float64(redisAfter-redisBefore)/float64(n))
}
