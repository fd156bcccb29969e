package evaluation

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/targets"
)

// history writes the verdict history to the store's journal (measurement evaluation in
// InfluxDB, the bbolt file in embedded mode; DESIGN.md "Storage"): one record per
// target whenever its verdict changes (status, period, actual or expected), dated when
// the change was seen; and, whenever the observations change, the history recomputed
// as of each month end since the earliest baseline year (targets.Evaluate as of that
// date, with every figure known now), dated at the month end. Recording the same
// target, time and status again replaces the earlier record, so recomputing is
// idempotent.
type history struct {
	j      store.Journal
	writes *prometheus.CounterVec

	mu     sync.Mutex
	loaded bool
	last   map[string]store.EvaluationRecord // per target, the newest record
	print  uint64                            // fingerprint of the observations last backfilled
}

func newHistory(j store.Journal) *history {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trademon_evaluation_history_writes_total",
		Help: "Verdict-history records written to the store (measurement evaluation), by result (ok, error).",
	}, []string{"result"})
	c.WithLabelValues("ok")
	c.WithLabelValues("error")
	return &history{j: j, writes: c, last: map[string]store.EvaluationRecord{}}
}

// record writes the verdict history for an evaluation at `at` of ts on all.
func (h *history) record(ctx context.Context, ts []targets.Target, all []obs.Observation, verdicts []targets.Verdict, at time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.loaded {
		recs, err := h.j.Evaluations(ctx, store.EvaluationFilter{})
		if err != nil {
			h.writes.WithLabelValues("error").Inc()
			return fmt.Errorf("verdict history: read: %w", err)
		}
		newest(h.last, recs)
		h.loaded = true
	}
	var out []store.EvaluationRecord
	fp := fingerprint(all)
	latest := maps.Clone(h.last)
	if fp != h.print {
		out = backfill(ts, all, at)
		newest(latest, out)
	}
	for _, v := range verdicts {
		rec := recordOf(v, at)
		if prev, ok := latest[v.Target]; !ok || changed(prev, rec) {
			out = append(out, rec)
		}
	}
	if len(out) > 0 {
		if err := h.j.AppendEvaluations(ctx, out); err != nil {
			h.writes.WithLabelValues("error").Add(float64(len(out)))
			return fmt.Errorf("verdict history: write %d records: %w", len(out), err)
		}
		h.writes.WithLabelValues("ok").Add(float64(len(out)))
	}
	h.print = fp
	newest(h.last, out)
	return nil
}

// newest keeps in last, per target, the latest of its records and rs.
func newest(last map[string]store.EvaluationRecord, rs []store.EvaluationRecord) {
	for _, r := range rs {
		if cur, ok := last[r.Target]; !ok || !r.Time.Before(cur.Time) {
			last[r.Target] = r
		}
	}
}

// backfill judges ts as of every month end from the January after the earliest
// baseline year up to at, and returns a record for each change of a target's verdict,
// dated at the month end.
func backfill(ts []targets.Target, all []obs.Observation, at time.Time) []store.EvaluationRecord {
	if len(ts) == 0 {
		return nil
	}
	first := slices.MinFunc(ts, func(a, b targets.Target) int { return a.BaselineYear - b.BaselineYear }).BaselineYear + 1
	prev := map[string]store.EvaluationRecord{}
	var out []store.EvaluationRecord
	for p := obs.MonthPeriod(first, 1); !p.End().After(at); p = p.Next() {
		end := p.End()
		for _, v := range targets.Evaluate(ts, all, end) {
			rec := recordOf(v, end)
			if last, ok := prev[v.Target]; ok && !changed(last, rec) {
				continue
			}
			prev[v.Target] = rec
			out = append(out, rec)
		}
	}
	return out
}

// recordOf turns a verdict into a record. The journal keeps finite numbers only: an
// undefined value (NaN, as for no_data) is recorded as 0; readers go by the status.
func recordOf(v targets.Verdict, at time.Time) store.EvaluationRecord {
	return store.EvaluationRecord{
		Time: at.UTC(), Target: v.Target, Status: string(v.Status), Period: v.Period,
		Actual: finite(v.Actual), Expected: finite(v.Expected), Gap: finite(v.Gap),
		Projected: finite(v.Projected), Progress: finite(v.Progress),
	}
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// changed reports whether b is a different verdict from a: another status, or the same
// status on another figure.
func changed(a, b store.EvaluationRecord) bool {
	return a.Status != b.Status || a.Period != b.Period || a.Actual != b.Actual || a.Expected != b.Expected
}

// fingerprint summarises the observations the history depends on.
func fingerprint(all []obs.Observation) uint64 {
	f := fnv.New64a()
	for _, o := range all {
		_, _ = f.Write([]byte(o.Key().String()))
		_, _ = f.Write([]byte(strconv.FormatFloat(o.Value, 'g', -1, 64)))
		_, _ = f.Write([]byte(strconv.FormatBool(o.Estimate)))
		_, _ = f.Write([]byte{0})
	}
	return f.Sum64() | 1
}
