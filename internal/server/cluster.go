package server

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/respd/respd/internal/cluster"
	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/resp"
	"github.com/respd/respd/internal/slot"
)

// Cluster mode (cluster-enabled yes): the node's cluster side lives in
// package cluster; here are its start, the request router the
// dispatcher calls for every command, and the loop that makes the
// node's replication follow the replicated configuration.

var (
	errCrossSlot     = resp.Error("CROSSSLOT Keys in request don't hash to the same slot")
	errTryAgain      = resp.Error("TRYAGAIN Multiple keys request during rehashing of slot")
	errClusterDown   = resp.Error("CLUSTERDOWN The cluster is down")
	errClusterDownRO = resp.Error("CLUSTERDOWN The cluster is down and only accepts read commands")
	errSlotNotServed = resp.Error("CLUSTERDOWN Hash slot not served")
)

// clusterSide is the server's cluster-mode state; engine-owned but for
// cl, whose own lock guards it.
type clusterSide struct {
	cl *cluster.Cluster
	// keys is scratch space for the router's key positions.
	keys []int
	// changed wakes the loop that follows configuration changes.
	changed chan struct{}
	// pauseUntil is when the write pause a replica's manual failover
	// asked for ends (unix ms; 0: none).
	pauseUntil int64
}

// startCluster starts the cluster side when cluster-enabled is yes, once
// the client port is known (the bus port derives from it).
func (s *Server) startCluster() error {
	if !s.cfg.Bool("cluster-enabled") {
		return nil
	}
	port := s.tcpPort()
	bus := int(s.cfg.Int("cluster-port"))
	if bus == 0 {
		bus = port + 10000
	}
	ip := ""
	for _, a := range strings.Fields(s.cfg.Get("bind")) {
		a = strings.TrimPrefix(a, "-")
		if p := net.ParseIP(a); p != nil && !p.IsUnspecified() && p.To4() != nil {
			ip = a
			break
		}
	}
	if a, ok := s.Addr().(*net.TCPAddr); ok && !a.IP.IsUnspecified() && a.IP.To4() != nil {
		ip = a.IP.String()
	}
	s.clus.changed = make(chan struct{}, 1)
	cl, err := cluster.Start(cluster.Options{
		Dir:          s.cfg.Get("dir"),
		ConfigFile:   s.cfg.Get("cluster-config-file"),
		IP:           ip,
		Announce:     s.cfg.Get("cluster-announce-ip"),
		Port:         port,
		Bus:          bus,
		AnnouncePort: int(s.cfg.Int("cluster-announce-port")),
		AnnounceBus:  int(s.cfg.Int("cluster-announce-bus-port")),
		Hostname:     s.cfg.Get("cluster-announce-hostname"),
		NodeTimeout:  time.Duration(s.cfg.Int("cluster-node-timeout")) * time.Millisecond,
		Log:          s.log,
		ReplOffset: func() int64 {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.replOffset()
		},
		PauseWrites: func(ms int64) int64 {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.flushPropagation()
			s.pause.failover = true
			s.clus.pauseUntil = time.Now().UnixMilli() + ms
			return s.replOffset()
		},
		FullCoverage: func() bool { return s.cfg.Bool("cluster-require-full-coverage") },
		OnChange: func() {
			select {
			case s.clus.changed <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return err
	}
	s.clus.cl = cl
	s.ks.EnableSlots()
	s.wg.Add(1)
	go s.followCluster()
	return nil
}

// followCluster applies configuration changes that concern this node's
// role: replicating the master the configuration names, or serving as a
// master.
func (s *Server) followCluster() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.clus.cl.Close()
			return
		case <-s.clus.changed:
		case <-t.C:
		}
		v := s.clus.cl.View()
		me := v.Me()
		s.mu.Lock()
		if s.repl.load != nil {
			// Not while the dataset loads: the next tick looks again.
			s.mu.Unlock()
			continue
		}
		if m := v.Nodes[me.Master]; m != nil && m.IP != "" {
			port := strconv.Itoa(m.Port)
			if s.masterHost != m.IP || s.masterPort != port {
				s.logf("Cluster: replicating %s (%s:%s)", m.ID, m.IP, port)
				s.setMaster(m.IP, port)
			}
		} else if me.Master == "" && s.masterHost != "" {
			s.logf("Cluster: serving as a master")
			s.promote()
		}
		if p := s.clus.pauseUntil; p != 0 && (s.masterHost != "" || time.Now().UnixMilli() >= p) {
			// The manual failover happened (or gave up): held writes
			// run again, now redirected to the new master.
			s.clus.pauseUntil = 0
			s.pause.failover = false
			s.wakePaused()
		}
		s.mu.Unlock()
	}
}

// ClusterNode implements command.ClusterHost.
func (s *Server) ClusterNode() *cluster.Cluster { return s.clus.cl }

// ReplOffset implements command.ClusterHost.
func (s *Server) ReplOffset() int64 {
	return s.replOffset()
}

