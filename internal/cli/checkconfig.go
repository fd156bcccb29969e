package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/targets"
)

func (a *app) checkConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config",
		Short: "Validate all config files",
		Long: `Validate the main config (--config, or built-in defaults) with its TRADEMON_*
environment overrides, then the targets, tasks, users and history files it names (or
their built-in copies). Every problem is printed as FILE:LINE: KEY: PROBLEM.

It also checks what serve would refuse at once: a listen address that cannot be
bound (one in use now is a warning on stderr, as it may be this trademon already
running), and a store path or fetch.cache_dir that is not a directory trademon can
write or create.

Exit codes: 0 all files are valid ("config OK" and a summary on stdout);
1 a problem was found (each on stderr).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.checkConfig(cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

// configReport is what check-config found in one file.
type configReport struct {
	summary  []string // "name  detail" lines for the summary
	problems []string
}

func (r *configReport) problem(err error) {
	var se *settings.Error
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			r.problems = append(r.problems, p.String())
		}
		return
	}
	r.problems = append(r.problems, err.Error())
}

func (a *app) checkConfig(stdout, stderr io.Writer) error {
	rep := &configReport{}
	cfg, err := a.loadConfig()
	// Every problem is reported: those of the main config (its values as decoded,
	// and what serve would refuse at once), then those of the files it names.
	var main []settings.Problem
	var se *settings.Error
	switch {
	case errors.As(err, &se):
		main = se.Problems
	case err != nil:
		rep.problem(err)
	}
	var warnings []settings.Problem
	if cfg != nil {
		probs, warns := preflight(cfg, main)
		main = settings.SortProblems(append(main, probs...))
		warnings = warns
	}
	for _, p := range main {
		rep.problems = append(rep.problems, p.String())
	}
	if cfg != nil {
		rep.summary = append(rep.summary,
			"config      "+cfg.File,
			"listen      "+cfg.Listen,
			"store       "+storeSummary(cfg))
		checkTargets(rep, cfg.Targets)
		checkTasks(rep, cfg.Tasks)
		checkHistory(rep, cfg.History)
		checkUsers(rep, cfg.Users, cfg.Tasks)
		rep.summary = append(rep.summary, collectorsSummary(cfg)...)
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, w.String())
	}
	if len(rep.problems) > 0 {
		for _, p := range rep.problems {
			fmt.Fprintln(stderr, p)
		}
		noun := "problem"
		if len(rep.problems) > 1 {
			noun = "problems"
		}
		return &exitError{code: 1, err: fmt.Errorf("config has %d %s", len(rep.problems), noun)}
	}
	var b strings.Builder
	b.WriteString("config OK\n")
	for _, s := range rep.summary {
		b.WriteString("  " + s + "\n")
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func storeSummary(cfg *settings.Config) string {
	if cfg.Store.Kind == settings.StoreInfluxDB {
		tok := "no token"
		if cfg.Store.InfluxDB.Token != "" {
			tok = "token set"
		}
		return fmt.Sprintf("influxdb %s bucket %s (%s), spool in %s", cfg.Store.InfluxDB.URL, cfg.Store.InfluxDB.Bucket, tok, cfg.Store.Path)
	}
	return "embedded in " + cfg.Store.Path
}

// readConfigFile returns the named file, or the built-in copy when path is empty.
func readConfigFile(path, builtinName string, builtin []byte) (string, []byte, error) {
	if path == "" {
		return builtinName, builtin, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return path, nil, fmt.Errorf("%s: cannot read: %w", path, errors.Unwrap(err))
	}
	return path, data, nil
}

// readTargetsFile reads the targets file named by the config, or the built-in one.
func readTargetsFile(path string) ([]targets.Target, string, error) {
	name, data, err := readConfigFile(path, targets.BuiltinTargetsFile, config.TargetsYAML)
	if err != nil {
		return nil, name, err
	}
	ts, err := targets.ParseTargets(name, data)
	return ts, name, err
}

// readTasksFile reads the tasks file named by the config, or the built-in one.
func readTasksFile(path string) ([]targets.Task, string, error) {
	name, data, err := readConfigFile(path, targets.BuiltinTasksFile, config.TasksYAML)
	if err != nil {
		return nil, name, err
	}
	ts, err := targets.ParseTasks(name, data)
	return ts, name, err
}

func checkTargets(rep *configReport, path string) {
	ts, name, err := readTargetsFile(path)
	if err != nil {
		rep.problem(err)
		return
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	rep.summary = append(rep.summary, fmt.Sprintf("targets     %d in %s: %s", len(ts), name, strings.Join(ids, ", ")))
}

func checkTasks(rep *configReport, path string) {
	ts, name, err := readTasksFile(path)
	if err != nil {
		rep.problem(err)
		return
	}
	rep.summary = append(rep.summary, fmt.Sprintf("tasks       %d in %s", len(ts), name))
}

// BuiltinHistoryFile names the embedded reference history in messages.
const BuiltinHistoryFile = "config/history/shenzhen.csv (built-in)"

// historySource returns the reference history the config names: its name and
// content, or ok false for "none".
func historySource(path string) (name string, data []byte, ok bool, err error) {
	switch path {
	case "none":
		return "", nil, false, nil
	case "":
		return BuiltinHistoryFile, config.HistoryCSV, true, nil
	}
	data, err = importer.ReadFile(path, importer.MaxFileBytes)
	if err != nil {
		if errors.Is(err, importer.ErrTooLarge) {
			return path, nil, false, fmt.Errorf("cannot read history: %w", err)
		}
		return path, nil, false, fmt.Errorf("%s: cannot read history: %w", path, errors.Unwrap(err))
	}
	return path, data, true, nil
}

func checkHistory(rep *configReport, path string) {
	name, data, ok, err := historySource(path)
	switch {
	case err != nil:
		rep.problem(err)
		return
	case !ok:
		rep.summary = append(rep.summary, "history     none")
		return
	}
	rows, rejects, err := importer.Prepare(name, data, importer.Options{Kind: obs.KindReference, Now: time.Now()})
	if err != nil {
		rep.problem(err)
		return
	}
	for _, r := range rejects {
		rep.problems = append(rep.problems, fmt.Sprintf("%s:%d: %s", name, r.Line, r.Reason))
	}
	rep.summary = append(rep.summary, fmt.Sprintf("history     %d rows in %s; loaded into an empty store at the first serve", len(rows), name))
}

func collectorsSummary(cfg *settings.Config) []string {
	names := make([]string, 0, len(cfg.Collectors))
	for n := range cfg.Collectors {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]string, 0, len(names))
	now := time.Now()
	for _, n := range names {
		c := cfg.Collectors[n]
		srcs := make([]string, len(c.Sources))
		for i, s := range c.Sources {
			srcs[i] = s.Name
		}
		state := "disabled"
		if sched, err := settings.ParseSchedule(c.Schedule); c.Enabled && err == nil {
			state = "enabled, next run " + sched.Next(now).In(obs.Shanghai).Format("2006-01-02 15:04 MST")
		}
		out = append(out, fmt.Sprintf("collector   %-10s %s; sources: %s", n, state, strings.Join(srcs, ", ")))
	}
	return out
}
