package tests

import (
	"regexp"
	"testing"

	"github.com/respd/respd/internal/servertest"
)

// TestScriptMonitor compares what MONITOR shows of a script with the real
// redis-server: the EVAL or FCALL first, then each command the script
// runs, from the "lua" client.
func TestScriptMonitor(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	stamp := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) [^\]]*\]`)
	lines := func(addr string) []string {
		m := servertest.Dial(t, addr)
		m.Do("MONITOR")
		c := servertest.Dial(t, addr)
		c.Do("SELECT", "2")
		c.Do("EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", "1", "k", "v")
		c.Do("FUNCTION", "LOAD", "#!lua name=mon\nredis.register_function('mf', function(keys) return redis.call('exists', keys[1]) end)")
		c.Do("FCALL", "mf", "1", "k")
		var out []string
		for i := 0; i < 7; i++ {
			l := m.Read()
			sub := stamp.FindStringSubmatch(l)
			if sub == nil {
				t.Fatalf("not a MONITOR line: %q", l)
			}
			who := "client"
			if regexp.MustCompile(`^\+\S+ \[\d+ lua\]`).MatchString(l) {
				who = "lua"
			}
			out = append(out, sub[1]+" "+who+stamp.ReplaceAllString(l, ""))
		}
		return out
	}
	want, got := lines(oracle), lines(in.Addr)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n respd: %q\n redis: %q", i, got[i], want[i])
		}
	}
}

// TestScriptSlowlog compares the slowlog entries of a script with the
// real redis-server: the script's commands are logged too, from a client
// without address or name.
func TestScriptSlowlog(t *testing.T) {
	oracle := servertest.RedisServer(t)
	in := servertest.Start(t)
	norm := func(s string) string {
		s = regexp.MustCompile(`\$\d+\r\n127\.0\.0\.1:\d+`).ReplaceAllString(s, "ADDR")
		return regexp.MustCompile(`:\d+\r\n`).ReplaceAllString(s, ":N\r\n")
	}
	get := func(addr string) string {
		c := servertest.Dial(t, addr)
		c.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
		c.Do("SLOWLOG", "RESET")
		c.Do("EVAL", "redis.call('set', 'sl', 1) return redis.call('get', 'sl')", "0")
		r := c.Do("SLOWLOG", "GET")
		c.Do("CONFIG", "SET", "slowlog-log-slower-than", "10000")
		return norm(r)
	}
	if want, got := get(oracle), get(in.Addr); got != want {
		t.Errorf("SLOWLOG GET:\n respd: %q\n redis: %q", got, want)
	}
}
