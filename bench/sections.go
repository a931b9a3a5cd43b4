package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchResult is one redis-benchmark run; clientBusy is the share of
// the run's wall time that redis-benchmark itself spent on its CPU.
type benchResult struct{ rps, p99, cpuUS, clientBusy float64 }

// benchmark runs redis-benchmark against s for one test and reads the
// server's CPU time around it.
func (s *server) benchmark(cfg *config, test string, pipe, n, keyspace, size int) (benchResult, error) {
	host, port, _ := net.SplitHostPort(s.addr)
	args := []string{"-c", cfg.clientCPU, cfg.benchmark, "-h", host, "-p", port,
		"-c", strconv.Itoa(cfg.clients), "-r", strconv.Itoa(keyspace), "-n", strconv.Itoa(n),
		"-P", strconv.Itoa(pipe), "-t", test, "--csv"}
	if size > 0 {
		args = append(args, "-d", strconv.Itoa(size))
	}
	before, err := s.cpu()
	if err != nil {
		return benchResult{}, err
	}
	var stderr bytes.Buffer
	// taskset execs redis-benchmark, so the process's CPU time is its own.
	cmd := exec.Command("taskset", args...)
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return benchResult{}, fmt.Errorf("redis-benchmark %s: %v: %s", test, err, stderr.String())
	}
	wall := time.Since(start)
	clientCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	after, err := s.cpu()
	if err != nil {
		return benchResult{}, err
	}
	r, err := parseBenchCSV(test, out)
	r.cpuUS = (after - before) * 1e6 / float64(n)
	r.clientBusy = clientCPU.Seconds() / wall.Seconds()
	return r, err
}

