//go:build !unix

package server

// rawReader is not available outside unix: clients read with conn.Read.
type rawReader struct{}

func newRawReader(*client) *rawReader { return nil }

func (*rawReader) serve(*input) (bool, error) { return false, nil }
