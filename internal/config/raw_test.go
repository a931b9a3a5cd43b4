package config

import "testing"

// TestRawKeepsInput: Raw gives what set the value even where the printed
// form drops information (A hides n), and a failed CONFIG SET of several
// directives leaves it alone too.
func TestRawKeepsInput(t *testing.T) {
	c := New()
	if got := c.Raw("notify-keyspace-events"); got != "" {
		t.Fatalf("default raw = %q", got)
	}
	if err := c.Set("notify-keyspace-events", "KEAn", false); err != nil {
		t.Fatal(err)
	}
	if got, raw := c.Get("notify-keyspace-events"), c.Raw("notify-keyspace-events"); got != "AKE" || raw != "KEAn" {
		t.Fatalf("value %q raw %q, want AKE and KEAn", got, raw)
	}
	err := c.SetMany([][2]string{{"notify-keyspace-events", "Kx"}, {"hz", "nope"}}, false, false)
	if err == nil {
		t.Fatal("bad hz accepted")
	}
	if raw := c.Raw("notify-keyspace-events"); raw != "KEAn" {
		t.Fatalf("raw after failed SET = %q", raw)
	}
	var hooked string
	c.OnChange("notify-keyspace-events", func(string) { hooked = c.Raw("notify-keyspace-events") })
	if err := c.Set("notify-keyspace-events", "Eln", false); err != nil {
		t.Fatal(err)
	}
	if hooked != "Eln" {
		t.Fatalf("hook saw raw %q", hooked)
	}
}
