package targets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// How the evaluation decides the cases the schedule math leaves open:
//
//   - As of: only observations whose period has ended by asOf count (a figure for
//     2025-10 counts from 2025-11-01 00:00 Asia/Shanghai). Figures for periods after
//     the goal year are ignored: they say nothing about a goal for that year.
//   - Precedence: obs.Resolve keeps one observation per indicator, basis and period
//     (manual over collector over reference; a final figure over an estimate; then the
//     latest publication, so a revised figure replaces the one it revises), and
//     obs.Derive adds full-year values from year-to-date ones through December.
//   - The actual: the latest figure of the indicator up to the end of the goal year.
//     Flows: the later of the latest full-year and the latest year-to-date figure (a
//     full-year figure wins over the December year-to-date one). Ratios: the latest
//     full-year figure only. Stocks: the latest stock value. A latest figure from before
//     the baseline year does not judge the plan: no_data, with a note.
//   - achieved: the goal year's decisive figure (full-year value, December stock)
//     meets the goal; a year-to-date flow of the goal year already meets an at_least
//     goal; or, before the goal year's own figures exist, the latest full-year value (or
//     any latest stock) meets it early — a note says it was met early.
//     missed: the decisive figure does not meet the goal, or a year-to-date flow of the
//     goal year already exceeds an at_most goal.
//   - Goal year over, decisive figure not in yet (for example, 2026-11 with only the
//     2025 January–November figure): never missed on a guess. The latest figure is
//     judged against its expected path, and a note says the full-year figure is awaited.
//   - Baseline: the configured value or the baseline year's figure; without one there
//     is no path, so the status is no_data with a note saying what to enter (the actual
//     and its provenance are still reported).
//   - Missing months: the latest available year-to-date figure is used; the seasonal
//     share S(m) averages the up to three most recent complete earlier years that have
//     both the January–m figure and the full-year figure (m/12 when none has).
//   - Vintages: levels are compared with the path as published; no growth rate is ever
//     computed from two figures of one series except the required and observed paces
//     between the baseline and the latest annual level, which are long-run rates by
//     definition.
//   - Leap years and partial years: all arithmetic uses calendar months (m/12), never
//     day counts. A year with only some months has no full-year value and is not used
//     for the seasonal profile.
//   - goods_trade (USD): when no USD figure exists for a period, it is derived as
//     goods_trade_cny ÷ usd_cny_rate of the same year's annual average; a year-to-date
//     figure of a year without an annual average yet uses the latest rate whose period
//     ended by the figure's; a full-year figure without that year's average is not
//     converted, and the verdict says which rate is missing. Each derived figure carries
//     a note with the amount and rate used.

// conversion derives a USD indicator from a CNY one and an exchange rate.
type conversion struct{ target, from, rate string }

var conversions = []conversion{{target: "goods_trade", from: "goods_trade_cny", rate: "usd_cny_rate"}}

// fig is one figure of a series, with its month index (year·12 + month − 1 of the
// period's last month) and any note on how it was obtained.
type fig struct {
	mi   int
	o    obs.Observation
	note string
}

func (f *fig) year() int  { return f.mi / 12 }
func (f *fig) month() int { return f.mi%12 + 1 }

// share is the seasonal share S(m) for one year-to-date figure.
type share struct {
	s     float64
	years []int // the earlier years averaged; none means m/12
}

// series holds one indicator's figures, sorted by period.
type series struct {
	ind    obs.Indicator
	years  []fig       // basis year (flows, ratios)
	ytd    []fig       // basis ytd (flows)
	stocks []fig       // basis stock
	yearAt map[int]int // year → index in years
	ytdAt  map[int]int // month index → index in ytd
	stAt   map[int]int // month index → index in stocks
	shares map[int]share
	// gaps records, by year, figures that exist in another currency but could not be
	// converted for lack of an exchange rate.
	gaps *convGaps
}

// convGaps records the figures a conversion could not derive, by year.
type convGaps struct {
	c      conversion
	years  map[int]int             // year → number of figures not converted
	latest map[int]obs.Observation // year → the latest of them
}

// Index holds observations prepared for evaluation as of one time: filtered by asOf,
// resolved, derived, converted and grouped by indicator. Build it once with NewIndex
// and evaluate any number of targets against it; it is not modified afterwards and is
// safe for concurrent use.
type Index struct {
	asOf   time.Time
	series map[string]*series
}

