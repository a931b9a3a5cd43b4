// Package cluster is a node's side of respd's cluster mode
// (cluster-enabled yes): the cluster configuration every node shares,
// kept consistent by a Raft group (github.com/hashicorp/raft) instead of
// Redis's gossip bus, and the node-local slot migration marks.
//
// # What is replicated, what is not
//
// The replicated State holds the nodes (id, client ip and port, bus
// port, Raft address, hostname, the master a replica follows, config
// epoch, failed flag), the owner of each of the 16384 slots, the
// cluster's current epoch and the recently forgotten node ids. Every
// change goes through the Raft log as one Entry, and every node applies
// the same entries in the same order. MIGRATING/IMPORTING marks, the
// ASKING and READONLY client flags are node-local, as in Redis.
//
// # Raft group and bus port
//
// Every member is a Raft voter. Raft's TCP transport runs on the bus
// port (client port + 10000, or cluster-port), dialling out from the
// node's own address. The same port also answers respd's own requests,
// told apart by their first byte (see below). A node with no Raft state
// bootstraps a group of itself, so ADDSLOTS, SET-CONFIG-EPOCH and the
// like work before any MEET, as redis-cli --cluster create expects.
//
// A change proposed on a follower is sent to the leader ("apply"), and
// the command replies only once the follower has applied the entry
// itself, so that what it shows next includes the change. The leader
// follows each committed change with a Raft barrier, so that followers
// learn the commit at once instead of after CommitTimeout (commit.go).
// SETSLOT NODE naming the owner the configuration already has (after
// catching up with the leader's commit index, "commit") commits nothing:
// redis-cli sends it to every master for every slot it moves.
//
// MEET: whichever side is a group of one joins the other. The joining
// node wipes its Raft store, restarts Raft empty and asks the other side
// ("join"), which passes the request to its leader; the leader appends
// the joiner's record (with its slots and epoch) and then adds it as a
// voter, after which the joiner receives the whole log. The joiner asks
// again, with backoff, until the log reaches it; only CLUSTER RESET (or
// closing) stops it, and a MEET meanwhile makes it ask that node. Two groups of
// several nodes are never merged (the MEET is logged and ignored).
// FORGET removes the node from the state and from the Raft configuration
// and remembers its id for 60 seconds, so that a FORGET of the same id on
// another node (redis-cli del-node sends one to every node) succeeds.
// RESET makes the node leave and bootstrap a group of itself again.
//
// Failure detection runs on the leader: a voter whose heartbeats have
// failed for cluster-node-timeout (and that does not answer a last
// direct "info" probe) is marked failed through the log, and when it is
// a master with slots, its healthy replica with the largest replication
// offset (asked with "offset") is promoted: it takes the master's slots
// with a new config epoch and the other replicas follow it; the old
// master shows as a failed master without slots until it is reachable
// again, and then follows its successor. A leader elected because the
// previous one died counts that one's silence from its own last contact
// with it. A node a leader reaches again (heartbeats resume, or a probe
// of a failed node answers) is marked healthy. A node in touch with no
// leader for cluster-node-timeout (a minority) reports
// cluster_state:fail.
//
// CLUSTER FAILOVER without FORCE/TAKEOVER first asks the master to hold
// writes ("pause") and waits until the replica's offset reaches the
// master's, then proposes the promotion.
//
// # Raft log entry encoding
//
// Each log entry's data is one JSON object (Entry):
//
//	{"op": OP, "id": NODE-ID, "node": NODE, "ranges": [[START, END], ...],
//	 "target": NODE-ID, "epoch": N, "now": MS, "flag": BOOL}
//
// with the fields an operation does not use left out. NODE is
//
//	{"id": ID, "ip": IP, "port": N, "bus": N, "raft": "IP:BUSPORT",
//	 "hostname": H, "master": ID, "epoch": N, "fail": BOOL,
//	 "successor": ID}
//
// The operations (OP) are:
//
//	upsert      add or replace NODE; assign it the free slots in ranges
//	addslots    assign the free slots in ranges to id
//	delslots    unassign the slots in ranges
//	flushslots  unassign every slot of id
//	setslot     give the slots in ranges to target (flag: bump its epoch)
//	setepoch    set id's config epoch to epoch
//	bump        BUMPEPOCH for id; the result text is the entry's result
//	forget      remove id, its slots and its replicas' link to it; keep
//	            id in the forgotten set until now + 60000
//	replicate   id follows target (and loses its slots)
//	promote     id, a replica, takes its master's slots with a new epoch
//	fail        set id's failed flag to flag (a returning failed
//	            master with a successor starts following it)
//
// Raft snapshots are the State as JSON, with the slots given as
// "owners": {ID: [[START, END], ...]}.
//
// # Bus requests
//
// A connection to the bus port whose first byte is 'X' (Raft's own
// connections start with an RPC type below 8) carries respd's requests:
// each is one JSON line {"op": ..., ...} answered by one JSON line
// {"err": TEXT, "index": N, "resp": TEXT, "id": ID, "members": N,
// "leader": ADDR}. The ops are info (id, group size, leader), apply (a
// forwarded entry; answers its index and result), join (node and its
// slot ranges), meet (ask the receiver to join the node at ip, port,
// bus), commit (the leader's commit index, in index), remove (take a voter out; leader only) and offset (the node's
// replication offset, in index), pause (a master holds writes for ms
// and answers its offset, in index).
//
// # nodes.conf
//
// The cluster-config-file (inside dir unless absolute) holds the node's
// view in CLUSTER NODES format, the own node's line flagged "myself",
// followed by the line "vars currentEpoch N lastVoteEpoch 0". Only the
// own id is read back at start-up: the rest comes from Raft, whose log,
// stable store (raft.db, raft-boltdb) and snapshots live in the
// directory "raft-" + the config file's name beside it. At start-up,
// before the node accepts clients, it shows what its stored log leads
// to (snapshot plus entries, applied to a copy) until Raft, which
// applies the entries only once a leader confirms them, catches up.
package cluster
