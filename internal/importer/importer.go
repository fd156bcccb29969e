// Package importer loads figures from CSV and XLSX files in the import format
// (columns indicator,period,basis,value,unit,source_url,note; DESIGN.md) into a store.
// It is used for staff's manual figures (`trademon import`, source kind manual) and
// for the bundled reference history seeded at the first `serve` (source kind
// reference). Every row passes the rules every manual figure passes, with the same
// messages as the entry form and the API (package validate: indicator, period,
// basis, value and unit, provenance, field sizes), and is converted to base units;
// bad rows are rejected with their line and every problem found, and the good ones
// are written with one all-or-nothing store.Put, or, when the import is atomic, not
// at all.
package importer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/internal/validate"
)

// SourceReference is the Source of figures loaded from reference history.
const SourceReference = "reference"

// Options say how rows become observations and whether they are written.
type Options struct {
	// Kind is the source kind of every observation: obs.KindManual (the default) or
	// obs.KindReference.
	Kind obs.SourceKind
	// Source is the Source of every observation; empty means "manual" for manual
	// figures and "reference" for reference ones.
	Source string
	// EnteredBy names who imports manual figures ("cli:alice"); required for them.
	EnteredBy string
	// Now is the time of entry: rows for periods not over by then are rejected. Zero
	// means time.Now().
	Now time.Time
	// DryRun classifies rows against the store without writing anything.
	DryRun bool
	// Atomic writes nothing when any row is rejected.
	Atomic bool
	// Results, when not nil, counts rows by result (created, updated, unchanged,
	// queued, rejected) under the label "result".
	Results *prometheus.CounterVec
	// Logger receives one debug line per row; nil discards.
	Logger *slog.Logger
}

// Rejection is a row that was not imported, with why.
type Rejection struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Change is what the import did, or in a dry run would do, with one good row.
type Change struct {
	Line      int           `json:"line"`
	Indicator string        `json:"indicator"`
	Period    string        `json:"period"`
	Basis     obs.Basis     `json:"basis"`
	Value     float64       `json:"value"`
	Unit      string        `json:"unit"`
	Outcome   store.Outcome `json:"outcome"`
	// Previous is the stored value an update replaces.
	Previous *float64 `json:"previous_value,omitempty"`
}

