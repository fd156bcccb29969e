package targets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// How the evaluation decides the cases the schedule math leaves open (DESIGN.md,
// "Schedule math" and "Status" define the rest):
//
//   - Which figure: obs.Index chooses one figure per indicator, basis and period —
//     final over estimate, then manual over collector over reference, then direct over
//     derived (year from ytd(12), USD from CNY, implied from stated growth) — and the
//     evaluation reads only what it chose, for the actual, the baseline and the years
//     behind S(m) alike.
//   - As of: only figures whose period has ended by asOf count. Figures for periods
//     after the goal year are ignored: they say nothing about a goal for that year.
//   - The figure judged: the latest one up to the end of the goal year. Flows: the
//     later of the latest full-year and the latest year-to-date figure (a full year wins
//     over its December year-to-date). Ratios: full-year figures only. Stocks: the
//     latest stock value.
//   - no_data: nothing observed after the baseline year, no baseline, or no figure
//     from the plan period; every no_data says what is missing.
//   - achieved: the goal-year value (full year, December stock) meets the goal; for an
//     at_least goal, a goal-year year-to-date flow already meets it, or before the
//     goal-year value is in, the latest full-year or stock value does ("met early"; the
//     verdict then rests on that figure, and a later year-to-date figure does not revoke
//     it). An at_most goal is achieved only by the goal-year value; before, staying
//     under the ceiling is on_track.
//   - missed: the goal-year value does not meet the goal, or a goal-year year-to-date
//     flow already exceeds an at_most ceiling. Goal year over but its value not in yet:
//     never missed on a guess; the latest figure is judged against its path, with a note.
//   - Seasonal share: S(m) averages the up to three most recent complete earlier years
//     with both the January–m and the full-year figure (m/12 when none has).
//   - Leap years and partial years: all arithmetic uses calendar months (m/12), never
//     day counts.

// Evaluate judges every target against the observations as of asOf and returns one
// verdict per target, in the order of ts. It is a pure function of its arguments.
func Evaluate(ts []Target, observations []obs.Observation, asOf time.Time) []Verdict {
	return NewIndex(observations, asOf).EvaluateAll(ts)
}

// EvaluateAll judges every target against the index, in the order of ts.
func (ix *Index) EvaluateAll(ts []Target) []Verdict {
	out := make([]Verdict, len(ts))
	for i, t := range ts {
		out[i] = ix.Evaluate(t)
	}
	return out
}

// Evaluate judges one target against the index.
func (ix *Index) Evaluate(t Target) Verdict {
	e := newEvaluation(ix, t, nil) // a value, so that it stays on the stack
	e.run()
	return e.v
}

// AsOfDate renders an as-of time as the last day it covers, in Asia/Shanghai: as of
// the end of 2024-01 (2024-02-01 00:00) is "2024-01-31".
func AsOfDate(asOf time.Time) string { return obs.LastDay(asOf) }

// evaluation is the working state of judging one target.
type evaluation struct {
	t   Target
	ix  *Index
	s   *series // nil when the indicator has no figures
	ind obs.Indicator
	v   Verdict
	// base is the baseline in the target's terms (0 for increase); baseLevel the
	// baseline level of the indicator (the stock at the baseline year's end for increase).
	base, baseLevel float64
	hasBase         bool
	baseFig         *obs.Figure
	// x collects the explanation; nil when only the verdict is wanted.
	x *Explanation
}

// measurement is the figure a verdict rests on, in the target's terms.
type measurement struct {
	f                 *obs.Figure
	actual, projected float64
	ytd               bool
	sh                share
}

// decision is the outcome that needs no path: achieved or missed (or none yet), and
// the figure it rests on.
type decision struct {
	status Status // "" when the path decides
	f      *obs.Figure
	// why says why, for the explanation (set only when explaining).
	why string
}

func newEvaluation(ix *Index, t Target, x *Explanation) evaluation {
	ind, _ := obs.Lookup(t.Indicator)
	e := evaluation{t: t, ix: ix, s: ix.series[t.Indicator], ind: ind, x: x}
	e.v = Verdict{
		Target: t.ID, Indicator: t.Indicator, Status: NoData, Goal: t.Goal, GoalYear: t.GoalYear,
		NameZH: t.NameZH, NameEN: t.NameEN, Unit: ind.BaseUnit, DisplayUnit: ind.DisplayUnit,
		Direction: t.Direction, Mode: t.Mode, BaselineYear: t.BaselineYear, AsOf: ix.asOf, Known: ix.obs.Known(),
	}
	return e
}

