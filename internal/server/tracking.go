package server

import (
	"slices"
	"strings"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
)

// Client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
//
// Default mode: after a read-only command of a tracking client, the names
// of its key arguments are remembered with the client's id (names only:
// the database does not matter, as in Redis). When such a key changes,
// every remembered client that still tracks gets one invalidation and
// the key is forgotten, so it is invalidated once per read. A client
// that turned tracking off is skipped lazily, as Redis does.
//
// BCAST mode: modified keys matching a registered prefix are collected
// per prefix with the client that changed them (for NOLOOP) and sent at
// the end of the batch, sorted, one message per prefix and client, much
// as Redis sends them before the event loop sleeps.
//
// An invalidation for the client running the command is held back until
// the command replied, so the reply comes first, as in Redis 7.0. A
// flush (FLUSHALL, FLUSHDB) sends every tracking client a null key list
// and forgets every remembered key.
//
// When no client tracks and no key is remembered, the command path pays
// one map-length check (see trackState.active).

const invalidateChannel = "__redis__:invalidate"

var (
	errTrackPrefixNeedsBcast = resp.Error("ERR PREFIX option requires BCAST mode to be enabled")
	errTrackOptInOut         = resp.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
	errTrackBcastOpt         = resp.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
	errTrackNoRedirClient    = resp.Error("ERR The client ID you want redirect to does not exist")
	errTrackOneRedirect      = resp.Error("ERR A client can only redirect to a single other client")
	errTrackSwitchBcast      = resp.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
	errTrackSwitchOpt        = resp.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
	errCachingMode           = resp.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	errCachingYes            = resp.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
	errCachingNo             = resp.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
)

// trackState is the engine's tracking registry; engine-owned.
type trackState struct {
	// on holds the clients with tracking enabled, by id.
	on map[int64]*client
	// keys maps a key name read in default mode to the ids of the
	// clients that read it.
	keys map[string]map[int64]struct{}
	// prefixes are the BCAST registrations.
	prefixes map[string]*bcastPrefix
	// current is the client whose command is running (nil in the cron).
	current *client
	// pending are the invalidations for current, sent after its reply;
	// a nil entry stands for a flush.
	pending []*string
	// flushed dedupes the per-database flush events of one command.
	flushed bool
}

// bcastPrefix is one BCAST prefix: who listens, and the keys changed
// since the last broadcast with the client that changed each.
type bcastPrefix struct {
	clients map[*client]struct{}
	keys    map[string]*client
}

// clientTracking is one client's tracking mode; engine-owned.
type clientTracking struct {
	on, bcast, optin, optout, noloop bool
	// caching is CLIENT CACHING's flag, good for the next command.
	caching bool
	// broken is set once the redirect target was found gone.
	broken   bool
	redirect int64
	prefixes []string // sorted
}

func (s *Server) initTracking() {
	s.track.on = map[int64]*client{}
	s.track.keys = map[string]map[int64]struct{}{}
	s.track.prefixes = map[string]*bcastPrefix{}
}

// active reports whether key changes concern tracking at all.
func (t *trackState) active() bool { return len(t.on) > 0 || len(t.keys) > 0 }

// Tracking implements command.Conn: CLIENT TRACKING, CACHING, GETREDIR
// and TRACKINGINFO.
func (c *client) Tracking(ctx *command.Ctx) {
	switch ctx.Cmd.Name {
	case "tracking":
		c.clientTracking(ctx)
	case "caching":
		c.clientCaching(ctx)
	case "getredir":
		ctx.Int(c.redirectID())
	default:
		c.trackingInfo(ctx)
	}
}

func (c *client) redirectID() int64 {
	if c.track == nil || !c.track.on {
		return -1
	}
	return c.track.redirect
}

// clientByID finds a connected client.
func (s *Server) clientByID(id int64) *client {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if c := s.clients[id]; c != nil && !c.killed {
		return c
	}
	return nil
}

