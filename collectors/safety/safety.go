// Package safety checks collected observations before they are stored: against the
// clock and the indicator catalogue (obs.Observation.Validate), against the indicator's
// plausible range, against the figures of the same indicator near it in time (a value
// many times off their median is a unit slip, not news), and against the figure another source
// gave for the same period (a disagreement beyond rounding is a conflict: the stored
// figure stays, the alternative is recorded). It decides; the caller writes.
package safety

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
)

// Action is what to do with one checked observation.
type Action string

// Actions.
const (
	// Write: store the observation (it is new, or it revises its own source's figure,
	// or it is a final figure replacing an estimate, or it states the stored figure
	// more precisely).
	Write Action = "write"
	// Keep: the same figure is already stored (within rounding); nothing to write.
	Keep Action = "keep"
	// Conflict: another source's figure for the same key disagrees beyond rounding.
	// The stored figure is kept and the observation is recorded as an obs.Conflict.
	Conflict Action = "conflict"
	// Reject: the observation is implausible and must not be stored.
	Reject Action = "reject"
)

// Reason says why an observation was rejected; it labels
// trademon_collector_rejected_total.
type Reason string

// Reasons for rejecting an observation.
const (
	// Invalid: obs.Observation.Validate failed (unknown indicator, wrong basis, a
	// period in the future or not yet ended, a negative value …).
	Invalid Reason = "invalid"
	// OutOfRange: the value lies outside the indicator's plausible Min–Max.
	OutOfRange Reason = "out_of_range"
	// UnitSlip: the value is many times larger or smaller than the figures of the
	// same indicator near it in time.
	UnitSlip Reason = "unit_slip"
)

// Reasons lists every Reason, for initialising metrics.
func Reasons() []Reason { return []Reason{Invalid, OutOfRange, UnitSlip} }

// Decision is the verdict on one observation.
type Decision struct {
	// Observation is the checked observation, normalized.
	Observation obs.Observation
	Action      Action
	// Reason is set when Action is Reject.
	Reason Reason
	// Detail explains the verdict in a sentence, for logs and the status page.
	Detail string
	// Reference is the figure the observation was compared with, when one was.
	Reference *obs.Observation
	// Conflict is set when Action is Conflict.
	Conflict *obs.Conflict
}

// DefaultJumpFactor is how many times larger (or smaller) than the median of the
// figures near it a value may be before it is taken for a unit slip. Flow values are compared as
// monthly averages (a year-to-date value through month m divided by m, a full year
// divided by 12), so real swings stay well inside a factor of 5, while a slip of one
// magnitude (10×) or a wrong unit (万 for 亿) falls outside it.
const DefaultJumpFactor = 5

// DefaultWindow is how far, in months, a reference figure may lie from the checked
// one; with nothing that close, only the plausible range is checked.
const DefaultWindow = 24

// Options tune a Guard.
type Options struct {
	// Now is the clock for Validate; nil means time.Now.
	Now func() time.Time
	// JumpFactor defaults to DefaultJumpFactor.
	JumpFactor float64
	// Window defaults to DefaultWindow months.
	Window int
}

// Guard checks the observations of one run. It reads each indicator's history from the
// store once, at first need, and remembers what the run accepted, so that later
// observations of the same run are checked against earlier ones too. It is not safe for
// concurrent use; make one per run.
type Guard struct {
	st     store.Store
	now    func() time.Time
	jump   float64
	window int
	// hist holds, per indicator, the known observations: stored ones and those this
	// run accepted.
	hist   map[string][]obs.Observation
	byKey  map[obs.Key]obs.Observation
	loaded map[string]bool
}

// New returns a Guard reading from st.
func New(st store.Store, opts Options) *Guard {
	g := &Guard{st: st, now: opts.Now, jump: opts.JumpFactor, window: opts.Window,
		hist: map[string][]obs.Observation{}, byKey: map[obs.Key]obs.Observation{}, loaded: map[string]bool{}}
	if g.now == nil {
		g.now = time.Now
	}
	if g.jump <= 1 {
		g.jump = DefaultJumpFactor
	}
	if g.window <= 0 {
		g.window = DefaultWindow
	}
	return g
}

