package tests

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// TestStreamRandomDifferential sends the same random mix of stream
// commands to respd and to redis-server and compares every reply byte for
// byte: entries added with explicit IDs and fields of all sizes, deleted
// and trimmed (exactly and by whole nodes, with and without LIMIT, under
// changing node size limits), read back by ranges, and consumed through
// consumer groups. XINFO STREAM after each trim checks that the nodes are
// cut where Redis cuts them.
func TestStreamRandomDifferential(t *testing.T) {
	for _, seed := range []uint64{7, 8, 9} {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) { randomStreamDiff(t, seed) })
	}
}

func randomStreamDiff(t *testing.T, seed uint64) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	ours, theirs := servertest.Dial(t, in.Addr), servertest.Dial(t, oracle)
	for _, c := range []*servertest.Conn{ours, theirs} {
		c.Do("FLUSHALL")
	}
	do := func(step int, args ...string) string {
		t.Helper()
		got, want := ours.Do(args...), theirs.Do(args...)
		if got != want {
			t.Fatalf("step %d: %s\n respd: %.400q\n redis: %.400q", step, strings.Join(args, " "), got, want)
		}
		return got
	}
	r := rand.New(rand.NewPCG(seed, 11))
	keys := []string{"s1", "s2"}
	ms, seq := map[string]uint64{}, map[string]uint64{}
	value := func() string {
		switch r.IntN(6) {
		case 0:
			return strconv.Itoa(r.IntN(1<<20) - 1<<19)
		case 1:
			return strings.Repeat("x", r.IntN(200))
		case 2:
			return ""
		}
		return "v" + strconv.Itoa(r.IntN(100))
	}
	for step := 0; step < 4000; step++ {
		key := keys[r.IntN(len(keys))]
		switch op := r.IntN(100); {
		case op < 45:
			if r.IntN(3) == 0 {
				ms[key] += uint64(1 + r.IntN(1<<uint(r.IntN(20))))
				seq[key] = uint64(r.IntN(3))
			} else {
				seq[key] += uint64(1 + r.IntN(1000))
			}
			args := []string{"XADD", key}
			if r.IntN(10) == 0 {
				args = append(args, "MAXLEN", "~", strconv.Itoa(r.IntN(300)))
			}
			args = append(args, strconv.FormatUint(ms[key], 10)+"-"+strconv.FormatUint(seq[key], 10))
			if r.IntN(4) > 0 {
				args = append(args, "name", value(), "n", value())
			} else {
				for i := 0; i <= r.IntN(4); i++ {
					args = append(args, "f"+strconv.Itoa(r.IntN(5)), value())
				}
			}
			do(step, args...)
		case op < 55:
			// Delete IDs near the ones in use.
			args := []string{"XDEL", key}
			for i := 0; i <= r.IntN(3); i++ {
				args = append(args, strconv.FormatUint(uint64(r.IntN(int(ms[key])+1)), 10)+"-"+strconv.Itoa(r.IntN(int(seq[key])+2)))
			}
			do(step, args...)
		case op < 62:
			args := []string{"XTRIM", key}
			if r.IntN(2) == 0 {
				args = append(args, "MAXLEN")
			} else {
				args = append(args, "MINID")
			}
			approx := r.IntN(2) == 0
			if approx {
				args = append(args, "~")
			}
			if args[2] == "MAXLEN" {
				args = append(args, strconv.Itoa(r.IntN(400)))
			} else {
				args = append(args, strconv.Itoa(r.IntN(int(ms[key])+2)))
			}
			if approx && r.IntN(2) == 0 {
				args = append(args, "LIMIT", strconv.Itoa(r.IntN(300)))
			}
			do(step, args...)
			do(step, "XINFO", "STREAM", key)
		case op < 72:
			start, end := "-", "+"
			if r.IntN(2) == 0 {
				start = strconv.Itoa(r.IntN(int(ms[key]) + 1))
			}
			if r.IntN(3) == 0 {
				end = "(" + strconv.Itoa(r.IntN(int(ms[key])+1))
			}
			cmd := "XRANGE"
			if r.IntN(2) == 0 {
				cmd, start, end = "XREVRANGE", end, start
			}
			do(step, cmd, key, start, end, "COUNT", strconv.Itoa(r.IntN(20)))
		case op < 75:
			do(step, "XGROUP", "CREATE", key, "g"+strconv.Itoa(r.IntN(3)), strconv.Itoa(r.IntN(int(ms[key])+1)), "MKSTREAM")
		case op < 85:
			args := []string{"XREADGROUP", "GROUP", "g" + strconv.Itoa(r.IntN(3)), "c" + strconv.Itoa(r.IntN(3)), "COUNT", strconv.Itoa(1 + r.IntN(10))}
			if r.IntN(5) == 0 {
				args = append(args, "NOACK")
			}
			id := ">"
			if r.IntN(4) == 0 {
				id = "0"
			}
			reply := do(step, append(args, "STREAMS", key, id)...)
			if strings.HasPrefix(reply, "-") && !strings.HasPrefix(reply, "-NOGROUP") {
				t.Fatalf("step %d: %q", step, reply)
			}
		case op < 90:
			do(step, "XACK", key, "g"+strconv.Itoa(r.IntN(3)), strconv.Itoa(r.IntN(int(ms[key])+1))+"-"+strconv.Itoa(r.IntN(int(seq[key])+2)))
		case op < 93:
			do(step, "XAUTOCLAIM", key, "g"+strconv.Itoa(r.IntN(3)), "c"+strconv.Itoa(r.IntN(3)), "0", "0", "COUNT", strconv.Itoa(1+r.IntN(5)), "JUSTID")
		case op < 96:
			do(step, "XPENDING", key, "g"+strconv.Itoa(r.IntN(3)))
			do(step, "XINFO", "GROUPS", key)
		case op < 98:
			do(step, "CONFIG", "SET", "stream-node-max-entries", strconv.Itoa([]int{0, 1, 3, 10, 100}[r.IntN(5)]))
			do(step, "CONFIG", "SET", "stream-node-max-bytes", strconv.Itoa([]int{0, 100, 500, 4096}[r.IntN(4)]))
		default:
			do(step, "XLEN", key)
			do(step, "XINFO", "STREAM", key)
		}
	}
	for _, k := range keys {
		do(-1, "XRANGE", k, "-", "+")
		do(-1, "XINFO", "STREAM", k)
		do(-1, "XINFO", "GROUPS", k)
	}
}
