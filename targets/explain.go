package targets

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// Explanation is everything behind one verdict, enough for a person to check it by
// hand: every input with its source, URL and quote; which figure was chosen for each
// slot and which were set aside and why; the formulas with the numbers put in; the
// seasonal share S(m) and the years it came from; the exchange rates used.
type Explanation struct {
	Verdict Verdict `json:"verdict"`
	// Target is the target as configured.
	Target TargetInfo `json:"target"`
	AsOf   time.Time  `json:"as_of"`
	// Known is the --known date, when the verdict uses only what was published by then.
	Known time.Time `json:"known,omitzero"`
	// Inputs are the slots the verdict read, in the order they were read.
	Inputs []Input `json:"inputs"`
	// Steps are the formulas, with the numbers put in, in the order they were applied.
	Steps []Step `json:"steps"`
	// Share is S(m) for a year-to-date actual; nil otherwise.
	Share *ShareInfo `json:"seasonal_share,omitempty"`
	// Rates are the exchange rates behind converted figures among the inputs.
	Rates []FigureInfo `json:"exchange_rates,omitempty"`
}

// TargetInfo is a target's configuration, in base units.
type TargetInfo struct {
	ID           string    `json:"id"`
	Indicator    string    `json:"indicator"`
	Goal         float64   `json:"goal"`
	GoalYear     int       `json:"goal_year"`
	Direction    Direction `json:"direction"`
	BaselineYear int       `json:"baseline_year"`
	Baseline     *float64  `json:"baseline,omitempty"`
	Path         PathKind  `json:"path"`
	Tolerance    float64   `json:"tolerance"`
	Mode         Mode      `json:"mode"`
}

// Sentence describes the target for people: "retail_sales ≥ 12500亿元 in 2025 ·
// baseline the 2020 figure · compound path · tolerance 5% · mode level".
func (t TargetInfo) Sentence() string {
	ind := obs.MustLookup(t.Indicator)
	dir := "≥"
	if t.Direction == AtMost {
		dir = "≤"
	}
	goal := units.Format(t.Goal, ind.DisplayUnit)
	if t.Mode == Increase {
		goal = fmt.Sprintf("+%s since the end of %d", goal, t.BaselineYear)
	}
	base := fmt.Sprintf("the %d figure", t.BaselineYear)
	if t.Baseline != nil {
		base = units.Format(*t.Baseline, ind.DisplayUnit) + " (configured)"
	}
	return fmt.Sprintf("%s %s %s in %d · baseline %s · %s path · tolerance %s · mode %s",
		t.Indicator, dir, goal, t.GoalYear, base, t.Path, units.Format(t.Tolerance, "%"), t.Mode)
}

// Input is one slot the verdict read: the figure chosen and those set aside.
type Input struct {
	// Role says what the verdict used it for: "actual", "baseline", "seasonal share
	// 2023: January–September", …
	Role string `json:"role"`
	// Slot names the indicator, basis and period: "retail_sales year 2024".
	Slot     string         `json:"slot"`
	Chosen   *FigureInfo    `json:"chosen,omitempty"`
	SetAside []SetAsideInfo `json:"set_aside,omitempty"`
}

// FigureInfo is one figure with its provenance; a derived figure lists its operands.
type FigureInfo struct {
	Indicator string    `json:"indicator"`
	Period    string    `json:"period"`
	Basis     obs.Basis `json:"basis"`
	// Value is in the base unit; Display in the indicator's display unit.
	Value       float64        `json:"value"`
	Display     string         `json:"display"`
	Source      string         `json:"source"`
	SourceKind  obs.SourceKind `json:"source_kind"`
	URL         string         `json:"url,omitempty"`
	Quote       string         `json:"quote,omitempty"`
	PublishedAt time.Time      `json:"published_at,omitzero"`
	// KnownAt is when it became known: published_at, the entry time of a manual
	// figure, or the period end plus the release lag.
	KnownAt  time.Time `json:"known_at,omitzero"`
	Estimate bool      `json:"estimate,omitempty"`
	YoY      *float64  `json:"yoy,omitempty"`
	Note     string    `json:"note,omitempty"`
	// Derivation and Detail say how a derived figure was obtained; From lists its operands.
	Derivation obs.Derivation `json:"derivation,omitempty"`
	Detail     string         `json:"detail,omitempty"`
	From       []FigureInfo   `json:"from,omitempty"`
}

