// Package reload applies a changed configuration to a running `trademon serve`, as
// Prometheus does: on SIGHUP or POST /-/reload it reads the config file again, checks
// every part (targets, tasks, users, collectors) against it, and only when all of them
// accept it switches them over together. A config that does not load or that any part
// refuses changes nothing: the old one keeps running, the error is logged and
// returned, and trademon_config_last_reload_successful drops to 0 until a reload
// succeeds. Keys that only take effect at start (listen, store, fetch, history) are
// reported as needing a restart and keep their running values.
package reload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/settings"
)

// Part is one reloadable piece of the running server.
type Part struct {
	// Name names the part in logs and errors ("targets", "collectors", "users").
	Name string
	// Prepare checks next (the running config is prev) and returns the function that
	// switches the part over, or an error saying what is wrong. It must not change
	// anything that runs: a later part may still refuse the config. Apply must not fail.
	Prepare func(ctx context.Context, prev, next *settings.Config) (apply func(), err error)
}

// Options configure a Reloader.
type Options struct {
	// Load reads the config file again (as serve read it at start).
	Load func() (*settings.Config, error)
	// Current is the config serve started with.
	Current *settings.Config
	Parts   []Part
	// Registerer gets the trademon_config_* metrics; nil registers nothing.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Result is what a successful reload did.
type Result struct {
	// Applied names the parts switched to the new config.
	Applied []string `json:"applied"`
	// RestartNeeded names the changed keys that take effect only at the next start.
	RestartNeeded []string `json:"restart_needed"`
}

// Reloader reloads the config; it is safe for concurrent use (reloads run one at a time).
type Reloader struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex // held for a whole reload
	current *settings.Config

	success   prometheus.Gauge
	timestamp prometheus.Gauge
	total     *prometheus.CounterVec
}

// New returns a Reloader whose metrics say that the config serve started with loaded
// successfully now.
func New(o Options) (*Reloader, error) {
	if o.Load == nil || o.Current == nil {
		return nil, errors.New("reload: Load and Current are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{
		opts: o, log: o.Logger.With("component", "reload"), current: o.Current,
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trademon_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt succeeded (1) or failed (0); the start counts as a reload.",
		}),
		timestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trademon_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration reload (or of the start).",
		}),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_config_reloads_total",
			Help: "Configuration reload attempts (SIGHUP, POST /-/reload), by result (success, failure).",
		}, []string{"result"}),
	}
	r.success.Set(1)
	r.timestamp.Set(float64(o.Now().UnixNano()) / 1e9)
	r.total.WithLabelValues("success")
	r.total.WithLabelValues("failure")
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{r.success, r.timestamp, r.total} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("reload: register metrics: %w", err)
			}
		}
	}
	return r, nil
}

// Current returns the running config.
func (r *Reloader) Current() *settings.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// Reload reads the config again and switches every part to it, or none. trigger
// ("SIGHUP", "http") is logged.
func (r *Reloader) Reload(ctx context.Context, trigger string) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, err := r.reload(ctx)
	if err != nil {
		r.success.Set(0)
		r.total.WithLabelValues("failure").Inc()
		r.log.Error("config reload failed; the running config is unchanged", "trigger", trigger, "err", err)
		return Result{}, err
	}
	r.success.Set(1)
	r.timestamp.Set(float64(r.opts.Now().UnixNano()) / 1e9)
	r.total.WithLabelValues("success").Inc()
	r.log.Info("config reloaded", "trigger", trigger, "applied", strings.Join(res.Applied, ","),
		"restart_needed", strings.Join(res.RestartNeeded, ","))
	return res, nil
}

func (r *Reloader) reload(ctx context.Context) (Result, error) {
	next, err := r.opts.Load()
	if err != nil {
		return Result{}, fmt.Errorf("load config: %w", err)
	}
	next, restart := keepStartOnly(r.current, next)
	applies := make([]func(), 0, len(r.opts.Parts))
	var errs []error
	for _, p := range r.opts.Parts {
		apply, err := p.Prepare(ctx, r.current, next)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
			continue
		}
		applies = append(applies, apply)
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	res := Result{Applied: []string{}, RestartNeeded: restart}
	for i, apply := range applies {
		apply()
		res.Applied = append(res.Applied, r.opts.Parts[i].Name)
	}
	r.current = next
	for _, k := range restart {
		r.log.Warn("config key changed but takes effect only at the next start", "key", k)
	}
	return res, nil
}

// keepStartOnly returns next with the keys that only take effect at start set back to
// their running values, and the names of those that differ.
func keepStartOnly(prev, next *settings.Config) (*settings.Config, []string) {
	out := *next
	restart := []string{}
	if prev.Listen != next.Listen {
		restart = append(restart, "listen")
		out.Listen = prev.Listen
	}
	if !reflect.DeepEqual(prev.Store, next.Store) {
		restart = append(restart, "store")
		out.Store = prev.Store
	}
	if !reflect.DeepEqual(prev.Fetch, next.Fetch) {
		restart = append(restart, "fetch")
		out.Fetch = prev.Fetch
	}
	if prev.History != next.History {
		restart = append(restart, "history")
		out.History = prev.History
	}
	if prev.RefreshInterval != next.RefreshInterval {
		restart = append(restart, "refresh_interval")
		out.RefreshInterval = prev.RefreshInterval
	}
	return &out, restart
}

// WatchSignals reloads on each of sigs (SIGHUP) until ctx ends. The signals are
// caught from the moment it returns (so one sent right after start-up does not kill
// the process); the reloads run on a goroutine of their own.
func (r *Reloader) WatchSignals(ctx context.Context, sigs ...os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				_, _ = r.Reload(ctx, "signal "+s.String())
			}
		}
	}()
}
