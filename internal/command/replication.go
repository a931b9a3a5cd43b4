package command

import "github.com/respd/respd/internal/resp"

var replicationCommands = []*Command{
	{Name: "replicaof", Fn: replicaofCommand, Arity: 3, Flags: Admin | NoScript | Stale | NoAsyncLoading, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "5.0.0", Summary: "Configures a server as replica of another, or promotes it to a master."},
	{Name: "slaveof", Fn: replicaofCommand, Arity: 3, Flags: Admin | NoScript | Stale | NoAsyncLoading, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Sets a Redis server as a replica of another, or promotes it to being a master."},
	{Name: "role", Fn: roleCommand, Arity: 1, Flags: NoScript | Loading | Stale | Fast, ACL: CatAdmin | CatFast | CatDangerous, Group: "server", Since: "2.8.12", Summary: "Returns the replication role."},
	{Name: "wait", Fn: waitCommand, Arity: 3, Flags: NoScript, ACL: CatSlow | CatConnection, Group: "generic", Since: "3.0.0", Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed."},
	{Name: "waitaof", Fn: waitaofCommand, Arity: 4, Flags: NoScript, ACL: CatSlow | CatConnection, Group: "generic", Since: "7.2.0", Summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas."},
	{Name: "psync", Fn: psyncCommand, Arity: -3, Flags: Admin | NoScript | NoAsyncLoading | NoMulti, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "2.8.0", Summary: "An internal command used in replication."},
	{Name: "sync", Fn: psyncCommand, Arity: 1, Flags: Admin | NoScript | NoAsyncLoading | NoMulti, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "An internal command used in replication."},
	{Name: "failover", Fn: failoverCommand, Arity: -1, Flags: Admin | NoScript | Stale, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "6.2.0", Summary: "Start a coordinated failover between this server and one of its replicas."},
	{Name: "replconf", Fn: replconfCommand, Arity: -1, Flags: Admin | NoScript | Loading | Stale | AllowBusy, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "3.0.0", Summary: "An internal command for configuring the replication stream."},
}

// ReplicationHost is the server's side of the replication commands; the
// handlers only parse what is common and hand over, since the protocol
// state (replicas, the master link, the backlog) lives with the server.
type ReplicationHost interface {
	// ReplicaOf follows REPLICAOF host port; host "" is NO ONE.
	ReplicaOf(c *Ctx, host string, port int)
	// RoleReply writes the ROLE reply.
	RoleReply(c *Ctx)
	// Wait runs WAIT numreplicas with the timeout's deadline (0: none).
	Wait(c *Ctx, numReplicas int64, deadlineMs int64)
	// WaitAOF runs WAITAOF numlocal numreplicas with the timeout's
	// deadline (0: none), its arguments checked.
	WaitAOF(c *Ctx, numLocal, numReplicas, deadlineMs int64)
	// PSync serves PSYNC and SYNC from a replica.
	PSync(c *Ctx)
	// ReplConf serves REPLCONF.
	ReplConf(c *Ctx)
}

var (
	errInvalidMasterPort = resp.Error("ERR Invalid master port")
	errWaitAOFOnReplica  = resp.Error("ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.")
	// ErrWaitAOFNoAOF is also the reply of a blocked WAITAOF whose
	// appendonly was turned off meanwhile.
	ErrWaitAOFNoAOF  = resp.Error("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
	errNumLocalRange = resp.Error("ERR value is out of range, value must between 0 and 1")
	errWaitOnReplica = resp.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
)

func replicaofCommand(c *Ctx) {
	if c.ClusterEnabled() {
		c.Error(errReplicaOfCluster)
		return
	}
	h := c.Host.(ReplicationHost)
	// Checked before the arguments, as in Redis.
	if fh, ok := c.Host.(FailoverHost); ok && fh.FailingOver() {
		c.Error(errReplicaOfFailover)
		return
	}
	if c.ArgIs(1, "no") && c.ArgIs(2, "one") {
		h.ReplicaOf(c, "", 0)
		return
	}
	port, ok := resp.ParseInt(c.Args[2])
	if !ok || port < 0 || port > 65535 {
		c.Error(errInvalidMasterPort)
		return
	}
	h.ReplicaOf(c, c.Arg(1), int(port))
}

func roleCommand(c *Ctx) { c.Host.(ReplicationHost).RoleReply(c) }

func waitCommand(c *Ctx) {
	if c.Host.Role() == "slave" {
		c.Error(errWaitOnReplica)
		return
	}
	n, ok := resp.ParseInt(c.Args[1])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	deadline, ok := c.ParseTimeout(c.Args[2], false)
	if !ok {
		return
	}
	c.Host.(ReplicationHost).Wait(c, n, deadline)
}

// waitaofCommand is Redis 7.2's WAITAOF. Unlike WAIT, the arguments are
// all checked before the role and the AOF, as Redis 7.2 orders it.
func waitaofCommand(c *Ctx) {
	local, ok := resp.ParseInt(c.Args[1])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if local < 0 || local > 1 {
		c.Error(errNumLocalRange)
		return
	}
	// Anything but a non-negative integer, unparsable included, is "must
	// be positive" (getPositiveLongFromObjectOrReply).
	replicas, ok := resp.ParseInt(c.Args[2])
	if !ok || replicas < 0 {
		c.Error(ErrNotPositive)
		return
	}
	deadline, ok := c.ParseTimeout(c.Args[3], false)
	if !ok {
		return
	}
	if c.Host.Role() == "slave" {
		c.Error(errWaitAOFOnReplica)
		return
	}
	if local > 0 && !c.Host.Config().Bool("appendonly") {
		c.Error(ErrWaitAOFNoAOF)
		return
	}
	c.Host.(ReplicationHost).WaitAOF(c, local, replicas, deadline)
}

func psyncCommand(c *Ctx) { c.Host.(ReplicationHost).PSync(c) }

func replconfCommand(c *Ctx) { c.Host.(ReplicationHost).ReplConf(c) }
