package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// server is one running server process, respd or redis-server, pinned to
// the server CPU.
type server struct {
	name   string // "respd" or "redis"
	addr   string
	cmd    *exec.Cmd
	origin int64  // respd: Unix ns its runtime's clock starts at, gctrace's @ 0
	log    string // stdout and stderr: gctrace lines for respd
	ctl    *conn  // control connection for INFO, DBSIZE, BGSAVE
}

// pair is the two servers of one measurement, started alike.
type pair struct{ respd, redis *server }

func (p pair) both() []*server { return []*server{p.respd, p.redis} }

func (p pair) stop() {
	for _, s := range p.both() {
		s.stop()
	}
}

// startPair starts a fresh respd and redis-server with the same
// directives plus extra, each in its own directory under cfg.dir.
func startPair(cfg *config, tag string, extra ...string) (pair, error) {
	a, err := startServer(cfg, "respd", tag, extra)
	if err != nil {
		return pair{}, err
	}
	b, err := startServer(cfg, "redis", tag, extra)
	if err != nil {
		a.stop()
		return pair{}, err
	}
	return pair{a, b}, nil
}

func startServer(cfg *config, name, tag string, extra []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startServerOn(cfg, name, tag, port, extra)
}

// startServerOn is startServer on a given port: cluster nodes need one
// whose bus port (port+10000) is free too.
func startServerOn(cfg *config, name, tag string, port int, extra []string) (*server, error) {
	dir := filepath.Join(cfg.dir, tag+"-"+name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var err error
	args := []string{"-c", cfg.serverCPU}
	if name == "respd" {
		args = append(args, cfg.respd)
	} else {
		args = append(args, cfg.redis)
	}
	args = append(args, "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
		"--bind", "127.0.0.1", "--protected-mode", "no", "--dir", dir)
	if name == "redis" {
		args = append(args, "--daemonize", "no", "--logfile", "")
	}
	args = append(args, extra...)
	s := &server{name: name, addr: fmt.Sprintf("127.0.0.1:%d", port), log: filepath.Join(dir, "log")}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// taskset execs the server, so the process id is the server's own.
	s.cmd = exec.Command("taskset", args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.ctl, err = dial(s.addr)
		if err == nil {
			if _, err = s.ctl.do("PING"); err == nil {
				if name == "respd" {
					if err := s.calibrate(); err != nil {
						s.stop()
						return nil, fmt.Errorf("respd: %w", err)
					}
				}
				return s, nil
			}
			s.ctl.Close()
		}
		if time.Now().After(deadline) {
			s.stop()
			out, _ := os.ReadFile(s.log)
			return nil, fmt.Errorf("%s did not start: %v\n%s", name, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *server) stop() {
	if s.ctl != nil {
		s.ctl.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	// The measurements wait for redis-server's BGSAVE and rewrite
	// children to finish, so none outlives its parent.
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// rss is the server's resident set size in bytes (VmRSS).
func (s *server) rss() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// cpu is the server's user+system CPU time in seconds.
func (s *server) cpu() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid()))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which may hold spaces: state is
	// field 3, utime 14 and stime 15.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (ut + st) / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// info returns one INFO field.
func (s *server) info(section, field string) (string, error) {
	rep, err := s.ctl.do("INFO", section)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(rep.str, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s: INFO %s has no %s", s.name, section, field)
}

// waitInfo polls an INFO field until it equals want.
func (s *server) waitInfo(section, field, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		v, err := s.info(section, field)
		if err != nil {
			return err
		}
		if v == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s stayed %q, not %q", s.name, field, v, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) dbsize() (int64, error) {
	rep, err := s.ctl.do("DBSIZE")
	return rep.num, err
}

// gcCycle is one line of GODEBUG=gctrace=1 output.
type gcCycle struct {
	from, to int64   // wall-clock span in Unix nanoseconds
	pause    float64 // the two stop-the-world phases, ms
}

var gcLine = regexp.MustCompile(`(?m)^gc \d+ @([0-9.]+)s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock.*$`)

// logSize is the current length of the server's log, to read the GC
// cycles after a point.
func (s *server) logSize() int64 {
	st, err := os.Stat(s.log)
	if err != nil {
		return 0
	}
	return st.Size()
}

// gcTrace is one parsed gctrace line: the cycle's start in seconds from
// the runtime's clock origin, its three phases in ms, and whether it
// was forced (runtime.GC, debug.FreeOSMemory).
type gcTrace struct {
	at     float64
	phases [3]float64
	forced bool
}

// gcTraces parses the gctrace lines written after offset.
func (s *server) gcTraces(offset int64) []gcTrace {
	f, err := os.Open(s.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	var out []gcTrace
	for _, m := range gcLine.FindAllStringSubmatch(string(data), -1) {
		t := gcTrace{forced: strings.HasSuffix(m[0], "(forced)")}
		t.at, _ = strconv.ParseFloat(m[1], 64)
		for i := range t.phases {
			t.phases[i], _ = strconv.ParseFloat(m[i+2], 64)
		}
		out = append(out, t)
	}
	return out
}

// calibrate sets s.origin. The runtime's clock starts after the two
// execs (taskset, then respd), about 3 ms after the bench starts them on
// the reference machine, so counting from the start would place every
// cycle that much early. calibrate asks for a collection instead
// (MEMORY PURGE runs one) and takes it to have begun when the command
// was sent, tens of microseconds early; gctrace prints @ in whole
// milliseconds, so the origin is within a millisecond either way (see
// gcMargin).
func (s *server) calibrate() error {
	from := s.logSize()
	sent := time.Now()
	if _, err := s.ctl.do("MEMORY", "PURGE"); err != nil {
		return err
	}
	for _, t := range slices.Backward(s.gcTraces(from)) {
		if t.forced {
			s.origin = sent.UnixNano() - int64(t.at*1e9)
			return nil
		}
	}
	return errors.New("respd logged no forced collection for MEMORY PURGE")
}

// gcCycles returns the cycles respd logged after offset.
func (s *server) gcCycles(offset int64) []gcCycle {
	var out []gcCycle
	for _, t := range s.gcTraces(offset) {
		from := s.origin + int64(t.at*1e9)
		wall := t.phases[0] + t.phases[1] + t.phases[2]
		out = append(out, gcCycle{from: from, to: from + int64(wall*1e6), pause: t.phases[0] + t.phases[2]})
	}
	return out
}
