// Package tests holds respd's black-box tests: every test talks to a real
// server over TCP, with go-redis or raw RESP, and the differential tests
// compare respd's replies with the real redis-server's.
package tests
