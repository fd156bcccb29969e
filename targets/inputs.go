package targets

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// findBaseline sets the baseline from the config or the baseline year's figure (a
// full-year figure, or the stock at the end of the baseline year).
func (e *evaluation) findBaseline() {
	t := e.t
	switch {
	case t.Baseline != nil:
		e.baseLevel, e.hasBase = *t.Baseline, true
		if e.x != nil {
			e.step("baseline", "b = the baseline configured in the targets file", "", units.Format(*t.Baseline, e.ind.DisplayUnit))
		}
	case e.s != nil:
		var f *obs.Figure
		if e.s.ind.Kind == obs.Stock {
			f = e.s.stAt[t.BaselineYear*12+11]
		} else {
			f = e.s.yearAt[t.BaselineYear]
		}
		if f != nil {
			e.baseFig, e.baseLevel, e.hasBase = f, f.Value, true
			e.input("baseline", f)
			if f.Detail != "" {
				e.notef("baseline %d %s", t.BaselineYear, f.Detail)
			}
			if f.Estimate {
				e.notef("the %d baseline is an estimate: %s", t.BaselineYear, strings.Join(estimateCauses(f), "; "))
			}
			if e.x != nil {
				e.step("baseline", fmt.Sprintf("b = the %s figure", e.figureName(f)), "", units.Format(f.Value, e.ind.DisplayUnit))
			}
		}
	}
	if t.Mode == Increase {
		e.base = 0
		if e.hasBase {
			e.v.BaselineLevel = e.baseLevel
			if e.x != nil {
				e.step("increase", "the target counts the increase since the baseline: value − b", "", "b = "+units.Format(e.baseLevel, e.ind.DisplayUnit))
			}
		}
	} else {
		e.base = e.baseLevel
	}
	e.v.Baseline = e.base
}

// describe sets the verdict's figure and provenance from f, with notes on how it was
// derived and why it is an estimate.
func (e *evaluation) describe(f *obs.Figure, role string) {
	v := &e.v
	v.Period, v.Basis = f.Period.String(), f.Basis
	v.Source, v.SourceKind, v.URL, v.Quote, v.Estimate = f.Source, f.SourceKind, f.URL, f.Quote, f.Estimate
	e.input(role, f)
	if f.Detail != "" && f != e.baseFig {
		e.notef("%s: %s", v.Period, f.Detail)
	}
	if !f.Estimate {
		return
	}
	if f.Derivation == obs.Published {
		e.notef("%s %s is an estimate (预计); the final figure will replace it", e.t.Indicator, v.Period)
		return
	}
	e.notef("%s %s is an estimate: %s; a final figure will replace it", e.t.Indicator, v.Period, strings.Join(estimateCauses(f), "; "))
}

// estimateCauses lists why a figure is an estimate: the published estimates, implied
// figures and other years' exchange rates it rests on.
func estimateCauses(f *obs.Figure) []string {
	var out []string
	var walk func(*obs.Figure)
	walk = func(f *obs.Figure) {
		switch {
		case f.Derivation == obs.Published && f.Estimate:
			out = append(out, fmt.Sprintf("%s %s %s is published as an estimate (预计)", f.Indicator, f.Basis, f.Period))
		case f.Derivation == obs.Implied:
			out = append(out, fmt.Sprintf("%s %s %s is implied by %s and its stated growth", f.Indicator, f.Basis, f.Period, f.From[0].Period))
		case f.Derivation == obs.Converted && len(f.From) == 2 && f.From[1].Period.Year() != f.Period.Year():
			out = append(out, fmt.Sprintf("converted at the %d annual average rate, as the %d one is not in yet", f.From[1].Period.Year(), f.Period.Year()))
		}
		if f.Derivation != obs.Implied {
			for _, g := range f.From {
				walk(g)
			}
		}
	}
	walk(f)
	slices.Sort(out)
	return slices.Compact(out)
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
		if f := s.yearAt[y]; f != nil {
			return e.value(f.Value), true
		}
		if s.ind.Kind == obs.Flow {
			if f := latest(s.ytd, y); f != nil && f.Period.Year() == y {
				return e.value(f.Value) / s.shares[f.Period.MonthIndex()].s, true
			}
		}
	case obs.Stock:
		if f := latest(s.stocks, y); f != nil && f.Period.Year() == y {
			return e.value(f.Value), true
		}
	}
	return 0, false
}