// Check decides what to do with each observation, in order. Observations decided
// Write count as known for the rest of the run. The error is a store failure; the
// decisions are then incomplete and must not be acted on.
//
// The unit-slip check compares a value with the median of the known figures of its
// indicator within the window (stored ones and those the run accepted), leaving out
// the figure its own source gave earlier for the same key, so that a correction is
// never judged by the figure it corrects. One wrong figure among three or more cannot
// sway a median. When nothing is known near it (a first run, a first backfill), the
// figure must lie in its indicator's typical range (TypicalRange) and is compared
// with the median of the batch's other figures. A median of one or two figures may be
// the slipped one, so against such a median a value is rejected only when it is also
// the farther of the two from the middle of the typical range: in a batch of two
// where one slips, only that one is rejected.
func (g *Guard) Check(ctx context.Context, in []obs.Observation) ([]Decision, error) {
	now := g.now()
	out := make([]Decision, len(in))
	var cands []int
	for i, o := range in {
		o.Normalize()
		out[i] = g.plausible(o, now)
		if out[i].Action == "" {
			if err := g.load(ctx, o.Indicator); err != nil {
				return nil, err
			}
			cands = append(cands, i)
		}
	}
	var lone []int
	for _, i := range cands {
		o := out[i].Observation
		if refs := g.known(o); len(refs) > 0 {
			g.slip(&out[i], refs)
			continue
		}
		if typicalReject(&out[i]) {
			continue
		}
		lone = append(lone, i)
	}
	for _, i := range lone {
		o := out[i].Observation
		var peers []obs.Observation
		for _, j := range lone {
			if p := out[j].Observation; j != i && p.Key() != o.Key() && g.comparableTo(o, p) {
				peers = append(peers, p)
			}
		}
		g.slip(&out[i], peers)
	}
	for _, i := range cands {
		if out[i].Action != "" {
			continue
		}
		out[i] = g.against(out[i].Observation, now)
		if out[i].Action == Write {
			g.remember(out[i].Observation)
		}
	}
	return out, nil
}

// slip rejects d's observation as a unit slip when it lies more than the jump factor
// off the median of refs; see Check for the rule with fewer than three references.
func (g *Guard) slip(d *Decision, refs []obs.Observation) {
	o := d.Observation
	ind := obs.MustLookup(o.Indicator)
	ref, ratio, ok := medianRatio(o, refs, ind)
	if !ok || (ratio <= g.jump && ratio >= 1/g.jump) {
		return
	}
	if len(refs) < 3 && !farther(o, ref, ind) {
		return
	}
	d.Action, d.Reason, d.Reference = Reject, UnitSlip, &ref
	d.Detail = fmt.Sprintf("%s %s %s = %s is %s the typical figure near it (such as %s %s = %s from %s): a unit slip?",
		o.Indicator, o.Basis, o.Period, units.Format(o.Value, ind.DisplayUnit), timesText(ratio),
		ref.Basis, ref.Period, units.Format(ref.Value, ind.DisplayUnit), ref.Source)
}

// typicalReject rejects d's observation, which has no known figure near it, when it
// lies outside its indicator's typical range, and reports whether it did.
func typicalReject(d *Decision) bool {
	o := d.Observation
	ind := obs.MustLookup(o.Indicator)
	r, ok := TypicalRange(o.Indicator)
	if !ok {
		return false
	}
	v := comparable(o, ind)
	if v >= r.Min && v <= r.Max {
		return false
	}
	what := "the value"
	if ind.Kind == obs.Flow {
		what = "a month's figure"
		if o.Basis != obs.BasisMonth {
			what = fmt.Sprintf("a month's figure (here %s a month on average)", units.Format(v, ind.DisplayUnit))
		}
	}
	d.Action, d.Reason = Reject, OutOfRange
	d.Detail = fmt.Sprintf("%s %s %s = %s, with no figure known near it, is outside the typical range of %s for %s (%s to %s): a unit slip?",
		o.Indicator, o.Basis, o.Period, units.Format(o.Value, ind.DisplayUnit), what, o.Indicator,
		units.Format(r.Min, ind.DisplayUnit), units.Format(r.Max, ind.DisplayUnit))
	return true
}

