//go:build !unix

package server

// rawReader is not available outside unix: clients read with conn.Read.
type rawReader struct{}

func newRawReader(*client) *rawReader { return nil }

func (*rawReader) read([]byte) (int, error) { return 0, nil }

func (*rawReader) wait() error { return nil }
