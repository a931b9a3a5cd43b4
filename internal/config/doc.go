// Package config is the table of configuration directives: their names,
// defaults, whether CONFIG SET may change them, and how values are
// checked. It parses redis.conf files and `--name value` command-line
// arguments into that table, and answers CONFIG GET and CONFIG SET.
//
// Ownership: a Config is owned by the engine; the server reads typed
// values it caches through apply hooks, never by parsing on a hot path.
package config
