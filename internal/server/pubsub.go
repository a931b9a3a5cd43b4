package server

import (
	"strconv"
	"strings"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/pubsub"
)

// Pub/Sub delivery: PUBLISH appends the message to every subscriber's
// engine-owned output buffer and pokes its goroutine to write it (see
// client.poked). A subscriber that does not read is bounded by
// client-output-buffer-limit pubsub: past the hard limit, or past the
// soft limit for longer than its seconds, it is disconnected, so a slow
// subscriber never holds up the publisher or the server.

var kindNames = [3]struct{ sub, unsub, msg string }{
	pubsub.Channel: {"subscribe", "unsubscribe", "message"},
	pubsub.Pattern: {"psubscribe", "punsubscribe", "pmessage"},
	pubsub.Shard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// outputLimit is one class of client-output-buffer-limit.
type outputLimit struct {
	hard, soft, softSeconds int64
}

// parseOutputLimit reads the limits of class from the directive's value
// ("normal 0 0 0 slave ... pubsub 33554432 8388608 60").
func parseOutputLimit(v, class string) outputLimit {
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		if f[i] == class {
			h, _ := strconv.ParseInt(f[i+1], 10, 64)
			s, _ := strconv.ParseInt(f[i+2], 10, 64)
			sec, _ := strconv.ParseInt(f[i+3], 10, 64)
			return outputLimit{h, s, sec}
		}
	}
	return outputLimit{}
}

// subCount is the count Redis reports after (un)subscribing: channels
// plus patterns, or shard channels alone.
func (c *client) subCount(k pubsub.Kind) int64 {
	if k == pubsub.Shard {
		return int64(len(c.subscribed(pubsub.Shard)))
	}
	return int64(len(c.subscribed(pubsub.Channel)) + len(c.subscribed(pubsub.Pattern)))
}

// subscribed returns the names of kind k that c is subscribed to.
func (c *client) subscribed(k pubsub.Kind) []string {
	if c.subs == nil {
		return nil
	}
	return c.subs[k]
}

func (c *client) writeSubReply(kind string, name []byte, count int64) {
	w := &c.ctx.Writer
	w.Push(3)
	w.BulkString(kind)
	if name == nil {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(count)
}

// Subscribe implements command.Conn.
func (c *client) Subscribe(ctx *command.Ctx, k pubsub.Kind) {
	reg := c.s.pubsub
	if c.subs == nil {
		c.subs = new([3][]string)
	}
	for _, name := range ctx.Args[1:] {
		if reg.Add(k, string(name), c) {
			c.subs[k] = append(c.subs[k], string(name))
		}
		c.sess.Subs = len(c.subs[0]) + len(c.subs[1]) + len(c.subs[2])
		c.writeSubReply(kindNames[k].sub, name, c.subCount(k))
	}
}

// Unsubscribe implements command.Conn.
func (c *client) Unsubscribe(ctx *command.Ctx, k pubsub.Kind) {
	names := ctx.Args[1:]
	if len(names) == 0 {
		if len(c.subscribed(k)) == 0 {
			c.writeSubReply(kindNames[k].unsub, nil, c.subCount(k))
			return
		}
		for _, n := range append([]string(nil), c.subs[k]...) {
			c.unsubscribe(k, n)
			c.writeSubReply(kindNames[k].unsub, []byte(n), c.subCount(k))
		}
		return
	}
	for _, name := range names {
		c.unsubscribe(k, string(name))
		c.writeSubReply(kindNames[k].unsub, name, c.subCount(k))
	}
}

func (c *client) unsubscribe(k pubsub.Kind, name string) {
	if !c.s.pubsub.Remove(k, name, c) {
		return
	}
	for i, n := range c.subs[k] {
		if n == name {
			c.subs[k] = append(c.subs[k][:i], c.subs[k][i+1:]...)
			break
		}
	}
	c.sess.Subs = len(c.subs[0]) + len(c.subs[1]) + len(c.subs[2])
}

// unsubscribeAll drops every subscription (RESET, disconnect).
func (c *client) unsubscribeAll() {
	if c.subs == nil {
		return
	}
	for k := range c.subs {
		for _, n := range append([]string(nil), c.subs[k]...) {
			c.unsubscribe(pubsub.Kind(k), n)
		}
	}
}

// Registry implements command.PubSubHost.
func (s *Server) Registry() *pubsub.Registry[command.Conn] { return s.pubsub }

// Publish implements command.PubSubHost.
func (s *Server) Publish(k pubsub.Kind, channel, msg []byte) int64 {
	n := int64(0)
	for _, sub := range s.pubsub.Subscribers(k, string(channel)) {
		c := sub.(*client)
		w := &c.ctx.Writer
		w.Push(3)
		w.BulkString(kindNames[k].msg)
		w.Bulk(channel)
		w.Bulk(msg)
		s.delivered(c)
		n++
	}
	if k == pubsub.Channel {
		s.pubsub.MatchPatterns(channel, func(pattern string, sub command.Conn) {
			c := sub.(*client)
			w := &c.ctx.Writer
			w.Push(4)
			w.BulkString("pmessage")
			w.BulkString(pattern)
			w.Bulk(channel)
			w.Bulk(msg)
			s.delivered(c)
			n++
		})
	}
	return n
}

// delivered enforces the output limits on c (output.go) and pokes it.
func (s *Server) delivered(c *client) {
	if !s.overLimit(c) {
		c.poke()
	}
}

var _ command.PubSubHost = (*Server)(nil)

// errSubscribedMode is the refusal of a command in RESP2 subscribed mode.
func errSubscribedMode(cmd *command.Command) string {
	return "ERR Can't execute '" + cmd.FullName() + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}
