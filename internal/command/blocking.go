package command

import (
	"math"

	"github.com/respd/respd/internal/resp"
)

// Timeout errors of blocking commands, with Redis's texts.
var (
	ErrTimeoutNotFloat = resp.Error("ERR timeout is not a float or out of range")
	ErrTimeoutNotInt   = resp.Error("ERR timeout is not an integer or out of range")
	ErrTimeoutNegative = resp.Error("ERR timeout is negative")
)

// BlockRequest is what a handler asks for when it cannot be served now:
// park the client until one of Keys changes or DeadlineMs passes.
type BlockRequest struct {
	// Keys are copies, owned by the request.
	Keys [][]byte
	// DeadlineMs is the absolute time to give up; 0 waits forever.
	DeadlineMs int64
	// OnTimeout writes the reply for a timed-out wait.
	OnTimeout func(w *resp.Writer)
	// State is the handler's own, set after Block and found again in
	// Ctx.Resumed on each re-run: what the command resolved when it first
	// blocked and must not resolve again.
	State any
}

// Block asks the server to park the client instead of replying. The
// server re-runs the same command (same arguments) whenever one of keys
// changes; the handler then either replies or calls Block again, keeping
// the client's place in line. Where blocking is not allowed (NoBlock:
// inside MULTI or a script) the timeout reply is written at once.
func (c *Ctx) Block(keys [][]byte, deadlineMs int64, onTimeout func(w *resp.Writer)) {
	if c.NoBlock {
		onTimeout(&c.Writer)
		return
	}
	req := &BlockRequest{DeadlineMs: deadlineMs, OnTimeout: onTimeout}
	for _, k := range keys {
		req.Keys = append(req.Keys, append([]byte(nil), k...))
	}
	c.Blocked = req
}

// ParseTimeout reads a blocking command's timeout argument and returns the
// absolute deadline in ms (0 = forever). Seconds may have a fraction
// (BLPOP); otherwise the value is whole milliseconds (XREAD BLOCK).
// Values too large for Redis's arithmetic read as negative, as they do in
// Redis 7.0.
func (c *Ctx) ParseTimeout(arg []byte, seconds bool) (int64, bool) {
	var ms int64
	if seconds {
		x, ok := parseLongDouble(arg)
		if !ok {
			c.Error(ErrTimeoutNotFloat)
			return 0, false
		}
		f, _ := x.val().Float64()
		f = math.Ceil(f * 1000)
		if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
			c.Error(ErrTimeoutNegative)
			return 0, false
		}
		ms = int64(f)
	} else {
		n, ok := resp.ParseInt(arg)
		if !ok {
			c.Error(ErrTimeoutNotInt)
			return 0, false
		}
		ms = n
	}
	if ms < 0 {
		c.Error(ErrTimeoutNegative)
		return 0, false
	}
	if ms == 0 {
		return 0, true
	}
	return c.DB.Now() + ms, true
}
