package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/influx"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// defaultConfig is the built-in config with the store under a temporary directory.
func storeConfig(t *testing.T) *settings.Config {
	t.Helper()
	cfg, err := settings.Load("", settings.Options{Env: []string{}})
	if err != nil {
		t.Fatalf("load defaults: %v", err)
	}
	cfg.Store.Path = filepath.Join(t.TempDir(), "data")
	return cfg
}

func TestOpenStoreEmbedded(t *testing.T) {
	cfg := storeConfig(t)
	reg := prometheus.NewPedanticRegistry()
	st, err := openStore(t.Context(), cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatalf("openStore: %v", err)
	}
	defer st.Close()
	if _, ok := st.(*embedded.Store); !ok {
		t.Fatalf("default store is %T, want *embedded.Store", st)
	}
	if _, err := os.Stat(filepath.Join(cfg.Store.Path, embedded.FileName)); err != nil {
		t.Fatalf("store file: %v", err)
	}
	o := storetest.Sample("retail_sales", "2024-01", obs.BasisMonth, obs.KindCollector, 1e10)
	if _, err := st.Put(t.Context(), []obs.Observation{o}); err != nil {
		t.Fatal(err)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_writes_total", "result", "ok"); v != 1 {
		t.Errorf("writes ok %v, want 1 (metrics registered on reg)", v)
	}
	// A second store on the same registry is refused, and releases its file.
	cfg2 := storeConfig(t)
	if _, err := openStore(t.Context(), cfg2, nil, reg); err == nil || !strings.Contains(err.Error(), "register store metrics") {
		t.Fatalf("second registration: %v", err)
	}
	again, err := openStore(t.Context(), cfg2, nil, nil)
	if err != nil {
		t.Fatalf("reopen after refused registration: %v", err)
	}
	again.Close()
}

func TestOpenStoreUnknownKind(t *testing.T) {
	cfg := storeConfig(t)
	cfg.Store.Kind = "sqlite"
	if _, err := openStore(t.Context(), cfg, nil, nil); err == nil || !strings.Contains(err.Error(), `unknown store kind "sqlite"`) {
		t.Fatalf("openStore: %v", err)
	}
}

func TestOpenStoreInfluxDB(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := storeConfig(t)
	cfg.Store.Kind = settings.StoreInfluxDB
	cfg.Store.InfluxDB.URL = srv.URL
	cfg.Store.InfluxDB.Token = srv.Token
	cfg.Store.InfluxDB.Org = srv.Org
	cfg.Store.InfluxDB.Bucket = srv.CreateDatabase(t)
	cfg.Store.InfluxDB.Timeout = 5 * time.Second
	reg := prometheus.NewPedanticRegistry()
	st, err := openStore(t.Context(), cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatalf("openStore: %v", err)
	}
	defer st.Close()
	is, ok := st.(*influx.Store)
	if !ok {
		t.Fatalf("store is %T, want *influx.Store", st)
	}
	if got := is.Config(); got.BatchSize != cfg.Store.Spool.BatchSize || got.RetryMax != cfg.Store.Spool.RetryMax || got.Dir != cfg.Store.Path {
		t.Errorf("spool config %+v does not follow store.spool", got)
	}
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	o := storetest.Sample("retail_sales", "2024-01", obs.BasisMonth, obs.KindCollector, 1e10)
	out, err := st.Put(t.Context(), []obs.Observation{o})
	if err != nil || out[0] != store.Created {
		t.Fatalf("Put: %v %v", out, err)
	}
	if got := srv.CountPoints(t, cfg.Store.InfluxDB.Bucket, "observation", "value"); len(got) != 1 {
		t.Fatalf("InfluxDB holds %v", got)
	}
	for _, name := range []string{"trademon_store_spool_entries", "trademon_store_spool_oldest_age_seconds", "trademon_store_spool_quarantined_entries"} {
		if v := storetest.MetricValue(t, reg, name); v != 0 {
			t.Errorf("%s = %v, want 0", name, v)
		}
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_flush_errors_total", "reason", "unreachable"); v != 0 {
		t.Errorf("flush errors %v", v)
	}
	if _, err := os.Stat(filepath.Join(cfg.Store.Path, influx.SpoolFile)); err != nil {
		t.Fatalf("spool file: %v", err)
	}
}
