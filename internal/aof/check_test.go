package aof

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkCases are AOF bodies covering each of redis-check-aof's verdicts.
var checkCases = []string{
	"",
	"*1\r\n$4\r\nPING\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n$3\r\nSET\r\n$1\r\nc",
	"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*3",
	"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*",
	"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\nx",
	"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
	"*1\r\n$4\r\nPING\n",
	"*1\n$4\r\nPING\r\n",
	"*1\r\n$-1\r\n",
	"*1\r\n$abc\r\nPING\r\n",
	"*1\r\n#x\r\n",
	"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n",
	"*1\r\n$4\r\nPI\r\n",
	"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n",
	"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nEXEC\r\n",
	"*1\r\n$5\r\nmulti\r\n*1\r\n$5\r\nMULTI\r\n",
	"*1\r\n$4\r\nexec\r\n",
	"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nabc",
	"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\nzz",
	"#TS:12345\r\n*1\r\n$4\r\nPING\r\n#TS:12346\r\n",
	"*1\r\n$4\r\nPING\r\n#no newline",
	"#" + strings.Repeat("a", 1500) + "\r\n*1\r\n$4\r\nPING\r\n",
	"*1\r\n$4\r\nPING\r\n*1\r\n$\xff\r\n",
	"*1\r\n$4\r\nPING\r\n*1\r\n\x00\r\n",
	"*1\r\n$4\r\nPING\r\n\xfe",
	"*1\r\n$0\r\n\r\n",
	"*2\r\n$3\r\nDEL\r\n$3\r\na\x00b\r\n",
	"*1\r\n$5\r\nMULTI\x00\r\n",
	"* 1\r\n$ 4\r\nPING\r\n",
	"*1\r\n$4 \r\nPING\r\n",
	"*1x\r\n$4\r\nPING\r\n",
	"*" + strings.Repeat("0", 100) + "1\r\n$4\r\nPING\r\n",
}

// redisCheckAOF runs the real redis-check-aof, answering y to --fix's
// question, and returns its output without the question.
func redisCheckAOF(t *testing.T, args ...string) (string, int) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Skip("redis-check-aof not found")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader("y\n")
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(out), "Continue? [y/N]: ", "")
	return s, code
}

// ourCheck runs Check as the CLI would and returns its report and exit
// status.
func ourCheck(path string, fix bool) (string, int) {
	var out bytes.Buffer
	if err := Check(path, CheckOptions{Fix: fix, Out: &out}); err != nil {
		return out.String(), 1
	}
	return out.String(), 0
}

func TestCheckMatchesRedisCheckAOF(t *testing.T) {
	cases := append([]string(nil), checkCases...)
	// Random damage to a valid file: truncations and byte flips.
	valid := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n" +
		"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n"
	r := rand.New(rand.NewPCG(1, 2))
	for i := range len(valid) {
		cases = append(cases, valid[:i])
	}
	for range 60 {
		b := []byte(valid)
		b[r.IntN(len(b))] = "*$\r\n0123456789xM#"[r.IntN(16)]
		cases = append(cases, string(b))
	}
	dir := t.TempDir()
	for i, c := range cases {
		for _, fix := range []bool{false, true} {
			ours := filepath.Join(dir, fmt.Sprintf("o%d.aof", i))
			theirs := filepath.Join(dir, fmt.Sprintf("t%d.aof", i))
			os.WriteFile(ours, []byte(c), 0o644)
			os.WriteFile(theirs, []byte(c), 0o644)
			var args []string
			if fix {
				args = append(args, "--fix")
			}
			want, wantCode := redisCheckAOF(t, append(args, theirs)...)
			got, gotCode := ourCheck(ours, fix)
			got = strings.ReplaceAll(got, ours, theirs)
			if got != want || gotCode != wantCode {
				t.Errorf("case %d %q fix=%v:\nredis-check-aof (exit %d):\n%s\nours (exit %d):\n%s", i, c, fix, wantCode, want, gotCode, got)
				continue
			}
			a, _ := os.ReadFile(ours)
			b, _ := os.ReadFile(theirs)
			if !bytes.Equal(a, b) {
				t.Errorf("case %d %q fix=%v: file after check %q, redis-check-aof left %q", i, c, fix, a, b)
			}
		}
	}
}

