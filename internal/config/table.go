package config

import "math"

// Table lists every directive respd knows, one row each.
var Table = []Directive{
	{Name: "port", Kind: Int, Default: "6379", Min: 0, Max: 65535, Immutable: true},
	{Name: "bind", Kind: String, Default: "* -::*", Immutable: true},
	{Name: "databases", Kind: Int, Default: "16", Min: 1, Max: math.MaxInt32, Immutable: true},
	{Name: "dir", Kind: String, Default: "."},
	{Name: "dbfilename", Kind: String, Default: "dump.rdb"},
	{Name: "replicaof", Aliases: []string{"slaveof"}, Kind: Special, Default: "", Immutable: true},
	{Name: "hz", Kind: Int, Default: "10", Min: 0, Max: math.MaxInt32},
	{Name: "proto-max-bulk-len", Kind: Memory, Default: "536870912", Min: 1024 * 1024, Max: math.MaxInt64},
	{Name: "maxclients", Kind: Int, Default: "10000", Min: 1, Max: math.MaxInt32},
	{Name: "timeout", Kind: Int, Default: "0", Min: 0, Max: math.MaxInt32},
	{Name: "requirepass", Kind: String, Default: ""},
	{Name: "appendonly", Kind: Bool, Default: "no"},
	{Name: "save", Kind: Special, Default: "3600 1 300 100 60 10000"},
	{Name: "loglevel", Kind: Enum, Default: "notice", EnumValues: []string{"debug", "verbose", "notice", "warning", "nothing"}},
	{Name: "logfile", Kind: String, Default: "", Immutable: true},
	{Name: "daemonize", Kind: Bool, Default: "no", Immutable: true},
	{Name: "maxmemory", Kind: Memory, Default: "0", Min: 0, Max: math.MaxInt64},
	{Name: "protected-mode", Kind: Bool, Default: "yes"},
}
