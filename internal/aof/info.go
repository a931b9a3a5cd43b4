package aof

import "strconv"

// AppendInfo appends the AOF lines of INFO persistence, in Redis's order,
// from aof_enabled to module_fork_last_cow_size and, when the AOF is
// enabled, aof_current_size to aof_delayed_fsync. The server writes the
// rdb_* lines before them and the loading_* lines (while loading) after.
//
// Everything comes from the AOF's own state, except what respd has no
// equivalent for, rendered as Redis does with no fork: aof_last_cow_size,
// module_fork_in_progress and module_fork_last_cow_size are 0, and
// aof_delayed_fsync is 0 (respd never postpones a write behind a slow
// fsync). aof_rewrite_scheduled and aof_pending_rewrite are the
// ScheduleRewrite flag; aof_rewrite_in_progress counts only AOF rewrites.
func (a *AOF) AppendInfo(dst []byte) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	line := func(name string, v int64) {
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, v, 10)
		dst = append(dst, "\r\n"...)
	}
	status := func(name string, ok bool) {
		dst = append(dst, name...)
		if ok {
			dst = append(dst, ":ok\r\n"...)
		} else {
			dst = append(dst, ":err\r\n"...)
		}
	}
	enabled := a.state != StateOff
	current := int64(-1)
	if a.rw != nil {
		current = a.now().Unix() - a.rw.start.Unix()
	}
	line("aof_enabled", b2i(enabled))
	line("aof_rewrite_in_progress", b2i(a.rw != nil))
	line("aof_rewrite_scheduled", b2i(a.scheduled))
	line("aof_last_rewrite_time_sec", a.lastRewrite)
	line("aof_current_rewrite_time_sec", current)
	status("aof_last_bgrewrite_status", a.rewriteErr == nil)
	line("aof_rewrites", a.rewrites)
	line("aof_rewrites_consecutive_failures", a.failures)
	status("aof_last_write_status", a.writeErr == nil && a.bio.fsyncErr() == nil)
	line("aof_last_cow_size", 0)
	line("module_fork_in_progress", 0)
	line("module_fork_last_cow_size", 0)
	if enabled {
		line("aof_current_size", a.currentSize)
		line("aof_base_size", a.baseSize)
		line("aof_pending_rewrite", b2i(a.scheduled))
		line("aof_buffer_length", int64(len(a.buf)))
		line("aof_pending_bio_fsync", int64(a.bio.pendingFsyncs()))
		line("aof_delayed_fsync", 0)
	}
	return dst
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