// ClusterStateOK implements command.ClusterHost.
func (s *Server) ClusterStateOK() bool { return s.clus.cl.StateOK() }

// ClusterReset implements command.ClusterHost: the node leaves its
// cluster; a replica becomes an empty master.
func (s *Server) ClusterReset(hard bool) error {
	if s.masterHost != "" {
		s.promote()
		s.ks.FlushAll()
	}
	return s.clus.cl.Leave(hard)
}

func (s *Server) infoCluster(b *strings.Builder) {
	field(b, "cluster_enabled", boolInt(s.clus.cl != nil))
}

// routeCluster decides whether this node serves the command, as Redis's
// getNodeByQuery: keyless commands always, keyed ones when their keys
// share one slot this node serves (or may serve: ASKING on an importing
// slot, READONLY on a replica of the slot's master). Otherwise it
// replies with the redirection or error and returns false.
func (c *client) routeCluster(cmd *command.Command, args [][]byte) bool {
	s := c.s
	asking := c.sess.Asking || cmd.Has(command.Asking)
	if cmd.Name != "asking" && c.multi == nil {
		c.sess.Asking = false
	}
	exec := cmd.Has(command.EndsTx)
	if !exec && cmd.Keys.First == 0 && !cmd.MayHaveKeys() {
		return true
	}
	cl := s.clus.cl
	first := -1
	var firstKey []byte
	multiple, missing := false, 0
	write := cmd.Has(command.Write)
	var owner, migrating, master string
	var importing bool
	check := func(cmd *command.Command, args [][]byte) resp.Error {
		s.clus.keys = clusterKeys(cmd, args, s.clus.keys[:0])
		for _, i := range s.clus.keys {
			k := args[i]
			sl := slot.Of(k)
			if first < 0 {
				first, firstKey = sl, k
				owner, migrating, importing, master = cl.Route(first)
				if owner == "" {
					return errSlotNotServed
				}
				continue
			}
			if sl != first {
				return errCrossSlot
			}
			if !multiple && string(k) != string(firstKey) {
				multiple = true
			}
		}
		return ""
	}
	var e resp.Error
	if exec {
		if c.multi == nil {
			return true
		}
		for _, q := range c.multi.queue {
			if q.cmd.Has(command.Write) {
				write = true
			}
			if e = check(q.cmd, q.args); e != "" {
				break
			}
		}
	} else {
		e = check(cmd, args)
	}
	if e == "" && first < 0 {
		return true
	}
	if e == "" {
		mine := owner == cl.ID
		migratingHere := migrating != "" && mine
		if migratingHere || importing {
			// Keys are looked up as Redis does: which ones exist here.
			count := func(cmd *command.Command, args [][]byte) {
				s.clus.keys = clusterKeys(cmd, args, s.clus.keys[:0])
				for _, i := range s.clus.keys {
					if c.ctx.DB.Peek(args[i]) == nil {
						missing++
					}
				}
			}
			if exec {
				for _, q := range c.multi.queue {
					count(q.cmd, q.args)
				}
			} else {
				count(cmd, args)
			}
		}
		switch {
		case !cl.StateOK():
			if s.cfg.Bool("cluster-allow-reads-when-down") {
				if write {
					e = errClusterDownRO
				}
			} else {
				e = errClusterDown
			}
		}
		if e == "" {
			switch {
			case (migratingHere || importing) && cmd.Name == "migrate":
				return true
			case migratingHere && missing > 0:
				if multiple {
					e = errTryAgain
				} else if migrating != cl.ID {
					e = resp.Error("ASK " + strconv.Itoa(first) + " " + cl.ClientAddr(migrating))
				} else {
					return true
				}
			case importing && asking:
				if multiple && missing > 0 {
					e = errTryAgain
				} else {
					return true
				}
			case c.sess.ReadOnly && !write && master != "" && master == owner:
				return true
			case !mine:
				e = resp.Error("MOVED " + strconv.Itoa(first) + " " + cl.ClientAddr(owner))
			default:
				return true
			}
		}
	}
	if c.multi != nil && exec {
		s.cmdStat(cmd).rejected++
		c.multi = nil
		c.unwatchAll()
		c.ctx.Error(e)
		return false
	}
	c.reject(cmd, string(e))
	return false
}

// mode is INFO's redis_mode.
func (s *Server) mode() string {
	if s.clus.cl != nil {
		return "cluster"
	}
	return "standalone"
}

// clusterKeys appends the positions of the arguments that choose the
// slot: the keys, or the channels of sharded Pub/Sub, which Redis
// routes like keys.
func clusterKeys(cmd *command.Command, args [][]byte, buf []int) []int {
	switch cmd.Name {
	case "spublish":
		return append(buf, 1)
	case "ssubscribe", "sunsubscribe":
		for i := 1; i < len(args); i++ {
			buf = append(buf, i)
		}
		return buf
	}
	return cmd.ACLKeys(args, buf)
}