func (c *client) clientTracking(ctx *command.Ctx) {
	var opt clientTracking
	var prefixes []string
	args := ctx.Args
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case ctx.ArgIs(j, "redirect") && more:
			j++
			if opt.redirect != 0 {
				ctx.Error(errTrackOneRedirect)
				return
			}
			id, ok := resp.ParseInt(args[j])
			if !ok {
				ctx.Error(command.ErrNotInt)
				return
			}
			if c.s.clientByID(id) == nil {
				ctx.Error(errTrackNoRedirClient)
				return
			}
			opt.redirect = id
		case ctx.ArgIs(j, "bcast"):
			opt.bcast = true
		case ctx.ArgIs(j, "optin"):
			opt.optin = true
		case ctx.ArgIs(j, "optout"):
			opt.optout = true
		case ctx.ArgIs(j, "noloop"):
			opt.noloop = true
		case ctx.ArgIs(j, "prefix") && more:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			ctx.Error(command.ErrSyntax)
			return
		}
	}
	switch {
	case ctx.ArgIs(2, "on"):
		if !opt.bcast && len(prefixes) > 0 {
			ctx.Error(errTrackPrefixNeedsBcast)
			return
		}
		if t := c.track; t != nil && t.on {
			if t.bcast != opt.bcast {
				ctx.Error(errTrackSwitchBcast)
				return
			}
			if opt.optin && t.optout || opt.optout && t.optin {
				ctx.Error(errTrackSwitchOpt)
				return
			}
		}
		if opt.optin && opt.optout {
			ctx.Error(errTrackOptInOut)
			return
		}
		if (opt.optin || opt.optout) && opt.bcast {
			ctx.Error(errTrackBcastOpt)
			return
		}
		if opt.bcast && !c.checkPrefixes(ctx, prefixes) {
			return
		}
		c.s.enableTracking(c, opt, prefixes)
	case ctx.ArgIs(2, "off"):
		c.s.disableTracking(c)
	default:
		ctx.Error(command.ErrSyntax)
		return
	}
	ctx.OK()
}

