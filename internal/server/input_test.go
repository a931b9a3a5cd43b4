package server

import "testing"

// TestInputIdle: waiting, an empty pooled buffer goes back to the pool,
// and a grown one stays for the next big request.
func TestInputIdle(t *testing.T) {
	in := &input{c: &client{}, buf: getReadBuf()}
	in.idle()
	if in.buf != nil {
		t.Fatal("an empty pooled buffer was kept while waiting")
	}
	in.buf = make([]byte, 80<<10)
	in.idle()
	if len(in.buf) != 80<<10 {
		t.Fatal("a grown buffer was dropped while waiting")
	}
	in.buf, in.n = getReadBuf(), 3
	in.idle()
	if in.buf == nil {
		t.Fatal("a buffer holding input was given back")
	}
}
