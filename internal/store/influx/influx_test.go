package influx

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/influxtest"
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
