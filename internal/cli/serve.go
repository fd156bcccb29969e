package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
)

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the scheduler and the HTTP server",
		Long: `Run trademon: open the store, load the reference history into it if it is empty
(config key history), run the collectors on their schedules, keep the target
evaluation fresh, and serve HTTP on the listen address: /metrics, /healthz, /readyz,
the overview page and the API.

With no config file it uses the built-in defaults: an embedded store in ./data and
127.0.0.1:8080. SIGINT or SIGTERM shuts it down gracefully: it stops accepting,
lets requests in flight finish (10s at most), and closes the store, which flushes
what it holds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context())
		},
	}
}

// serve runs until ctx is done (SIGINT/SIGTERM from main) and returns nil after a
// clean shutdown.
func (a *app) serve(ctx context.Context) (err error) {
	log := a.logger
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	reg := server.NewRegistry()
	st, err := openStore(ctx, cfg, log, reg)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if a.hooks.wrapStore != nil {
		st = a.hooks.wrapStore(st)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			log.Error("close store", "err", cerr)
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
			return
		}
		log.Info("store closed")
	}()

	historyRows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trademon_history_rows_total",
		Help: "Rows of the reference history loaded at the first start, by result (created, queued, rejected, failed).",
	}, []string{"result"})
	reg.MustRegister(historyRows)
	if err := seedHistory(ctx, st, cfg, log, historyRows); err != nil {
		return err
	}

	srv, err := server.New(server.Options{Logger: log, Registry: reg, Store: st})
	if err != nil {
		return err
	}

	// ---- Background work, started here and stopped before the store closes: ----
	// The collector runner (collectors.Runner: Start(ctx) / Stop(ctx)) and the
	// evaluation refresher (evaluation.Service: Run(ctx, cfg.RefreshInterval)) are
	// started here, and their pages mounted on srv (srv.Handle("/", …),
	// srv.Handle("GET /collectors", …)) before srv.Serve. Their owners wire them in.

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (config key listen): %w", cfg.Listen, err)
	}
	if a.hooks.listening != nil {
		a.hooks.listening(ln.Addr())
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("http server stopped")
	return nil
}

// seedHistory loads the reference history into an empty store: the built-in
// config/history/shenzhen.csv, the file cfg.History names, or nothing for "none".
// A store that already holds observations is left alone, and so is one that cannot
// be read now (it is tried again at the next start). Rows the history rejects are
// logged and counted; a history file that cannot be read at all is an error.
func seedHistory(ctx context.Context, st store.Store, cfg *settings.Config, log *slog.Logger, results *prometheus.CounterVec) error {
	name, data, ok, err := historySource(cfg.History)
	if err != nil {
		return fmt.Errorf("config key history: %w", err)
	}
	if !ok {
		log.Info("reference history disabled (history: none)")
		return nil
	}
	have, err := st.Query(ctx, store.Filter{})
	if err != nil {
		log.Warn("cannot tell whether the store is empty; reference history not loaded this time", "err", err)
		return nil
	}
	if len(have) > 0 {
		log.Debug("store holds observations; reference history not loaded", "observations", len(have))
		return nil
	}
	res, err := importer.Import(ctx, st, name, data, importer.Options{
		Kind:    obs.KindReference,
		Now:     time.Now(),
		Results: results,
		Logger:  log,
	})
	if res != nil {
		for _, r := range res.Rejections {
			log.Warn("reference history row rejected", "file", name, "line", r.Line, "reason", r.Reason)
		}
	}
	if err != nil && !errors.Is(err, importer.ErrRejected) {
		return fmt.Errorf("load reference history %s: %w", name, err)
	}
	log.Info("reference history loaded into the empty store", "file", name,
		"created", res.Created, "queued", res.Queued, "rejected", res.Rejected)
	return nil
}
