package server

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The sorted-set benchmarks mirror redis-benchmark's ZADD test: every
// request goes to one set of 100,000 members, with a random score. The
// digits of a request are rewritten in place between batches, so one
// buffer serves every batch without allocating (the server copies what
// it keeps).

const (
	bigZsetMembers = 100_000
	zaddMemberLen  = 8 // digits of "element:NNNNNNNN"
	zaddScoreLen   = 6
)

// zaddReq is one ZADD of a fixed-width score and member, and where their
// digits sit in it.
const zaddReq = "*4\r\n$4\r\nZADD\r\n$6\r\nmyzset\r\n$6\r\n000000\r\n$16\r\nelement:00000000\r\n"

var (
	zaddScoreAt  = strings.Index(zaddReq, "000000\r\n")
	zaddMemberAt = strings.Index(zaddReq, "element:") + len("element:")
)

// putDigits writes v as exactly len(b) decimal digits.
func putDigits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// zaddBatch is a pipeline of 16 ZADDs, with a function to pick the
// members and scores of the next batch.
type zaddBatch struct {
	buf  []byte
	next func(i int) (member, score int)
}

func newZaddBatch(next func(i int) (member, score int)) *zaddBatch {
	return &zaddBatch{buf: []byte(strings.Repeat(zaddReq, 16)), next: next}
}

func (z *zaddBatch) fill() {
	for i := 0; i < 16; i++ {
		r := z.buf[i*len(zaddReq):]
		m, s := z.next(i)
		putDigits(r[zaddMemberAt:zaddMemberAt+zaddMemberLen], m)
		putDigits(r[zaddScoreAt:zaddScoreAt+zaddScoreLen], s)
	}
}

// bigZsetClient returns a bench client whose db 0 holds "myzset" with
// bigZsetMembers members element:00000000 up, scored by rank.
func bigZsetClient(b testing.TB) *client { return zsetClient(b, bigZsetMembers) }

// zsetClient is bigZsetClient with size members.
func zsetClient(b testing.TB, size int) *client {
	c := benchClient(b)
	var sb strings.Builder
	for i := 0; i < size; i += 100 {
		n := min(100, size-i)
		sb.Reset()
		sb.WriteString("*" + strconv.Itoa(2+2*n) + "\r\n$4\r\nZADD\r\n$6\r\nmyzset\r\n")
		for j := i; j < i+n; j++ {
			s := strconv.Itoa(j)
			m := "element:" + strings.Repeat("0", zaddMemberLen-len(s)) + s
			sb.WriteString("$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n$" + strconv.Itoa(len(m)) + "\r\n" + m + "\r\n")
		}
		_, _, out := c.process([]byte(sb.String()))
		if want := ":" + strconv.Itoa(n) + "\r\n"; string(out) != want {
			b.Fatalf("setup reply %q, want %q", out, want)
		}
		c.spare = out[:0]
	}
	return c
}

func benchZadd(b *testing.B, z *zaddBatch) {
	runBatches(b, bigZsetClient(b), z.buf, z.fill)
}

// benchRandomMember runs 16 copies of req, a command naming one member
// "element:00000000", each batch with random members of the big set.
func benchRandomMember(b *testing.B, req string) {
	at := strings.Index(req, "element:") + len("element:")
	buf := []byte(strings.Repeat(req, 16))
	runBatches(b, bigZsetClient(b), buf, func() {
		for j := 0; j < 16; j++ {
			putDigits(buf[j*len(req)+at:][:zaddMemberLen], rand.IntN(bigZsetMembers))
		}
	})
}

// BenchmarkProcessZaddUpdate16 gives existing members of a 100k-member
// set new random scores, the steady state of redis-benchmark -t zadd.
func BenchmarkProcessZaddUpdate16(b *testing.B) {
	benchZadd(b, newZaddBatch(func(int) (int, int) {
		return rand.IntN(bigZsetMembers), rand.IntN(1_000_000)
	}))
}

// BenchmarkProcessZaddNew16 adds a new member to a set of at least 100k
// members per request.
func BenchmarkProcessZaddNew16(b *testing.B) {
	next := bigZsetMembers
	benchZadd(b, newZaddBatch(func(int) (int, int) {
		next++
		return next, rand.IntN(1_000_000)
	}))
}

// BenchmarkProcessZaddRandom16 is redis-benchmark's mix: random members
// out of 200k, half of them new at the start.
func BenchmarkProcessZaddRandom16(b *testing.B) {
	benchZadd(b, newZaddBatch(func(int) (int, int) {
		return rand.IntN(2 * bigZsetMembers), rand.IntN(1_000_000)
	}))
}

// BenchmarkProcessZrank16 ranks random members of a 100k-member set.
func BenchmarkProcessZrank16(b *testing.B) {
	benchRandomMember(b, "*3\r\n$5\r\nZRANK\r\n$6\r\nmyzset\r\n$16\r\nelement:00000000\r\n")
}

// BenchmarkProcessZrange16 reads 10 members with scores from the middle
// of a 100k-member set.
func BenchmarkProcessZrange16(b *testing.B) {
	const req = "*5\r\n$6\r\nZRANGE\r\n$6\r\nmyzset\r\n$5\r\n50000\r\n$5\r\n50009\r\n$10\r\nWITHSCORES\r\n"
	runBatches(b, bigZsetClient(b), []byte(strings.Repeat(req, 16)), nil)
}

// BenchmarkProcessZincrby16 increments random members of a 100k-member
// set.
func BenchmarkProcessZincrby16(b *testing.B) {
	benchRandomMember(b, "*4\r\n$7\r\nZINCRBY\r\n$6\r\nmyzset\r\n$1\r\n3\r\n$16\r\nelement:00000000\r\n")
}

// TestZaddUpdateAllocs pins ZADD and ZINCRBY of existing members of a
// large (skiplist) set at no allocation: a score update moves the
// member's node rather than building a new one.
func TestZaddUpdateAllocs(t *testing.T) {
	const size = 2000
	c := zsetClient(t, size)
	i := 0
	z := newZaddBatch(func(int) (int, int) {
		i++
		return i * 7919 % size, i * 104729 % 1_000_000
	})
	const incr = "*4\r\n$7\r\nZINCRBY\r\n$6\r\nmyzset\r\n$1\r\n3\r\n$16\r\nelement:00000042\r\n"
	incrBuf := []byte(strings.Repeat(incr, 16))
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"ZADD", func() {
			z.fill()
			_, _, out := c.process(z.buf)
			c.spare = out[:0]
		}},
		{"ZINCRBY", func() {
			_, _, out := c.process(incrBuf)
			c.spare = out[:0]
		}},
	} {
		tc.run() // warm up buffers
		if allocs := testing.AllocsPerRun(200, tc.run); allocs != 0 {
			t.Errorf("%s: %v allocs per 16-request batch, want 0", tc.name, allocs)
		}
	}
	_, _, out := c.process([]byte("*2\r\n$5\r\nZCARD\r\n$6\r\nmyzset\r\n"))
	if want := ":" + strconv.Itoa(size) + "\r\n"; string(out) != want {
		t.Errorf("ZCARD = %q, want %q: an update added members", out, want)
	}
	c.spare = out[:0]
}
