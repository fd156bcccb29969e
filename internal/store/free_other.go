//go:build !linux

package store

// freeBytes cannot tell the free space outside Linux.
func freeBytes(string) (uint64, bool) { return 0, false }
