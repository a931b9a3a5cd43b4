package server

import (
	"strconv"

	"github.com/respd/respd/internal/command"
	"github.com/respd/respd/internal/pubsub"
)

// initNotify follows notify-keyspace-events. The mask handlers test is
// zero unless some class and K or E are on, so a server without
// notifications pays one bit test per write.
func (s *Server) initNotify() {
	s.cfg.OnChange("notify-keyspace-events", func(string) {
		// The raw input, not the printed value: "A" hides n when printed.
		m := command.ParseNotifyClasses(s.cfg.Raw("notify-keyspace-events"))
		if m&(command.NotifyKeyspace|command.NotifyKeyevent) == 0 {
			m = 0
		}
		s.notifyMask = m
		s.ks.OnNew = nil
		if m&command.NotifyNew != 0 {
			s.ks.OnNew = s.keyAdded
		}
		s.ks.OnMiss = nil
		if m&command.NotifyKeyMiss != 0 {
			s.ks.OnMiss = s.keyMissed
		}
	})
}

func (s *Server) keyMissed(db int, key []byte) {
	s.Notify(command.NotifyKeyMiss, "keymiss", key, db)
}

func (s *Server) keyAdded(db int, key []byte) {
	s.Notify(command.NotifyNew, "new", key, db)
}

// Notify publishes event for key of database db on the keyspace channel
// (when K is on) and then the keyevent channel (when E is on), as Redis
// orders them.
func (s *Server) Notify(class command.NotifyClass, event string, key []byte, db int) {
	m := s.notifyMask
	if m&class == 0 {
		return
	}
	if m&command.NotifyKeyspace != 0 {
		ch := make([]byte, 0, 20+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.Publish(pubsub.Channel, ch, []byte(event))
	}
	if m&command.NotifyKeyevent != 0 {
		ch := make([]byte, 0, 20+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.Publish(pubsub.Channel, ch, key)
	}
}
