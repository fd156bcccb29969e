package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/overview"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/targets"
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
what it holds. SIGHUP, or POST /-/reload by an admin, reloads the config file: the
targets and tasks files (for the evaluation), the users file and the collectors
(enabled, schedules, sources, timeouts) switch over together, or, if anything is
broken, nothing changes and
trademon_config_last_reload_successful drops to 0; listen, store, fetch and history
take effect only at the next start.`,
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

	ts, _, err := readTargetsFile(cfg.Targets)
	if err != nil {
		return err
	}
	tasks, _, err := readTasksFile(cfg.Tasks)
	if err != nil {
		return err
	}
	// The evaluation service keeps the verdicts fresh; every write through st asks it
	// to refresh, so metrics and pages show a new figure at once.
	// Staff entry (set below) supplies the task statuses staff recorded.
	var staff *staffEntry
	taskStatus := func() map[int]targets.TaskStatus {
		if staff == nil {
			return nil
		}
		return staff.svc.TaskStatuses()
	}
	eval := evaluation.New(evaluation.Options{Store: st, Targets: ts, Tasks: tasks, TaskStatus: taskStatus, Logger: log.With("component", "evaluation")})
	reg.MustRegister(eval.Collector())
	st = evaluation.NotifyingStore{Store: st, Svc: eval}
	staff, err = openEntry(cfg, st, ts, tasks, eval.Notify, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := staff.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close state file: %w", cerr))
		}
	}()

	historyRows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trademon_history_rows_total",
		Help: "Rows of the reference history loaded at start, by result (created, updated, unchanged, queued, rejected, failed).",
	}, []string{"result"})
	reg.MustRegister(historyRows)
	if err := seedHistory(ctx, st, cfg, log, historyRows); err != nil {
		return err
	}

	runner, fetcher, err := collectorRunnerFetcher(cfg, st, reg, log, "")
	if err != nil {
		return err
	}
	reloader, err := a.newReloader(cfg, eval, runner, fetcher, staff, reg, log)
	if err != nil {
		return err
	}

	srv, err := server.New(server.Options{Logger: log, Registry: reg, Store: st})
	if err != nil {
		return err
	}
	srv.Handle("GET /{$}", overview.Handler{Source: eval, Logger: log})
	srv.Handle("GET /collectors", runner.StatusHandler())
	srv.Handle("GET /targets/{id}", overview.TargetPage{Evaluator: eval, Logger: log})
	srv.Handle("GET /api/v1/targets", overview.TargetsAPI{Evaluator: eval})
	srv.Handle("GET /api/v1/targets/{id}", overview.TargetAPI{Evaluator: eval})
	staff.mount(srv, reg, st, cfg, log)
	srv.Handle("POST /-/reload", adminOnly(staff.auth, reloader.Handler()))

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (config key listen): %w", cfg.Listen, err)
	}
	if a.hooks.listening != nil {
		a.hooks.listening(ln.Addr())
	}

	// Background work: the evaluation refresher and the collector runner run until ctx
	// ends, and are stopped before the store closes (deferred above).
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	reloader.WatchSignals(bg, syscall.SIGHUP)
	evalDone := make(chan struct{})
	go func() {
		defer close(evalDone)
		eval.Run(bg, cfg.RefreshInterval)
	}()
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		staff.sweep(bg, time.Hour, log)
	}()
	if err := runner.Start(bg); err != nil {
		stopBG()
		<-evalDone
		<-sweepDone
		_ = ln.Close()
		return err
	}
	defer func() {
		stopBG()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if serr := runner.Stop(sctx); serr != nil {
			log.Error("stop collectors", "err", serr)
		}
		<-evalDone
		<-sweepDone
	}()

	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("http server stopped")
	return nil
}

// seedHistory loads the reference history into the store: the built-in
// config/history/shenzhen.csv, the file cfg.History names, or nothing for "none".
// It runs at every start: the rows are idempotent upserts of source kind reference,
// so an empty store shows real numbers at once, rows already stored stay unchanged,
// and a newer trademon's corrected history replaces the old one. Figures from
// collectors and staff take precedence over reference rows, so nothing they entered
// is overridden. A store that cannot be read now is left alone (tried again at the
// next start). Rows the history rejects are logged and counted; a history file that
// cannot be read at all is an error.
func seedHistory(ctx context.Context, st store.Store, cfg *settings.Config, log *slog.Logger, results *prometheus.CounterVec) error {
	name, data, ok, err := historySource(cfg.History)
	if err != nil {
		return fmt.Errorf("config key history: %w", err)
	}
	if !ok {
		log.Info("reference history disabled (history: none)")
		return nil
	}
	if err := st.Ping(ctx); err != nil {
		log.Warn("store unreachable; reference history not loaded this time", "err", err)
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
	log.Info("reference history loaded", "file", name, "created", res.Created,
		"updated", res.Updated, "unchanged", res.Unchanged, "queued", res.Queued, "rejected", res.Rejected)
	return nil
}
