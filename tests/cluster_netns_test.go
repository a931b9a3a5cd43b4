package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// netnsNet is a private network for partition tests: a bridge in the
// host's namespace and, per node, a network namespace joined to it by a
// veth pair. The test process reaches every node through the bridge;
// cutting a node's link (its bridge-side veth down) isolates it from
// the others and from the test, while `ip netns exec` still reaches it
// through its own address, whose local route survives the link going
// down. Namespaces were chosen over packet filters because iptables is
// not installed here and `ip` (iproute2) is all they need; a node's
// namespace also confines its outgoing bus connections, whatever address
// the server binds them to.
type netnsNet struct {
	name   string // prefix of every interface and namespace name
	subnet string // first three octets of the /24
	hosts  int
}

// newNetnsNet makes the bridge, skipping the test when the machine
// cannot make namespaces (not root, no ip command), unless CI=true.
func newNetnsNet(t *testing.T) *netnsNet {
	t.Helper()
	skip := func(why string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("partition test needs network namespaces: %s", why)
		}
		t.Skipf("partition test skipped: it needs network namespaces (root and iproute2): %s", why)
	}
	if os.Geteuid() != 0 {
		skip("not running as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("no ip command")
	}
	var r [2]byte
	rand.Read(r[:])
	nn := &netnsNet{name: "c3" + hex.EncodeToString(r[:]), subnet: fmt.Sprintf("10.213.%d", r[0])}
	if out, err := exec.Command("ip", "link", "add", nn.name+"br", "type", "bridge").CombinedOutput(); err != nil {
		skip(fmt.Sprintf("ip link add bridge: %v: %s", err, out))
	}
	t.Cleanup(func() {
		for i := range nn.hosts {
			exec.Command("ip", "netns", "del", nn.ns(i)).Run()
			exec.Command("ip", "link", "del", nn.hostLink(i)).Run()
		}
		exec.Command("ip", "link", "del", nn.name+"br").Run()
	})
	nn.must(t, "ip", "addr", "add", nn.subnet+".1/24", "dev", nn.name+"br")
	nn.must(t, "ip", "link", "set", nn.name+"br", "up")
	return nn
}

func (nn *netnsNet) ns(i int) string       { return nn.name + "n" + fmt.Sprint(i) }
func (nn *netnsNet) hostLink(i int) string { return nn.name + "h" + fmt.Sprint(i) }
func (nn *netnsNet) ip(i int) string       { return fmt.Sprintf("%s.%d", nn.subnet, 10+i) }

func (nn *netnsNet) must(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// addHost makes one more namespace on the bridge, returning its name and
// address.
func (nn *netnsNet) addHost(t *testing.T) (string, string) {
	t.Helper()
	i := nn.hosts
	nn.hosts++
	ns, host, peer := nn.ns(i), nn.hostLink(i), nn.name+"p"+fmt.Sprint(i)
	nn.must(t, "ip", "netns", "add", ns)
	nn.must(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	nn.must(t, "ip", "link", "set", peer, "netns", ns)
	nn.must(t, "ip", "link", "set", host, "master", nn.name+"br")
	nn.must(t, "ip", "link", "set", host, "up")
	nn.must(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
	nn.must(t, "ip", "netns", "exec", ns, "ip", "addr", "add", nn.ip(i)+"/24", "dev", peer)
	nn.must(t, "ip", "netns", "exec", ns, "ip", "link", "set", peer, "up")
	return ns, nn.ip(i)
}

// hostOf is the index of the namespace named ns.
func (nn *netnsNet) hostOf(ns string) int {
	for i := range nn.hosts {
		if nn.ns(i) == ns {
			return i
		}
	}
	return -1
}

// cut takes the bridge side of ns's link down: nothing gets in or out.
func (nn *netnsNet) cut(t *testing.T, ns string) {
	t.Helper()
	nn.must(t, "ip", "link", "set", nn.hostLink(nn.hostOf(ns)), "down")
}

// heal brings the link of ns back up.
func (nn *netnsNet) heal(t *testing.T, ns string) {
	t.Helper()
	nn.must(t, "ip", "link", "set", nn.hostLink(nn.hostOf(ns)), "up")
}

// cliIn runs redis-cli inside ns against addr (reachable even while the
// namespace is cut off), returning its trimmed output.
func cliIn(cli, ns, host string, port int, args ...string) string {
	full := append([]string{"netns", "exec", ns, cli, "-h", host, "-p", fmt.Sprint(port)}, args...)
	out, err := exec.Command("ip", full...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(redis-cli: %v) %s", err, out)
	}
	return strings.TrimSpace(string(out))
}