func (e *evaluation) notef(format string, args ...any) {
	e.v.Notes = append(e.v.Notes, fmt.Sprintf(format, args...))
}

func (e *evaluation) run() {
	e.findBaseline()
	e.fillPath()
	if cur, ok := e.judgeable(); ok {
		e.judge(cur)
	}
	if e.v.Status == NoData {
		e.missingNote()
	}
	e.sanitize()
}

// judgeable returns the latest figure when the target can be judged on it; otherwise
// it says why not in a note.
func (e *evaluation) judgeable() (*obs.Figure, bool) {
	t := e.t
	y0, Y := t.BaselineYear, t.GoalYear
	if e.s == nil {
		e.notef("no %s figures as of %s", t.Indicator, AsOfDate(e.ix.asOf))
		e.unconvertedNote(y0, Y)
		return nil, false
	}
	cur := e.current()
	if cur == nil {
		e.notef("no %s figure for %d–%d as of %s", t.Indicator, y0, Y, AsOfDate(e.ix.asOf))
		e.unconvertedNote(y0, Y)
		return nil, false
	}
	switch {
	case cur.Period.Year() < y0:
		e.describe(cur, "actual")
		e.notef("the latest %s figure (%s, %s) predates the baseline year %d", t.Indicator, e.ind.Format(cur.Value), cur.Period, y0)
		e.unconvertedNote(y0, Y)
		return nil, false
	case !afterBaseline(cur, y0):
		e.describe(cur, "actual")
		if t.Mode == Level {
			e.v.Actual, e.v.Projected = cur.Value, cur.Value
		}
		e.notef("nothing observed after the baseline year %d: the latest %s figure (%s, %s) is the baseline itself, which a verdict never rests on alone",
			y0, t.Indicator, cur.Period, e.ind.Format(cur.Value))
		e.unconvertedNote(y0+1, Y)
		return nil, false
	case t.Mode == Increase && !e.hasBase:
		e.describe(cur, "actual")
		e.notef("latest cumulative count: %s (%s)", e.ind.Format(cur.Value), cur.Period)
		e.notef("an increase since %d needs the count at the end of %d: set baseline in the targets file or enter a %d-12 stock figure", y0, y0, y0)
		return nil, false
	}
	return cur, true
}

// afterBaseline reports whether f covers a period that ends after the baseline year.
func afterBaseline(f *obs.Figure, y0 int) bool { return f.Period.MonthIndex() > y0*12+11 }

// current returns the latest figure up to the end of the goal year, or nil.
func (e *evaluation) current() *obs.Figure {
	Y := e.t.GoalYear
	switch e.s.ind.Kind {
	case obs.Flow:
		yr, td := latest(e.s.years, Y), latest(e.s.ytd, Y)
		switch {
		case yr == nil:
			return td
		case td == nil || yr.Period.MonthIndex() >= td.Period.MonthIndex():
			return yr
		default:
			return td
		}
	case obs.Ratio:
		return latest(e.s.years, Y)
	case obs.Stock:
		return latest(e.s.stocks, Y)
	}
	return nil
}

// latestAnnual returns the latest full-year (flows, ratios) or stock value up to the
// goal year, or nil.
func (e *evaluation) latestAnnual() *obs.Figure {
	if e.s.ind.Kind == obs.Stock {
		return latest(e.s.stocks, e.t.GoalYear)
	}
	return latest(e.s.years, e.t.GoalYear)
}

