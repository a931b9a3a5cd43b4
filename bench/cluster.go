package main

import (
	"fmt"
	"log"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// clusterSection measures a 3-master cluster against one standalone
// node with redis-benchmark --cluster (SET and GET at -P 16), for respd
// and redis-server. Every node is pinned to the server CPUs like the
// single node, so on a small machine the cluster shares the cores the
// single node had to itself: the ratio shows what routing and three
// event loops cost or gain there, not how a cluster of machines scales.
func clusterSection(cfg *config, t *table) error {
	tests := []string{"set", "get"}
	// One node first, then each kind's cluster alone, so that no idle
	// server competes for the CPU during another's measurement.
	var one, cl, cpu [2][2][]float64 // [test][kind][round]
	single, err := startPair(cfg, "cluster-single")
	if err != nil {
		return err
	}
	for j, test := range tests {
		for range cfg.rounds {
			for i, s := range single.both() {
				r, err := s.benchmark(cfg, test, 16, cfg.reqP16, 100000, 0)
				if err != nil {
					single.stop()
					return err
				}
				one[j][i] = append(one[j][i], r.rps)
			}
		}
	}
	single.stop()
	for i, name := range []string{"respd", "redis"} {
		nodes, err := startCluster(cfg, name, 3)
		if err != nil {
			return err
		}
		for j, test := range tests {
			for range cfg.rounds {
				r, err := clusterBenchmark(cfg, nodes, test, 16, cfg.reqP16)
				if err != nil {
					stopAll(nodes)
					return err
				}
				cl[j][i] = append(cl[j][i], r.rps)
				cpu[j][i] = append(cpu[j][i], r.cpuUS)
			}
		}
		stopAll(nodes)
	}
	for j, test := range tests {
		var c, o, u [2]float64
		for i := range 2 {
			c[i], o[i], u[i] = median(cl[j][i]), median(one[j][i]), median(cpu[j][i])
		}
		label := testLabel(test) + " -P 16"
		log.Printf("  cluster %s: respd %.0f rps (one node %.0f), redis %.0f rps (one node %.0f)", label, c[0], o[0], c[1], o[1])
		t.info(label+": 3-master cluster", "rps", c[0], c[1])
		t.info(label+": one node", "rps", o[0], o[1])
		t.info(label+": cluster / one node", "x", c[0]/o[0], c[1]/o[1])
		t.info(label+": cluster CPU per request, all nodes", "µs", u[0], u[1])
	}
	t.note(fmt.Sprintf("Cluster rows: redis-benchmark --cluster -c %d -r 100000 against 3 masters without replicas, "+
		"all pinned to cpu %s like the one node: the nodes share this machine's cores, so the ratio is not a scaling figure.",
		cfg.clients, cfg.serverCPU))
	return nil
}

func stopAll(nodes []*server) {
	for _, s := range nodes {
		s.stop()
	}
}

// startCluster starts n cluster nodes of one kind and joins them as
// masters with redis-cli --cluster create.
func startCluster(cfg *config, name string, n int) ([]*server, error) {
	var nodes []*server
	fail := func(err error) ([]*server, error) {
		stopAll(nodes)
		return nil, err
	}
	args := []string{"--cluster", "create"}
	for i := range n {
		port, err := clusterPort()
		if err != nil {
			return fail(err)
		}
		s, err := startServerOn(cfg, name, fmt.Sprint("cluster", i), port,
			[]string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"})
		if err != nil {
			return fail(err)
		}
		nodes = append(nodes, s)
		args = append(args, s.addr)
	}
	out, err := exec.Command(cfg.cli, append(args, "--cluster-yes")...).CombinedOutput()
	if err != nil {
		return fail(fmt.Errorf("redis-cli --cluster create (%s): %v\n%s", name, err, out))
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, s := range nodes {
		for {
			rep, err := s.ctl.do("CLUSTER", "INFO")
			if err == nil && strings.Contains(rep.str, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				return fail(fmt.Errorf("%s cluster node %s not ok: %q %v", name, s.addr, rep.str, err))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nodes, nil
}

// clusterPort is a free port whose cluster bus port (port+10000) is free
// too.
func clusterPort() (int, error) {
	for range 100 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free port pair for a cluster node")
}

// clusterBenchmark runs redis-benchmark --cluster through the first node
// (it spreads its clients over the masters by CLUSTER SLOTS) and sums
// the nodes' CPU time per request.
func clusterBenchmark(cfg *config, nodes []*server, test string, pipe, n int) (benchResult, error) {
	host, port, _ := net.SplitHostPort(nodes[0].addr)
	cpu := func() (float64, error) {
		sum := 0.0
		for _, s := range nodes {
			c, err := s.cpu()
			if err != nil {
				return 0, err
			}
			sum += c
		}
		return sum, nil
	}
	before, err := cpu()
	if err != nil {
		return benchResult{}, err
	}
	out, err := exec.Command("taskset", "-c", cfg.clientCPU, cfg.benchmark, "--cluster", "-h", host, "-p", port,
		"-c", strconv.Itoa(cfg.clients), "-r", "100000", "-n", strconv.Itoa(n), "-P", strconv.Itoa(pipe),
		"-t", test, "--csv").Output()
	if err != nil {
		return benchResult{}, fmt.Errorf("redis-benchmark --cluster %s: %v: %s", test, err, out)
	}
	after, err := cpu()
	if err != nil {
		return benchResult{}, err
	}
	r, err := parseBenchCSV(test, out)
	r.cpuUS = (after - before) * 1e6 / float64(n)
	return r, err
}