// overlaps reports whether one of a, b is a prefix of the other.
func overlaps(a, b string) bool {
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// checkPrefixes refuses BCAST prefixes overlapping the client's own or
// each other, with Redis's texts.
func (c *client) checkPrefixes(ctx *command.Ctx, prefixes []string) bool {
	for i, p := range prefixes {
		if c.track != nil {
			for _, old := range c.track.prefixes {
				if overlaps(p, old) {
					ctx.Errorf("ERR Prefix '" + p + "' overlaps with an existing prefix '" + old + "'. Prefixes for a single client must not overlap.")
					return false
				}
			}
		}
		for j, q := range prefixes {
			if i != j && overlaps(p, q) {
				ctx.Errorf("ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap.")
				return false
			}
		}
	}
	return true
}

func (s *Server) enableTracking(c *client, opt clientTracking, prefixes []string) {
	t := c.track
	if t == nil {
		t = &clientTracking{}
		c.track = t
	}
	t.on = true
	t.broken = false
	t.redirect = opt.redirect
	t.bcast, t.optin, t.optout, t.noloop = opt.bcast, opt.optin, opt.optout, opt.noloop
	s.track.on[c.sess.ID] = c
	if !opt.bcast {
		return
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	for _, p := range prefixes {
		if slices.Contains(t.prefixes, p) {
			continue
		}
		t.prefixes = append(t.prefixes, p)
		bp := s.track.prefixes[p]
		if bp == nil {
			bp = &bcastPrefix{clients: map[*client]struct{}{}, keys: map[string]*client{}}
			s.track.prefixes[p] = bp
		}
		bp.clients[c] = struct{}{}
	}
	slices.Sort(t.prefixes)
}

// disableTracking turns tracking off for c (CLIENT TRACKING OFF, RESET,
// disconnect). Keys it read stay remembered and are skipped lazily.
func (s *Server) disableTracking(c *client) {
	t := c.track
	if t == nil || !t.on {
		return
	}
	for _, p := range t.prefixes {
		if bp := s.track.prefixes[p]; bp != nil {
			delete(bp.clients, c)
			if len(bp.clients) == 0 {
				delete(s.track.prefixes, p)
			}
		}
	}
	*t = clientTracking{}
	delete(s.track.on, c.sess.ID)
}

func (c *client) clientCaching(ctx *command.Ctx) {
	t := c.track
	if t == nil || !t.on {
		// Redis's text names the modes but checks tracking only.
		ctx.Error(errCachingMode)
		return
	}
	switch {
	case ctx.ArgIs(2, "yes"):
		if !t.optin {
			ctx.Error(errCachingYes)
			return
		}
	case ctx.ArgIs(2, "no"):
		if !t.optout {
			ctx.Error(errCachingNo)
			return
		}
	default:
		ctx.Error(command.ErrSyntax)
		return
	}
	t.caching = true
	ctx.OK()
}

func (c *client) trackingInfo(ctx *command.Ctx) {
	t := c.track
	if t == nil || !t.on {
		t = &clientTracking{}
	}
	var flags []string
	if !t.on {
		flags = append(flags, "off")
	} else {
		flags = append(flags, "on")
		if t.bcast {
			flags = append(flags, "bcast")
		}
		if t.optin {
			flags = append(flags, "optin")
			if t.caching {
				flags = append(flags, "caching-yes")
			}
		}
		if t.optout {
			flags = append(flags, "optout")
			if t.caching {
				flags = append(flags, "caching-no")
			}
		}
		if t.noloop {
			flags = append(flags, "noloop")
		}
		if t.broken {
			flags = append(flags, "broken_redirect")
		}
	}
	ctx.Map(3)
	ctx.BulkString("flags")
	ctx.Set(len(flags))
	for _, f := range flags {
		ctx.BulkString(f)
	}
	ctx.BulkString("redirect")
	ctx.Int(c.redirectID())
	ctx.BulkString("prefixes")
	ctx.Array(len(t.prefixes))
	for _, p := range t.prefixes {
		ctx.BulkString(p)
	}
}

// rememberKeys records the keys a read-only command of c read.
func (s *Server) rememberKeys(c *client, cmd *command.Command, args [][]byte) {
	t := c.track
	if !t.on || t.bcast || t.optin && !t.caching || t.optout && t.caching {
		return
	}
	for _, key := range readKeys(cmd, args) {
		ids := s.track.keys[string(key)]
		if ids == nil {
			ids = map[int64]struct{}{}
			s.track.keys[string(key)] = ids
		}
		ids[c.sess.ID] = struct{}{}
	}
}

// readKeys returns the key arguments of a read-only command, including
// those of the commands whose keys move (numkeys, XREAD's STREAMS), which
// the static key spec does not give.
func readKeys(cmd *command.Command, args [][]byte) [][]byte {
	switch cmd.Name {
	case "sintercard", "zunion", "zinter", "zdiff", "zintercard":
		n, ok := resp.ParseInt(args[1])
		if !ok || n < 0 || n > int64(len(args)-2) {
			return nil
		}
		return args[2 : 2+n]
	case "xread":
		for i := 1; i < len(args); i++ {
			if strings.EqualFold(string(args[i]), "streams") {
				n := (len(args) - i - 1) / 2
				return args[i+1 : i+1+n]
			}
		}
		return nil
	}
	var out [][]byte
	for _, i := range cmd.KeyIndexes(args) {
		out = append(out, args[i])
	}
	return out
}

// trackKeyChanged is the tracking side of the keyspace change hook; a nil
// key is a flush.
func (s *Server) trackKeyChanged(key []byte) {
	t := &s.track
	if key == nil {
		// Whole-db changes are flushes, but SWAPDB, which Redis 7.0 does
		// not report to tracking clients.
		if cur := t.current; cur == nil || cur.ctx.Cmd == nil || cur.ctx.Cmd.Name != "swapdb" {
			s.trackFlush()
		}
		return
	}
	for p, bp := range t.prefixes {
		if strings.HasPrefix(string(key), p) {
			bp.keys[string(key)] = t.current
		}
	}
	ids, ok := t.keys[string(key)]
	if !ok {
		return
	}
	delete(t.keys, string(key))
	name := string(key)
	for id := range ids {
		c := t.on[id]
		if c == nil || c.track.bcast {
			continue
		}
		if c == t.current {
			if !c.track.noloop {
				t.pending = append(t.pending, &name)
			}
			continue
		}
		s.sendInvalidation(c, []string{name}, false)
	}
}

// trackFlush sends every tracking client a null invalidation, once per
// command, and forgets every remembered key.
func (s *Server) trackFlush() {
	t := &s.track
	clear(t.keys)
	if t.flushed {
		return
	}
	t.flushed = true
	for _, id := range sortedIDs(t.on) {
		c := t.on[id]
		if c == t.current {
			t.pending = append(t.pending, nil)
			continue
		}
		s.sendInvalidation(c, nil, true)
	}
}

// executeTracked is client.execute while tracking is in use: the
// command's client is known to the invalidation hook, and what was held
// back for it is sent after its reply.
func (c *client) executeTracked(top *command.Command, args [][]byte) {
	s := c.s
	mark := len(c.ctx.B)
	s.track.current = c
	// Left set when tracking was turned on inside the last command.
	s.track.flushed = false
	// Unset by a command that is never called (unknown): it ends CLIENT
	// CACHING's window too.
	c.ctx.Cmd = nil
	c.dispatch(top, args)
	if c.sess.Reply != command.ReplyOn {
		c.applyReply(mark)
	}
	s.trackAfterCommand(c)
}

// trackAfterCommand sends the invalidations held back for c's command
// and ends CLIENT CACHING's one-command window.
func (s *Server) trackAfterCommand(c *client) {
	t := &s.track
	for _, k := range t.pending {
		if c.track == nil || !c.track.on {
			break
		}
		if k == nil {
			s.sendInvalidation(c, nil, true)
		} else {
			s.sendInvalidation(c, []string{*k}, false)
		}
	}
	clear(t.pending)
	t.pending = t.pending[:0]
	t.current = nil
	t.flushed = false
	if c.track != nil && c.track.caching && c.multi == nil && (c.ctx.Cmd == nil || !strings.HasPrefix(c.lastCmd, "client|")) {
		c.track.caching = false
	}
}

// broadcast sends the BCAST invalidations collected since the last call;
// batch is the client whose batch just ran (nil from the cron).
func (s *Server) broadcast(batch *client) {
	t := &s.track
	if len(t.prefixes) == 0 {
		return
	}
	t.current = batch
	defer func() { t.current = nil }()
	var names []string
	for p, bp := range t.prefixes {
		if len(bp.keys) > 0 {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	for _, p := range names {
		bp := t.prefixes[p]
		keys := make([]string, 0, len(bp.keys))
		for k := range bp.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		clients := make([]*client, 0, len(bp.clients))
		for c := range bp.clients {
			clients = append(clients, c)
		}
		slices.SortFunc(clients, func(a, b *client) int { return int(a.sess.ID - b.sess.ID) })
		for _, c := range clients {
			send := keys
			if c.track.noloop {
				send = nil
				for _, k := range keys {
					if bp.keys[k] != c {
						send = append(send, k)
					}
				}
				if len(send) == 0 {
					continue
				}
			}
			s.sendInvalidation(c, send, false)
		}
		clear(bp.keys)
	}
}

// sendInvalidation writes an invalidation of keys (or a null list) for
// c: a push in RESP3, or with REDIRECT to the target, which in RESP2
// gets it as a message on __redis__:invalidate if it is subscribed.
func (s *Server) sendInvalidation(c *client, keys []string, null bool) {
	dst := c
	redirected := false
	if id := c.track.redirect; id != 0 {
		dst = s.clientByID(id)
		if dst == nil {
			c.track.broken = true
			if c.ctx.Proto > 2 {
				w := &c.ctx.Writer
				w.Push(2)
				w.BulkString("tracking-redir-broken")
				w.Int(id)
				s.wakeTracked(c)
			}
			return
		}
		redirected = true
	}
	w := &dst.ctx.Writer
	switch {
	case dst.ctx.Proto > 2:
		w.Push(2)
		w.BulkString("invalidate")
	case redirected && dst.sess.Subs > 0:
		w.Push(3)
		w.BulkString("message")
		w.BulkString(invalidateChannel)
	default:
		return
	}
	if null {
		w.Null()
	} else {
		w.Array(len(keys))
		for _, k := range keys {
			w.BulkString(k)
		}
	}
	s.wakeTracked(dst)
}

// wakeTracked has c's goroutine write what was queued, unless c is the
// client whose batch is running (its output goes out with the batch).
func (s *Server) wakeTracked(c *client) {
	if c != s.track.current {
		c.poke()
	}
}
