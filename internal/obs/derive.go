package obs

import (
	"fmt"
	"slices"
	"strings"
)

// SourceDerived is the Source of an observation computed from others by Derive.
const SourceDerived = "derived"

type seriesKey struct {
	indicator, region string
	basis             Basis
	period            Period
}

func seriesOf(o Observation) seriesKey {
	return seriesKey{o.Indicator, o.Region, o.Basis, o.Period}
}

// Resolve keeps, for every indicator, region, basis and period, the observation of
// highest source-kind precedence (manual over collector over reference). Among equal
// kinds, a final figure beats an estimate and then the latest publication wins. The
// result is sorted by indicator, region, basis and period.
func Resolve(in []Observation) []Observation {
	best := make(map[seriesKey]Observation, len(in))
	for _, o := range in {
		k := seriesOf(o)
		if cur, ok := best[k]; !ok || better(o, cur) {
			best[k] = o
		}
	}
	out := make([]Observation, 0, len(best))
	for _, o := range best {
		out = append(out, o)
	}
	Sort(out)
	return out
}

func better(o, cur Observation) bool {
	if po, pc := o.SourceKind.Precedence(), cur.SourceKind.Precedence(); po != pc {
		return po > pc
	}
	if o.Estimate != cur.Estimate {
		return !o.Estimate
	}
	return o.PublishedAt.After(cur.PublishedAt)
}

// Sort orders observations by indicator, region, basis, period, then source kind.
func Sort(os []Observation) {
	slices.SortStableFunc(os, func(a, b Observation) int {
		switch {
		case a.Indicator != b.Indicator:
			return strings.Compare(a.Indicator, b.Indicator)
		case a.Region != b.Region:
			return strings.Compare(a.Region, b.Region)
		case a.Basis != b.Basis:
			return strings.Compare(string(a.Basis), string(b.Basis))
		}
		if c := a.Period.Compare(b.Period); c != 0 {
			return c
		}
		return strings.Compare(string(a.SourceKind), string(b.SourceKind))
	})
}

// Derive returns the flow observations implied by year-to-date ones that in does not
// already hold: month(m) = ytd(m) − ytd(m−1), month(1) = ytd(1), and year = ytd(12).
// It expects resolved input (one observation per series, see Resolve). A month is
// derived only when both year-to-date values it needs exist, so a combined
// January–February release yields no January or February month. Derived observations
// carry Source "derived", the URL of the later release, a Quote naming the operands,
// and are estimates when an operand is.
func Derive(in []Observation) []Observation {
	have := make(map[seriesKey]bool, len(in))
	ytd := make(map[seriesKey]Observation)
	for _, o := range in {
		have[seriesOf(o)] = true
		if o.Basis == BasisYTD {
			if ind, ok := Lookup(o.Indicator); ok && ind.Kind == Flow {
				ytd[seriesOf(o)] = o
			}
		}
	}
	var out []Observation
	for k, cur := range ytd {
		m := k.period.Month()
		monthKey := seriesKey{k.indicator, k.region, BasisMonth, k.period}
		if !have[monthKey] {
			if m == 1 {
				d := cur
				d.Basis = BasisMonth
				d.Source = SourceDerived
				d.Quote = fmt.Sprintf("ytd %s = month %s", cur.Period, cur.Period)
				out = append(out, d)
			} else if prev, ok := ytd[seriesKey{k.indicator, k.region, BasisYTD, k.period.Prev()}]; ok && cur.Value >= prev.Value {
				d := cur
				d.Basis = BasisMonth
				d.Value = cur.Value - prev.Value
				d.Source = SourceDerived
				d.Estimate = cur.Estimate || prev.Estimate
				d.Quote = fmt.Sprintf("ytd %s (%g) − ytd %s (%g)", cur.Period, cur.Value, prev.Period, prev.Value)
				if prev.SourceKind.Precedence() < d.SourceKind.Precedence() {
					d.SourceKind = prev.SourceKind
				}
				out = append(out, d)
			}
		}
		if m == 12 {
			yearKey := seriesKey{k.indicator, k.region, BasisYear, YearPeriod(k.period.Year())}
			if !have[yearKey] {
				d := cur
				d.Basis = BasisYear
				d.Period = YearPeriod(k.period.Year())
				d.Source = SourceDerived
				d.Quote = fmt.Sprintf("ytd %s = year %d", cur.Period, k.period.Year())
				out = append(out, d)
			}
		}
	}
	Sort(out)
	return out
}
