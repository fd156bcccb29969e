package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/trademon/trademon/collectors"
	_ "github.com/trademon/trademon/collectors/builtin" // registers the collectors
	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
)

// formatText is the readable output of collect and import (formatJSON is shared with targets).
const formatText = "text"

// collectorNames returns the registered collector names: the config keys allowed
// under collectors.
func collectorNames() []string { return collectors.Names() }

// httpCacheDir is where the fetcher keeps validators and bodies for conditional
// requests: fetch.cache_dir, or <store.path>/http-cache.
func httpCacheDir(cfg *settings.Config) string {
	if cfg.Fetch.CacheDir != "" {
		return cfg.Fetch.CacheDir
	}
	return filepath.Join(cfg.Store.Path, "http-cache")
}

// collectorRunner wires the collectors as every command runs them: one shared fetcher
// (so that politeness delays hold across collectors reading the same host), the
// collectors built from their config sections (only the one named, enabled or not, or
// every enabled one), and a runner writing to st with its metrics in reg.
func collectorRunner(cfg *settings.Config, st store.Store, reg prometheus.Registerer, logger *slog.Logger, only string) (*collectors.Runner, error) {
	runner, _, err := collectorRunnerFetcher(cfg, st, reg, logger, only)
	return runner, err
}

// collectorRunnerFetcher is collectorRunner, also returning the shared fetcher (serve
// builds the collectors of a reloaded config with it).
func collectorRunnerFetcher(cfg *settings.Config, st store.Store, reg prometheus.Registerer, logger *slog.Logger, only string) (*collectors.Runner, *fetch.Fetcher, error) {
	f, err := fetch.New(cfg.Fetch, fetch.Options{
		CacheDir:   httpCacheDir(cfg),
		HostDelays: fetch.HostDelays(cfg.Collectors),
		Registerer: reg,
		Logger:     logger.With("component", "fetch"),
	})
	if err != nil {
		return nil, nil, err
	}
	cols, err := collectors.Build(cfg.Collectors, collectors.Deps{Fetcher: f, Logger: logger}, only)
	if err != nil {
		return nil, nil, err
	}
	runner, err := collectors.NewRunner(collectors.RunnerOptions{
		Collectors: cols, Config: cfg.Collectors, Store: st, Registerer: reg,
		Logger: logger.With("component", "collectors"),
	})
	return runner, f, err
}

func (a *app) collectCmd() *cobra.Command {
	var name, format string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "collect [--collector NAME] [--dry-run] [--format text|json]",
		Short: "Run collectors once now",
		Long: `Run every enabled collector once now (or only --collector NAME, enabled or not) and
print the observations each accepted: what it read from its sources and passed the
safety checks. Like a scheduled run, it skips articles whose periods are already stored.
Figures are checked and stored unless --dry-run, which checks and prints them but
writes nothing. Rejected and conflicting figures are logged to stderr.

--format text (default) prints a table in display units (亿元, 万标箱) and a summary
per collector; --format json prints one JSON object per observation and line, in base
units, with at least indicator, period, basis, value, unit, url, quote, source and
published_at, plus the store's outcome (created, updated, unchanged; none in a dry run).

The exit code is 1 when any collector failed (a source could not be read, a layout
changed so that nothing was found, the run timed out), 2 for bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != formatText && format != formatJSON {
				return &exitError{code: 2, err: fmt.Errorf("--format: unknown format %q (want text or json)", format)}
			}
			return a.collect(cmd.Context(), name, format, dryRun)
		},
	}
	cmd.Flags().StringVar(&name, "collector", "", "run only this collector (one of "+strings.Join(collectorNames(), ", ")+")")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and print the observations but store nothing")
	cmd.Flags().StringVar(&format, "format", formatText, "output format: text or json")
	return cmd
}

func (a *app) collect(ctx context.Context, name, format string, dryRun bool) error {
	return a.eachCollector(ctx, name, func(runner *collectors.Runner, n string) error {
		run, err := runner.RunOnce(ctx, n, collectors.RunOptions{DryRun: dryRun, Trigger: collectors.TriggerManual})
		if run != nil {
			if perr := printRun(a.stdout, run, format); perr != nil {
				return perr
			}
		}
		return err
	})
}

// eachCollector opens the store and a runner for the collector named (or, when name is
// empty, every enabled one) and calls do for each in turn. It stops early when ctx
// ends, and returns exit code 1 naming the collectors for which do failed.
func (a *app) eachCollector(ctx context.Context, name string, do func(runner *collectors.Runner, n string) error) (err error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if err := checkCollectorName(name); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	st, err := openStore(ctx, cfg, a.logger, reg)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
		}
	}()
	runner, err := collectorRunner(cfg, st, reg, a.logger, name)
	if err != nil {
		return err
	}
	if len(runner.Names()) == 0 {
		return errors.New("no collector is enabled (enable one under collectors, or name one with --collector)")
	}
	var failed []string
	for _, n := range runner.Names() {
		if err := do(runner, n); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", n, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(failed) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d collectors failed:\n%s", len(failed), len(runner.Names()), strings.Join(failed, "\n"))}
	}
	return nil
}

func checkCollectorName(name string) error {
	if name == "" {
		return nil
	}
	for _, n := range collectorNames() {
		if n == name {
			return nil
		}
	}
	return &exitError{code: 2, err: fmt.Errorf("--collector: unknown collector %q (want one of %s)", name, strings.Join(collectorNames(), ", "))}
}

// collectLine is one observation of `collect --format json`.
type collectLine struct {
	obs.Observation
	Outcome store.Outcome `json:"outcome,omitempty"`
}

func printRun(w io.Writer, run *collectors.Run, format string) error {
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range run.Records {
			if err := enc.Encode(collectLine{Observation: r.Observation, Outcome: r.Outcome}); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
		return nil
	}
	if len(run.Records) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "INDICATOR\tPERIOD\tBASIS\tVALUE\tOUTCOME\tURL\tQUOTE")
		for _, r := range run.Records {
			o := r.Observation
			value := units.Format(o.Value, o.Unit)
			if ind, ok := obs.Lookup(o.Indicator); ok {
				value = units.Format(o.Value, ind.DisplayUnit)
			}
			if o.Estimate {
				value += " (预计)"
			}
			outcome := string(r.Outcome)
			if outcome == "" {
				outcome = "dry-run"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Indicator, o.Period, o.Basis, value, outcome, o.URL, oneLine(o.Quote))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	_, err := fmt.Fprintln(w, runSummary(run))
	return err
}

// runSummary is the one-line account of a run.
func runSummary(run *collectors.Run) string {
	notModified := 0
	for _, s := range run.Sources {
		notModified += s.NotModified
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d articles fetched (%d pages not modified), %d observations: %d created, %d updated, %d unchanged",
		run.Collector, run.Articles(), notModified, len(run.Records), run.Created, run.Updated, run.Unchanged)
	if run.Queued > 0 {
		fmt.Fprintf(&b, ", %d queued", run.Queued)
	}
	fmt.Fprintf(&b, "; %d rejected, %d conflicts", len(run.Rejected), len(run.Conflicts))
	if run.DryRun {
		b.WriteString(" (dry run: nothing stored)")
	}
	if run.Err != nil {
		b.WriteString(" — FAILED")
	} else {
		b.WriteString(" — ok")
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
