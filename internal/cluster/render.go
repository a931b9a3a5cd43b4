package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"time"
)

// View is a consistent copy of what commands read: the state and the
// node-local migration marks.
type View struct {
	*State
	ID                   string
	Self                 Node
	Migrating, Importing map[int]string
}

// View returns a copy of the current state for rendering.
func (c *Cluster) View() *View {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v := &View{State: c.cur().Clone(), ID: c.ID, Self: c.self, Migrating: map[int]string{}, Importing: map[int]string{}}
	for k, x := range c.Migrating {
		v.Migrating[k] = x
	}
	for k, x := range c.Importing {
		v.Importing[k] = x
	}
	if _, ok := v.Nodes[c.ID]; !ok {
		self := c.self
		v.Nodes[c.ID] = &self
	}
	return v
}

// Me returns our own record.
func (v *View) Me() *Node { return v.Nodes[v.ID] }

// Addr renders a node's "ip:port@bus[,hostname]" as CLUSTER NODES shows it.
func Addr(n *Node) string {
	s := n.IP + ":" + strconv.Itoa(n.Port) + "@" + strconv.Itoa(n.Bus)
	if n.Hostname != "" {
		s += "," + n.Hostname
	}
	return s
}

// NodeLine renders one CLUSTER NODES line (without the newline).
func (v *View) NodeLine(n *Node, nowMs int64) string {
	var b strings.Builder
	b.WriteString(n.ID)
	b.WriteByte(' ')
	b.WriteString(Addr(n))
	b.WriteByte(' ')
	if n.ID == v.ID {
		b.WriteString("myself,")
	}
	if n.IsMaster() {
		b.WriteString("master")
	} else {
		b.WriteString("slave")
	}
	if n.Fail {
		b.WriteString(",fail")
	}
	b.WriteByte(' ')
	if n.IsMaster() {
		b.WriteByte('-')
	} else {
		b.WriteString(n.Master)
	}
	pong := int64(0)
	if len(v.Nodes) > 1 {
		pong = nowMs
		if n.ID == v.ID {
			pong = nowMs / 1000 * 1000
		}
	}
	b.WriteString(" 0 ")
	b.WriteString(strconv.FormatInt(pong, 10))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(v.NodeEpoch(n), 10))
	if n.Fail {
		b.WriteString(" disconnected")
	} else {
		b.WriteString(" connected")
	}
	for _, r := range v.SlotsOf(n.ID) {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(r[0]))
		if r[1] != r[0] {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r[1]))
		}
	}
	if n.ID == v.ID {
		for _, s := range sortedKeys(v.Migrating) {
			b.WriteString(" [" + strconv.Itoa(s) + "->-" + v.Migrating[s] + "]")
		}
		for _, s := range sortedKeys(v.Importing) {
			b.WriteString(" [" + strconv.Itoa(s) + "-<-" + v.Importing[s] + "]")
		}
	}
	return b.String()
}

func sortedKeys(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// NodesText renders CLUSTER NODES: one line per node, each ending in "\n".
func (v *View) NodesText(nowMs int64) string {
	var b strings.Builder
	for _, id := range v.SortedIDs() {
		b.WriteString(v.NodeLine(v.Nodes[id], nowMs))
		b.WriteByte('\n')
	}
	return b.String()
}

// SaveConfig writes the cluster-config-file: the CLUSTER NODES lines and
// the epoch variables, as Redis's nodes.conf (see doc.go).
func (c *Cluster) SaveConfig() error {
	v := c.View()
	text := v.NodesText(time.Now().UnixMilli()) + "vars currentEpoch " + strconv.FormatUint(v.CurrentEpoch, 10) + " lastVoteEpoch 0\n"
	p := c.confPath()
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// readMyID returns the node id in the "myself" line of the config file,
// "" when there is no file.
func readMyID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && strings.Contains(f[2], "myself") && len(f[0]) == 40 {
			return f[0], nil
		}
	}
	return "", nil
}

func randomID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return hex.EncodeToString(b)
}
