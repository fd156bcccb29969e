package influx

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

// The journal's measurements (PLAN.md, "Agreed names"):
//
//	evaluation  tags target, status; fields actual, expected, gap, projected, progress,
//	            period, recorded_at (RFC 3339, when the record was acknowledged);
//	            time = when the verdict took effect
//	audit       tags action, user (absent when empty); fields remote, indicator, period,
//	            basis, old_value and new_value (only when there is a value), reason,
//	            detail; time = the record's time, unique within its series
//
// Both are written through the spool, as observations are.

var _ store.Journal = (*Store)(nil)

// AppendAudit implements store.Journal.
func (s *Store) AppendAudit(ctx context.Context, rs []store.AuditRecord) error {
	if len(rs) == 0 {
		return nil
	}
	recs, err := store.PrepareAudit(rs, time.Now())
	if err != nil {
		return err
	}
	if _, err := s.spool.EnqueueAudit(recs); err != nil {
		return fmt.Errorf("influx store: append audit: %w", err)
	}
	s.deliver(ctx)
	return nil
}

// AppendEvaluations implements store.Journal. Recording the same target and time
// again writes a second point when the status differs (status is a tag); Evaluations
// returns only the one acknowledged last.
func (s *Store) AppendEvaluations(ctx context.Context, es []store.EvaluationRecord) error {
	if len(es) == 0 {
		return nil
	}
	if err := store.CheckEvaluations(es); err != nil {
		return err
	}
	if err := s.spool.EnqueueEvaluations(es); err != nil {
		return fmt.Errorf("influx store: append evaluations: %w", err)
	}
	s.deliver(ctx)
	return nil
}

// Audit implements store.Journal.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	q, ok := fluxAudit(s.cfg.Bucket, f)
	if !ok {
		return nil, nil
	}
	var out []store.AuditRecord
	err := s.rows(ctx, q, func(r row, t time.Time) error {
		rec := store.AuditRecord{
			Time: t.UTC(), User: r.str("user"), Remote: r.str("remote"), Action: store.AuditAction(r.str("action")),
			Indicator: r.str("indicator"), Period: r.str("period"), Basis: obs.Basis(r.str("basis")),
			Reason: r.str("reason"), Detail: r.str("detail"),
		}
		var err error
		if rec.OldValue, err = r.optFloat("old_value"); err != nil {
			return err
		}
		if rec.NewValue, err = r.optFloat("new_value"); err != nil {
			return err
		}
		if f.Match(rec) {
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("influx store: audit: %w", err)
	}
	store.SortAudit(out)
	return store.LimitAudit(out, f.Limit), nil
}

// Evaluations implements store.Journal.
func (s *Store) Evaluations(ctx context.Context, f store.EvaluationFilter) ([]store.EvaluationRecord, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	q, ok := fluxEvaluations(s.cfg.Bucket, f)
	if !ok {
		return nil, nil
	}
	type key struct {
		target string
		at     int64
	}
	type recorded struct {
		e  store.EvaluationRecord
		at time.Time
	}
	latest := map[key]recorded{}
	err := s.rows(ctx, q, func(r row, t time.Time) error {
		e := store.EvaluationRecord{Time: t.UTC(), Target: r.str("target"), Status: r.str("status"), Period: r.str("period")}
		for _, c := range []struct {
			name string
			dst  *float64
		}{{"actual", &e.Actual}, {"expected", &e.Expected}, {"gap", &e.Gap}, {"projected", &e.Projected}, {"progress", &e.Progress}} {
			v, err := r.float(c.name)
			if err != nil {
				return err
			}
			*c.dst = v
		}
		at, err := r.time("recorded_at")
		if err != nil {
			return err
		}
		if !f.Match(e) {
			return nil
		}
		k := key{e.Target, e.Time.UnixNano()}
		if prev, ok := latest[k]; !ok || at.After(prev.at) {
			latest[k] = recorded{e, at}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("influx store: evaluations: %w", err)
	}
	out := make([]store.EvaluationRecord, 0, len(latest))
	for _, r := range latest {
		out = append(out, r.e)
	}
	store.SortEvaluations(out)
	return out, nil
}

// journalRange returns the Flux time range for From and To (zero: open); ok is false
// when it is empty.
func journalRange(from, to time.Time) (start, stop time.Time, ok bool) {
	start, stop = minTime, maxTime
	if !from.IsZero() && from.After(start) {
		start = from
	}
	if !to.IsZero() && to.Before(stop) {
		stop = to
	}
	return start, stop, stop.After(start)
}

// fluxAudit builds the query of the audit points f selects. Filtering on the tags
// happens before the pivot, on the indicator field after it; a Limit keeps the newest
// points on the server.
func fluxAudit(bucket string, f store.AuditFilter) (string, bool) {
	start, stop, ok := journalRange(f.From, f.To)
	if !ok {
		return "", false
	}
	preds := []string{"r._measurement == " + fluxString(MeasurementAudit)}
	if f.User != "" {
		preds = append(preds, "r.user == "+fluxString(f.User))
	}
	if f.Action != "" {
		preds = append(preds, "r.action == "+fluxString(string(f.Action)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "from(bucket: %s)\n"+
		"  |> range(start: %s, stop: %s)\n"+
		"  |> filter(fn: (r) => %s)\n"+
		`  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fluxString(bucket), fluxTime(start), fluxTime(stop), strings.Join(preds, " and "))
	if f.Indicator != "" {
		fmt.Fprintf(&b, "\n  |> filter(fn: (r) => r.indicator == %s)", fluxString(f.Indicator))
	}
	if f.Limit > 0 {
		fmt.Fprintf(&b, "\n  |> group()\n  |> sort(columns: [\"_time\"], desc: true)\n  |> limit(n: %s)", strconv.Itoa(f.Limit))
	}
	return b.String(), true
}

// fluxEvaluations builds the query of the evaluation points f selects.
func fluxEvaluations(bucket string, f store.EvaluationFilter) (string, bool) {
	start, stop, ok := journalRange(f.From, f.To)
	if !ok {
		return "", false
	}
	preds := []string{"r._measurement == " + fluxString(MeasurementEvaluation)}
	if len(f.Targets) > 0 {
		preds = append(preds, anyOf("target", f.Targets))
	}
	return fmt.Sprintf("from(bucket: %s)\n"+
		"  |> range(start: %s, stop: %s)\n"+
		"  |> filter(fn: (r) => %s)\n"+
		`  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fluxString(bucket), fluxTime(start), fluxTime(stop), strings.Join(preds, " and ")), true
}