// SetAsideInfo is a figure that lost its slot, and why.
type SetAsideInfo struct {
	Figure FigureInfo `json:"figure"`
	Reason string     `json:"reason"`
}

// Step is one formula of the verdict: its general form, the numbers put in, the result.
type Step struct {
	Name    string `json:"name"`
	Formula string `json:"formula"`
	Numbers string `json:"numbers,omitempty"`
	Result  string `json:"result,omitempty"`
}

// ShareInfo is the seasonal share S(m) and the years it averages.
type ShareInfo struct {
	Month int     `json:"month"`
	S     float64 `json:"s"`
	// Rule says how S(m) was obtained: a mean over earlier years, or m/12.
	Rule  string          `json:"rule"`
	Years []ShareYearInfo `json:"years,omitempty"`
}

// ShareYearInfo is one year behind S(m): January–m over the full year.
type ShareYearInfo struct {
	Year  int     `json:"year"`
	YTD   float64 `json:"ytd"`
	Full  float64 `json:"full"`
	Share float64 `json:"share"`
}

// Explain judges one target and returns the verdict with everything behind it.
func (ix *Index) Explain(t Target) Explanation {
	x := &Explanation{AsOf: ix.asOf, Known: ix.obs.Known(), Target: TargetInfo{
		ID: t.ID, Indicator: t.Indicator, Goal: t.Goal, GoalYear: t.GoalYear, Direction: t.Direction,
		BaselineYear: t.BaselineYear, Baseline: t.Baseline, Path: t.Path, Tolerance: t.Tolerance, Mode: t.Mode,
	}}
	e := newEvaluation(ix, t, x)
	e.run()
	x.Verdict = e.v
	x.Rates = ratesOf(x.Inputs)
	return *x
}

// step records a formula when explaining.
func (e *evaluation) step(name, formula, numbers, result string) {
	if e.x != nil {
		e.x.Steps = append(e.x.Steps, Step{Name: name, Formula: formula, Numbers: numbers, Result: result})
	}
}

// input records the slot of f when explaining (once per slot).
func (e *evaluation) input(role string, f *obs.Figure) {
	if e.x == nil || f == nil {
		return
	}
	k := obs.SlotOf(f.Observation)
	for _, in := range e.x.Inputs {
		if in.Slot == k.String() && in.Role == role {
			return
		}
	}
	in := Input{Role: role, Slot: k.String()}
	c := figureInfo(f)
	in.Chosen = &c
	if s := e.ix.obs.Slot(k); s != nil {
		for _, a := range s.SetAside {
			in.SetAside = append(in.SetAside, SetAsideInfo{Figure: figureInfo(a.Figure), Reason: a.Reason})
		}
	}
	e.x.Inputs = append(e.x.Inputs, in)
	for i, g := range f.From {
		e.input(role+" ("+operandRole(f.Derivation, i)+")", g)
	}
}

// operandRole names operand i of a figure derived by d.
func operandRole(d obs.Derivation, i int) string {
	switch {
	case d == obs.Converted && i == 0:
		return "amount converted"
	case d == obs.Converted:
		return "exchange rate"
	case d == obs.YearFromYTD:
		return "January–December"
	case d == obs.MonthFromYTD && i == 0:
		return "year to date"
	case d == obs.MonthFromYTD:
		return "year to date, month before"
	}
	return "figure stating the growth"
}

// pathStep records the expected annual value of year y.
func (e *evaluation) pathStep(y int, ey float64) {
	if e.x == nil {
		return
	}
	t := e.t
	b, g := e.format(e.base), e.format(t.Goal)
	switch t.Path {
	case Compound:
		e.step(fmt.Sprintf("expected %d", y), "E(y) = b·(g/b)^((y−y0)/(Y−y0))",
			fmt.Sprintf("%s × (%s / %s)^((%d−%d)/(%d−%d))", b, g, b, y, t.BaselineYear, t.GoalYear, t.BaselineYear), e.format(ey))
	default:
		e.step(fmt.Sprintf("expected %d", y), "E(y) = b + (g−b)·(y−y0)/(Y−y0)",
			fmt.Sprintf("%s + (%s − %s)·(%d−%d)/(%d−%d)", b, g, b, y, t.BaselineYear, t.GoalYear, t.BaselineYear), e.format(ey))
	}
}

