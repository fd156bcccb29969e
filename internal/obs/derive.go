package obs

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SourceDerived is the Source of a figure computed from others.
const SourceDerived = "derived"

// Conversion derives a USD indicator from a CNY one and the annual average rate.
type Conversion struct{ Target, From, Rate string }

// conversions lists the indicators derived by conversion (DESIGN.md, "USD").
var conversions = []Conversion{{Target: "goods_trade", From: "goods_trade_cny", Rate: "usd_cny_rate"}}

// Conversions returns the currency conversions the Index applies.
func Conversions() []Conversion { return slices.Clone(conversions) }

// ConversionInto returns the conversion that derives indicator id, if any.
func ConversionInto(id string) (Conversion, bool) {
	for _, c := range conversions {
		if c.Target == id {
			return c, true
		}
	}
	return Conversion{}, false
}

func isConversionTarget(id string) bool {
	_, ok := ConversionInto(id)
	return ok
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

// derivedFrom returns a figure like base, obtained by how from the operands: Source
// derived, an estimate when an operand is, the lowest source kind of the operands, and
// known when the last of them was.
func derivedFrom(base *Figure, how Derivation, from ...*Figure) *Figure {
	d := &Figure{Observation: base.Observation, Derivation: how, From: from}
	d.Source, d.YoY, d.Resolution, d.Note = SourceDerived, nil, 0, ""
	for _, o := range from {
		d.Estimate = d.Estimate || o.Estimate
		if o.SourceKind.Precedence() < d.SourceKind.Precedence() {
			d.SourceKind = o.SourceKind
		}
		if o.KnownAt.After(d.KnownAt) {
			d.KnownAt = o.KnownAt
		}
		d.depth = max(d.depth, o.depth+1)
		d.implied = d.implied || o.implied
	}
	return d
}

// addImplied adds, for every chosen published figure that states its year-on-year
// growth g, the figure it implies for the same period a year earlier: v / (1 + g), an
// estimate of the lowest precedence.
func (ix *Index) addImplied() {
	var sources []*Figure
	for _, s := range ix.slots {
		f := s.Chosen
		if f == nil || f.YoY == nil || f.Derivation != Published || *f.YoY <= -1 || math.IsNaN(*f.YoY) {
			continue
		}
		if k := MustLookup(f.Indicator).Kind; k == Flow || k == Stock {
			sources = append(sources, f)
		}
	}
	touched := make([]*Slot, 0, len(sources))
	for _, f := range sources {
		g := *f.YoY
		d := derivedFrom(f, Implied, f)
		d.Period = yearEarlier(f.Period)
		d.Value = f.Value / (1 + g)
		d.Estimate, d.implied = true, true
		ind := MustLookup(f.Indicator)
		d.Detail = fmt.Sprintf("implied by %s and its stated growth: %s / (1 %s) = %s",
			f.Period, ind.Format(f.Value), signedPercent(g), ind.Format(d.Value))
		touched = append(touched, ix.add(d))
	}
	for _, s := range touched {
		s.resolve()
	}
}

// yearEarlier returns the same period one year before p.
func yearEarlier(p Period) Period {
	switch p.Granularity() {
	case Month:
		return MonthPeriod(p.Year()-1, p.Month())
	case Quarter:
		return QuarterPeriod(p.Year()-1, p.Quarter())
	}
	return YearPeriod(p.Year() - 1)
}

// signedPercent renders a growth ratio as "+ 9.6%" or "− 3.2%".
func signedPercent(g float64) string {
	s := strconv.FormatFloat(math.Abs(g)*100, 'f', -1, 64) + "%"
	if g < 0 {
		return "− " + s
	}
	return "+ " + s
}

// deriveFlow adds the month and full-year figures implied by the chosen year-to-date
// figures of flow indicator id: month(m) = ytd(m) − ytd(m−1) (when both exist and the
// later is not smaller), month(1) = ytd(1), and year = ytd(12). A combined
// January–February release thus yields no January or February month.
func (ix *Index) deriveFlow(id string) {
	ytd := map[int]*Figure{}
	for _, s := range ix.byInd[id] {
		if s.Key.Basis == BasisYTD && s.Chosen != nil {
			ytd[s.Key.Period.MonthIndex()] = s.Chosen
		}
	}
	ind := MustLookup(id)
	var touched []*Slot
	for mi, cur := range ytd {
		m := cur.Period.Month()
		switch prev := ytd[mi-1]; {
		case m == 1:
			d := derivedFrom(cur, MonthFromYTD, cur)
			d.Basis = BasisMonth
			d.Detail = fmt.Sprintf("month %s = ytd %s (%s)", cur.Period, cur.Period, ind.Format(cur.Value))
			touched = append(touched, ix.add(d))
		case prev != nil && cur.Value >= prev.Value:
			d := derivedFrom(cur, MonthFromYTD, cur, prev)
			d.Basis = BasisMonth
			d.Value = cur.Value - prev.Value
			d.Detail = fmt.Sprintf("month %s = ytd %s (%s) − ytd %s (%s) = %s", cur.Period, cur.Period, ind.Format(cur.Value),
				prev.Period, ind.Format(prev.Value), ind.Format(d.Value))
			touched = append(touched, ix.add(d))
		}
		if m == 12 {
			d := derivedFrom(cur, YearFromYTD, cur)
			d.Basis, d.Period = BasisYear, YearPeriod(cur.Period.Year())
			d.Detail = fmt.Sprintf("year %d = ytd %s, January–December (%s)", cur.Period.Year(), cur.Period, ind.Format(cur.Value))
			touched = append(touched, ix.add(d))
		}
	}
	for _, s := range touched {
		s.resolve()
	}
}

// convert adds c.Target figures for the chosen full-year and year-to-date figures of
// c.From: the amount divided by the same year's annual average rate or, when that is
// not in yet, by the latest earlier annual average, which makes the result an estimate.
// Figures without any earlier rate are recorded as unconverted.
func (ix *Index) convert(c Conversion) {
	var rates []*Figure // annual averages, by year
	for _, s := range ix.byInd[c.Rate] {
		if s.Key.Basis == BasisYear && s.Chosen != nil && s.Chosen.Value > 0 {
			rates = append(rates, s.Chosen)
		}
	}
	slices.SortFunc(rates, func(a, b *Figure) int { return a.Period.Year() - b.Period.Year() })
	from := MustLookup(c.From)
	var touched []*Slot
	for _, s := range ix.byInd[c.From] {
		f := s.Chosen
		if f == nil || (s.Key.Basis != BasisYear && s.Key.Basis != BasisYTD) {
			continue
		}
		y := f.Period.Year()
		i, exact := slices.BinarySearchFunc(rates, y, func(r *Figure, y int) int { return r.Period.Year() - y })
		if !exact && i == 0 {
			ix.unconverted[c.Target] = append(ix.unconverted[c.Target], f)
			continue
		}
		r, which := rates[max(i-1, 0)], fmt.Sprintf("%d annual average", y)
		if exact {
			r = rates[i]
		} else {
			which = fmt.Sprintf("%d annual average; the %d annual average is not in yet", r.Period.Year(), y)
		}
		d := derivedFrom(f, Converted, f, r)
		d.Indicator, d.Value, d.Unit = c.Target, f.Value/r.Value, USD
		d.Estimate = d.Estimate || !exact
		d.Detail = fmt.Sprintf("converted from %s at %s 元/美元 (%s)", from.Format(f.Value), strconv.FormatFloat(r.Value, 'f', -1, 64), which)
		touched = append(touched, ix.add(d))
	}
	slices.SortFunc(ix.unconverted[c.Target], func(a, b *Figure) int {
		if c := a.Period.Compare(b.Period); c != 0 {
			return c
		}
		return strings.Compare(string(a.Basis), string(b.Basis))
	})
	for _, s := range touched {
		s.resolve()
	}
}