// parseBenchCSV reads rps and p99 from redis-benchmark --csv output of
// one test.
func parseBenchCSV(test string, out []byte) (benchResult, error) {
	// In cluster mode the CSV follows a description of the masters.
	if i := bytes.Index(out, []byte(`"test",`)); i > 0 {
		out = out[i:]
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 {
		return benchResult{}, fmt.Errorf("redis-benchmark %s printed %q", test, out)
	}
	col := func(name string) float64 {
		i := slices.Index(recs[0], name)
		if i < 0 || i >= len(recs[1]) {
			return nan
		}
		v, err := strconv.ParseFloat(recs[1][i], 64)
		if err != nil {
			return nan
		}
		return v
	}
	return benchResult{rps: col("rps"), p99: col("p99_latency_ms")}, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return nan
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[(len(v)-1)/2]
}

// rounds runs redis-benchmark cfg.rounds times on both servers,
// alternating them, and returns the median results of respd and redis.
func rounds(cfg *config, p pair, test string, pipe, n, keyspace, size int) ([2]benchResult, error) {
	var rps, p99, cpu, busy [2][]float64
	for round := range cfg.rounds {
		for i, s := range p.both() {
			r, err := s.benchmark(cfg, test, pipe, n, keyspace, size)
			if err != nil {
				return [2]benchResult{}, err
			}
			log.Printf("    %s -P %d round %d: %s %.0f rps %.3f µs/req, redis-benchmark busy %.1f%%",
				test, pipe, round+1, s.name, r.rps, r.cpuUS, r.clientBusy*100)
			rps[i] = append(rps[i], r.rps)
			p99[i] = append(p99[i], r.p99)
			cpu[i] = append(cpu[i], r.cpuUS)
			busy[i] = append(busy[i], r.clientBusy)
		}
	}
	var out [2]benchResult
	for i := range out {
		out[i] = benchResult{median(rps[i]), median(p99[i]), median(cpu[i]), median(busy[i])}
	}
	log.Printf("  %s -P %d: respd %.0f rps %.3f µs/req, redis %.0f rps %.3f µs/req; redis-benchmark busy %.1f%% / %.1f%%",
		test, pipe, out[0].rps, out[0].cpuUS, out[1].rps, out[1].cpuUS, out[0].clientBusy*100, out[1].clientBusy*100)
	return out, nil
}

var rpsTests = []string{"set", "get", "incr", "lpush", "lpop", "sadd", "hset", "zadd", "mset"}

func testLabel(test string) string {
	if test == "mset" {
		return "MSET(10)"
	}
	return strings.ToUpper(test)
}

func rpsSection(cfg *config, t *table) error {
	p, err := startPair(cfg, "rps")
	if err != nil {
		return err
	}
	defer p.stop()
	var p1, p16, cpu16, cpu1 table
	var busy1 [2][]float64
	for _, test := range rpsTests {
		for _, pipe := range []int{1, 16} {
			n := cfg.reqP1
			if pipe > 1 {
				n = cfg.reqP16
			}
			r, err := rounds(cfg, p, test, pipe, n, 100000, 0)
			if err != nil {
				return err
			}
			label := testLabel(test)
			if pipe == 1 {
				p1.ratio(label+" -P 1", "rps", r[0].rps, r[1].rps, "≥", 1.00)
				cpu1.info(label+" -P 1 server CPU per request", "µs", r[0].cpuUS, r[1].cpuUS)
				for i := range busy1 {
					busy1[i] = append(busy1[i], r[i].clientBusy*100)
				}
			} else {
				p16.ratio(label+" -P 16", "rps", r[0].rps, r[1].rps, "≥", 1.05)
				cpu16.ratio(label+" -P 16 server CPU per request", "µs", r[0].cpuUS, r[1].cpuUS, "≤", 0.90)
			}
		}
	}
	// At -P 1 the one redis-benchmark process can be what limits the
	// rate: then it is busy all the time against either server.
	cpu1.info("-P 1: redis-benchmark's time on its CPU, median of the tests", "%", median(busy1[0]), median(busy1[1]))
	for _, part := range []table{p1, p16, cpu16, cpu1} {
		t.rows = append(t.rows, part.rows...)
	}
	return nil
}

// appendKey appends the benchmark key of i: "key:" and 12 digits, the
// name redis-benchmark -r gives it, 16 bytes.
func appendKey(b []byte, i int) []byte {
	var d [12]byte
	for j := 11; j >= 0; j-- {
		d[j] = byte('0' + i%10)
		i /= 10
	}
	b = append(b, "key:"...)
	return append(b, d[:]...)
}

// value16 is the value redis-benchmark -d 16 writes.
const value16 = "xxxxxxxxxxxxxxxx"

// setGen builds SET key:i value16, with a TTL on odd i when ttl is set.
func setGen(ttl bool) func(b []byte, i int) []byte {
	return func(b []byte, i int) []byte {
		if ttl && i%2 == 1 {
			b = append(b, "*5\r\n$3\r\nSET\r\n$16\r\n"...)
		} else {
			b = append(b, "*3\r\n$3\r\nSET\r\n$16\r\n"...)
		}
		b = appendKey(b, i)
		b = append(b, "\r\n$16\r\n"+value16+"\r\n"...)
		if ttl && i%2 == 1 {
			b = append(b, "$2\r\nEX\r\n$7\r\n1000000\r\n"...)
		}
		return b
	}
}

// memPerKey fills both servers with n commands from gen and returns
// each one's RSS growth per key, with the key counts.
func memPerKey(p pair, n int, gen func([]byte, int) []byte) (perKey, keys [2]float64, err error) {
	for i, s := range p.both() {
		before, err := s.rss()
		if err != nil {
			return perKey, keys, err
		}
		t0 := time.Now()
		if err := load(s.addr, n, 2, gen); err != nil {
			return perKey, keys, fmt.Errorf("%s: loading: %w", s.name, err)
		}
		// Let the allocators settle (jemalloc purges, Go's background
		// sweeper finishes) before reading RSS.
		time.Sleep(time.Second)
		after, err := s.rss()
		if err != nil {
			return perKey, keys, err
		}
		k, err := s.dbsize()
		if err != nil {
			return perKey, keys, err
		}
		keys[i] = float64(k)
		perKey[i] = (after - before) / float64(k)
		log.Printf("  %s: %d keys loaded in %v, RSS %.1f -> %.1f MB", s.name, k, time.Since(t0).Round(time.Millisecond), before/1e6, after/1e6)
	}
	return perKey, keys, nil
}

// keysLabel writes a key count short: 3M, 200k.
func keysLabel(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return strconv.Itoa(n)
}

func bigSection(cfg *config, t *table) error {
	p, err := startPair(cfg, "big")
	if err != nil {
		return err
	}
	defer p.stop()
	label := keysLabel(cfg.keys) + " keys"
	per, keys, err := memPerKey(p, cfg.keys, setGen(false))
	if err != nil {
		return err
	}
	t.info(label+": DBSIZE after loading", "keys", keys[0], keys[1])
	t.ratio(label+" of 16 B with 16 B values: RSS per key", "B/key", per[0], per[1], "≤", 0.60)
	gcFrom := p.respd.logSize()
	for _, test := range []string{"set", "get"} {
		r, err := rounds(cfg, p, test, 16, cfg.reqP16, cfg.keys, 16)
		if err != nil {
			return err
		}
		l := fmt.Sprintf("%s: %s -r %d -d 16 -P 16", label, testLabel(test), cfg.keys)
		t.ratio(l, "rps", r[0].rps, r[1].rps, "≥", 1.10)
		t.ratio(l+" p99", "ms", r[0].p99, r[1].p99, "≤", 1.00)
	}
	if err := gcTest(cfg, p, t, label); err != nil {
		t.failed(label+": GC", err)
	}
	for _, pt := range []struct{ cmd, field string }{
		{"BGSAVE", "rdb_bgsave_in_progress"},
		{"BGREWRITEAOF", "aof_rewrite_in_progress"},
	} {
		if err := persistTest(cfg, p, t, label, pt.cmd, pt.field); err != nil {
			t.failed(label+": "+pt.cmd, err)
		}
	}
	cycles := p.respd.gcCycles(gcFrom)
	maxPause := nan
	if len(cycles) > 0 {
		maxPause = 0
		for _, c := range cycles {
			maxPause = max(maxPause, c.pause)
		}
	}
	t.self(fmt.Sprintf("%s: longest GC stop-the-world pause (%d cycles)", label, len(cycles)), "ms", maxPause, nan, "<", 1)
	return nil
}

func ttlSection(cfg *config, t *table) error {
	p, err := startPair(cfg, "ttl")
	if err != nil {
		return err
	}
	defer p.stop()
	per, _, err := memPerKey(p, cfg.keys, setGen(true))
	if err != nil {
		return err
	}
	t.ratio(keysLabel(cfg.keys)+" keys, TTL on half: RSS per key", "B/key", per[0], per[1], "≤", 0.70)
	return nil
}

// smallGens build one small collection of 10 fields per key.
var smallGens = []struct {
	name string
	gen  func(b []byte, i int) []byte
}{
	{"hashes", func(b []byte, i int) []byte {
		args := []string{"HSET", fmt.Sprintf("hash:%08d", i)}
		for f := range 10 {
			args = append(args, fmt.Sprintf("field:%d", f), fmt.Sprintf("value:%08d", i+f))
		}
		return appendCommand(b, args...)
	}},
	{"sets", func(b []byte, i int) []byte {
		args := []string{"SADD", fmt.Sprintf("set:%08d", i)}
		for f := range 10 {
			args = append(args, fmt.Sprintf("member:%08d", i+f))
		}
		return appendCommand(b, args...)
	}},
	{"zsets", func(b []byte, i int) []byte {
		args := []string{"ZADD", fmt.Sprintf("zset:%08d", i)}
		for f := range 10 {
			args = append(args, strconv.Itoa(i+f), fmt.Sprintf("member:%08d", i+f))
		}
		return appendCommand(b, args...)
	}},
}

func smallSection(cfg *config, t *table) error {
	for _, sg := range smallGens {
		p, err := startPair(cfg, "small-"+sg.name)
		if err != nil {
			return err
		}
		per, _, err := memPerKey(p, cfg.small, sg.gen)
		p.stop()
		if err != nil {
			return err
		}
		t.ratio(fmt.Sprintf("%s %s of 10 fields: RSS per key", keysLabel(cfg.small), sg.name), "B/key", per[0], per[1], "≤", 0.80)
	}
	return nil
}

func idleSection(cfg *config, t *table) error {
	p, err := startPair(cfg, "idle", "--maxclients", strconv.Itoa(cfg.idle+100))
	if err != nil {
		return err
	}
	defer p.stop()
	var delta [2]float64
	for i, s := range p.both() {
		before, err := s.rss()
		if err != nil {
			return err
		}
		conns, err := idle(s.addr, cfg.idle)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		err = s.waitInfo("clients", "connected_clients", strconv.Itoa(cfg.idle+1), time.Minute)
		if err == nil {
			time.Sleep(time.Second)
			var after float64
			after, err = s.rss()
			delta[i] = after - before
			log.Printf("  %s: %d idle connections, RSS %.1f -> %.1f MB", s.name, cfg.idle, before/1e6, after/1e6)
		}
		closeAll(conns)
		if err != nil {
			return err
		}
	}
	t.ratio(fmt.Sprintf("%d idle connections: RSS growth", cfg.idle), "MB", delta[0]/1e6, delta[1]/1e6, "≤", 1.50)
	return nil
}
