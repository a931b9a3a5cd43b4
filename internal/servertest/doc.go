// Package servertest starts servers for black-box tests: respd in-process
// on 127.0.0.1:0, and the real redis-server as the oracle for differential
// tests. It also speaks raw RESP for byte-exact assertions and runs
// differential scripts (see Diff).
//
// The real redis-server is found on PATH; when it is missing the test is
// skipped, except with CI=true, where that is a failure.
package servertest
