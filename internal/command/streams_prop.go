package command

import (
	"strconv"

	"github.com/respd/respd/internal/ds/stream"
)

// What the stream commands propagate. Replicas must end up with the same
// IDs, the same trimming and the same consumer group state, whatever
// their clock or node sizes, so Redis 7.0 sends:
//
//   - XADD with the ID it generated in place of "*" or "<ms>-*";
//   - XADD and XTRIM with an approximate ("~") trim as an exact one, to
//     what the stream holds now: MAXLEN = its length, MINID = its first ID;
//   - XREADGROUP as an XCLAIM per entry delivered (with the delivery time
//     and count, and the group's last ID), or, with NOACK, as XGROUP SETID
//     (after XGROUP CREATECONSUMER when the consumer is new);
//   - XCLAIM and XAUTOCLAIM as one such XCLAIM per entry claimed.

var (
	argEqual          = []byte("=")
	argXCLAIM         = []byte("XCLAIM")
	argXGROUP         = []byte("XGROUP")
	argSETID          = []byte("SETID")
	argENTRIESREAD    = []byte("ENTRIESREAD")
	argCREATECONSUMER = []byte("CREATECONSUMER")
	argTIME           = []byte("TIME")
	argRETRYCOUNT     = []byte("RETRYCOUNT")
	argFORCE          = []byte("FORCE")
	argJUSTID         = []byte("JUSTID")
	argLASTID         = []byte("LASTID")
	argZero           = []byte("0")
)

// rewriteXAdd propagates XADD (idPos >= 0: the ID argument's position,
// replaced by id when the server chose it) or XTRIM (idPos < 0) with an
// approximate trim made exact.
func rewriteXAdd(c *Ctx, s *stream.Stream, a trimArgs, idPos int, id stream.ID) {
	newID := idPos >= 0 && (!a.idGiven || a.autoSeq)
	if !newID && a.approxAt == 0 {
		return
	}
	args := make([][]byte, len(c.Args))
	copy(args, c.Args)
	if newID {
		args[idPos] = id.Append(nil)
	}
	if a.approxAt != 0 {
		args[a.approxAt] = argEqual
		if a.ByMinID {
			args[a.approxAt+1] = s.FirstStoredID().Append(nil)
		} else {
			args[a.approxAt+1] = strconv.AppendInt(nil, s.Len(), 10)
		}
	}
	c.Rewrite(args...)
}

// alsoXClaim propagates the delivery of pending entry p as the XCLAIM
// that recreates it on a replica: the entry id (as idArg, nil: p's ID),
// its consumer, delivery time and count, and the group's last ID.
func alsoXClaim(c *Ctx, key, group, idArg []byte, p *stream.Pending, g *stream.Group) {
	var id, last [48]byte
	var tm, cnt [20]byte
	if idArg == nil {
		idArg = p.ID.Append(id[:0])
	}
	var consumer []byte
	if p.Consumer != nil {
		consumer = []byte(p.Consumer.Name)
	}
	c.Also(argXCLAIM, key, group, consumer, argZero, idArg,
		argTIME, strconv.AppendInt(tm[:0], p.DeliveryTime, 10),
		argRETRYCOUNT, strconv.AppendInt(cnt[:0], p.DeliveryCount, 10),
		argFORCE, argJUSTID, argLASTID, g.LastID.Append(last[:0]))
}

// alsoSetID propagates a group's last delivered ID and read counter.
func alsoSetID(c *Ctx, key, group []byte, g *stream.Group) {
	var last [48]byte
	var n [20]byte
	c.Also(argXGROUP, argSETID, key, group, g.LastID.Append(last[:0]), argENTRIESREAD, strconv.AppendInt(n[:0], g.EntriesRead, 10))
}
