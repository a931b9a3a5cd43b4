package command

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/cluster"
	"github.com/respd/respd/internal/resp"
	"github.com/respd/respd/internal/slot"
)

const clusterAdmin = Admin | Stale | NoAsyncLoading

var clusterCommands = []*Command{
	{Name: "cluster", Arity: -2, ACL: CatSlow, Group: "cluster", Since: "3.0.0", Summary: "Cluster administration commands.", Sub: []*Command{
		{Name: "addslots", Fn: inCluster(clusterAddSlots), Arity: -3, Flags: clusterAdmin, Since: "3.0.0", Summary: "Assigns slots to this node."},
		{Name: "addslotsrange", Fn: inCluster(clusterAddSlots), Arity: -4, Flags: clusterAdmin, Since: "7.0.0", Summary: "Assigns ranges of slots to this node."},
		{Name: "bumpepoch", Fn: inCluster(clusterBumpEpoch), Arity: 2, Flags: clusterAdmin, Since: "3.0.0", Summary: "Gives this node a new config epoch."},
		{Name: "count-failure-reports", Fn: inCluster(clusterCountFailureReports), Arity: 3, Flags: Admin | Stale, Since: "3.0.0", Summary: "Counts the failure reports about a node."},
		{Name: "countkeysinslot", Fn: inCluster(clusterCountKeysInSlot), Arity: 3, Flags: Stale, Since: "3.0.0", Summary: "Counts this node's keys in a slot."},
		{Name: "delslots", Fn: inCluster(clusterAddSlots), Arity: -3, Flags: clusterAdmin, Since: "3.0.0", Summary: "Unassigns slots."},
		{Name: "delslotsrange", Fn: inCluster(clusterAddSlots), Arity: -4, Flags: clusterAdmin, Since: "7.0.0", Summary: "Unassigns ranges of slots."},
		{Name: "failover", Fn: inCluster(clusterFailover), Arity: -2, Flags: clusterAdmin, Since: "3.0.0", Summary: "Promotes this replica to master of its shard."},
		{Name: "flushslots", Fn: inCluster(clusterFlushSlots), Arity: 2, Flags: clusterAdmin, Since: "3.0.0", Summary: "Unassigns every slot of this node."},
		{Name: "forget", Fn: inCluster(clusterForget), Arity: 3, Flags: clusterAdmin, Since: "3.0.0", Summary: "Removes a node from the cluster."},
		{Name: "getkeysinslot", Fn: inCluster(clusterGetKeysInSlot), Arity: 4, Flags: Stale, Since: "3.0.0", Summary: "Lists this node's keys in a slot."},
		{Name: "help", Fn: inCluster(clusterHelp), Arity: 2, Flags: Loading | Stale, Since: "5.0.0", Summary: "Lists the CLUSTER subcommands."},
		{Name: "info", Fn: inCluster(clusterInfo), Arity: 2, Flags: Stale, Since: "3.0.0", Summary: "Reports the cluster's state."},
		{Name: "keyslot", Fn: inCluster(clusterKeySlot), Arity: 3, Flags: Stale, Since: "3.0.0", Summary: "Returns a key's hash slot."},
		{Name: "links", Fn: inCluster(clusterLinks), Arity: 2, Flags: Stale, Since: "7.0.0", Summary: "Lists the links to the other nodes."},
		{Name: "meet", Fn: inCluster(clusterMeet), Arity: -4, Flags: clusterAdmin, Since: "3.0.0", Summary: "Joins this node and another one into one cluster."},
		{Name: "myid", Fn: inCluster(clusterMyID), Arity: 2, Flags: Stale, Since: "3.0.0", Summary: "Returns this node's id."},
		{Name: "myshardid", Fn: inCluster(clusterMyShardID), Arity: 2, Flags: Stale, Since: "7.2.0", Summary: "Returns this node's shard id."},
		{Name: "nodes", Fn: inCluster(clusterNodes), Arity: 2, Flags: Stale, Since: "3.0.0", Summary: "Describes every node, one line each."},
		{Name: "replicas", Fn: inCluster(clusterReplicas), Arity: 3, Flags: Admin | Stale, Since: "5.0.0", Summary: "Lists a master's replicas."},
		{Name: "replicate", Fn: inCluster(clusterReplicate), Arity: 3, Flags: clusterAdmin, Since: "3.0.0", Summary: "Makes this node a replica of a master."},
		{Name: "reset", Fn: inCluster(clusterReset), Arity: -2, Flags: Admin | NoScript | Stale, Since: "3.0.0", Summary: "Makes this node leave its cluster."},
		{Name: "saveconfig", Fn: inCluster(clusterSaveConfig), Arity: 2, Flags: clusterAdmin, Since: "3.0.0", Summary: "Writes the cluster configuration file."},
		{Name: "set-config-epoch", Fn: inCluster(clusterSetConfigEpoch), Arity: 3, Flags: clusterAdmin, Since: "3.0.0", Summary: "Sets the config epoch of a new node."},
		{Name: "setslot", Fn: inCluster(clusterSetSlot), Arity: -4, Flags: clusterAdmin, Since: "3.0.0", Summary: "Changes a slot's migration state or owner."},
		{Name: "shards", Fn: inCluster(clusterShards), Arity: 2, Flags: Stale, Since: "7.0.0", Summary: "Describes the shards: slots and nodes."},
		{Name: "slaves", Fn: inCluster(clusterReplicas), Arity: 3, Flags: Admin | Stale, Since: "3.0.0", Summary: "Lists a master's replicas."},
		{Name: "slots", Fn: inCluster(clusterSlots), Arity: 2, Flags: Stale, Since: "3.0.0", Summary: "Maps slot ranges to nodes."},
	}},
	{Name: "readonly", Fn: inCluster(readonlyCommand), Arity: 1, Flags: Loading | Stale | Fast, ACL: CatFast | CatConnection, Group: "cluster", Since: "3.0.0", Summary: "Allows reads from this replica."},
	{Name: "readwrite", Fn: inCluster(readonlyCommand), Arity: 1, Flags: Loading | Stale | Fast, ACL: CatFast | CatConnection, Group: "cluster", Since: "3.0.0", Summary: "Ends READONLY."},
	{Name: "asking", Fn: inCluster(askingCommand), Arity: 1, Flags: Fast, ACL: CatFast | CatConnection, Group: "cluster", Since: "3.0.0", Summary: "Lets the next command reach an importing slot."},
}