// TestCheckMultiPartMatchesRedisCheckAOF checks manifests: the running
// line count, the not-the-last-file refusal, empty and missing files.
func TestCheckMultiPartMatchesRedisCheckAOF(t *testing.T) {
	set := "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n"
	type file struct{ name, body string }
	cases := []struct {
		manifest string
		files    []file
	}{
		{"file b.aof seq 1 type b\nfile i1.aof seq 1 type i\nfile i2.aof seq 2 type i\n",
			[]file{{"b.aof", set}, {"i1.aof", set + set}, {"i2.aof", set + "*1\r\n$3\r\nab"}}},
		{"file b.aof seq 1 type b\nfile i1.aof seq 1 type i\n",
			[]file{{"b.aof", set + "*1\r\n"}, {"i1.aof", set}}},
		{"file b.aof seq 1 type b\n", []file{{"b.aof", ""}}},
		{"file i1.aof seq 1 type i\n", nil},
		{"# c\nfile b.aof seq 1 type b\nfile h.aof seq 1 type h\nfile i1.aof seq 1 type i\n",
			[]file{{"b.aof", set}, {"i1.aof", "*1\r\n$5\r\nMULTI\r\n"}}},
		{"xx\nfile b.aof seq 1 type b\n", []file{{"b.aof", set}}},
		{"file b.aof seq 1 type b\nfile b.aof seq 1 type b\n", []file{{"b.aof", set}}},
		{"file i1.aof seq 2 type i\nfile i2.aof seq 1 type i\n", nil},
		{"file b.aof seq 1 type b", []file{{"b.aof", set}}},
	}
	for i, c := range cases {
		for _, fix := range []bool{false, true} {
			var paths [2]string
			for k, who := range []string{"o", "t"} {
				d := filepath.Join(t.TempDir(), who)
				os.Mkdir(d, 0o755)
				os.WriteFile(filepath.Join(d, "m.manifest"), []byte(c.manifest), 0o644)
				for _, f := range c.files {
					os.WriteFile(filepath.Join(d, f.name), []byte(f.body), 0o644)
				}
				paths[k] = filepath.Join(d, "m.manifest")
			}
			var args []string
			if fix {
				args = append(args, "--fix")
			}
			want, wantCode := redisCheckAOF(t, append(args, paths[1])...)
			want = dropBlankLines(stripLogPrefix(want))
			got, gotCode := ourCheck(paths[0], fix)
			got = dropBlankLines(strings.ReplaceAll(got, filepath.Dir(paths[0]), filepath.Dir(paths[1])))
			if got != want || gotCode != wantCode {
				t.Errorf("case %d fix=%v:\nredis-check-aof (exit %d):\n%s\nours (exit %d):\n%s", i, fix, wantCode, want, gotCode, got)
			}
		}
	}
}

// stripLogPrefix removes the "pid:C date time # " prefix redis-check-aof
// puts on the lines it logs through Redis's logger (manifest errors), and
// the empty line the logger adds after each.
func stripLogPrefix(s string) string {
	var b strings.Builder
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if j := strings.Index(l, ":C "); j > 0 && strings.Contains(l, " # ") {
			b.WriteString(l[strings.Index(l, " # ")+3:] + "\n")
			// The logger ends each message with a newline of its own.
			if i+1 < len(lines) && lines[i+1] == "" {
				i++
			}
			continue
		}
		b.WriteString(l)
		if i < len(lines)-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// dropBlankLines removes empty lines, which Redis's logger adds after
// each manifest error line it prints.
func dropBlankLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestCheckMain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.aof")
	os.WriteFile(p, []byte(cmd("SET", "a", "1")+"*2\r\n"), 0o644)
	var out bytes.Buffer
	for _, args := range [][]string{nil, {"--fx", p}, {p, "--fix"}, {"--fix", p, p}} {
		out.Reset()
		eq(t, "exit status", CheckMain(args, &out, nil), 1)
		eq(t, "output", out.String(), CheckUsage+"\n")
	}
	// As redis-check-aof, a lone --fix is a file name.
	out.Reset()
	eq(t, "exit status", CheckMain([]string{"--fix"}, &out, nil), 1)
	eq(t, "output", out.String(), "Cannot open file --fix: No such file or directory\n")
	out.Reset()
	eq(t, "exit status", CheckMain([]string{p}, &out, nil), 1)
	contains(t, "output", out.String(), "AOF "+p+" is not valid. Use the --fix option to try fixing it.")
	out.Reset()
	eq(t, "exit status", CheckMain([]string{"--fix", p}, &out, nil), 0)
	eq(t, "file", readFile(t, p), cmd("SET", "a", "1"))
	out.Reset()
	eq(t, "exit status", CheckMain([]string{filepath.Join(dir, "missing")}, &out, nil), 1)
	eq(t, "output", out.String(), "Cannot open file "+filepath.Join(dir, "missing")+": No such file or directory\n")
}

// TestCheckRDBPreamble: with an RDB checker the tail after the preamble
// is checked; without one the preamble is taken for the whole file.
func TestCheckRDBPreamble(t *testing.T) {
	rdb := "REDIS0010<rdb>"
	p := filepath.Join(t.TempDir(), "x.aof")
	os.WriteFile(p, []byte(rdb+cmd("SET", "a", "1")+"*1\r\n"), 0o644)
	skip := func(r io.Reader, out io.Writer) error {
		_, err := io.ReadFull(r, make([]byte, len(rdb)))
		io.WriteString(out, "[fake rdb check]\n")
		return err
	}
	var out bytes.Buffer
	eq(t, "exit status", CheckMain([]string{p}, &out, skip), 1)
	eq(t, "report", out.String(), "Start checking Old-Style AOF\n[fake rdb check]\nRDB preamble is OK, proceeding with AOF tail...\n"+
		"AOF analyzed: filename="+p+", size=45, ok_up_to=41, ok_up_to_line=9, diff=4\n"+
		"AOF "+p+" is not valid. Use the --fix option to try fixing it.\n")
	out.Reset()
	eq(t, "exit status", CheckMain([]string{p}, &out, func(io.Reader, io.Writer) error { return io.ErrUnexpectedEOF }), 1)
	eq(t, "report", out.String(), "Start checking Old-Style AOF\nRDB preamble of AOF file is not sane, aborting.\n")
	out.Reset()
	eq(t, "exit status", CheckMain([]string{p}, &out, nil), 0)
	contains(t, "report", out.String(), "RDB preamble not checked")
}

// TestCheckHugeLength: redis-check-aof aborts allocating a bulk length
// larger than memory; Check reports the short read.
func TestCheckHugeLength(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.aof")
	os.WriteFile(p, []byte("*1\r\n$99999999999999999\r\nab\r\n"), 0o644)
	out, code := ourCheck(p, false)
	eq(t, "exit status", code, 1)
	contains(t, "report", out, "0x              18: Expected to read 100000000000000001 bytes, got 4 bytes\n")
}
