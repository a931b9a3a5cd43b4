package acl

// LogEntry is one ACL LOG entry: a denial or failed AUTH. Repeats of the
// same reason, context, object and user within a minute are counted on
// one entry, which moves to the front, as in Redis.
type LogEntry struct {
	Count      int64
	Reason     string // command, key, channel, auth
	Context    string // toplevel, multi, lua, module
	Object     string
	Username   string
	CtimeMs    int64
	ClientInfo string
}

// groupWindowMs is how recent an entry must be to absorb a repeat.
const groupWindowMs = 60000

// Log is the ACL LOG, newest first.
type Log struct {
	Entries []*LogEntry
}

// ReasonName names a denial's reason as the log shows it.
func ReasonName(r Result) string {
	switch r {
	case DeniedKey:
		return "key"
	case DeniedChannel:
		return "channel"
	case DeniedAuth:
		return "auth"
	}
	return "command"
}

// Add records e (with Count 0), merging it into a recent equal entry,
// and keeps at most max entries.
func (l *Log) Add(e LogEntry, max int) {
	for i, o := range l.Entries {
		if o.Reason == e.Reason && o.Context == e.Context && o.Object == e.Object && o.Username == e.Username &&
			e.CtimeMs-o.CtimeMs <= groupWindowMs {
			o.Count++
			o.CtimeMs = e.CtimeMs
			o.ClientInfo = e.ClientInfo
			copy(l.Entries[1:i+1], l.Entries[:i])
			l.Entries[0] = o
			return
		}
	}
	e.Count = 1
	l.Entries = append([]*LogEntry{&e}, l.Entries...)
	if len(l.Entries) > max {
		l.Entries = l.Entries[:max]
	}
}

// Reset drops every entry.
func (l *Log) Reset() { l.Entries = nil }