// Result summarises one import. Values are in base units.
type Result struct {
	File   string `json:"file"`
	DryRun bool   `json:"dry_run"`
	Atomic bool   `json:"atomic"`
	// Written says whether observations were written to the store.
	Written   bool `json:"written"`
	Rows      int  `json:"rows"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	// Queued rows are durably spooled but not yet classified (InfluxDB unreachable).
	Queued     int         `json:"queued"`
	Rejected   int         `json:"rejected"`
	Rejections []Rejection `json:"rejections"`
	Changes    []Change    `json:"changes"`
}

// ErrRejected matches (errors.Is) Import's error when rows were rejected.
var ErrRejected = errors.New("rows rejected")

// RejectedError is Import's error when rows were rejected; the Result lists them.
type RejectedError struct {
	File           string
	Rejected, Rows int
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s: %d of %d rows rejected", e.File, e.Rejected, e.Rows)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Row is a good row: the observation it became and the line it came from.
type Row struct {
	Line        int
	Observation obs.Observation
	// AutoQuote says the quote was made up from the row ("file line N: ..."), as the
	// file had no quote column.
	AutoQuote bool
}

// Prepare reads an import file and turns its rows into normalised, validated
// observations. It returns the good rows and the rejected ones in line order; a
// file-level problem is an error. It does not touch a store (check-config uses it).
func Prepare(name string, data []byte, opts Options) ([]Row, []Rejection, error) {
	opts = opts.withDefaults()
	if opts.Kind == obs.KindManual && strings.TrimSpace(opts.EnteredBy) == "" {
		return nil, nil, errors.New("importer: manual figures need EnteredBy")
	}
	recs, rejects, err := Read(name, data)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	first := map[obs.Key]int{}
	for _, rec := range recs {
		o, probs := opts.observation(name, rec)
		if len(probs) > 0 {
			rejects = append(rejects, Rejection{Line: rec.Line, Reason: strings.Join(probs, "; ")})
			continue
		}
		if line, dup := first[o.Key()]; dup {
			rejects = append(rejects, Rejection{Line: rec.Line, Reason: fmt.Sprintf("duplicate of line %d (%s %s %s)", line, o.Indicator, o.Basis, o.Period)})
			continue
		}
		first[o.Key()] = rec.Line
		rows = append(rows, Row{Line: rec.Line, Observation: o, AutoQuote: strings.TrimSpace(rec.Fields[ColQuote]) == ""})
	}
	slices.SortFunc(rejects, func(a, b Rejection) int { return a.Line - b.Line })
	return rows, rejects, nil
}

// Import reads the file, classifies every good row against what st holds (created,
// updated, unchanged) and, unless opts.DryRun, writes them with one st.Put. With
// opts.Atomic, any rejected row means nothing is written. The Result is returned
// whenever the file could be read; the error wraps ErrRejected when rows were rejected,
// and a store failure (then nothing was written).
func Import(ctx context.Context, st store.Store, name string, data []byte, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	res := &Result{File: name, DryRun: opts.DryRun, Atomic: opts.Atomic, Rejections: []Rejection{}, Changes: []Change{}}
	rows, rejects, err := Prepare(name, data, opts)
	if err != nil {
		return nil, err
	}
	res.Rows = len(rows) + len(rejects)
	res.Rejected = len(rejects)
	res.Rejections = append(res.Rejections, rejects...) // [] in JSON when none, never null
	opts.count("rejected", len(rejects))

	prev, err := stored(ctx, st, rows, opts.Kind)
	if err != nil {
		return res, err
	}
	changes := make([]Change, len(rows))
	for i := range rows {
		r := &rows[i]
		if p, ok := prev[r.Observation.Key()]; ok && r.AutoQuote {
			// The same figure from another file or line is not a correction: keep the
			// stored quote rather than record an update that changes nothing.
			same := r.Observation
			same.Quote = p.Quote
			if !same.Supersedes(p) {
				r.Observation = same
			}
		}
		o := r.Observation
		c := Change{Line: r.Line, Indicator: o.Indicator, Period: o.Period.String(), Basis: o.Basis, Value: o.Value, Unit: o.Unit, Outcome: store.Created}
		if p, ok := prev[o.Key()]; ok {
			c.Outcome = store.Unchanged
			if o.Supersedes(p) {
				c.Outcome = store.Updated
				c.Previous = &p.Value
			}
		}
		changes[i] = c
	}

	write := !opts.DryRun && len(rows) > 0 && !(opts.Atomic && len(rejects) > 0)
	if write {
		batch := make([]obs.Observation, len(rows))
		for i, r := range rows {
			batch[i] = r.Observation
		}
		outcomes, err := st.Put(ctx, batch)
		if err != nil {
			opts.count("failed", len(rows))
			return res, fmt.Errorf("write %d observations: %w", len(rows), err)
		}
		res.Written = true
		for i := range changes {
			if i < len(outcomes) {
				changes[i].Outcome = outcomes[i]
			}
		}
	}
	for _, c := range changes {
		switch c.Outcome {
		case store.Created:
			res.Created++
		case store.Updated:
			res.Updated++
		case store.Unchanged:
			res.Unchanged++
		case store.Queued:
			res.Queued++
		}
		if write {
			opts.count(string(c.Outcome), 1)
		}
		if opts.Logger != nil {
			opts.Logger.Debug("import row", "file", name, "line", c.Line, "indicator", c.Indicator,
				"period", c.Period, "basis", c.Basis, "value", c.Value, "outcome", c.Outcome, "written", write)
		}
	}
	res.Changes = changes
	if len(rejects) > 0 {
		return res, &RejectedError{File: name, Rejected: len(rejects), Rows: res.Rows}
	}
	return res, nil
}

// stored returns what st holds under the keys of rows.
func stored(ctx context.Context, st store.Store, rows []Row, kind obs.SourceKind) (map[obs.Key]obs.Observation, error) {
	out := map[obs.Key]obs.Observation{}
	if len(rows) == 0 {
		return out, nil
	}
	inds := map[string]bool{}
	from, to := rows[0].Observation.Period.Start(), rows[0].Observation.Period.End()
	for _, r := range rows {
		inds[r.Observation.Indicator] = true
		if s := r.Observation.Period.Start(); s.Before(from) {
			from = s
		}
		if e := r.Observation.Period.End(); e.After(to) {
			to = e
		}
	}
	have, err := st.Query(ctx, store.Filter{
		Indicators:  slices.Sorted(maps.Keys(inds)),
		SourceKinds: []obs.SourceKind{kind},
		From:        from,
		To:          to,
	})
	if err != nil {
		return nil, fmt.Errorf("read stored observations: %w", err)
	}
	for _, o := range have {
		out[o.Key()] = o
	}
	return out, nil
}

func (opts Options) withDefaults() Options {
	if opts.Kind == "" {
		opts.Kind = obs.KindManual
	}
	if opts.Source == "" {
		opts.Source = obs.SourceManual
		if opts.Kind == obs.KindReference {
			opts.Source = SourceReference
		}
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	return opts
}

func (opts Options) count(result string, n int) {
	if opts.Results != nil && n > 0 {
		opts.Results.WithLabelValues(result).Add(float64(n))
	}
}

// observation converts one record through the rules every manual figure passes
// (package validate: indicator, period, basis, value, unit, provenance), then the
// import's own columns (estimate, published_at, qualifier, yoy), returning every
// problem found ("column: problem"). Reference figures pass the same parsing and
// range checks; the staff rules of package entry (revisions need a reason, outliers
// a confirmation, locks) are not applied here.
func (opts Options) observation(name string, rec Record) (obs.Observation, []string) {
	f := rec.Fields
	in := validate.Input{
		Indicator: f[ColIndicator], Period: f[ColPeriod], Basis: f[ColBasis], Value: f[ColValue], Unit: f[ColUnit],
		SourceURL: f[ColSourceURL], Quote: f[ColQuote], Note: f[ColNote],
	}
	if probs := tooLong(in, rec); len(probs) > 0 {
		return obs.Observation{}, probs // the row is not read further: its text could be megabytes
	}
	if strings.TrimSpace(in.Quote) == "" {
		in.Origin = autoQuote(name, rec)
	}
	o, errs := validate.Problems(in, opts.Now)
	var probs []string
	for _, e := range errs {
		probs = append(probs, e.Error())
	}
	bad := func(col, format string, args ...any) { probs = append(probs, col+": "+fmt.Sprintf(format, args...)) }
	get := func(col string) string { return units.Normalize(f[col]) }
	if s := get(ColEstimate); s != "" {
		e, err := parseBool(s)
		if err != nil {
			bad(ColEstimate, "%v", err)
		}
		o.Estimate = e
	}
	if s := get(ColPublishedAt); s != "" {
		t, err := parseDate(s, obs.Shanghai)
		if err != nil {
			bad(ColPublishedAt, "%v", err)
		}
		o.PublishedAt = t
	}
	if s := get(ColYoY); s != "" {
		ind, indOK := obs.Lookup(get(ColIndicator))
		switch g, err := parseGrowth(s); {
		case err != nil:
			bad(ColYoY, "%v", err)
		case indOK && ind.Kind != obs.Flow && ind.Kind != obs.Stock:
			bad(ColYoY, "a stated growth belongs to a flow or stock figure, but %s is a %s indicator", ind.ID, ind.Kind)
		default:
			o.YoY = &g
		}
	}
	if len(probs) > 0 {
		return o, probs
	}
	o.SourceKind, o.Source = opts.Kind, opts.Source
	o.EnteredBy = strings.TrimSpace(opts.EnteredBy)
	o.RetrievedAt = opts.Now
	o.Qualifier = strings.TrimSpace(f[ColQualifier])
	o.Normalize()
	if err := o.Validate(opts.Now); err != nil { // a guard: validate checked all of it
		return o, []string{err.Error()}
	}
	return o, nil
}

// autoQuote is the quote of a row without one: the file, the line and the row as
// written, cut to validate.MaxQuoteBytes.
func autoQuote(name string, rec Record) string {
	q := fmt.Sprintf("%s line %d: %s", name, rec.Line, rec.Raw)
	if len(q) <= validate.MaxQuoteBytes {
		return q
	}
	const more = "…"
	cut := validate.MaxQuoteBytes - len(more)
	for cut > 0 && !utf8.RuneStart(q[cut]) {
		cut--
	}
	return q[:cut] + more
}

// parseGrowth reads a stated year-on-year growth: a percentage ("9.6%", "-3.2%") or a
// ratio (0.096). It must be above −100%: nothing shrinks by all it had.
func parseGrowth(s string) (float64, error) {
	num, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	g, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(g) || math.IsInf(g, 0) {
		return 0, fmt.Errorf("invalid growth %q (want a percentage such as 9.6%% or a ratio such as 0.096)", s)
	}
	if pct {
		g /= 100
	}
	if g <= -1 || g > 100 {
		return 0, fmt.Errorf("growth %q is out of range (above −100%%, at most 10000%%)", s)
	}
	return g, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1", "是", "预计", "estimate":
		return true, nil
	case "false", "no", "n", "0", "否", "final":
		return false, nil
	}
	return false, fmt.Errorf("invalid flag %q (want true or false)", s)
}