// Evaluate judges every target against the observations as of asOf and returns one
// verdict per target, in the order of ts. It is a pure function of its arguments.
func Evaluate(ts []Target, observations []obs.Observation, asOf time.Time) []Verdict {
	ix := NewIndex(observations, asOf)
	out := make([]Verdict, len(ts))
	for i, t := range ts {
		out[i] = ix.Evaluate(t)
	}
	return out
}

// NewIndex prepares observations for evaluation as of asOf: it keeps the Shenzhen
// figures whose period ended by asOf, resolves precedence (obs.Resolve), adds derived
// flows (obs.Derive) and USD conversions, and groups the result by indicator.
func NewIndex(observations []obs.Observation, asOf time.Time) *Index {
	kept := make([]obs.Observation, 0, len(observations))
	for _, o := range observations {
		if o.Region != obs.RegionSZ || o.Period.IsZero() || o.Period.End().After(asOf) {
			continue
		}
		kept = append(kept, o)
	}
	resolved := obs.Resolve(kept)
	all := append(resolved, obs.Derive(resolved)...)
	notes := map[obs.Key]string{}
	gaps := map[string]*convGaps{}
	for _, c := range conversions {
		var extra []obs.Observation
		extra, gaps[c.target] = c.apply(all, notes)
		all = append(all, extra...)
	}
	ix := &Index{asOf: asOf, series: map[string]*series{}}
	for _, o := range all {
		ind, ok := obs.Lookup(o.Indicator)
		if !ok {
			continue
		}
		s := ix.series[o.Indicator]
		if s == nil {
			s = &series{ind: ind, gaps: gaps[o.Indicator]}
			ix.series[o.Indicator] = s
		}
		f := fig{mi: o.Period.MonthIndex(), o: o, note: notes[o.Key()]}
		switch {
		case o.Basis == obs.BasisYear && (ind.Kind == obs.Flow || ind.Kind == obs.Ratio):
			s.years = append(s.years, f)
		case o.Basis == obs.BasisYTD && ind.Kind == obs.Flow:
			s.ytd = append(s.ytd, f)
		case o.Basis == obs.BasisStock && ind.Kind == obs.Stock:
			s.stocks = append(s.stocks, f)
		}
	}
	for id, g := range gaps {
		if ix.series[id] == nil && len(g.years) > 0 {
			ix.series[id] = &series{ind: obs.MustLookup(id), gaps: g}
		}
	}
	for _, s := range ix.series {
		s.build()
	}
	return ix
}

func byMonthIndex(a, b fig) int { return a.mi - b.mi }

func (s *series) build() {
	slices.SortFunc(s.years, byMonthIndex)
	slices.SortFunc(s.ytd, byMonthIndex)
	slices.SortFunc(s.stocks, byMonthIndex)
	s.yearAt = make(map[int]int, len(s.years))
	for i, f := range s.years {
		s.yearAt[f.year()] = i
	}
	s.ytdAt = make(map[int]int, len(s.ytd))
	for i, f := range s.ytd {
		s.ytdAt[f.mi] = i
	}
	s.stAt = make(map[int]int, len(s.stocks))
	for i, f := range s.stocks {
		s.stAt[f.mi] = i
	}
	s.shares = make(map[int]share, len(s.ytd))
	for _, f := range s.ytd {
		s.shares[f.mi] = s.seasonalShare(f.year(), f.month())
	}
}

// seasonalShare returns S(m) for year y: the mean share of January–m in the full year
// over the up to three most recent earlier years holding both figures, or m/12.
func (s *series) seasonalShare(y, m int) share {
	if m == 12 {
		return share{s: 1}
	}
	var sum float64
	var years []int
	first := y
	if len(s.years) > 0 {
		first = s.years[0].year()
	}
	for py := y - 1; py >= first && len(years) < 3; py-- {
		yi, ok := s.yearAt[py]
		if !ok {
			continue
		}
		ti, ok := s.ytdAt[py*12+m-1]
		if !ok || s.years[yi].o.Value <= 0 {
			continue
		}
		sum += s.ytd[ti].o.Value / s.years[yi].o.Value
		years = append(years, py)
	}
	if len(years) == 0 {
		return share{s: float64(m) / 12}
	}
	return share{s: sum / float64(len(years)), years: years}
}

