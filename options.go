package respd

import "time"

// Options configure a server started by Start. The zero value is a
// server with Redis's defaults on a free loopback port.
type Options struct {
	// Addr is the host:port to listen on. Empty means "127.0.0.1:0", a
	// free loopback port chosen by the system; Server.Addr reports it.
	Addr string

	// Databases is the number of databases (the databases directive).
	// Zero keeps the default of 16.
	Databases int

	// Hz is how many times a second the server's cron runs, which
	// reclaims expired keys and times out blocked clients (the hz
	// directive). Zero keeps the default of 10.
	Hz int

	// Time, when not zero, freezes the server's clock at Time: it then
	// moves only by FastForward, so TTLs and blocking timeouts in a test
	// do not depend on how fast the test runs. When zero the server
	// follows the wall clock (plus whatever FastForward added).
	Time time.Time

	// Config sets any redis.conf directive by name, as on the respd
	// command line ("maxmemory": "10mb", "notify-keyspace-events": "KEA").
	// Values are checked as at start-up, so a bad one makes Start fail
	// with the message redis-server would print. The typed fields above,
	// when set, take precedence over the same directive here.
	//
	// Unlike redis-server, an embedded server has no save points unless
	// "save" is set here, so it never writes dump.rdb on its own; it
	// still loads dir/dbfilename at start when that file exists.
	Config map[string]string
}