// plausible checks o on its own: Validate and the plausible range. It returns a
// decision with an empty Action when o passes.
func (g *Guard) plausible(o obs.Observation, now time.Time) Decision {
	d := Decision{Observation: o}
	if err := o.Validate(now); err != nil {
		d.Action, d.Reason, d.Detail = Reject, Invalid, err.Error()
		return d
	}
	if err := obs.MustLookup(o.Indicator).CheckRange(o.Value); err != nil {
		d.Action, d.Reason, d.Detail = Reject, OutOfRange, err.Error()
	}
	return d
}

// against decides o against the figure already known under its key.
func (g *Guard) against(o obs.Observation, now time.Time) Decision {
	d := Decision{Observation: o}
	ind := obs.MustLookup(o.Indicator)
	cur, ok := g.byKey[o.Key()]
	if !ok {
		d.Action, d.Detail = Write, "new"
		return d
	}
	d.Reference = &cur
	keep := func(why string) Decision {
		d.Action, d.Detail = Keep, why
		return d
	}
	switch {
	case o.Estimate && !cur.Estimate:
		return keep("a final figure is already stored; an estimate does not replace it")
	case cur.Source == o.Source:
		if !o.Supersedes(cur) {
			return keep("unchanged")
		}
		d.Action = Write
		d.Detail = fmt.Sprintf("revises %s from %s", cur.Source, units.Format(cur.Value, ind.DisplayUnit))
		return d
	case cur.Estimate && !o.Estimate:
		d.Action = Write
		d.Detail = fmt.Sprintf("final figure replaces the estimate %s from %s", units.Format(cur.Value, ind.DisplayUnit), cur.Source)
		return d
	case SameWithinRounding(o, cur) && o.Value != cur.Value && Resolution(o) < Resolution(cur):
		d.Action = Write
		d.Detail = fmt.Sprintf("states the %s from %s more precisely (they agree within rounding)", units.Format(cur.Value, ind.DisplayUnit), cur.Source)
		return d
	case SameWithinRounding(o, cur):
		return keep(fmt.Sprintf("agrees with %s from %s within rounding", units.Format(cur.Value, ind.DisplayUnit), cur.Source))
	}
	d.Action = Conflict
	d.Detail = fmt.Sprintf("%s from %s disagrees with the stored %s from %s beyond rounding",
		units.Format(o.Value, ind.DisplayUnit), o.Source, units.Format(cur.Value, ind.DisplayUnit), cur.Source)
	d.Conflict = &obs.Conflict{Alternative: o, ExistingValue: cur.Value, ExistingSource: cur.Source, ExistingURL: cur.URL, DetectedAt: now}
	return d
}

func timesText(ratio float64) string {
	if ratio >= 1 {
		return fmt.Sprintf("%.3g times", ratio)
	}
	return fmt.Sprintf("1/%.3g of", 1/ratio)
}

// load reads an indicator's stored history once per Guard.
func (g *Guard) load(ctx context.Context, indicator string) error {
	if g.loaded[indicator] {
		return nil
	}
	stored, err := g.st.Query(ctx, store.Filter{Indicators: []string{indicator}})
	if err != nil {
		return fmt.Errorf("safety: read the stored %s figures: %w", indicator, err)
	}
	g.loaded[indicator] = true
	for _, o := range stored {
		g.remember(o)
	}
	return nil
}

func (g *Guard) remember(o obs.Observation) {
	k := o.Key()
	if _, ok := g.byKey[k]; ok {
		h := g.hist[o.Indicator]
		for i := range h {
			if h[i].Key() == k {
				h[i] = o
			}
		}
	} else {
		g.hist[o.Indicator] = append(g.hist[o.Indicator], o)
	}
	g.byKey[k] = o
}

// known returns the known figures comparable to o, except the one o's own source gave
// earlier under o's key: a source's correction of its own figure is not judged by the
// figure it corrects. Another source's figure under the same key is a reference.
func (g *Guard) known(o obs.Observation) []obs.Observation {
	var out []obs.Observation
	k := o.Key()
	for _, c := range g.hist[o.Indicator] {
		if c.Source == o.Source && c.Key() == k {
			continue
		}
		if g.comparableTo(o, c) {
			out = append(out, c)
		}
	}
	return out
}