// latest returns the last figure in fs (sorted) of a year ≤ maxYear, or nil.
func latest(fs []fig, maxYear int) *fig {
	i, _ := slices.BinarySearchFunc(fs, (maxYear+1)*12, func(f fig, mi int) int { return f.mi - mi })
	if i == 0 {
		return nil
	}
	return &fs[i-1]
}

// apply derives c.target figures from c.from ÷ c.rate for the periods (year and ytd)
// that have no c.target figure. It records each derived figure's note in notes and
// returns the figures that could not be converted.
func (c conversion) apply(all []obs.Observation, notes map[obs.Key]string) ([]obs.Observation, *convGaps) {
	type pk struct {
		basis  obs.Basis
		period obs.Period
	}
	have := map[pk]bool{}
	rateYear := map[int]obs.Observation{}
	var rates []obs.Observation
	for _, o := range all {
		switch o.Indicator {
		case c.target:
			have[pk{o.Basis, o.Period}] = true
		case c.rate:
			if o.Value <= 0 {
				continue
			}
			rates = append(rates, o)
			if o.Basis == obs.BasisYear {
				rateYear[o.Period.Year()] = o
			}
		}
	}
	slices.SortFunc(rates, func(a, b obs.Observation) int { return a.Period.End().Compare(b.Period.End()) })
	fromInd := obs.MustLookup(c.from)
	var out []obs.Observation
	gaps := &convGaps{c: c, years: map[int]int{}, latest: map[int]obs.Observation{}}
	for _, o := range all {
		if o.Indicator != c.from || (o.Basis != obs.BasisYear && o.Basis != obs.BasisYTD) || have[pk{o.Basis, o.Period}] {
			continue
		}
		y := o.Period.Year()
		r, ok := rateYear[y]
		how := fmt.Sprintf("%d annual average", y)
		if !ok && o.Basis == obs.BasisYTD {
			end := o.Period.End()
			for i := len(rates) - 1; i >= 0; i-- {
				if !rates[i].Period.End().After(end) {
					r, ok = rates[i], true
					how = fmt.Sprintf("latest rate available: %s %s average; the %d annual average is not in yet", r.Period, rateBasisWord(r.Basis), y)
					break
				}
			}
		}
		if !ok {
			gaps.years[y]++
			if l, seen := gaps.latest[y]; !seen || laterFigure(o, l) {
				gaps.latest[y] = o
			}
			continue
		}
		d := o
		d.Indicator = c.target
		d.Value = o.Value / r.Value
		d.Unit = units.USD
		d.Source = obs.SourceDerived
		d.Estimate = o.Estimate || r.Estimate
		if r.SourceKind.Precedence() < d.SourceKind.Precedence() {
			d.SourceKind = r.SourceKind
		}
		notes[d.Key()] = fmt.Sprintf("converted from %s at %s 元/美元 (%s)",
			formatAmount(o.Value, fromInd), strconv.FormatFloat(r.Value, 'f', -1, 64), how)
		out = append(out, d)
	}
	return out, gaps
}

// laterFigure reports whether o covers a later stretch than p: a later last month, or
// the same last month as a full year rather than a year-to-date figure.
func laterFigure(o, p obs.Observation) bool {
	oe, pe := o.Period.MonthIndex(), p.Period.MonthIndex()
	if oe != pe {
		return oe > pe
	}
	return o.Basis == obs.BasisYear && p.Basis != obs.BasisYear
}

func rateBasisWord(b obs.Basis) string {
	if b == obs.BasisMonth {
		return "monthly"
	}
	return "annual"
}

// formatAmount renders a base-unit value in the indicator's display unit, using 万亿元
// for yuan amounts of a trillion or more.
func formatAmount(v float64, ind obs.Indicator) string {
	if ind.DisplayUnit == "亿元" && math.Abs(v) >= 1e12 {
		return units.Format(v, "万亿元")
	}
	return units.Format(v, ind.DisplayUnit)
}

