package command

import (
	"github.com/respd/respd/internal/ds/list"
	"github.com/respd/respd/internal/keyspace"
	"github.com/respd/respd/internal/resp"
)

// The blocking list commands. Each first behaves like its non-blocking
// twin when there is data; otherwise it parks the client with c.Block.
// The server re-runs the handler when one of the keys changes, with
// c.ReadyKey naming that key. A re-run serves only from the ready key and
// only if it now holds a list, keeping its place in line otherwise: so
// Redis 7.0 serves its blocked list clients, and a key that turned into
// another type makes them wait on rather than fail.

// timeoutNullArray is the reply of a list wait that timed out.
func timeoutNullArray(w *resp.Writer) { w.NullArray() }

func blpopCommand(c *Ctx) { blockingPop(c, true) }
func brpopCommand(c *Ctx) { blockingPop(c, false) }

// blockingPop is BLPOP/BRPOP key [key ...] timeout.
func blockingPop(c *Ctx, head bool) {
	last := len(c.Args) - 1
	deadline, ok := c.ParseTimeout(c.Args[last], true)
	if !ok {
		return
	}
	blockingPopGeneric(c, c.Args[1:last], head, -1, deadline)
}

// blmpopCommand is BLMPOP timeout numkeys key [key ...] LEFT|RIGHT
// [COUNT count]; the timeout is checked after the other arguments.
func blmpopCommand(c *Ctx) {
	keys, head, count, ok := lmpopArgs(c, 2)
	if !ok {
		return
	}
	deadline, ok := c.ParseTimeout(c.Args[1], true)
	if !ok {
		return
	}
	blockingPopGeneric(c, keys, head, count, deadline)
}

// blockingPopGeneric serves BLPOP/BRPOP (count -1: reply [key, element])
// and BLMPOP (reply [key, [elements]]) from the first non-empty list of
// keys, or blocks on all of them.
func blockingPopGeneric(c *Ctx, keys [][]byte, head bool, count int64, deadline int64) {
	if c.ReadyKey != nil {
		if l := readyList(c); l != nil {
			servePop(c, c.ReadyKey, l, head, count)
			return
		}
		c.Block(keys, deadline, timeoutNullArray)
		return
	}
	for _, k := range keys {
		l, ok := writeList(c, k)
		if !ok {
			return
		}
		if l != nil {
			servePop(c, k, l, head, count)
			return
		}
	}
	c.Block(keys, deadline, timeoutNullArray)
}

// readyList returns the list under c.ReadyKey, or nil when the key is
// missing or holds another type.
func readyList(c *Ctx) *list.List {
	o := c.DB.Peek(c.ReadyKey)
	if o == nil || o.Type != keyspace.TypeList {
		return nil
	}
	return o.Val.(*list.List)
}

func servePop(c *Ctx, key []byte, l *list.List, head bool, count int64) {
	if count != -1 {
		popWithKeyReply(c, key, l, head, count)
		return
	}
	c.Array(2)
	c.Bulk(key)
	if head {
		c.Bulk(l.Front())
		l.DeleteRange(0, 1)
		c.Rewrite(argLPOP, key)
	} else {
		c.Bulk(l.Back())
		l.DeleteRange(l.Len()-1, 1)
		c.Rewrite(argRPOP, key)
	}
	listDone(c, key, l, popEvent(head))
}

// blmoveCommand is BLMOVE source destination LEFT|RIGHT LEFT|RIGHT
// timeout.
func blmoveCommand(c *Ctx) {
	from, ok := listWhere(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := listWhere(c, c.Args[4])
	if !ok {
		return
	}
	deadline, ok := c.ParseTimeout(c.Args[5], true)
	if !ok {
		return
	}
	blmoveGeneric(c, from, to, deadline)
}

// brpoplpushCommand is BRPOPLPUSH source destination timeout.
func brpoplpushCommand(c *Ctx) {
	deadline, ok := c.ParseTimeout(c.Args[3], true)
	if !ok {
		return
	}
	blmoveGeneric(c, false, true, deadline)
}

// blmoveGeneric moves an element as LMOVE does, or blocks on the source.
// A timed-out wait replies with the null array, but where blocking is not
// allowed the reply is the null bulk LMOVE gives: Redis 7.0 answers the
// two cases differently.
func blmoveGeneric(c *Ctx, fromHead, toHead bool, deadline int64) {
	src := c.Args[1:2:2]
	// What a served BLMOVE or BRPOPLPUSH propagates (only if it moved
	// something): the non-blocking form.
	if len(c.Args) == 6 {
		c.Rewrite(argLMOVE, c.Args[1], c.Args[2], c.Args[3], c.Args[4])
	} else {
		c.Rewrite(argRPOPLPUSH, c.Args[1], c.Args[2])
	}
	if c.ReadyKey != nil {
		if readyList(c) != nil {
			lmoveGeneric(c, fromHead, toHead)
			return
		}
		c.Block(src, deadline, timeoutNullArray)
		return
	}
	l, ok := writeList(c, src[0])
	if !ok {
		return
	}
	if l != nil {
		lmoveGeneric(c, fromHead, toHead)
		return
	}
	if c.NoBlock {
		c.Null()
		return
	}
	c.Block(src, deadline, timeoutNullArray)
}
