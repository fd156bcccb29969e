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

// storedFigures returns every stored observation and, when withRevisions is set, every
// recorded revision: from the store, or, when a running serve holds it, through that
// server's API (GET /api/v1/observations and /api/v1/revisions with the token in
// TRADEMON_TOKEN), saying so on stderr. Either way the caller evaluates the same
// figures with the same code, so the output is the same.
func (a *app) storedFigures(ctx context.Context, cfg *settings.Config, withRevisions bool) ([]obs.Observation, []obs.Revision, error) {
	st, err := openStore(ctx, cfg, a.logger, prometheus.NewRegistry())
	if errors.Is(err, bolt.ErrTimeout) {
		fmt.Fprintf(a.stderr, "trademon: the store is held by a running trademon serve; reading it through its API at %s\n", apiclient.BaseURL(cfg.Listen))
		c, err := a.apiClient(cfg)
		if err != nil {
			return nil, nil, err
		}
		all, err := c.Observations(ctx)
		if err != nil || !withRevisions {
			return all, nil, err
		}
		revs, err := c.Revisions(ctx)
		return all, revs, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	all, err := st.Query(ctx, store.Filter{})
	if err != nil {
		return nil, nil, fmt.Errorf("read observations: %w", err)
	}
	if !withRevisions {
		return all, nil, nil
	}
	revs, err := st.Revisions(ctx, store.Filter{})
	if err != nil {
		return nil, nil, fmt.Errorf("read revisions: %w", err)
	}
	return all, revs, nil
}