// AsOfDate renders an as-of time as the last day it covers, in Asia/Shanghai: as of
// the end of 2024-01 (2024-02-01 00:00) is "2024-01-31".
func AsOfDate(asOf time.Time) string {
	return asOf.Add(-time.Nanosecond).In(obs.Shanghai).Format("2006-01-02")
}

// Evaluate judges one target against the index.
func (ix *Index) Evaluate(t Target) Verdict {
	e := evaluation{t: t, ix: ix, s: ix.series[t.Indicator]}
	return e.run()
}

// evaluation is the working state of judging one target.
type evaluation struct {
	t  Target
	ix *Index
	s  *series
	v  Verdict
	// base is the baseline in the target's terms (0 for increase); baseLevel the
	// baseline level of the indicator (the stock at the baseline year's end for increase).
	base, baseLevel float64
	hasBase         bool
}

func (e *evaluation) notef(format string, args ...any) {
	e.v.Notes = append(e.v.Notes, fmt.Sprintf(format, args...))
}

func (e *evaluation) run() Verdict {
	t := e.t
	ind, _ := obs.Lookup(t.Indicator)
	e.v = Verdict{
		Target: t.ID, Indicator: t.Indicator, Status: NoData, Goal: t.Goal, GoalYear: t.GoalYear,
		NameZH: t.NameZH, NameEN: t.NameEN, Unit: ind.BaseUnit, DisplayUnit: ind.DisplayUnit,
		Direction: t.Direction, Mode: t.Mode, BaselineYear: t.BaselineYear, AsOf: e.ix.asOf,
	}
	e.findBaseline()
	e.fillPath()
	if e.s == nil {
		e.notef("no %s figures as of %s", t.Indicator, AsOfDate(e.ix.asOf))
		return e.v
	}
	cur := e.current()
	if cur == nil {
		e.notef("no %s figure for %d–%d as of %s", t.Indicator, t.BaselineYear, t.GoalYear, AsOfDate(e.ix.asOf))
		e.gapNotes(t.BaselineYear, t.GoalYear)
		return e.v
	}
	e.judge(cur)
	e.sanitize()
	return e.v
}

