package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/storetest"
)

func open(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t,
		func(t *testing.T) store.Store { return open(t, t.TempDir()) },
		func(t *testing.T, s store.Store) store.Store {
			es := s.(*embedded.Store)
			if err := es.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, es.Dir())
		})
}

func TestOpenCreatesDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := open(t, dir)
	if _, err := filepath.Glob(filepath.Join(dir, embedded.FileName)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping on a closed store succeeded")
	}
}

func TestWritesMetric(t *testing.T) {
	s := open(t, t.TempDir())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	good := storetest.Sample("retail_sales", "2024-01", obs.BasisMonth, obs.KindCollector, 1e10)
	bad := good
	bad.Indicator = "nope"
	if _, err := s.Put(t.Context(), []obs.Observation{good, good}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), []obs.Observation{good, bad, good}); err == nil {
		t.Fatal("invalid batch accepted")
	}
	if got := storetest.MetricValue(t, reg, "trademon_store_writes_total", "result", "ok"); got != 2 {
		t.Errorf("writes ok = %v, want 2", got)
	}
	if got := storetest.MetricValue(t, reg, "trademon_store_writes_total", "result", "error"); got != 3 {
		t.Errorf("writes error = %v, want 3", got)
	}
}