func (e *evaluation) judge(cur *obs.Figure) {
	d := e.decide(cur)
	e.describe(d.f, "actual")
	m := e.measure(d.f)
	e.v.Actual, e.v.Projected = m.actual, m.projected
	e.shareNote(m)
	if !e.pathReady() {
		e.noPathNote()
		e.v.Status = d.status
		if d.status == "" {
			e.v.Status = NoData
		}
		return
	}
	e.v.Expected = e.expectedAt(m)
	e.v.Gap = Gap(e.t.Direction, m.actual, e.v.Expected)
	if e.x != nil {
		e.step("gap", e.gapFormula(), e.gapNumbers(m.actual, e.v.Expected), percentText(e.v.Gap))
	}
	e.v.Status = d.status
	if d.status == "" {
		e.v.Status = e.onSchedule(m)
	} else {
		if e.x != nil {
			e.step("status", string(d.status), d.why, string(d.status))
		}
	}
	e.progress(m)
	e.paces(d.f)
	if Y := e.t.GoalYear; Y > d.f.Period.Year() || (m.ytd && Y == d.f.Period.Year()) {
		e.unconvertedNote(d.f.Period.Year()+1, Y)
	}
}

// decide returns the outcomes that need no path (DESIGN.md, "Status"): the goal-year
// value decides; an at_least goal met early by the latest full-year or stock value
// stays achieved whatever partial figures follow; a goal-year year-to-date flow can
// already meet an at_least goal or break an at_most ceiling.
func (e *evaluation) decide(cur *obs.Figure) decision {
	t := e.t
	Y := t.GoalYear
	if e.isGoalYearValue(cur) {
		if Meets(t.Direction, e.value(cur.Value), t.Goal) {
			d := decision{status: Achieved, f: cur}
			if e.x != nil {
				d.why = fmt.Sprintf("the %d value %s meets the goal %s", Y, e.format(e.value(cur.Value)), e.goalText())
			}
			return d
		}
		d := decision{status: Missed, f: cur}
		if e.x != nil {
			d.why = fmt.Sprintf("the %d value %s does not meet the goal %s", Y, e.format(e.value(cur.Value)), e.goalText())
		}
		return d
	}
	if a := e.latestAnnual(); t.Direction == AtLeast && a != nil && afterBaseline(a, t.BaselineYear) && Meets(t.Direction, e.value(a.Value), t.Goal) {
		e.notef("met early: the %s figure already meets the %d goal; the %d figure will confirm it", e.figureName(a), Y, Y)
		if a != cur {
			e.notef("the %s %s figure does not revoke it: a partial figure never revokes an early achievement", cur.Period, cur.Basis)
		}
		d := decision{status: Achieved, f: a}
		if e.x != nil {
			d.why = fmt.Sprintf("met early: the %s figure %s already meets the goal %s", e.figureName(a), e.format(e.value(a.Value)), e.goalText())
		}
		return d
	}
	if cur.Basis == obs.BasisYTD && cur.Period.Year() == Y {
		v := e.value(cur.Value)
		switch {
		case t.Direction == AtLeast && v >= t.Goal:
			e.notef("the January–%s figure already meets the %d goal", time.Month(cur.Period.Month()), Y)
			d := decision{status: Achieved, f: cur}
			if e.x != nil {
				d.why = fmt.Sprintf("the January–%s figure %s already meets the goal %s", time.Month(cur.Period.Month()), e.format(v), e.goalText())
			}
			return d
		case t.Direction == AtMost && v > t.Goal:
			e.notef("the January–%s figure already exceeds the %d ceiling", time.Month(cur.Period.Month()), Y)
			d := decision{status: Missed, f: cur}
			if e.x != nil {
				d.why = fmt.Sprintf("the January–%s figure %s already exceeds the ceiling %s", time.Month(cur.Period.Month()), e.format(v), e.goalText())
			}
			return d
		}
	}
	if !e.ix.asOf.Before(obs.YearPeriod(Y).End()) {
		e.notef("%d has ended but its full-year figure is not in yet; judged on %s against the expected path", Y, cur.Period)
	}
	return decision{f: cur}
}

// isGoalYearValue reports whether f is the value that decides the goal: the goal
// year's full-year figure, or its December stock.
func (e *evaluation) isGoalYearValue(f *obs.Figure) bool {
	if f.Period.Year() != e.t.GoalYear || f.Basis == obs.BasisYTD {
		return false
	}
	return f.Basis != obs.BasisStock || f.Period.Month() == 12
}

// figureName names a full-year or stock figure in notes: "2024 full-year" or "2024-03".
func (e *evaluation) figureName(f *obs.Figure) string {
	if f.Basis == obs.BasisYear {
		return f.Period.String() + " full-year"
	}
	return f.Period.String()
}

