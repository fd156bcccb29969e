package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/apiclient"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
)

// allObservations returns every stored observation: from the store, or, when a
// running serve holds it, through that server's API (GET /api/v1/observations with the
// token in TRADEMON_TOKEN), saying so on stderr. Either way the caller evaluates the
// same figures with the same code, so the output is the same.
func (a *app) allObservations(ctx context.Context, cfg *settings.Config) ([]obs.Observation, error) {
	st, err := openStore(ctx, cfg, a.logger, prometheus.NewRegistry())
	if errors.Is(err, bolt.ErrTimeout) {
		fmt.Fprintf(a.stderr, "trademon: the store is held by a running trademon serve; reading it through its API at %s\n", apiclient.BaseURL(cfg.Listen))
		c, err := a.apiClient(cfg)
		if err != nil {
			return nil, err
		}
		return c.Observations(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	all, err := st.Query(ctx, store.Filter{})
	if err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	return all, nil
}
