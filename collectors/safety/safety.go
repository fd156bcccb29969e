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
	"strings"
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
	// or it is a final figure replacing an estimate).
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
// indicator within the window (stored ones and those the run accepted): one wrong
// figure among them cannot sway a median. When nothing is known yet (a first
// backfill), the batch is its own reference: each value is compared with the median of
// the batch's other figures of the indicator, so a slipped page among good ones is
// rejected whichever comes first.
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
	for _, i := range cands {
		o := out[i].Observation
		ind := obs.MustLookup(o.Indicator)
		refs := g.known(o)
		if len(refs) == 0 {
			for _, j := range cands {
				if p := out[j].Observation; j != i && p.Key() != o.Key() && g.comparableTo(o, p) {
					refs = append(refs, p)
				}
			}
		}
		if ref, ratio, ok := medianRatio(o, refs, ind); ok && (ratio > g.jump || ratio < 1/g.jump) {
			out[i].Action, out[i].Reason, out[i].Reference = Reject, UnitSlip, &ref
			out[i].Detail = fmt.Sprintf("%s %s %s = %s is %s the typical figure near it (such as %s %s = %s from %s): a unit slip?",
				o.Indicator, o.Basis, o.Period, units.Format(o.Value, ind.DisplayUnit), timesText(ratio),
				ref.Basis, ref.Period, units.Format(ref.Value, ind.DisplayUnit), ref.Source)
		}
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

// known returns the known figures comparable to o, including the one already known
// under o's own key (known figures passed these checks; a figure ten times its own
// earlier value is as suspect as one ten times its neighbours').
func (g *Guard) known(o obs.Observation) []obs.Observation {
	var out []obs.Observation
	for _, c := range g.hist[o.Indicator] {
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
// averages for flows) and the reference closest to that median.
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
		med = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	best := 0
	for i, v := range vals {
		if math.Abs(v-med) < math.Abs(vals[best]-med) {
			best = i
		}
	}
	return refs[best], comparable(o, ind) / med, true
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
// base units. It finds the figure in o's quote ("2.1万亿元" has resolution 1e11); when
// the quote does not show it, it reads the value's trailing zeros in the display unit.
func Resolution(o obs.Observation) float64 {
	ind, ok := obs.Lookup(o.Indicator)
	if !ok {
		return 0
	}
	if r, ok := resolutionFromQuote(o.Quote, o.Value, ind.BaseUnit); ok {
		return r
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

// maxUnitRunes bounds how much text after a number is tried as its unit ("万亿美元").
const maxUnitRunes = 6

// resolutionFromQuote looks for a quantity in quote that equals value in base unit and
// returns its resolution.
func resolutionFromQuote(quote string, value float64, base string) (float64, bool) {
	runes := []rune(units.Normalize(quote))
	for i := 0; i < len(runes); i++ {
		if !isDigit(runes[i]) || (i > 0 && (isDigit(runes[i-1]) || runes[i-1] == '.')) {
			continue
		}
		j := i
		for j < len(runes) && isNumberRune(runes[j]) {
			j++
		}
		for k := min(len(runes), j+maxUnitRunes); k >= j; k-- {
			v, b, res, err := units.ParseQuantity(strings.TrimSpace(string(runes[i:k])))
			if err == nil && b == base && math.Abs(v-value) <= 1e-9*math.Max(1, math.Abs(value)) {
				return res, true
			}
		}
	}
	return 0, false
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isNumberRune(r rune) bool {
	return isDigit(r) || strings.ContainsRune(".,十百千万萬亿億兆", r)
}