// unconvertedNote adds a note on the figures of years from through to that could not
// be converted to the target's currency for lack of any exchange rate.
func (e *evaluation) unconvertedNote(from, to int) {
	c, ok := obs.ConversionInto(e.t.Indicator)
	if !ok {
		return
	}
	var years []int
	var last *obs.Figure
	n := 0
	for _, f := range e.ix.obs.Unconverted(e.t.Indicator) {
		if y := f.Period.Year(); y >= from && y <= to {
			if len(years) == 0 || years[len(years)-1] != y {
				years = append(years, y)
			}
			n++
			if last == nil || laterFigure(f, last) {
				last = f
			}
		}
	}
	if n == 0 {
		return
	}
	figures := "figures"
	if n == 1 {
		figures = "figure"
	}
	e.notef("no %s (%s) for %s or any earlier year: %d %s %s not converted to USD (latest: %s %s, %s)",
		c.Rate, obs.MustLookup(c.Rate).NameEN, joinYears(years), n, c.From, figures,
		last.Basis, last.Period, obs.MustLookup(c.From).Format(last.Value))
}

// laterFigure reports whether f covers a later stretch than g: a later last month, or
// the same last month as a full year rather than a year-to-date figure.
func laterFigure(f, g *obs.Figure) bool {
	fe, ge := f.Period.MonthIndex(), g.Period.MonthIndex()
	if fe != ge {
		return fe > ge
	}
	return f.Basis == obs.BasisYear && g.Basis != obs.BasisYear
}

// missingNote says, for a no_data verdict, what would let the target be judged. For a
// converted indicator without any figure (goods_trade), it names the figures to convert.
func (e *evaluation) missingNote() {
	t := e.t
	y0, Y := t.BaselineYear, t.GoalYear
	ind, s, hasBase := e.ind, e.s, e.hasBase
	c, converted := obs.ConversionInto(t.Indicator)
	if converted && s == nil {
		ind, s = obs.MustLookup(c.From), e.ix.series[c.From]
		hasBase = s != nil && s.yearAt[y0] != nil
	}
	var need []string
	if !hasBase {
		need = append(need, fmt.Sprintf("the %s %s (the baseline; %s)", ind.ID, annualWord(ind, y0), howToEnter(ind)))
	}
	if !observedAfter(s, y0, Y) {
		need = append(need, fmt.Sprintf("a figure of %s for a period after %d and up to %d (%s)", ind.ID, y0, Y, howToEnter(ind)))
	}
	if converted && len(e.ix.obs.Unconverted(t.Indicator)) > 0 {
		need = append(need, fmt.Sprintf("the %s annual average of %d or an earlier year, to convert %s to USD (%s)", c.Rate, y0, c.From, howToEnter(obs.MustLookup(c.Rate))))
	}
	if len(need) > 0 {
		e.notef("to judge this target, enter %s", strings.Join(need, "; "))
	}
}

// howToEnter says where figures of ind come from.
func howToEnter(ind obs.Indicator) string {
	if ind.Source == obs.SourceManual {
		return "staff enter it with trademon import or the entry form"
	}
	return fmt.Sprintf("the %s collector fetches new figures; enter history with trademon import", ind.Source)
}

// annualWord names the baseline-year figure of ind: "2020 full-year figure" or
// "count at the end of 2020".
func annualWord(ind obs.Indicator, y int) string {
	if ind.Kind == obs.Stock {
		return fmt.Sprintf("count at the end of %d", y)
	}
	return fmt.Sprintf("%d full-year figure", y)
}

// observedAfter reports whether series s has a figure for a period after year y0 and
// within year Y.
func observedAfter(s *series, y0, Y int) bool {
	if s == nil {
		return false
	}
	for _, fs := range [][]*obs.Figure{s.years, s.ytd, s.stocks} {
		if f := latest(fs, Y); f != nil && afterBaseline(f, y0) {
			return true
		}
	}
	return false
}
