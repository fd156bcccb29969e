package spool

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/tmpfs"
)

// bulky returns n observations with long quotes, so that spooling them needs new
// pages in the file.
func bulky(n int, v float64) []obs.Observation {
	out := make([]obs.Observation, n)
	for i := range out {
		out[i] = sample(fmt.Sprintf("%d-%02d", 1900+i/12, i%12+1), v+float64(i))
		out[i].Quote = strings.Repeat("全市社会消费品零售总额", 20)
	}
	return out
}

// TestDiskFullRefusesWritesAndKeepsAcknowledged (issue 10, fault suite): with the
// spool's disk full, writes are refused with an error naming the file and the cause,
// Health says why, what was acknowledged before is delivered, and writes are taken
// again once there is space.
func TestDiskFullRefusesWritesAndKeepsAcknowledged(t *testing.T) {
	dir := tmpfs.Mount(t, 16<<20)
	path := filepath.Join(dir, "spool.db")
	k := &textSink{}
	k.fail = func(string) error { return errDown }
	opts := testOptions()
	opts.BatchSize = 5000
	s, err := Open(path, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	acked := bulky(50, 1)
	if _, err := s.Enqueue(acked); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)

	_, err = s.Enqueue(bulky(2000, 1e6))
	if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Enqueue on a full disk: %v, want an error naming %s and ENOSPC", err, path)
	}
	herr := s.Health()
	if herr == nil || !strings.Contains(herr.Error(), "last write failed") || !strings.Contains(herr.Error(), "no space left on device") {
		t.Fatalf("Health on a full disk: %v", herr)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_write_failing"); v != 1 {
		t.Errorf("trademon_store_write_failing = %v, want 1", v)
	}
	if st := s.Stats(); st.Entries != len(acked) {
		t.Fatalf("spool %+v, want the %d acknowledged entries", st, len(acked))
	}

	tmpfs.Free(t, filler)
	if err := s.Health(); err != nil {
		t.Fatalf("Health once there is space again: %v", err)
	}
	if _, err := s.Enqueue(bulky(2000, 1e6)); err != nil {
		t.Fatalf("Enqueue once there is space again: %v", err)
	}
	k.setFail(nil)
	waitEmpty(t, s)
	if n := len(k.lines()); n != 50+2000+50 {
		t.Errorf("delivered %d lines, want 2100 (50 acknowledged before, 2000 after, 50 revisions of the first)", n)
	}
}

// TestDiskFullAfterDelivery: the database took a batch but the spool could not note
// it (disk full). The batch stays spooled and is sent again once there is space: the
// same points, which the database stores once.
func TestDiskFullAfterDelivery(t *testing.T) {
	dir := tmpfs.Mount(t, 16<<20)
	path := filepath.Join(dir, "spool.db")
	k := &textSink{}
	k.fail = func(string) error { return errDown }
	opts := testOptions()
	opts.BatchSize = 5000
	opts.RetryMin, opts.RetryMax = time.Hour, time.Hour // only Sync delivers
	s, err := Open(path, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	if _, err := s.Enqueue(bulky(1500, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(t.Context()); err == nil { // the database is down: the loop waits
		t.Fatal("Sync succeeded with the database down")
	}
	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)
	k.setFail(nil)
	err = s.Sync(t.Context())
	if err == nil || !strings.Contains(err.Error(), "commit delivered entries") || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Sync with the spool's disk full: %v", err)
	}
	first := k.lines()
	if st := s.Stats(); st.Entries != 1500 || len(first) != 1500 {
		t.Fatalf("spool %+v after delivering %d lines: want all 1500 kept", st, len(first))
	}
	if s.Health() == nil {
		t.Fatal("Health is fine with the disk full")
	}
	tmpfs.Free(t, filler)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatalf("Sync once there is space: %v", err)
	}
	all := k.lines()
	if s.Stats().Entries != 0 || len(all) != 3000 || strings.Join(all[:1500], "\n") != strings.Join(all[1500:], "\n") {
		t.Fatalf("after recovery: %d entries, %d lines delivered; want the same 1500 lines twice", s.Stats().Entries, len(all))
	}
}
