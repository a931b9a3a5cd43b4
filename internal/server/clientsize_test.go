package server

import (
	"testing"
	"unsafe"
)

// TestClientSize keeps a client in the allocator's 640-byte class: objects
// over 512 bytes carry an 8-byte header, so 632 bytes is the most that
// fits, and the next class (704) costs 0.8 MB per 10,000 idle clients.
func TestClientSize(t *testing.T) {
	if size := unsafe.Sizeof(client{}); unsafe.Sizeof(uintptr(0)) == 8 && size > 632 {
		t.Fatalf("client is %d bytes, over 632", size)
	}
}
