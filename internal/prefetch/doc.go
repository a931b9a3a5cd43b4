// Package prefetch asks the CPU to start loading memory that the program
// will read soon, without waiting for it: a batch of pipelined commands
// can have the cache misses of its later keys in flight while the earlier
// ones execute. On architectures without an assembly version it does
// nothing.
package prefetch