// ClusterHost is the server's side of cluster mode.
type ClusterHost interface {
	// ClusterNode is the node's cluster state, nil when cluster mode is off.
	ClusterNode() *cluster.Cluster
	// ReplOffset is the node's replication offset (CLUSTER SHARDS).
	ReplOffset() int64
	// ClusterStateOK reports cluster_state:ok.
	ClusterStateOK() bool
	// ClusterReset makes the node leave its cluster (CLUSTER RESET).
	ClusterReset(hard bool) error
}

var (
	errClusterDisabled  = resp.Error("ERR This instance has cluster support disabled")
	errInvalidSlot      = resp.Error("ERR Invalid or out of range slot")
	errInvalidSlotOnly  = resp.Error("ERR Invalid slot")
	errInvalidSlotCount = resp.Error("ERR Invalid slot or number of keys")
	errSetSlotSyntax    = resp.Error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	// ErrSelectCluster is SELECT of a non-zero database in cluster mode.
	ErrSelectCluster = resp.Error("ERR SELECT is not allowed in cluster mode")
	// What cluster mode (one database, replication set by the cluster)
	// refuses in other families' commands.
	errMoveCluster      = resp.Error("ERR MOVE is not allowed in cluster mode")
	errCopyCluster      = resp.Error("ERR Copying to another database is not allowed in cluster mode")
	errSwapDBCluster    = resp.Error("ERR SWAPDB is not allowed in cluster mode")
	errReplicaOfCluster = resp.Error("ERR REPLICAOF not allowed in cluster mode.")
	errFailoverCluster  = resp.Error("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
)

// MayHaveKeys reports whether the command takes key arguments at all
// (fixed positions or movable ones); the cluster router passes the others
// without looking.
func (c *Command) MayHaveKeys() bool { return c.Keys.First != 0 || keyFinders[c.fullName] != nil }

// ClusterEnabled reports whether the server runs in cluster mode.
func (c *Ctx) ClusterEnabled() bool {
	h, ok := c.Host.(ClusterHost)
	return ok && h.ClusterNode() != nil
}

// inCluster adapts the handler of a cluster-mode command: it runs only
// in cluster mode (elsewhere the command answers Redis's "cluster
// support disabled" error), given the node and the server's side.
func inCluster(fn func(c *Ctx, cl *cluster.Cluster, h ClusterHost)) func(*Ctx) {
	return func(c *Ctx) {
		h, ok := c.Host.(ClusterHost)
		if !ok || h.ClusterNode() == nil {
			c.Error(errClusterDisabled)
			return
		}
		fn(c, h.ClusterNode(), h)
	}
}

// proposed replies to a proposal that failed; it reports success.
func proposed(c *Ctx, err error) bool {
	if err != nil {
		c.Errorf("ERR " + err.Error())
		return false
	}
	return true
}

// parseSlot reads a slot argument, as Redis's getSlotOrReply.
func parseSlot(c *Ctx, i int) (int, bool) {
	n, ok := resp.ParseInt(c.Args[i])
	if !ok || n < 0 || n >= slot.Count {
		c.Error(errInvalidSlot)
		return 0, false
	}
	return int(n), true
}

func clusterAddSlots(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	name := c.Cmd.Name
	del := strings.HasPrefix(name, "del")
	var ranges [][2]int
	if strings.HasSuffix(name, "range") {
		if len(c.Args)%2 == 1 {
			c.Error(ArityError(c.Cmd.FullName()))
			return
		}
		for i := 2; i < len(c.Args); i += 2 {
			a, ok := parseSlot(c, i)
			if !ok {
				return
			}
			b, ok := parseSlot(c, i+1)
			if !ok {
				return
			}
			if a > b {
				c.Errorf("ERR start slot number " + strconv.Itoa(a) + " is greater than end slot number " + strconv.Itoa(b))
				return
			}
			ranges = append(ranges, [2]int{a, b})
		}
	} else {
		for i := 2; i < len(c.Args); i++ {
			s, ok := parseSlot(c, i)
			if !ok {
				return
			}
			ranges = append(ranges, [2]int{s, s})
		}
	}
	v := cl.View()
	seen := make([]bool, slot.Count)
	for _, r := range ranges {
		for s := r[0]; s <= r[1]; s++ {
			if del && v.Slots[s] == "" {
				c.Errorf("ERR Slot " + strconv.Itoa(s) + " is already unassigned")
				return
			} else if !del && v.Slots[s] != "" {
				c.Errorf("ERR Slot " + strconv.Itoa(s) + " is already busy")
				return
			}
			if seen[s] {
				c.Errorf("ERR Slot " + strconv.Itoa(s) + " specified multiple times")
				return
			}
			seen[s] = true
		}
	}
	op := cluster.OpAddSlots
	if del {
		op = cluster.OpDelSlots
	} else {
		// Owning a slot ends importing it.
		for _, r := range ranges {
			for s := r[0]; s <= r[1]; s++ {
				cl.SetImporting(s, "")
			}
		}
	}
	_, err := cl.Propose(&cluster.Entry{Op: op, ID: cl.ID, Ranges: ranges})
	if proposed(c, err) {
		c.OK()
	}
}

func clusterBumpEpoch(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	res, err := cl.Propose(&cluster.Entry{Op: cluster.OpBump, ID: cl.ID})
	if proposed(c, err) {
		c.Simple(res)
	}
}

// lookupNode finds the node named by argument i, replying "Unknown node"
// when there is none.
func lookupNode(c *Ctx, v *cluster.View, i int) *cluster.Node {
	n := v.Nodes[string(c.Args[i])]
	if n == nil {
		c.Errorf("ERR Unknown node " + string(c.Args[i]))
	}
	return n
}

func clusterCountFailureReports(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	if lookupNode(c, cl.View(), 2) == nil {
		return
	}
	// Failures are decided by the Raft leader, not by counting reports.
	c.Int(0)
}

func clusterCountKeysInSlot(c *Ctx, _ *cluster.Cluster, _ ClusterHost) {
	n, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if n < 0 || n >= slot.Count {
		c.Error(errInvalidSlotOnly)
		return
	}
	c.Int(int64(c.DB.CountKeysInSlot(int(n))))
}

func clusterGetKeysInSlot(c *Ctx, _ *cluster.Cluster, _ ClusterHost) {
	s, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	n, ok := resp.ParseInt(c.Args[3])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if s < 0 || s >= slot.Count || n < 0 {
		c.Error(errInvalidSlotCount)
		return
	}
	keys := c.DB.KeysInSlot(int(s), int(min(n, int64(c.DB.Len()))))
	c.Array(len(keys))
	for _, k := range keys {
		c.Bulk(k)
	}
}

func clusterFailover(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	force := false
	if len(c.Args) == 3 && (c.ArgIs(2, "force") || c.ArgIs(2, "takeover")) {
		force = true
	} else if len(c.Args) > 2 {
		c.Error(ErrSyntax)
		return
	}
	v := cl.View()
	me := v.Me()
	if me.IsMaster() {
		c.Errorf("ERR You should send CLUSTER FAILOVER to a replica")
		return
	}
	m := v.Nodes[me.Master]
	if m == nil {
		c.Errorf("ERR I'm a replica but my master is unknown to me")
		return
	}
	if m.Fail && !force {
		c.Errorf("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
		return
	}
	go cl.Failover(force)
	c.OK()
}

func clusterFlushSlots(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	if c.DB.Len() != 0 {
		c.Errorf("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
		return
	}
	_, err := cl.Propose(&cluster.Entry{Op: cluster.OpFlush, ID: cl.ID})
	if proposed(c, err) {
		c.OK()
	}
}

func clusterForget(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	id := string(c.Args[2])
	v := cl.View()
	n := v.Nodes[id]
	if n == nil {
		if until, ok := v.Forgotten[id]; ok && until > time.Now().UnixMilli() {
			// Already forgotten through another node: the cluster is
			// one state, so this node forgot it too.
			c.OK()
			return
		}
		c.Errorf("ERR Unknown node " + id)
		return
	}
	if id == cl.ID {
		c.Errorf("ERR I tried hard but I can't forget myself...")
		return
	}
	if v.Me().Master == id {
		c.Errorf("ERR Can't forget my master!")
		return
	}
	if proposed(c, cl.Forget(id)) {
		c.OK()
	}
}

func clusterHelp(c *Ctx, _ *cluster.Cluster, _ ClusterHost) {
	lines := []string{
		"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ADDSLOTS <slot> [<slot> ...]",
		"    Assign slots to current node.",
		"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Assign slots which are between <start-slot> and <end-slot> to current node.",
		"BUMPEPOCH",
		"    Advance the cluster config epoch.",
		"COUNT-FAILURE-REPORTS <node-id>",
		"    Return number of failure reports for <node-id>.",
		"COUNTKEYSINSLOT <slot>",
		"    Return the number of keys in <slot>.",
		"DELSLOTS <slot> [<slot> ...]",
		"    Delete slots information from current node.",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
		"FAILOVER [FORCE|TAKEOVER]",
		"    Promote current replica node to being a master.",
		"FORGET <node-id>",
		"    Remove a node from the cluster.",
		"GETKEYSINSLOT <slot> <count>",
		"    Return key names stored by current node in a slot.",
		"FLUSHSLOTS",
		"    Delete current node own slots information.",
		"INFO",
		"    Return information about the cluster.",
		"KEYSLOT <key>",
		"    Return the hash slot for <key>.",
		"MEET <ip> <port> [<bus-port>]",
		"    Connect nodes into a working cluster.",
		"MYID",
		"    Return the node id.",
		"NODES",
		"    Return cluster configuration seen by node. Output format:",
		"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
		"REPLICATE <node-id>",
		"    Configure current node as replica to <node-id>.",
		"RESET [HARD|SOFT]",
		"    Reset current node (default: soft).",
		"SET-CONFIG-EPOCH <epoch>",
		"    Set config epoch of current node.",
		"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
		"    Set slot state.",
		"REPLICAS <node-id>",
		"    Return <node-id> replicas.",
		"SAVECONFIG",
		"    Force saving cluster configuration on disk.",
		"SLOTS",
		"    Return information about slots range mappings. Each range is made of:",
		"    start, end, master and replicas IP addresses, ports and ids",
		"SHARDS",
		"    Return information about slot range mappings and the nodes associated with them.",
		"LINKS",
		"    Return information about all network links between this node and its peers.",
		"    Output format is an array where each array element is a map containing attributes of a link",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}

func clusterInfo(c *Ctx, cl *cluster.Cluster, h ClusterHost) {
	v := cl.View()
	state := "fail"
	if h.ClusterStateOK() {
		state = "ok"
	}
	assigned, failed := v.Assigned(), v.FailedSlots()
	var b strings.Builder
	f := func(name string, val any) {
		b.WriteString(name)
		b.WriteByte(':')
		switch x := val.(type) {
		case string:
			b.WriteString(x)
		case int:
			b.WriteString(strconv.Itoa(x))
		case uint64:
			b.WriteString(strconv.FormatUint(x, 10))
		}
		b.WriteString("\r\n")
	}
	f("cluster_state", state)
	f("cluster_slots_assigned", assigned)
	f("cluster_slots_ok", assigned-failed)
	f("cluster_slots_pfail", 0)
	f("cluster_slots_fail", failed)
	f("cluster_known_nodes", len(v.Nodes))
	f("cluster_size", v.Size())
	f("cluster_current_epoch", v.CurrentEpoch)
	f("cluster_my_epoch", v.NodeEpoch(v.Me()))
	f("cluster_stats_messages_sent", 0)
	f("cluster_stats_messages_received", 0)
	f("total_cluster_links_buffer_limit_exceeded", 0)
	c.Verbatim("txt", b.String())
}

func clusterKeySlot(c *Ctx, _ *cluster.Cluster, _ ClusterHost) {
	c.Int(int64(slot.Of(c.Args[2])))
}

func clusterLinks(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	v := cl.View()
	ids := v.SortedIDs()
	n := 0
	for _, id := range ids {
		if id != v.ID && !v.Nodes[id].Fail {
			n += 2
		}
	}
	c.Array(n)
	for _, id := range ids {
		if id == v.ID || v.Nodes[id].Fail {
			continue
		}
		for _, dir := range []string{"to", "from"} {
			c.Map(6)
			c.BulkString("direction")
			c.BulkString(dir)
			c.BulkString("node")
			c.BulkString(id)
			c.BulkString("create-time")
			c.Int(cl.Started())
			c.BulkString("events")
			c.BulkString("r")
			c.BulkString("send-buffer-allocated")
			c.Int(0)
			c.BulkString("send-buffer-used")
			c.Int(0)
		}
	}
}

func clusterMeet(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	if len(c.Args) > 5 {
		c.Error(ArityError(c.Cmd.FullName()))
		return
	}
	port, ok := resp.ParseInt(c.Args[3])
	if !ok {
		c.Errorf("ERR Invalid TCP base port specified: " + string(c.Args[3]))
		return
	}
	bus := port + 10000
	if len(c.Args) == 5 {
		if bus, ok = resp.ParseInt(c.Args[4]); !ok {
			c.Errorf("ERR Invalid TCP bus port specified: " + string(c.Args[4]))
			return
		}
	}
	ip := net.ParseIP(string(c.Args[2]))
	if ip == nil || port <= 0 || port > 65535 || bus <= 0 || bus > 65535 {
		c.Errorf("ERR Invalid node address specified: " + string(c.Args[2]) + ":" + string(c.Args[3]))
		return
	}
	go cl.Meet(ip.String(), int(port), int(bus))
	c.OK()
}

func clusterMyID(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	c.BulkString(cl.ID)
}

// clusterMyShardID answers with the shard's id: respd names a shard by
// its master's node id, which replicas share.
func clusterMyShardID(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	me := cl.View().Me()
	if me.Master != "" {
		c.BulkString(me.Master)
	} else {
		c.BulkString(me.ID)
	}
}

func clusterNodes(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	c.Verbatim("txt", cl.View().NodesText(time.Now().UnixMilli()))
}

func clusterReplicas(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	v := cl.View()
	n := lookupNode(c, v, 2)
	if n == nil {
		return
	}
	if !n.IsMaster() {
		c.Errorf("ERR The specified node is not a master")
		return
	}
	reps := v.Replicas(n.ID)
	now := time.Now().UnixMilli()
	c.Array(len(reps))
	for _, id := range reps {
		c.BulkString(v.NodeLine(v.Nodes[id], now))
	}
}

func clusterReplicate(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	v := cl.View()
	n := lookupNode(c, v, 2)
	if n == nil {
		return
	}
	if n.ID == cl.ID {
		c.Errorf("ERR Can't replicate myself")
		return
	}
	if !n.IsMaster() {
		c.Errorf("ERR I can only replicate a master, not a replica.")
		return
	}
	if v.Me().IsMaster() && (len(v.SlotsOf(cl.ID)) > 0 || c.DB.Len() != 0) {
		c.Errorf("ERR To set a master the node must be empty and without assigned slots.")
		return
	}
	_, err := cl.Propose(&cluster.Entry{Op: cluster.OpReplicate, ID: cl.ID, Target: n.ID})
	if proposed(c, err) {
		c.OK()
	}
}

func clusterReset(c *Ctx, cl *cluster.Cluster, h ClusterHost) {
	hard := false
	if len(c.Args) == 3 {
		switch {
		case c.ArgIs(2, "hard"):
			hard = true
		case c.ArgIs(2, "soft"):
		default:
			c.Error(ErrSyntax)
			return
		}
	} else if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	if cl.View().Me().IsMaster() && c.DB.Len() != 0 {
		c.Errorf("ERR CLUSTER RESET can't be called with master nodes containing keys")
		return
	}
	if proposed(c, h.ClusterReset(hard)) {
		c.OK()
	}
}

func clusterSaveConfig(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	if err := cl.SaveConfig(); err != nil {
		c.Errorf("ERR error saving the cluster node config: " + err.Error())
		return
	}
	c.OK()
}

func clusterSetConfigEpoch(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	e, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	v := cl.View()
	switch {
	case e < 0:
		c.Errorf("ERR Invalid config epoch specified: " + strconv.FormatInt(e, 10))
	case len(v.Nodes) > 1:
		c.Errorf("ERR The user can assign a config epoch only when the node does not know any other node.")
	case v.Me().Epoch != 0:
		c.Errorf("ERR Node config epoch is already non-zero")
	default:
		_, err := cl.Propose(&cluster.Entry{Op: cluster.OpSetEpoch, ID: cl.ID, Epoch: uint64(e)})
		if proposed(c, err) {
			c.OK()
		}
	}
}

func clusterSetSlot(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	v := cl.View()
	if !v.Me().IsMaster() {
		c.Errorf("ERR Please use SETSLOT only with masters.")
		return
	}
	s, ok := parseSlot(c, 2)
	if !ok {
		return
	}
	slotText := strconv.Itoa(s)
	target := func(unknown string) *cluster.Node {
		n := v.Nodes[string(c.Args[4])]
		if n == nil {
			c.Errorf(unknown + string(c.Args[4]))
			return nil
		}
		if !n.IsMaster() {
			c.Errorf("ERR Target node is not a master")
			return nil
		}
		return n
	}
	switch {
	case c.ArgIs(3, "migrating") && len(c.Args) == 5:
		if v.Slots[s] != cl.ID {
			c.Errorf("ERR I'm not the owner of hash slot " + slotText)
			return
		}
		n := target("ERR I don't know about node ")
		if n == nil {
			return
		}
		cl.SetMigrating(s, n.ID)
	case c.ArgIs(3, "importing") && len(c.Args) == 5:
		if v.Slots[s] == cl.ID {
			c.Errorf("ERR I'm already the owner of hash slot " + slotText)
			return
		}
		n := target("ERR I don't know about node ")
		if n == nil {
			return
		}
		cl.SetImporting(s, n.ID)
	case c.ArgIs(3, "stable") && len(c.Args) == 4:
		cl.SetMigrating(s, "")
		cl.SetImporting(s, "")
	case c.ArgIs(3, "node") && len(c.Args) == 5:
		if n := v.Nodes[string(c.Args[4])]; n != nil && v.Slots[s] != n.ID && (n.ID != cl.ID || v.Importing[s] == "") && cl.CatchUp(time.Second) {
			// Another node may have just committed this very change
			// (redis-cli sends it to every master in turn, the
			// importing target first): decide on the configuration as
			// the leader has it.
			v = cl.View()
		}
		n := target("ERR Unknown node ")
		if n == nil {
			return
		}
		if v.Slots[s] == cl.ID && n.ID != cl.ID && c.DB.SlotHasKeys(s) {
			c.Errorf("ERR Can't assign hashslot " + slotText + " to a different node while I still hold keys for this hash slot.")
			return
		}
		bump := false
		if v.Migrating[s] != "" && !c.DB.SlotHasKeys(s) {
			cl.SetMigrating(s, "")
		}
		if n.ID == cl.ID && v.Importing[s] != "" {
			cl.SetImporting(s, "")
			bump = true
		}
		if !proposed(c, cl.AssignSlot(s, n.ID, bump)) {
			return
		}
	default:
		c.Error(errSetSlotSyntax)
		return
	}
	c.OK()
}

func clusterShards(c *Ctx, cl *cluster.Cluster, h ClusterHost) {
	v := cl.View()
	var masters []string
	for _, id := range v.SortedIDs() {
		if v.Nodes[id].IsMaster() {
			masters = append(masters, id)
		}
	}
	c.Array(len(masters))
	for _, id := range masters {
		c.Map(2)
		c.BulkString("slots")
		rs := v.SlotsOf(id)
		c.Array(2 * len(rs))
		for _, r := range rs {
			c.Int(int64(r[0]))
			c.Int(int64(r[1]))
		}
		c.BulkString("nodes")
		members := append([]string{id}, v.Replicas(id)...)
		c.Array(len(members))
		for _, mid := range members {
			n := v.Nodes[mid]
			fields := 7
			if n.Hostname != "" {
				fields++
			}
			c.Map(fields)
			c.BulkString("id")
			c.BulkString(n.ID)
			c.BulkString("port")
			c.Int(int64(n.Port))
			c.BulkString("ip")
			c.BulkString(n.IP)
			c.BulkString("endpoint")
			c.BulkString(n.IP)
			if n.Hostname != "" {
				c.BulkString("hostname")
				c.BulkString(n.Hostname)
			}
			c.BulkString("role")
			if n.IsMaster() {
				c.BulkString("master")
			} else {
				c.BulkString("replica")
			}
			c.BulkString("replication-offset")
			if n.ID == cl.ID {
				c.Int(h.ReplOffset())
			} else {
				c.Int(0)
			}
			c.BulkString("health")
			if n.Fail {
				c.BulkString("failed")
			} else {
				c.BulkString("online")
			}
		}
	}
}

func clusterSlots(c *Ctx, cl *cluster.Cluster, _ ClusterHost) {
	v := cl.View()
	type rng struct {
		a, b  int
		owner string
	}
	var rs []rng
	for i := 0; i < slot.Count; i++ {
		o := v.Slots[i]
		if o == "" {
			continue
		}
		j := i
		for j+1 < slot.Count && v.Slots[j+1] == o {
			j++
		}
		rs = append(rs, rng{i, j, o})
		i = j
	}
	c.Array(len(rs))
	for _, r := range rs {
		var reps []string
		for _, id := range v.Replicas(r.owner) {
			if !v.Nodes[id].Fail {
				reps = append(reps, id)
			}
		}
		c.Array(3 + len(reps))
		c.Int(int64(r.a))
		c.Int(int64(r.b))
		for _, id := range append([]string{r.owner}, reps...) {
			n := v.Nodes[id]
			c.Array(4)
			c.BulkString(n.IP)
			c.Int(int64(n.Port))
			c.BulkString(n.ID)
			c.Map(0)
		}
	}
}

func readonlyCommand(c *Ctx, _ *cluster.Cluster, _ ClusterHost) {
	c.Sess.ReadOnly = c.Cmd.Name == "readonly"
	c.OK()
}

func askingCommand(c *Ctx, _ *cluster.Cluster, _ ClusterHost) {
	c.Sess.Asking = true
	c.OK()
}
