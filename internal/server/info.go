package server

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/respd/respd/internal/keyspace"
)

// infoSections are the sections INFO renders, in order; "default" and
// "all" select all of them for now.
var infoSections = []struct {
	name string
	fn   func(s *Server, b *strings.Builder)
}{
	{"server", (*Server).infoServer},
	{"clients", (*Server).infoClients},
	{"memory", (*Server).infoMemory},
	{"persistence", (*Server).infoPersistence},
	{"stats", (*Server).infoStats},
	{"replication", (*Server).infoReplication},
	{"cpu", (*Server).infoCPU},
	{"modules", (*Server).infoModules},
	{"commandstats", (*Server).infoCommandStats},
	{"errorstats", (*Server).infoErrorStats},
	{"latencystats", (*Server).infoLatencyStats},
	{"cluster", (*Server).infoCluster},
	{"keyspace", (*Server).infoKeyspace},
}

// notDefault are the sections INFO leaves out unless asked for them (or
// for "all" or "everything").
var notDefault = []string{"commandstats", "latencystats"}

// Info implements command.Host. Unknown section names select nothing, as
// in Redis.
func (s *Server) Info(sections []string) string {
	all := slices.Contains(sections, "all") || slices.Contains(sections, "everything")
	def := len(sections) == 0 || slices.Contains(sections, "default")
	var b strings.Builder
	for _, sec := range infoSections {
		if !all && !slices.Contains(sections, sec.name) && !(def && !slices.Contains(notDefault, sec.name)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		title := strings.ToUpper(sec.name[:1]) + sec.name[1:]
		if sec.name == "cpu" {
			title = "CPU"
		}
		b.WriteString("# " + title + "\r\n")
		sec.fn(s, &b)
	}
	return b.String()
}

func field(b *strings.Builder, name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

func (s *Server) infoServer(b *strings.Builder) {
	now := time.Now().UnixMilli()
	uptime := (now - s.startMs) / 1000
	field(b, "redis_version", Version)
	field(b, "redis_git_sha1", "00000000")
	field(b, "redis_git_dirty", 0)
	field(b, "redis_build_id", "0")
	field(b, "redis_mode", s.mode())
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", 64)
	field(b, "multiplexing_api", "goroutines")
	field(b, "gcc_version", "0.0.0")
	field(b, "go_version", runtime.Version())
	field(b, "process_id", os.Getpid())
	field(b, "run_id", s.runID)
	field(b, "tcp_port", s.tcpPort())
	field(b, "server_time_usec", time.Now().UnixMicro())
	field(b, "uptime_in_seconds", uptime)
	field(b, "uptime_in_days", uptime/86400)
	field(b, "hz", s.cfg.Get("hz"))
	field(b, "configured_hz", s.cfg.Get("hz"))
	field(b, "executable", executable())
	field(b, "config_file", s.configFile)
}

func executable() string {
	p, _ := os.Executable()
	return p
}

func (s *Server) infoClients(b *strings.Builder) {
	s.cmu.Lock()
	n := len(s.clients)
	s.cmu.Unlock()
	// Replicas are not counted, as in Redis.
	n -= len(s.repl.replicas)
	field(b, "connected_clients", n)
	field(b, "cluster_connections", 0)
	field(b, "maxclients", s.maxClients.Load())
	field(b, "client_recent_max_input_buffer", 0)
	field(b, "client_recent_max_output_buffer", 0)
	field(b, "blocked_clients", s.block.count+len(s.pause.waiters))
	field(b, "tracking_clients", 0)
	field(b, "clients_in_timeout_table", 0)
}

func (s *Server) infoMemory(b *strings.Builder) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	used := m.HeapAlloc
	field(b, "used_memory", used)
	field(b, "used_memory_human", humanBytes(used))
	field(b, "used_memory_rss", m.Sys)
	field(b, "used_memory_rss_human", humanBytes(m.Sys))
	field(b, "used_memory_peak", m.HeapSys)
	field(b, "used_memory_peak_human", humanBytes(m.HeapSys))
	field(b, "total_system_memory", 0)
	s.infoScripting(b)
	field(b, "maxmemory", s.cfg.Int("maxmemory"))
	field(b, "maxmemory_human", humanBytes(uint64(s.cfg.Int("maxmemory"))))
	field(b, "maxmemory_policy", s.cfg.Get("maxmemory-policy"))
	field(b, "mem_allocator", "go")
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func (s *Server) infoStats(b *strings.Builder) {
	field(b, "total_connections_received", s.stats.connections.Load())
	field(b, "total_commands_processed", s.stats.commands)
	field(b, "instantaneous_ops_per_sec", 0)
	field(b, "total_net_input_bytes", s.stats.netIn.Load())
	field(b, "total_net_output_bytes", s.stats.netOut.Load())
	field(b, "rejected_connections", s.stats.rejected.Load())
	field(b, "sync_full", s.repl.stats.full)
	field(b, "sync_partial_ok", s.repl.stats.partialOK)
	field(b, "sync_partial_err", s.repl.stats.partialErr)
	field(b, "expired_keys", s.ks.Stats.ExpiredKeys)
	field(b, "evicted_keys", s.mem.evicted)
	field(b, "keyspace_hits", s.ks.Stats.Hits)
	field(b, "keyspace_misses", s.ks.Stats.Misses)
	field(b, "pubsub_channels", 0)
	field(b, "pubsub_patterns", 0)
	field(b, "unexpected_error_replies", 0)
	field(b, "total_error_replies", s.cstats.total)
}

// ResetStats implements command.Host (CONFIG RESETSTAT): the counters
// INFO stats reports start again from zero.
func (s *Server) ResetStats() {
	s.stats.commands = 0
	s.stats.connections.Store(0)
	s.stats.rejected.Store(0)
	s.stats.netIn.Store(0)
	s.stats.netOut.Store(0)
	s.ks.Stats = keyspace.Stats{}
	s.resetCmdStats()
	s.mem.evicted = 0
	s.repl.stats = replState{}.stats
}

func (s *Server) infoKeyspace(b *strings.Builder) {
	for _, d := range s.ks.DBs {
		if d.Len() == 0 {
			continue
		}
		fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", d.ID, d.Len(), d.ExpiresLen())
	}
}

// tcpPort is the port actually listened on (the configured one may be 0
// in tests).
func (s *Server) tcpPort() int {
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

func (s *Server) infoPersistence(b *strings.Builder) {
	p := &s.persist
	field(b, "loading", boolInt(s.repl.load != nil))
	field(b, "async_loading", 0)
	field(b, "current_cow_peak", 0)
	field(b, "current_cow_size", 0)
	field(b, "current_cow_size_age", 0)
	field(b, "current_fork_perc", "0.00")
	processed, total := 0, 0
	if p.bg != nil {
		processed, total = p.bg.snap.Saved(), p.bg.snap.Total()
	}
	field(b, "current_save_keys_processed", processed)
	field(b, "current_save_keys_total", total)
	field(b, "rdb_changes_since_last_save", s.ks.Dirty-p.dirtyAtSave)
	field(b, "rdb_bgsave_in_progress", boolInt(p.bg != nil))
	field(b, "rdb_last_save_time", p.lastSave)
	field(b, "rdb_last_bgsave_status", okErr(p.lastOK))
	field(b, "rdb_last_bgsave_time_sec", p.lastDuration)
	current := int64(-1)
	if p.bg != nil {
		current = int64(time.Since(p.bg.start).Seconds())
	}
	field(b, "rdb_current_bgsave_time_sec", current)
	field(b, "rdb_saves", p.saves)
	field(b, "rdb_last_cow_size", 0)
	field(b, "rdb_last_load_keys_expired", p.loadedExpired)
	field(b, "rdb_last_load_keys_loaded", p.loadedKeys)
	s.infoAOF(b)
	field(b, "module_fork_in_progress", 0)
	field(b, "module_fork_last_cow_size", 0)
	s.infoLoading(b)
}

// infoCPU renders INFO cpu, the process's CPU times in seconds.
func (s *Server) infoCPU(b *strings.Builder) {
	sys, user, childSys, childUser := cpuTimes()
	secs := func(d time.Duration) string {
		return fmt.Sprintf("%d.%06d", d/time.Second, d%time.Second/time.Microsecond)
	}
	field(b, "used_cpu_sys", secs(sys))
	field(b, "used_cpu_user", secs(user))
	field(b, "used_cpu_sys_children", secs(childSys))
	field(b, "used_cpu_user_children", secs(childUser))
	// Go has no main thread; the process's figures stand in for it.
	field(b, "used_cpu_sys_main_thread", secs(sys))
	field(b, "used_cpu_user_main_thread", secs(user))
}

// infoModules renders INFO modules, which is empty: respd loads none.
func (s *Server) infoModules(b *strings.Builder) {}

// infoAOF renders the aof_* fields of INFO persistence.
func (s *Server) infoAOF(b *strings.Builder) { b.Write(s.aof.AppendInfo(nil)) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