// onSchedule returns the status by the gap; an at_most level under its ceiling before
// the goal year is on_track whatever the path.
func (e *evaluation) onSchedule(m measurement) Status {
	t := e.t
	if t.Direction == AtMost && !m.ytd && Meets(AtMost, m.actual, t.Goal) {
		e.notef("%s stays under the %d ceiling %s: on track; only the %d value can achieve the goal", e.format(m.actual), t.GoalYear, e.goalText(), t.GoalYear)
		if e.x != nil {
			e.step("status", "at_most: under the ceiling before the goal year → on_track",
				fmt.Sprintf("%s ≤ %s", e.format(m.actual), e.goalText()), string(OnTrack))
		}
		return OnTrack
	}
	st := StatusOf(e.v.Gap, t.Tolerance)
	if e.x != nil {
		e.step("status", "on_track if gap ≥ 0; at_risk if −tolerance ≤ gap < 0; behind if gap < −tolerance",
			fmt.Sprintf("gap %s, tolerance %s", percentText(e.v.Gap), percentText(t.Tolerance)), string(st))
	}
	return st
}

// measure returns the actual of f in the target's terms and its year-end projection.
func (e *evaluation) measure(f *obs.Figure) measurement {
	m := measurement{f: f, actual: e.value(f.Value)}
	m.projected = m.actual
	if e.x != nil && e.t.Mode == Increase {
		e.step("actual", "actual = value − b (the increase since the baseline)",
			fmt.Sprintf("%s − %s", units.Format(f.Value, e.ind.DisplayUnit), units.Format(e.baseLevel, e.ind.DisplayUnit)), e.format(m.actual))
	}
	switch {
	case f.Basis == obs.BasisYTD:
		m.ytd, m.sh = true, e.s.shares[f.Period.MonthIndex()]
		m.projected = m.actual / m.sh.s
		if e.x != nil {
			e.step("projected", "projected = ytd(m) / S(m)",
				fmt.Sprintf("%s / %.4f", e.format(m.actual), m.sh.s), e.format(m.projected))
		}
	case e.s.ind.Kind == obs.Stock && f.Period.Month() != 12:
		if p := e.s.stAt[(f.Period.Year()-1)*12+11]; p != nil {
			prev := e.value(p.Value)
			m.projected = prev + (m.actual-prev)*12/float64(f.Period.Month())
			e.input("previous December (projection)", p)
			if e.x != nil {
				e.step("projected", "projected = stock(Dec y−1) + (stock − stock(Dec y−1))·12/m",
					fmt.Sprintf("%s + (%s − %s)·12/%d", e.format(prev), e.format(m.actual), e.format(prev), f.Period.Month()), e.format(m.projected))
			}
		}
	}
	return m
}

// expectedAt returns where the path expects the measured figure.
func (e *evaluation) expectedAt(m measurement) float64 {
	t, f := e.t, m.f
	y := f.Period.Year()
	switch {
	case m.ytd:
		ey := e.expected(y)
		e.pathStep(y, ey)
		x := ey * m.sh.s
		if e.x != nil {
			e.step("expected year-to-date", "expected_ytd = E(y)·S(m)", fmt.Sprintf("%s × %.4f", e.format(ey), m.sh.s), e.format(x))
		}
		return x
	case e.s.ind.Kind == obs.Stock:
		mo := f.Period.Month()
		prev, cur := e.expected(y-1), e.expected(y)
		e.pathStep(y-1, prev)
		e.pathStep(y, cur)
		x := ExpectedStock(t.Path, e.base, t.Goal, t.BaselineYear, t.GoalYear, y, mo)
		if e.x != nil {
			e.step("expected stock", "expected = E(y−1) + (E(y) − E(y−1))·m/12",
				fmt.Sprintf("%s + (%s − %s)·%d/12", e.format(prev), e.format(cur), e.format(prev), mo), e.format(x))
		}
		return x
	}
	x := e.expected(y)
	e.pathStep(y, x)
	return x
}

// expected returns the expected annual value (in the target's terms) in year y.
func (e *evaluation) expected(y int) float64 {
	return ExpectedAnnual(e.t.Path, e.base, e.t.Goal, e.t.BaselineYear, e.t.GoalYear, y)
}

