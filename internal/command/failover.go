package command

import "github.com/respd/respd/internal/resp"

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the handler only
// parses, in Redis's order (so that a syntax or integer error wins over
// any state error); the checks against the replication state and the
// failover itself belong to the server.

// FailoverRequest is a parsed FAILOVER.
type FailoverRequest struct {
	// To is set when a target was named: Host is its address, Port is
	// compared with the port the replica announced.
	To   bool
	Host string
	Port int64
	// TimeoutMs is 0 when no TIMEOUT was given.
	TimeoutMs int64
	Force     bool
}

// FailoverHost is the server's side of FAILOVER.
type FailoverHost interface {
	// Failover starts a failover (the request is well formed) and
	// writes the reply.
	Failover(c *Ctx, req FailoverRequest)
	// FailoverAbort is FAILOVER ABORT.
	FailoverAbort(c *Ctx)
	// FailingOver reports a failover under way, during which REPLICAOF
	// is refused.
	FailingOver() bool
}

var (
	errFailoverTimeout   = resp.Error("ERR FAILOVER timeout must be greater than 0")
	errReplicaOfFailover = resp.Error("ERR REPLICAOF not allowed while failing over.")
)

func failoverCommand(c *Ctx) {
	if c.ClusterEnabled() {
		c.Error(errFailoverCluster)
		return
	}
	h := c.Host.(FailoverHost)
	// ABORT is only recognised alone.
	if len(c.Args) == 2 && c.ArgIs(1, "abort") {
		h.FailoverAbort(c)
		return
	}
	var req FailoverRequest
	for j := 1; j < len(c.Args); j++ {
		switch {
		// A TIMEOUT after a valid one is not an option any more, so it
		// ends up a syntax error, as in Redis.
		case c.ArgIs(j, "timeout") && j+1 < len(c.Args) && req.TimeoutMs <= 0:
			n, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if n <= 0 {
				c.Error(errFailoverTimeout)
				return
			}
			req.TimeoutMs = n
			j++
		case c.ArgIs(j, "to") && j+2 < len(c.Args) && !req.To:
			n, ok := resp.ParseInt(c.Args[j+2])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			req.To, req.Host, req.Port = true, c.Arg(j+1), n
			j += 2
		case c.ArgIs(j, "force") && !req.Force:
			req.Force = true
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	h.Failover(c, req)
}
