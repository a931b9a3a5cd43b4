//go:build !unix

package main

// raiseFileLimit does nothing here: the system has no open-file limit
// that a process lifts for itself.
func raiseFileLimit() {}
