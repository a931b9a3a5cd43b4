package command

import "testing"

// notifyHost records the events Notify hands to the server.
type notifyHost struct {
	Host
	got []string
}

func (h *notifyHost) Notify(class NotifyClass, event string, key []byte, db int) {
	h.got = append(h.got, event+" "+string(key))
}

func TestParseNotifyClasses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want NotifyClass
	}{
		{"", 0},
		{"A", NotifyAll},
		{"KEA", NotifyAll | NotifyKeyspace | NotifyKeyevent},
		{"AKEn", NotifyAll | NotifyKeyspace | NotifyKeyevent | NotifyNew},
		{"Kg$", NotifyKeyspace | NotifyGeneric | NotifyString},
		{"Em", NotifyKeyevent | NotifyKeyMiss},
	} {
		if got := ParseNotifyClasses(tc.in); got != tc.want {
			t.Errorf("ParseNotifyClasses(%q) = %b, want %b", tc.in, got, tc.want)
		}
	}
	if NotifyAll&(NotifyNew|NotifyKeyMiss) != 0 {
		t.Error("A must not include n or m (Redis 7.0)")
	}
}

// TestNotifyOffIsFree: with notifications off Notify neither reaches the
// host nor allocates; with a class on, only that class goes through.
func TestNotifyOffIsFree(t *testing.T) {
	h := &notifyHost{}
	var mask NotifyClass
	c := &Ctx{Host: h, Notifying: &mask}
	key := []byte("k")
	if n := testing.AllocsPerRun(100, func() { c.Notify(NotifyString, "set", key) }); n != 0 {
		t.Errorf("Notify allocates %v times when off", n)
	}
	if len(h.got) != 0 {
		t.Fatalf("events with notifications off: %v", h.got)
	}
	mask = NotifyKeyspace | NotifyString
	c.DB = nil
	c.NotifyIn(3, NotifyString, "set", key)
	c.NotifyIn(3, NotifyList, "lpush", key)
	if len(h.got) != 1 || h.got[0] != "set k" {
		t.Errorf("events = %v, want [set k]", h.got)
	}
}
