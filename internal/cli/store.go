package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/influx"
)

// metricStore is a store that exports its own metrics.
type metricStore interface {
	store.Store
	prometheus.Collector
}

// openStore opens the store cfg.Store configures (embedded: a bbolt file under
// store.path; influxdb: InfluxDB behind a spool under store.path) and registers its
// metrics (trademon_store_*) on reg, which may be nil. An unreachable InfluxDB is not
// an error: writes are spooled until it answers, and the store's Ping reports it.
func openStore(ctx context.Context, cfg *settings.Config, logger *slog.Logger, reg prometheus.Registerer) (store.Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	sc := cfg.Store
	var st metricStore
	switch sc.Kind {
	case settings.StoreEmbedded:
		s, err := embedded.Open(sc.Path, embedded.Options{Logger: logger})
		if err != nil {
			return nil, err
		}
		st = s
	case settings.StoreInfluxDB:
		s, err := influx.Open(ctx, influx.Config{
			URL: sc.InfluxDB.URL, Org: sc.InfluxDB.Org, Bucket: sc.InfluxDB.Bucket, Token: sc.InfluxDB.Token,
			Timeout: sc.InfluxDB.Timeout, Dir: sc.Path,
			BatchSize: sc.Spool.BatchSize, RetryMin: sc.Spool.RetryMin, RetryMax: sc.Spool.RetryMax,
			Logger: logger,
		})
		if err != nil {
			return nil, err
		}
		st = s
	default:
		return nil, fmt.Errorf("store.kind: unknown store kind %q (want %s or %s)", sc.Kind, settings.StoreEmbedded, settings.StoreInfluxDB)
	}
	if reg != nil {
		if err := reg.Register(st); err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("register store metrics: %w", err)
		}
	}
	logger.Info("store opened", "kind", sc.Kind, "path", sc.Path)
	return st, nil
}
