// Package validate holds the rules every manually entered figure passes, whether it
// comes from the web form, the API or an import file: a known indicator, a period type
// and basis the indicator has, a period that is over, a number, a unit of the right
// dimension, a value inside the indicator's plausible range, provenance within size
// limits. Refusals are *Error values naming the field, what is wrong and how to fix it.
// Beyond refusals it flags outliers against history (CheckOutlier: confirmed with a
// comment, not refused) and revisions of a stored figure (CheckRevision: need a reason).
package validate

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// Field size limits, in bytes of UTF-8. A field over its limit is refused before
// anything else is read of it, so that neither time nor a message grows with it.
const (
	// MaxCodeBytes bounds the indicator, period, basis and unit as typed.
	MaxCodeBytes    = 100
	MaxValueBytes   = 100
	MaxURLBytes     = 2048
	MaxQuoteBytes   = 2000
	MaxNoteBytes    = 2000
	MaxReasonBytes  = 1000
	MaxCommentBytes = 1000
)

// Error is a refused field: Field names it as the API does ("value", "period", …) and
// Msg says what is wrong and how to fix it.
type Error struct {
	Field string `json:"field"`
	Msg   string `json:"error"`
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func fail(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Input is a figure as a person or a file gives it, every field as typed.
type Input struct {
	Indicator string
	Period    string
	Basis     string
	// Value is the number as typed ("1,300.7", "１３００.７", "1.25万亿", "31%").
	Value string
	// Unit is a display unit (亿美元, %); empty means the indicator's display unit.
	Unit      string
	SourceURL string
	// Quote is the sentence, table cell or document the figure comes from.
	Quote string
	// Origin is the quote used when Quote is empty: where the figure was read (an
	// import's file, line and row). It is the system's own text, so it is not checked
	// for markup the way what people type is.
	Origin   string
	Note     string
	Estimate bool
}

// Figure checks in against the indicator catalogue and the clock (now: the time of
// entry) and returns the figure in base units: indicator, region, period, basis,
// value, unit, URL, quote, note, estimate and resolution are set, with source kind
// manual; the caller adds who entered it. The first problem found is returned, in
// the order of Problems.
func Figure(in Input, now time.Time) (obs.Observation, *Error) {
	o, errs := Problems(in, now)
	if len(errs) > 0 {
		return o, errs[0]
	}
	return o, nil
}

// Problems is Figure returning every problem found, in field order: the sizes of all
// fields first (when one is too long nothing else is read), then indicator, period,
// basis and period type, value and unit, provenance. A check that needs another
// field's result (the basis needs the indicator and the period, the value the
// indicator) is skipped when that field is refused. An import lists them all for a
// row; the form and the API show the first.
func Problems(in Input, now time.Time) (obs.Observation, []*Error) {
	var o obs.Observation
	if errs := Sizes(in); len(errs) > 0 {
		return o, errs
	}
	var errs []*Error
	ok := func(e *Error) bool {
		if e != nil {
			errs = append(errs, e)
		}
		return e == nil
	}
	ind, ierr := indicator(in.Indicator)
	p, perr := period(in.Period)
	indOK, perOK := ok(ierr), ok(perr)
	if indOK && perOK {
		b, berr := basis(in.Basis, ind, p)
		if ok(berr) && ok(periodType(ind, b, p)) && ok(notFuture(ind, b, p, now)) {
			o.Indicator, o.Period, o.Basis = ind.ID, p, b
		}
	}
	if indOK {
		v, res, verr := Value(in.Value, in.Unit, ind)
		if ok(verr) {
			o.Value, o.Resolution, o.Unit = v, res, ind.BaseUnit
		}
	}
	ok(provenance(&o, in))
	if len(errs) > 0 {
		return o, errs
	}
	o.Estimate = in.Estimate
	o.SourceKind, o.Source = obs.KindManual, obs.SourceManual
	o.Normalize()
	check := o
	check.EnteredBy = "-" // the caller names who entered it
	if verr := check.Validate(now); verr != nil {
		// A guard: the checks above should have caught it. Keep obs's own field prefix.
		field, msg, found := strings.Cut(verr.Error(), ": ")
		if !found {
			field, msg = "value", verr.Error()
		}
		return o, []*Error{fail(field, "%s", msg)}
	}
	return o, nil
}

// Sizes refuses every field of in that is longer than its limit or not valid UTF-8.
// Problems starts with it; an importer calls it first to read no further into a row
// with a field of megabytes.
func Sizes(in Input) []*Error {
	var errs []*Error
	for _, f := range []struct {
		name, v string
		max     int
		hint    string
	}{
		{"indicator", in.Indicator, MaxCodeBytes, ": shorten it"},
		{"period", in.Period, MaxCodeBytes, ": shorten it"},
		{"basis", in.Basis, MaxCodeBytes, ": shorten it"},
		{"value", in.Value, MaxValueBytes, ""},
		{"unit", in.Unit, MaxCodeBytes, ": shorten it"},
		{"source_url", in.SourceURL, MaxURLBytes, provenanceHint},
		{"quote", in.Quote, MaxQuoteBytes, provenanceHint},
		{"note", in.Note, MaxNoteBytes, provenanceHint},
	} {
		switch {
		case len(f.v) > f.max && f.name == "value":
			errs = append(errs, fail(f.name, "%d bytes long; a number has at most %d", len(f.v), f.max))
		case len(f.v) > f.max:
			errs = append(errs, fail(f.name, "%d bytes long; at most %d are kept%s", len(f.v), f.max, f.hint))
		case !utf8.ValidString(f.v):
			errs = append(errs, fail(f.name, "not valid UTF-8: save the text as UTF-8"))
		}
	}
	return errs
}

const provenanceHint = ": shorten it (quote the sentence the figure is in, not the page)"

func indicator(s string) (obs.Indicator, *Error) {
	id := strings.TrimSpace(units.Normalize(s))
	if id == "" {
		return obs.Indicator{}, fail("indicator", "missing: choose one of %s", strings.Join(obs.IndicatorIDs(), ", "))
	}
	ind, ok := obs.Lookup(id)
	if !ok {
		return ind, fail("indicator", "unknown indicator %q: use one of %s", id, strings.Join(obs.IndicatorIDs(), ", "))
	}
	return ind, nil
}

// periodAttemptRE matches text shaped like a period in the canonical form (2025-13,
// 2025-Q5, 9999): for it, the parser's reason is worth showing.
var periodAttemptRE = regexp.MustCompile(`^[0-9]{4}(-[Qq]?[0-9]{1,2})?$`)

func period(s string) (obs.Period, *Error) {
	s = units.Normalize(s)
	if s == "" {
		return obs.Period{}, fail("period", "missing: give a year (2024), a quarter (2024-Q3) or a month (2024-09)")
	}
	p, err := ParsePeriod(s)
	if err != nil {
		why := ""
		if pe := (*obs.PeriodError)(nil); errors.As(err, &pe) && periodAttemptRE.MatchString(s) {
			why = " (" + pe.Why + ")"
		}
		return p, fail("period", "%q is not a period%s: write a year (2024), a quarter (2024-Q3) or a month (2024-09), or 2024年9月", s, why)
	}
	return p, nil
}

// basis reads the basis; empty means the only one the indicator can have with this
// period (stock for a stock, year for a year period of a flow, ratio or rate).
func basis(s string, ind obs.Indicator, p obs.Period) (obs.Basis, *Error) {
	s = strings.ToLower(strings.TrimSpace(s))
	allowed := basisNames(ind.Bases())
	if s == "" {
		switch {
		case ind.Kind == obs.Stock:
			return obs.BasisStock, nil
		case p.Granularity() == obs.Year:
			return obs.BasisYear, nil
		}
		return "", fail("basis", "missing: for a %s period of %s give one of %s (month: that month alone; ytd: January through it)", granularityName(p), ind.ID, allowed)
	}
	b, err := obs.ParseBasis(s)
	if err != nil || !ind.AllowsBasis(b) {
		return "", fail("basis", "%q is not a basis of %s (a %s indicator): use %s", s, ind.ID, ind.Kind, allowed)
	}
	return b, nil
}

// yearlyOnly reports whether the indicator is published for whole years only, so a
// month or year-to-date figure of it does not exist.
func yearlyOnly(ind obs.Indicator) bool {
	return ind.Release.Every == obs.Year && (ind.Kind == obs.Flow || ind.Kind == obs.Ratio)
}

// PeriodTypes says, for people, which periods and bases the indicator takes.
func PeriodTypes(ind obs.Indicator) string {
	switch {
	case yearlyOnly(ind):
		return "年度 year (2024), basis year"
	case ind.Kind == obs.Stock:
		return "期末存量 level at the end of a year (2024) or month (2024-06), basis stock"
	case ind.Kind == obs.Rate:
		return "年均 annual average (2024, basis year) or monthly average (2024-09, basis month)"
	}
	return "月度 month (2024-09, basis month), 累计 year to date (2024-09 or 2024-Q3, basis ytd), 年度 year (2024, basis year)"
}

func periodType(ind obs.Indicator, b obs.Basis, p obs.Period) *Error {
	if yearlyOnly(ind) && (b != obs.BasisYear || p.Granularity() != obs.Year) {
		return fail("period", "%s is published for whole years only, so a %s figure for %s does not exist: enter the year (basis year, a period like %d)", ind.ID, b, p, p.Year())
	}
	switch g := p.Granularity(); {
	case b == obs.BasisYear && g != obs.Year:
		return fail("period", "basis year needs a year period like %d, not %s", p.Year(), p)
	case b == obs.BasisMonth && g != obs.Month:
		return fail("period", "basis month needs a month period like %d-%02d, not %s", p.Year(), p.LastMonth(), p)
	}
	return nil
}

func notFuture(ind obs.Indicator, b obs.Basis, p obs.Period, now time.Time) *Error {
	if now.IsZero() {
		return nil
	}
	// A ytd or stock figure for a quarter or year is its last month's.
	if (b == obs.BasisYTD || b == obs.BasisStock) && p.Granularity() != obs.Month {
		p = p.EndMonth()
	}
	last := obs.PeriodOf(now).EndMonth().Prev()
	if p.Start().After(now) {
		return fail("period", "%s is in the future: figures exist only for periods that have ended (the latest complete month is %s)", p, last)
	}
	if (ind.Kind == obs.Flow || ind.Kind == obs.Ratio || ind.Kind == obs.Rate) && p.End().After(now) {
		return fail("period", "%s has not ended yet, so a %s figure for it cannot exist: enter a period that has ended (the latest complete month is %s)", p, b, last)
	}
	return nil
}

// Value reads a value as staff type it, in unit (a display unit; empty: the
// indicator's), and returns it in the base unit with its resolution (one step of the
// last digit typed). It accepts full-width digits, thousands separators, the unit
// typed after the number ("1300.7亿美元", "31%"), and, for amounts and counts, a
// magnitude of its own ("1.25万亿" means 1.25万亿元 whatever the display unit).
func Value(text, unit string, ind obs.Indicator) (float64, float64, *Error) {
	raw := text
	text = units.Normalize(text)
	if text == "" {
		return 0, 0, fail("value", "missing: type the figure, e.g. 1,300.7 (in %s)", ind.DisplayUnit)
	}
	if len(raw) > MaxValueBytes {
		return 0, 0, fail("value", "%d bytes long; a number has at most %d", len(raw), MaxValueBytes)
	}
	u, uerr := displayUnit(unit, ind)
	if uerr != nil {
		return 0, 0, uerr
	}
	scalable := ind.Kind != obs.Ratio && ind.Kind != obs.Rate
	var v, res float64
	num := strings.TrimSpace(strings.TrimSuffix(text, u.Name))
	if n, r, ok := scientific(num); ok {
		v, res = n*u.Factor, r*u.Factor
	} else if n, r, err := units.ParseNumberResolution(num); err == nil {
		if hasMagnitude(num) {
			if !scalable {
				return 0, 0, fail("value", "%q has a magnitude (万, 亿 …), which a %s cannot have: type it in %s, e.g. 31.5", raw, kindName(ind.Kind), ind.DisplayUnit)
			}
			// "1.25万亿" in 亿元: the magnitude typed replaces the unit's.
			v, res = n, r
		} else {
			v, res = n*u.Factor, r*u.Factor
		}
	} else if q, base, r, qerr := units.ParseQuantity(text); qerr == nil {
		if base != ind.BaseUnit {
			return 0, 0, fail("value", "%q is in %s, but %s is measured in %s: type it in %s", raw, base, ind.ID, ind.BaseUnit, ind.DisplayUnit)
		}
		if !scalable && hasMagnitude(text) {
			return 0, 0, fail("value", "%q has a magnitude (万, 亿 …), which a %s cannot have: type it in %s, e.g. 31.5", raw, kindName(ind.Kind), ind.DisplayUnit)
		}
		v, res = q, r
	} else {
		return 0, 0, fail("value", "%q is not a number: type digits such as 1,300.7 or １３００.７%s (%v)", raw, magnitudeHint(scalable), err)
	}
	v, res = units.Clean(v), units.Clean(res)
	if v < 0 {
		return 0, 0, fail("value", "%s is negative; %s cannot be: check the sign", units.Format(v, ind.DisplayUnit), ind.ID)
	}
	if ind.Kind == obs.Ratio && v > 1 {
		return 0, 0, fail("value", "%s is above 100%%: type a share in %% (31.5 for 31.5%%)", units.Format(v, "%"))
	}
	if err := ind.CheckRange(v); err != nil {
		return 0, 0, fail("value", "%v: check the unit and the magnitude (the value is read in %s)", err, u.Name)
	}
	return v, res, nil
}

var sciRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?[eE]([+-]?[0-9]{1,3})$`)

// scientific reads a number in scientific notation as Excel shows large ones
// ("4.5E+11") and the step of its last digit.
func scientific(s string) (v, res float64, ok bool) {
	m := sciRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, 0, false
	}
	exp, _ := strconv.Atoi(m[3])
	return v, math.Pow10(exp - len(m[2])), true
}

func magnitudeHint(scalable bool) string {
	if scalable {
		return ", or with a magnitude such as 1.25万亿"
	}
	return ""
}

func kindName(k obs.Kind) string {
	switch k {
	case obs.Ratio:
		return "share"
	case obs.Rate:
		return "rate"
	}
	return string(k)
}

var magnitudeWordRE = regexp.MustCompile(`(?i)(thousand|million|billion|trillion)`)

func hasMagnitude(s string) bool {
	return strings.ContainsAny(s, "十百千万萬亿億兆") || magnitudeWordRE.MatchString(s)
}

func displayUnit(unit string, ind obs.Indicator) (units.Unit, *Error) {
	name := units.Normalize(unit)
	if name == "" {
		name = ind.DisplayUnit
	}
	u, err := units.ParseUnit(name)
	if err != nil {
		return u, fail("unit", "unknown unit %q: use %s, the display unit of %s (or its base unit %s)", unit, ind.DisplayUnit, ind.ID, ind.BaseUnit)
	}
	if u.Base != ind.BaseUnit {
		return u, fail("unit", "%s measures %s, but %s is measured in %s: use %s", name, u.Base, ind.ID, ind.BaseUnit, ind.DisplayUnit)
	}
	return u, nil
}

func provenance(o *obs.Observation, in Input) *Error {
	o.URL = strings.TrimSpace(in.SourceURL)
	o.Quote = strings.TrimSpace(in.Quote)
	o.Note = strings.TrimSpace(in.Note)
	for _, f := range []struct{ name, v string }{{"quote", o.Quote}, {"note", o.Note}} {
		if m := obs.Markup(f.v); m != "" {
			return fail(f.name, "contains markup (%s…): write plain text, without HTML tags or scripts", m)
		}
	}
	if o.Quote == "" {
		o.Quote = strings.TrimSpace(in.Origin)
	}
	if o.URL != "" {
		if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail("source_url", "%q is not an absolute http(s) URL: paste the release's address, e.g. https://tjj.sz.gov.cn/…, or name the document in quote", o.URL)
		}
	}
	if o.URL == "" && o.Quote == "" {
		return fail("source_url", "missing: give the URL of the release, or name the document and table the figure comes from (quote)")
	}
	return nil
}

// Text checks a free-text field such as a reason or comment: valid UTF-8, at most max bytes.
func Text(field, s string, max int) *Error {
	if !utf8.ValidString(s) {
		return fail(field, "not valid UTF-8")
	}
	if len(s) > max {
		return fail(field, "%d bytes long; at most %d: shorten it", len(s), max)
	}
	if m := obs.Markup(s); m != "" {
		return fail(field, "contains markup (%s…): write plain text, without HTML tags or scripts", m)
	}
	return nil
}

func basisNames(bs []obs.Basis) string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}

func granularityName(p obs.Period) string {
	switch p.Granularity() {
	case obs.Year:
		return "year"
	case obs.Quarter:
		return "quarter"
	}
	return "month"
}

var (
	slashMonthRE = regexp.MustCompile(`^(\d{4})[/.](\d{1,2})$`)
	zhMonthRE    = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(份)?$`)
	zhYearRE     = regexp.MustCompile(`^(\d{4})年(度)?$`)
	zhQuarterRE  = regexp.MustCompile(`^(\d{4})年(第)?([一二三四1-4])季度$`)
)

// ParsePeriod reads a period: the canonical 2025, 2025-Q3 and 2025-09, and the forms
// spreadsheets and staff write: 2025/9, 2025.09, 2025年9月, 2025年, 2025年第三季度.
func ParsePeriod(s string) (obs.Period, error) {
	s = strings.TrimSpace(s)
	p, err := obs.ParsePeriod(s)
	if err == nil {
		return p, nil
	}
	alt := ""
	if m := slashMonthRE.FindStringSubmatch(s); m != nil {
		alt = m[1] + "-" + m[2]
	} else if m := zhMonthRE.FindStringSubmatch(s); m != nil {
		alt = m[1] + "-" + m[2]
	} else if m := zhYearRE.FindStringSubmatch(s); m != nil {
		alt = m[1]
	} else if m := zhQuarterRE.FindStringSubmatch(s); m != nil {
		q := strings.NewReplacer("一", "1", "二", "2", "三", "3", "四", "4").Replace(m[3])
		alt = m[1] + "-Q" + q
	}
	if alt != "" {
		if p, err2 := obs.ParsePeriod(alt); err2 == nil {
			return p, nil
		}
	}
	return obs.Period{}, err
}