// explainShare records S(m) and its years as inputs and a step.
func (e *evaluation) explainShare(m measurement) {
	if e.x == nil {
		return
	}
	month := m.f.Period.Month()
	si := &ShareInfo{Month: month, S: m.sh.s}
	if len(m.sh.years) == 0 {
		si.Rule = fmt.Sprintf("S(%d) = %d/12: no complete earlier year has both the January–%s and the full-year figure", month, month, time.Month(month))
		e.step("seasonal share", "S(m) = m/12 without history", fmt.Sprintf("%d/12", month), fmt.Sprintf("%.4f", m.sh.s))
	} else {
		si.Rule = fmt.Sprintf("S(%d) = mean of ytd(%d)/year over the up to three most recent complete earlier years", month, month)
		numbers := ""
		for i, y := range m.sh.years {
			sh := y.ytd.Value / y.full.Value
			si.Years = append(si.Years, ShareYearInfo{Year: y.year, YTD: y.ytd.Value, Full: y.full.Value, Share: sh})
			e.input(fmt.Sprintf("seasonal share %d: January–%s", y.year, time.Month(month)), y.ytd)
			e.input(fmt.Sprintf("seasonal share %d: full year", y.year), y.full)
			if i > 0 {
				numbers += " + "
			}
			numbers += fmt.Sprintf("%s/%s", e.ind.Format(y.ytd.Value), e.ind.Format(y.full.Value))
		}
		e.step("seasonal share", "S(m) = mean over years of ytd(m)/year", fmt.Sprintf("(%s) / %d", numbers, len(m.sh.years)), fmt.Sprintf("%.4f", m.sh.s))
	}
	e.x.Share = si
}

func (e *evaluation) gapFormula() string {
	if e.t.Direction == AtMost {
		return "gap = −(actual − expected)/|expected| (at_most: under the path is ahead)"
	}
	return "gap = (actual − expected)/|expected|"
}

func (e *evaluation) gapNumbers(actual, expected float64) string {
	s := fmt.Sprintf("(%s − %s) / %s", e.format(actual), e.format(expected), e.format(abs(expected)))
	if e.t.Direction == AtMost {
		s = "−" + s
	}
	return s
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// figureInfo renders a figure and, recursively, its operands.
func figureInfo(f *obs.Figure) FigureInfo {
	ind, _ := obs.Lookup(f.Indicator)
	fi := FigureInfo{
		Indicator: f.Indicator, Period: f.Period.String(), Basis: f.Basis, Value: f.Value, Display: ind.FormatFine(f.Value),
		Source: f.Source, SourceKind: f.SourceKind, URL: f.URL, Quote: f.Quote, PublishedAt: f.PublishedAt,
		KnownAt: f.KnownAt, Estimate: f.Estimate, YoY: f.YoY, Note: f.Note, Derivation: f.Derivation, Detail: f.Detail,
	}
	for _, g := range f.From {
		fi.From = append(fi.From, figureInfo(g))
	}
	return fi
}

// ratesOf collects the exchange rates behind the converted figures among the inputs.
func ratesOf(ins []Input) []FigureInfo {
	var out []FigureInfo
	seen := map[string]bool{}
	var walk func(FigureInfo)
	walk = func(f FigureInfo) {
		if f.Derivation == obs.Converted && len(f.From) == 2 {
			r := f.From[1]
			if k := r.Period + "/" + r.Source; !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
		for _, g := range f.From {
			walk(g)
		}
	}
	for _, in := range ins {
		if in.Chosen != nil {
			walk(*in.Chosen)
		}
	}
	slices.SortStableFunc(out, func(a, b FigureInfo) int { return strings.Compare(a.Period, b.Period) })
	return out
}
