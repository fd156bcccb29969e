// Package tmpfs gives tests a small filesystem of their own, to fill up: a tmpfs
// mounted on a temporary directory. Mounting needs root (CAP_SYS_ADMIN); where it is
// not permitted the test is skipped with the reason.
package tmpfs

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size bytes on a new temporary directory and unmounts it
// when t ends (after the cleanups registered later, such as closing files in it).
func Mount(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := mount(dir, size); err != nil {
		t.Skipf("tmpfs: cannot mount a %d KiB tmpfs on %s (needs root): %v", size>>10, dir, err)
	}
	t.Cleanup(func() {
		if err := unmount(dir); err != nil {
			t.Errorf("tmpfs: unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file at path until the filesystem is full and returns its size.
func Fill(t testing.TB, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("tmpfs: fill: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatalf("tmpfs: fill %s: %v", path, err)
		}
	}
}

// Free removes what Fill wrote.
func Free(t testing.TB, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatalf("tmpfs: free: %v", err)
	}
}
