package tests

import (
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/respd/respd/internal/command"
)

var update = flag.Bool("update", false, "rewrite the README's command table from the command table")

const (
	tableStart = "<!-- commands:start -->\n"
	tableEnd   = "<!-- commands:end -->\n"
)

// TestReadmeCommands keeps the README's table of implemented commands equal
// to the server's command table; run with -update to regenerate it.
func TestReadmeCommands(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, tableStart), strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", tableStart, tableEnd)
	}
	want := commandTable()
	if got := readme[i+len(tableStart) : j]; got != want {
		if *update {
			readme = readme[:i+len(tableStart)] + want + readme[j:]
			if err := os.WriteFile("../README.md", []byte(readme), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's command table is stale; run: go test ./tests -run TestReadmeCommands -update")
	}
}

func commandTable() string {
	groups := map[string][]string{}
	for _, c := range command.All() {
		name := strings.ToUpper(c.Name)
		if len(c.Sub) > 0 {
			var subs []string
			for _, s := range c.Sub {
				subs = append(subs, strings.ToUpper(s.Name))
			}
			sort.Strings(subs)
			name += " (" + strings.Join(subs, ", ") + ")"
		}
		groups[c.Group] = append(groups[c.Group], name)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| group | commands |\n|---|---|\n")
	for _, g := range names {
		b.WriteString("| " + g + " | " + strings.Join(groups[g], ", ") + " |\n")
	}
	return b.String()
}