// comparableTo reports whether c can serve as a reference for o: same indicator and
// region, a positive value, within the window.
func (g *Guard) comparableTo(o, c obs.Observation) bool {
	return c.Indicator == o.Indicator && c.Region == o.Region && c.Value > 0 &&
		abs(c.Period.MonthIndex()-o.Period.MonthIndex()) <= g.window
}

// medianRatio returns the ratio of o to the median of refs (compared as monthly
// averages for flows) and the reference closest to that median. Of an even number of
// references the median is the middle one nearer the middle of the indicator's
// typical range (the mean of the two, for an indicator without one): the mean of a
// right figure and a slipped one is neither.
func medianRatio(o obs.Observation, refs []obs.Observation, ind obs.Indicator) (obs.Observation, float64, bool) {
	if len(refs) == 0 || o.Value <= 0 {
		return obs.Observation{}, 0, false
	}
	vals := make([]float64, len(refs))
	for i, r := range refs {
		vals[i] = comparable(r, ind)
	}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	n := len(sorted)
	med := sorted[n/2]
	if n%2 == 0 {
		lo, hi := sorted[n/2-1], sorted[n/2]
		if _, ok := TypicalRange(ind.ID); !ok {
			med = (lo + hi) / 2
		} else if offCentre(ind.ID, lo) <= offCentre(ind.ID, hi) {
			med = lo
		} else {
			med = hi
		}
	}
	best := 0
	for i, v := range vals {
		if math.Abs(v-med) < math.Abs(vals[best]-med) {
			best = i
		}
	}
	return refs[best], comparable(o, ind) / med, true
}

// farther reports whether o lies farther than ref from the middle of the indicator's
// typical range (always true for an indicator without one: the reference decides).
func farther(o, ref obs.Observation, ind obs.Indicator) bool {
	if _, ok := TypicalRange(ind.ID); !ok {
		return true
	}
	return offCentre(ind.ID, comparable(o, ind)) > offCentre(ind.ID, comparable(ref, ind))
}

// offCentre is how many times v is off the geometric middle of the indicator's
// typical range, as a logarithm (0 in the middle).
func offCentre(id string, v float64) float64 {
	r, _ := TypicalRange(id)
	if v <= 0 {
		return math.Inf(1)
	}
	return math.Abs(math.Log(v / math.Sqrt(r.Min*r.Max)))
}

// comparable scales a value so that figures of different bases can be compared: flows
// become monthly averages; other kinds stay as they are.
func comparable(o obs.Observation, ind obs.Indicator) float64 {
	if ind.Kind != obs.Flow {
		return o.Value
	}
	switch o.Basis {
	case obs.BasisYTD:
		return o.Value / float64(o.Period.LastMonth())
	case obs.BasisYear:
		return o.Value / 12
	}
	return o.Value
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// SameWithinRounding reports whether a and b state the same figure at different
// precisions: they differ by no more than half a step in the last digit of the less
// precise one ("2.1万亿元" and "21034.5亿元" agree; "2.1万亿元" and "2.3万亿元" do not).
func SameWithinRounding(a, b obs.Observation) bool {
	tol := max(Resolution(a), Resolution(b)) / 2
	return math.Abs(a.Value-b.Value) <= tol*(1+1e-9)
}

// Resolution returns the value of one step in the last digit written of o's value, in
// base units: o.Resolution, set when the figure was read ("2.1万亿元" has resolution
// 1e11), or else what the value's trailing zeros in the display unit suggest.
func Resolution(o obs.Observation) float64 {
	if o.Resolution > 0 {
		return o.Resolution
	}
	ind, ok := obs.Lookup(o.Indicator)
	if !ok {
		return 0
	}
	v, err := units.FromBase(o.Value, ind.DisplayUnit)
	if err != nil {
		return 0
	}
	step := 0.01
	for step < 1e4 && isMultiple(v, step*10) {
		step *= 10
	}
	r, _, err := units.ToBase(step, ind.DisplayUnit)
	if err != nil {
		return 0
	}
	return r
}

func isMultiple(v, step float64) bool {
	q := v / step
	return math.Abs(q-math.Round(q)) < 1e-6
}
