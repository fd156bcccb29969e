package influx

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/influxtest"
	"github.com/trademon/trademon/internal/testutil/tmpfs"
)

// testConfig returns a store config for a fresh database on srv and a fresh spool dir.
func testConfig(t *testing.T, srv *influxtest.Server) Config {
	t.Helper()
	return Config{
		URL: srv.URL, Org: srv.Org, Token: srv.Token, Bucket: srv.CreateDatabase(t),
		Timeout: 10 * time.Second, Dir: t.TempDir(),
		BatchSize: 5000, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Logger: testLogger(t),
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func openStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	srv := influxtest.Start(t)
	storetest.Run(t,
		func(t *testing.T) store.Store { return openStore(t, testConfig(t, srv)) },
		func(t *testing.T, s store.Store) store.Store {
			is := s.(*Store)
			if err := is.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if st, err := os.Stat(filepath.Join(is.Config().Dir, SpoolFile)); err != nil || st.Size() == 0 {
				t.Fatalf("spool file after close: %v", err)
			}
			return openStore(t, is.Config())
		})
}

func TestPingNamesMissingBucket(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := testConfig(t, srv)
	cfg.Bucket = "no_such_database"
	s := openStore(t, cfg)
	err := s.Ping(t.Context())
	if err == nil || !strings.Contains(err.Error(), "no_such_database") {
		t.Fatalf("Ping with a missing bucket: %v", err)
	}
	// Writes are still acknowledged, and wait in the spool for the bucket to appear.
	o := storetest.Sample("retail_sales", "2024-01", obs.BasisMonth, obs.KindCollector, 1e10)
	if _, err := s.Put(t.Context(), []obs.Observation{o}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if st := s.SpoolStats(); st.Entries != 1 {
		t.Fatalf("spool %+v, want the write kept", st)
	}
}

// TestSpoolDiskFull (issue 10, fault suite): with the spool's disk full, Put is
// refused with an error naming the spool file and the cause, Ping (so /readyz) says
// why, what was acknowledged before is in InfluxDB, and writes are taken again once
// there is space.
func TestSpoolDiskFull(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := testConfig(t, srv)
	cfg.Dir = tmpfs.Mount(t, 16<<20)
	s := openStore(t, cfg)
	acked := make([]obs.Observation, 50)
	for i := range acked {
		acked[i] = storetest.Sample("retail_sales", fmt.Sprintf("%d-%02d", 2020+i/12, i%12+1), obs.BasisMonth, obs.KindCollector, float64(i+1)*1e9)
	}
	if _, err := s.Put(t.Context(), acked); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(cfg.Dir, "filler")
	tmpfs.Fill(t, filler)
	big := make([]obs.Observation, 2000)
	for i := range big {
		// Few distinct months, so that InfluxDB needs few shards.
		big[i] = storetest.Sample("goods_trade_cny", fmt.Sprintf("2024-%02d", i%12+1), obs.BasisMonth, obs.KindCollector, float64(i+1)*1e9)
		big[i].Region = fmt.Sprintf("district-%d", i/12)
		big[i].Quote = strings.Repeat("全市进出口总额", 30)
	}
	spoolFile := filepath.Join(cfg.Dir, SpoolFile)
	_, err := s.Put(t.Context(), big)
	if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), spoolFile) {
		t.Fatalf("Put with the spool's disk full: %v, want an error naming %s and ENOSPC", err, spoolFile)
	}
	perr := s.Ping(t.Context())
	if perr == nil || !strings.Contains(perr.Error(), "last write failed") || !strings.Contains(perr.Error(), "no space left on device") {
		t.Fatalf("Ping with the spool's disk full: %v", perr)
	}
	got, err := s.Query(t.Context(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.EqualObservations(t, acked, got)

	tmpfs.Free(t, filler)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once there is space: %v", err)
	}
	if _, err := s.Put(t.Context(), big); err != nil {
		t.Fatalf("Put once there is space: %v", err)
	}
	if got, err := s.Query(t.Context(), store.Filter{}); err != nil || len(got) != len(acked)+len(big) {
		t.Fatalf("after recovery: %d observations (%v), want %d", len(got), err, len(acked)+len(big))
	}
}
