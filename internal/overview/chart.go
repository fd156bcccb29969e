package overview

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/targets"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH            = 320, 150
	padL, padR, padT, padB    = 52, 12, 12, 24
	plotW, plotH              = chartW - padL - padR, chartH - padT - padB
	colourExpected, colourAct = "#57606a", "#0969da"
)

// chartSVG draws a target's expected annual path (dashed), its observed annual values
// (solid, with dots) and the goal (a horizontal rule to the goal year), in display units.
// It is plain inline SVG: no scripts, no external assets.
func chartSVG(v targets.Verdict, unit string) template.HTML {
	observed := false
	for _, p := range v.Path {
		observed = observed || p.Actual != nil
	}
	if !observed {
		return "" // nothing to compare with the path
	}
	disp := func(x float64) float64 {
		d, err := units.FromBase(x, unit)
		if err != nil {
			return x
		}
		return d
	}
	y0, y1 := v.Path[0].Year, v.Path[len(v.Path)-1].Year
	lo, hi := math.Inf(1), math.Inf(-1)
	widen := func(x float64) {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	for _, p := range v.Path {
		widen(disp(p.Expected))
		if p.Actual != nil {
			widen(disp(*p.Actual))
		}
	}
	widen(disp(v.Goal))
	if lo > 0 && lo < hi*0.5 {
		lo = 0
	}
	if hi == lo {
		hi = lo + 1
	}
	dataLo, dataHi := lo, hi
	span := hi - lo
	lo, hi = lo-span*0.05, hi+span*0.05
	x := func(year int) float64 {
		if y1 == y0 {
			return padL + plotW/2
		}
		return padL + float64(year-y0)/float64(y1-y0)*plotW
	}
	y := func(val float64) float64 { return padT + (1-(disp(val)-lo)/(hi-lo))*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, template.HTMLEscapeString(v.Target+": 实际与预期路径 actual vs expected path"))
	// Axes and labels.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d0d7de"/>`, padL, padT+plotH, padL+plotW, padT+plotH)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d0d7de"/>`, padL, padT, padL, padT+plotH)
	for _, val := range []float64{dataLo, (dataLo + dataHi) / 2, dataHi} {
		py := padT + (1-(val-lo)/(hi-lo))*plotH
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" class="tick">%s</text>`, padL-4, py+3, compact(val))
	}
	for _, p := range v.Path {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" class="tick">%d</text>`, x(p.Year), chartH-6, p.Year)
	}
	// Goal rule.
	gy := y(v.Goal)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#cf222e" stroke-width="1" stroke-dasharray="2 3"><title>目标 Goal %s</title></line>`,
		padL, gy, padL+plotW, gy, template.HTMLEscapeString(units.Format(v.Goal, unit)))
	// Expected path.
	var exp []string
	for _, p := range v.Path {
		exp = append(exp, fmt.Sprintf("%.1f,%.1f", x(p.Year), y(p.Expected)))
	}
	fmt.Fprintf(&b, `<polyline class="expected" points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="5 4"/>`, strings.Join(exp, " "), colourExpected)
	// Actual values.
	var act []string
	for _, p := range v.Path {
		if p.Actual == nil {
			continue
		}
		act = append(act, fmt.Sprintf("%.1f,%.1f", x(p.Year), y(*p.Actual)))
	}
	if len(act) > 1 {
		fmt.Fprintf(&b, `<polyline class="actual" points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(act, " "), colourAct)
	}
	for _, p := range v.Path {
		if p.Actual == nil {
			continue
		}
		fmt.Fprintf(&b, `<circle class="actual-point" cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%d: %s</title></circle>`,
			x(p.Year), y(*p.Actual), colourAct, p.Year, template.HTMLEscapeString(units.Format(*p.Actual, unit)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from numbers and escaped text only
}

// compact renders an axis value with at most three significant digits.
func compact(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}
