// Package pubsub is the registry of Pub/Sub subscriptions: who listens on
// which channel, pattern and shard channel. It only keeps the books;
// delivering messages is the server's job.
//
// Ownership: a Registry is owned by the engine and never locks.
package pubsub

import "github.com/respd/respd/internal/ds/glob"

// Kind tells plain channels, patterns and shard channels apart.
type Kind uint8

// The kinds of subscription.
const (
	Channel Kind = iota
	Pattern
	Shard
)

// Registry maps channels and patterns to their subscribers, S being the
// server's client type. Subscribers of one name keep subscription order.
type Registry[S comparable] struct {
	names [3]map[string][]S
}

// New returns an empty registry.
func New[S comparable]() *Registry[S] {
	r := &Registry[S]{}
	for i := range r.names {
		r.names[i] = map[string][]S{}
	}
	return r
}

// Add subscribes s to name and reports whether it was new.
func (r *Registry[S]) Add(k Kind, name string, s S) bool {
	list := r.names[k][name]
	for _, x := range list {
		if x == s {
			return false
		}
	}
	r.names[k][name] = append(list, s)
	return true
}

// Remove unsubscribes s from name and reports whether it was subscribed.
func (r *Registry[S]) Remove(k Kind, name string, s S) bool {
	list := r.names[k][name]
	for i, x := range list {
		if x == s {
			list = append(list[:i], list[i+1:]...)
			if len(list) == 0 {
				delete(r.names[k], name)
			} else {
				r.names[k][name] = list
			}
			return true
		}
	}
	return false
}

// Subscribers returns the subscribers of a channel (or shard channel).
// The slice must not be kept or changed.
func (r *Registry[S]) Subscribers(k Kind, name string) []S { return r.names[k][name] }

// MatchPatterns calls fn for every pattern subscription matching channel.
func (r *Registry[S]) MatchPatterns(channel []byte, fn func(pattern string, s S)) {
	for p, list := range r.names[Pattern] {
		if glob.Match([]byte(p), channel, false) {
			for _, s := range list {
				fn(p, s)
			}
		}
	}
}

// Names returns the names of a kind with at least one subscriber that
// match pattern (all when pattern is nil).
func (r *Registry[S]) Names(k Kind, pattern []byte) []string {
	var out []string
	for name := range r.names[k] {
		if pattern == nil || glob.MatchString(pattern, name, false) {
			out = append(out, name)
		}
	}
	return out
}

// Count returns how many names of a kind have subscribers.
func (r *Registry[S]) Count(k Kind) int { return len(r.names[k]) }