// pathReady reports whether the expected path can be computed.
func (e *evaluation) pathReady() bool {
	if e.t.Mode == Increase {
		return true // the path of an increase starts at 0; the actual needs the baseline
	}
	return e.hasBase && !math.IsNaN(e.expected(e.t.GoalYear))
}

func (e *evaluation) noPathNote() {
	if !e.hasBase {
		e.notef("no baseline: set baseline in the targets file or enter the %d full-year figure", e.t.BaselineYear)
		e.unconvertedNote(e.t.BaselineYear, e.t.BaselineYear)
		return
	}
	e.notef("a compound path needs a positive baseline and goal")
}

// value converts an indicator value into the target's terms (the increase since the
// baseline for mode increase).
func (e *evaluation) value(v float64) float64 {
	if e.t.Mode == Increase {
		return v - e.baseLevel
	}
	return v
}

// progress sets (v − b)/(g − b), v the actual of a full-year or stock value and the
// projection of a year-to-date one.
func (e *evaluation) progress(m measurement) {
	t, v := e.t, &e.v
	annual := m.actual
	if m.ytd {
		annual = m.projected
	}
	switch {
	case t.Goal != e.base:
		v.Progress = (annual - e.base) / (t.Goal - e.base)
		if e.x != nil {
			e.step("progress", "progress = (v − b)/(g − b)",
				fmt.Sprintf("(%s − %s) / (%s − %s)", e.format(annual), e.format(e.base), e.format(t.Goal), e.format(e.base)), percentText(v.Progress))
		}
	case Meets(t.Direction, annual, t.Goal):
		v.Progress = 1
	}
}

// paces sets the pace still required and the observed-to-required growth ratio.
func (e *evaluation) paces(f *obs.Figure) {
	t := e.t
	goalLevel := t.Goal
	if t.Mode == Increase {
		goalLevel = e.baseLevel + t.Goal
	}
	var level, at float64
	if e.s.ind.Kind == obs.Stock {
		level, at = f.Value, float64(f.Period.Year()-1)+float64(f.Period.Month())/12
	} else if a := latest(e.s.years, t.GoalYear); a != nil {
		level, at = a.Value, float64(a.Period.Year())
	} else {
		return
	}
	e.v.RequiredPace = RequiredPace(level, at, goalLevel, t.GoalYear)
	e.v.GrowthRatio = GrowthRatio(e.baseLevel, t.BaselineYear, level, at, goalLevel, t.GoalYear)
}

// shareNote says which seasonal share a year-to-date actual was judged with.
func (e *evaluation) shareNote(m measurement) {
	if !m.ytd {
		return
	}
	month := time.Month(m.f.Period.Month())
	if len(m.sh.years) == 0 {
		e.notef("seasonal share of January–%s: %d/12 (no complete earlier year has both figures)", month, int(month))
	} else {
		ys := make([]int, len(m.sh.years))
		for i, y := range m.sh.years {
			ys[i] = y.year
		}
		e.notef("seasonal share of January–%s: %.4f, the mean over %s", month, m.sh.s, joinYears(ys))
	}
	e.explainShare(m)
}

// sanitize keeps every number finite so that verdicts encode as JSON.
func (e *evaluation) sanitize() {
	v := &e.v
	for _, p := range []*float64{&v.Actual, &v.Expected, &v.Goal, &v.Baseline, &v.BaselineLevel, &v.Gap, &v.Projected, &v.Progress, &v.RequiredPace, &v.GrowthRatio} {
		*p = finite(*p)
	}
}

// format renders a value in the target's terms in the display unit, two decimals, so
// that the numbers in the explanation can be checked by hand.
func (e *evaluation) format(v float64) string {
	s := units.Format(v, e.ind.DisplayUnit)
	if e.t.Mode == Increase && v >= 0 {
		s = "+" + s
	}
	return s
}

func (e *evaluation) goalText() string { return e.format(e.t.Goal) }

// percentText renders a ratio as a percentage with two decimals: "-8.75%".
func percentText(r float64) string {
	return strconv.FormatFloat(math.Round(r*10000)/100, 'f', 2, 64) + "%"
}

func joinYears(ys []int) string {
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, ", ")
}
