package command

import (
	"strconv"
	"testing"
)

// benchHash is a context holding a 10-field listpack hash "h" and a
// 1000-field hashtable hash "big".
func benchHash() *Ctx {
	c := benchCtx()
	c.Args = argv("HSET", "h")
	for i := 0; i < 10; i++ {
		c.Args = append(c.Args, []byte("field:"+strconv.Itoa(i)), []byte("value:"+strconv.Itoa(i)))
	}
	hsetCommand(c)
	c.Args = argv("HSET", "big")
	for i := 0; i < 1000; i++ {
		c.Args = append(c.Args, []byte("field:"+strconv.Itoa(i)), []byte("value:"+strconv.Itoa(i)))
	}
	hsetCommand(c)
	c.B = c.B[:0]
	return c
}

func BenchmarkHgetSmall(b *testing.B) {
	benchRun(b, benchHash(), hgetCommand, argv("HGET", "h", "field:9"))
}

func BenchmarkHgetBig(b *testing.B) {
	benchRun(b, benchHash(), hgetCommand, argv("HGET", "big", "field:999"))
}

func BenchmarkHsetUpdateSmall(b *testing.B) {
	benchRun(b, benchHash(), hsetCommand, argv("HSET", "h", "field:5", "value:X"))
}

func BenchmarkHincrbySmall(b *testing.B) {
	benchRun(b, benchHash(), hincrbyCommand, argv("HINCRBY", "h", "n", "1"))
}

func benchSet() *Ctx {
	c := benchCtx()
	c.Args = argv("SADD", "ints", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	saddCommand(c)
	c.Args = argv("SADD", "strs")
	for i := 0; i < 10; i++ {
		c.Args = append(c.Args, []byte("member:"+strconv.Itoa(i)))
	}
	saddCommand(c)
	c.B = c.B[:0]
	return c
}

func BenchmarkSismemberInts(b *testing.B) {
	benchRun(b, benchSet(), sismemberCommand, argv("SISMEMBER", "ints", "7"))
}

func BenchmarkSismemberStrs(b *testing.B) {
	benchRun(b, benchSet(), sismemberCommand, argv("SISMEMBER", "strs", "member:7"))
}

func BenchmarkSaddExisting(b *testing.B) {
	benchRun(b, benchSet(), saddCommand, argv("SADD", "strs", "member:3"))
}