// findBaseline sets the baseline from the config or the baseline year's figure.
func (e *evaluation) findBaseline() {
	t := e.t
	if t.Baseline != nil {
		e.baseLevel, e.hasBase = *t.Baseline, true
	} else if e.s != nil {
		var f *fig
		switch e.s.ind.Kind {
		case obs.Stock:
			if i, ok := e.s.stAt[t.BaselineYear*12+11]; ok {
				f = &e.s.stocks[i]
			}
		default:
			if i, ok := e.s.yearAt[t.BaselineYear]; ok {
				f = &e.s.years[i]
			}
		}
		if f != nil {
			e.baseLevel, e.hasBase = f.o.Value, true
			if f.note != "" {
				e.notef("baseline %d %s", t.BaselineYear, f.note)
			}
		}
	}
	if t.Mode == Increase {
		e.base = 0
	} else {
		e.base = e.baseLevel
	}
	e.v.Baseline = e.base
	if t.Mode == Increase && e.hasBase {
		e.v.BaselineLevel = e.baseLevel
	}
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

// value converts an indicator value into the target's terms (the increase since the
// baseline for mode increase).
func (e *evaluation) value(v float64) float64 {
	if e.t.Mode == Increase {
		return v - e.baseLevel
	}
	return v
}

// current returns the figure the verdict rests on, or nil.
func (e *evaluation) current() *fig {
	Y := e.t.GoalYear
	switch e.s.ind.Kind {
	case obs.Flow:
		yr, td := latest(e.s.years, Y), latest(e.s.ytd, Y)
		switch {
		case yr == nil:
			return td
		case td == nil || yr.mi >= td.mi:
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

// latestAnnual returns the latest annual level and its time in years (the end of
// year y is y; a stock in month m of year y is y−1+m/12), for paces.
func (e *evaluation) latestAnnual(cur *fig) (level, at float64, ok bool) {
	if e.s.ind.Kind == obs.Stock {
		return cur.o.Value, float64(cur.year()-1) + float64(cur.month())/12, true
	}
	f := latest(e.s.years, e.t.GoalYear)
	if f == nil {
		return 0, 0, false
	}
	return f.o.Value, float64(f.year()), true
}

func (e *evaluation) judge(cur *fig) {
	t, s, v := e.t, e.s, &e.v
	Y, y0 := t.GoalYear, t.BaselineYear
	v.Period = cur.o.Period.String()
	v.Basis = cur.o.Basis
	v.Source, v.SourceKind, v.URL, v.Quote, v.Estimate = cur.o.Source, cur.o.SourceKind, cur.o.URL, cur.o.Quote, cur.o.Estimate
	if cur.note != "" {
		e.notef("%s: %s", v.Period, cur.note)
	}
	if cur.o.Estimate {
		e.notef("%s %s is an estimate (预计); the final figure will replace it", t.Indicator, v.Period)
	}
	if cur.year() < y0 {
		e.notef("the latest %s figure (%s, %s) predates the baseline year %d", t.Indicator, units.Format(cur.o.Value, s.ind.DisplayUnit), v.Period, y0)
		e.gapNotes(y0, Y)
		return
	}
	if t.Mode == Increase && !e.hasBase {
		e.notef("latest cumulative count: %s (%s)", units.Format(cur.o.Value, s.ind.DisplayUnit), v.Period)
		e.notef("an increase since %d needs the count at the end of %d: set baseline in the targets file or enter a %d-12 stock figure", y0, y0, y0)
		return
	}

	// The actual, its annual equivalent (projection) and the expected value.
	actual := e.value(cur.o.Value)
	projected := actual
	isYTD := cur.o.Basis == obs.BasisYTD
	var sh share
	switch {
	case isYTD:
		sh = s.shares[cur.mi]
		projected = actual / sh.s
	case s.ind.Kind == obs.Stock && cur.month() != 12:
		if i, ok := s.stAt[(cur.year()-1)*12+11]; ok {
			prev := e.value(s.stocks[i].o.Value)
			projected = prev + (actual-prev)*12/float64(cur.month())
		}
	}
	v.Actual, v.Projected = actual, projected
	if isYTD {
		if len(sh.years) == 0 {
			e.notef("seasonal share of January–%s: %d/12 (no complete earlier year has both figures)", time.Month(cur.month()), cur.month())
		} else {
			e.notef("seasonal share of January–%s: %.4f, the mean over %s", time.Month(cur.month()), sh.s, joinYears(sh.years))
		}
	}

	// Decisive and early outcomes, which need no path.
	decided := false
	switch {
	case cur.year() == Y && !isYTD && (s.ind.Kind != obs.Stock || cur.month() == 12):
		decided = true
		if Meets(t.Direction, actual, t.Goal) {
			v.Status = Achieved
		} else {
			v.Status = Missed
		}
	case cur.year() == Y && isYTD && t.Direction == AtLeast && actual >= t.Goal:
		decided = true
		v.Status = Achieved
		e.notef("the January–%s figure already meets the %d goal", time.Month(cur.month()), Y)
	case cur.year() == Y && isYTD && t.Direction == AtMost && actual > t.Goal:
		decided = true
		v.Status = Missed
		e.notef("the January–%s figure already exceeds the %d ceiling", time.Month(cur.month()), Y)
	case s.ind.Kind == obs.Stock && Meets(t.Direction, actual, t.Goal):
		decided = true
		v.Status = Achieved
		if cur.year() < Y || cur.month() < 12 {
			e.notef("met early: the %s figure already meets the %d goal", v.Period, Y)
		}
	case cur.year() < Y:
		if f := latest(s.years, Y); f != nil && f.year() >= y0 && Meets(t.Direction, e.value(f.o.Value), t.Goal) {
			decided = true
			v.Status = Achieved
			e.notef("met early: the %d full-year figure already meets the %d goal; the %d figure will confirm it", f.year(), Y, Y)
		}
	}
	if !decided && !e.ix.asOf.Before(obs.YearPeriod(Y).End()) {
		e.notef("%d has ended but its full-year figure is not in yet; judged on %s against the expected path", Y, v.Period)
	}

	// The path, gap and progress.
	if !e.pathReady() {
		if !e.hasBase {
			e.notef("no baseline: set baseline in the targets file or enter the %d full-year figure", y0)
			e.gapNotes(y0, y0)
		} else {
			e.notef("a compound path needs a positive baseline and goal")
		}
		if !decided {
			v.Status = NoData
		}
		return
	}
	var expected float64
	switch {
	case isYTD:
		expected = e.expected(cur.year()) * sh.s
	case s.ind.Kind == obs.Stock:
		expected = ExpectedStock(t.Path, e.base, t.Goal, y0, Y, cur.year(), cur.month())
	default:
		expected = e.expected(cur.year())
	}
	v.Expected = expected
	v.Gap = Gap(t.Direction, actual, expected)
	if !decided {
		v.Status = StatusOf(v.Gap, t.Tolerance)
	}
	annual := actual
	if isYTD {
		annual = projected
	}
	switch {
	case t.Goal != e.base:
		v.Progress = (annual - e.base) / (t.Goal - e.base)
	case Meets(t.Direction, annual, t.Goal):
		v.Progress = 1
	}
	goalLevel := t.Goal
	if t.Mode == Increase {
		goalLevel = e.baseLevel + t.Goal
	}
	if l, at, ok := e.latestAnnual(cur); ok {
		v.RequiredPace = RequiredPace(l, at, goalLevel, Y)
		v.GrowthRatio = GrowthRatio(e.baseLevel, y0, l, at, goalLevel, Y)
	}
	if Y > cur.year() || (isYTD && Y == cur.year()) {
		e.gapNotes(cur.year()+1, Y)
	}
}

// gapNotes adds a note on the figures of years from through to that could not be
// converted for lack of an exchange rate.
func (e *evaluation) gapNotes(from, to int) {
	if e.s == nil || e.s.gaps == nil {
		return
	}
	g := e.s.gaps
	var years []int
	n := 0
	var last obs.Observation
	for y := from; y <= to; y++ {
		if k := g.years[y]; k > 0 {
			years = append(years, y)
			n += k
			last = g.latest[y]
		}
	}
	if len(years) == 0 {
		return
	}
	figures := "figures"
	if n == 1 {
		figures = "figure"
	}
	e.notef("no %s (%s) for %s: %d %s %s not converted to USD (latest: %s %s, %s)",
		g.c.rate, obs.MustLookup(g.c.rate).NameEN, joinYears(years), n, g.c.from, figures,
		last.Basis, last.Period, formatAmount(last.Value, obs.MustLookup(g.c.from)))
}

// fillPath sets the expected annual path from the baseline year to the goal year and
// the observed annual values: full-year figures (flows, ratios), the December stock or
// the latest stock of the year, and for the latest year of a flow with only a
// year-to-date figure its projection.
func (e *evaluation) fillPath() {
	t := e.t
	ready := e.pathReady()
	n := t.GoalYear - t.BaselineYear + 1
	e.v.Path = make([]PathPoint, n)
	actuals := make([]float64, n) // one allocation backs every Actual pointer
	for i := range n {
		y := t.BaselineYear + i
		p := &e.v.Path[i]
		p.Year = y
		if ready {
			p.Expected = finite(e.expected(y))
		}
		if a, ok := e.observedAnnual(y); ok {
			actuals[i] = finite(a)
			p.Actual = &actuals[i]
		}
	}
}

func (e *evaluation) observedAnnual(y int) (float64, bool) {
	s := e.s
	if s == nil || (e.t.Mode == Increase && !e.hasBase) {
		return 0, false
	}
	switch s.ind.Kind {
	case obs.Flow, obs.Ratio:
		if i, ok := s.yearAt[y]; ok {
			return e.value(s.years[i].o.Value), true
		}
		if s.ind.Kind == obs.Flow {
			if f := latest(s.ytd, y); f != nil && f.year() == y {
				return e.value(f.o.Value) / s.shares[f.mi].s, true
			}
		}
	case obs.Stock:
		if f := latest(s.stocks, y); f != nil && f.year() == y {
			return e.value(f.o.Value), true
		}
	}
	return 0, false
}

// sanitize keeps every number finite so that verdicts encode as JSON.
func (e *evaluation) sanitize() {
	v := &e.v
	for _, p := range []*float64{&v.Actual, &v.Expected, &v.Goal, &v.Baseline, &v.BaselineLevel, &v.Gap, &v.Projected, &v.Progress, &v.RequiredPace, &v.GrowthRatio} {
		*p = finite(*p)
	}
}

func joinYears(ys []int) string {
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, ", ")
}
