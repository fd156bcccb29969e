package store

import "syscall"

// freeBytes returns the bytes available to unprivileged users on the filesystem of
// dir; ok is false when it cannot tell.
func freeBytes(dir string) (free uint64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
