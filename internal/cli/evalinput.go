package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/targets"
)

// evalFlags are the --at and --known flags of targets and explain.
type evalFlags struct{ at, known string }

// query parses the flags into an evaluation query (DESIGN.md, "As of, and as known").
func (f evalFlags) query() (evaluation.Query, error) {
	var q evaluation.Query
	var err error
	if f.at != "" {
		if q.At, err = obs.ParseDate(f.at); err != nil {
			return q, fmt.Errorf("--at: %w", err)
		}
	}
	if f.known != "" {
		if q.Known, err = obs.ParseDate(f.known); err != nil {
			return q, fmt.Errorf("--known: %w", err)
		}
	}
	return q, nil
}

// evalInput is what the targets and explain commands evaluate.
type evalInput struct {
	targets []targets.Target
	index   *targets.Index
	// fromHistory counts the bundled reference figures evaluated that the store does
	// not hold yet (serve loads them at its next start).
	fromHistory int
	historyName string
}

// loadEvaluation reads the targets file and the store, adds the reference history
// figures the store lacks (so that a first `trademon targets`, before any serve, shows
// what the page will show), and builds the index q asks for.
func (a *app) loadEvaluation(ctx context.Context, q evaluation.Query) (*evalInput, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	ts, _, err := readTargetsFile(cfg.Targets)
	if err != nil {
		return nil, err
	}
	all, revs, err := a.storedFigures(ctx, cfg, !q.Known.IsZero())
	if err != nil {
		return nil, err
	}
	in := &evalInput{targets: ts}
	extra, name, err := historyNotStored(cfg.History, all)
	if err != nil {
		return nil, err
	}
	in.fromHistory, in.historyName = len(extra), name
	all = append(all, extra...)
	in.index = evaluation.BuildIndex(all, revs, q, time.Now())
	a.logger.Debug("targets evaluated", "targets", len(ts), "observations", len(all), "from_history", len(extra),
		"as_of", in.index.AsOf(), "known", q.Known)
	return in, nil
}

// historyNotStored returns the rows of the configured reference history whose key the
// stored observations lack, as the reference figures serve would store, and the
// history's name. A history that cannot be read is an error, as it is for serve.
func historyNotStored(path string, stored []obs.Observation) ([]obs.Observation, string, error) {
	name, data, ok, err := historySource(path)
	if err != nil {
		return nil, name, fmt.Errorf("config key history: %w", err)
	}
	if !ok {
		return nil, "", nil
	}
	rows, _, err := importer.Prepare(name, data, importer.Options{Kind: obs.KindReference, Now: time.Now()})
	if err != nil {
		return nil, name, fmt.Errorf("read reference history %s: %w", name, err)
	}
	have := make(map[obs.Key]bool, len(stored))
	for _, o := range stored {
		have[o.Key()] = true
	}
	var out []obs.Observation
	for _, r := range rows {
		if !have[r.Observation.Key()] {
			out = append(out, r.Observation)
		}
	}
	return out, name, nil
}
