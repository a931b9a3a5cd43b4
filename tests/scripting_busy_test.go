package tests

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/respd/respd/internal/servertest"
)

// TestScriptBusy runs a script past lua-time-limit on respd and on the
// real redis-server and compares what a second client gets meanwhile:
// BUSY for ordinary commands, FUNCTION STATS, SCRIPT KILL / FUNCTION KILL stopping the
// script (or UNKILLABLE once it wrote), and the killed script's error.
func TestScriptBusy(t *testing.T) {
	oracle := servertest.RedisServer(t, "--lua-time-limit", "200")
	in := servertest.Start(t, "--lua-time-limit", "200")
	want := busyScenario(t, oracle)
	got := busyScenario(t, in.Addr)
	if len(got) != len(want) {
		t.Fatalf("got %d replies, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d:\n respd: %q\n redis: %q", i, got[i], want[i])
		}
	}
	if want[0] != "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Errorf("the oracle did not turn busy: %q", want[0])
	}
}

// busyScenario returns the replies of the steps, in order.
func busyScenario(t *testing.T, addr string) []string {
	a := servertest.Dial(t, addr)
	b := servertest.Dial(t, addr)
	var out []string
	wait := func() { time.Sleep(500 * time.Millisecond) }

	// A script that never ends, killed. A command sent before the script
	// turned busy gets BUSY too.
	a.Write(servertest.Encode("EVAL", "local i = 0 while true do i = i + 1 end", "0"))
	time.Sleep(50 * time.Millisecond)
	early := servertest.Dial(t, addr)
	early.Write(servertest.Encode("PING"))
	wait()
	out = append(out, early.Read())
	out = append(out, b.Do("PING"), b.Do("GET", "k"), b.Do("FUNCTION", "KILL"), b.Do("FUNCTION", "STATS"), b.Do("SCRIPT", "KILL"))
	out = append(out, a.Read(), b.Do("PING"), b.Do("SCRIPT", "KILL"))

	// A function, killed by FUNCTION KILL.
	out = append(out, b.Do("FUNCTION", "LOAD", "#!lua name=busy\nredis.register_function('spin', function() while true do end end)"))
	a.Write(servertest.Encode("FCALL", "spin", "0", "arg"))
	wait()
	stats := regexp.MustCompile(`duration_ms\r\n:\d+`).ReplaceAllString(b.Do("FUNCTION", "STATS"), "duration_ms\r\n:N")
	out = append(out, b.Do("PING"), stats, b.Do("SCRIPT", "KILL"), b.Do("FUNCTION", "KILL"), a.Read(), b.Do("PING"), b.Do("FUNCTION", "STATS"))

	// A script that wrote cannot be killed; it ends by itself.
	a.Write(servertest.Encode("EVAL", `redis.call('set', 'x', 'y')
local s = redis.call('time')
while true do
  local t = redis.call('time')
  if (t[1] - s[1]) * 1000000 + (t[2] - s[2]) > 1500000 then break end
end
return 'done'`, "0"))
	wait()
	out = append(out, b.Do("SCRIPT", "KILL"), b.Do("GET", "x"), a.Read(), b.Do("GET", "x"))
	return out
}

// TestScriptBusyShutdown stops a busy script that wrote (so SCRIPT KILL
// cannot) with SHUTDOWN NOSAVE.
func TestScriptBusyShutdown(t *testing.T) {
	in := servertest.Start(t, "--lua-time-limit", "100")
	a := servertest.Dial(t, in.Addr)
	a.Write(servertest.Encode("EVAL", "redis.call('set', 'x', 'y') while true do end", "0"))
	time.Sleep(300 * time.Millisecond)
	b := servertest.Dial(t, in.Addr)
	if r := b.Do("SCRIPT", "KILL"); !strings.HasPrefix(r, "-UNKILLABLE") {
		t.Fatalf("SCRIPT KILL: %q", r)
	}
	b.Write(servertest.Encode("SHUTDOWN", "NOSAVE"))
	select {
	case <-in.Srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not shut down")
	}
}
