package validate

import (
	"fmt"
	"math"
	"strconv"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// DefaultMaxChange is the largest change from the comparable figure that is not
// flagged as an outlier: 0.5 means more than 1.5 times or less than 1/1.5 (−33%).
const DefaultMaxChange = 0.5

// Outlier is a figure far from the comparable one in history: flagged, not refused.
// The person confirms it with a comment.
type Outlier struct {
	// Compared is the figure it was compared with.
	Compared obs.Observation `json:"compared"`
	// Ratio is the new value divided by the compared one.
	Ratio float64 `json:"ratio"`
	Msg   string  `json:"message"`
}

// Comparable returns the figure o is compared with, from history (observations of any
// source; the figure obs.Index chooses per slot, derived ones included): a year with the year before; a month
// or year-to-date figure with the same period a year earlier (the seasonal pattern),
// or for a month without one, the month before; a stock with the latest earlier level.
func Comparable(o obs.Observation, history []obs.Observation) (obs.Observation, bool) {
	byPeriod := map[obs.Period]obs.Observation{}
	var latestStock obs.Observation
	haveStock := false
	ix := obs.NewIndex(history, obs.IndexOptions{Region: o.Region})
	for _, f := range ix.Chosen(o.Indicator, o.Basis) {
		h := f.Observation
		byPeriod[h.Period] = h
		if o.Basis == obs.BasisStock && h.Period.Compare(o.Period) < 0 && (!haveStock || h.Period.Compare(latestStock.Period) > 0) {
			latestStock, haveStock = h, true
		}
	}
	switch o.Basis {
	case obs.BasisStock:
		return latestStock, haveStock
	case obs.BasisYear:
		h, ok := byPeriod[obs.YearPeriod(o.Period.Year()-1)]
		return h, ok
	case obs.BasisMonth, obs.BasisYTD:
		if h, ok := byPeriod[obs.MonthPeriod(o.Period.Year()-1, o.Period.LastMonth())]; ok {
			return h, true
		}
		if o.Basis == obs.BasisMonth {
			h, ok := byPeriod[o.Period.Prev()]
			return h, ok
		}
	}
	return obs.Observation{}, false
}

// CheckOutlier flags o when it changes from its comparable figure in history by more
// than maxChange (as a ratio either way: |ln(new/old)| > ln(1+maxChange)). It returns
// nil when o is not an outlier or there is nothing to compare with.
func CheckOutlier(o obs.Observation, history []obs.Observation, maxChange float64) *Outlier {
	if maxChange <= 0 {
		maxChange = DefaultMaxChange
	}
	c, ok := Comparable(o, history)
	if !ok || c.Value <= 0 || o.Value <= 0 {
		return nil
	}
	ratio := o.Value / c.Value
	if Close(o.Value, c.Value, maxChange) {
		return nil
	}
	ind := obs.MustLookup(o.Indicator)
	how := strconv.FormatFloat(math.Round(ratio*10)/10, 'f', -1, 64) + " times"
	if ratio < 1 {
		how = strconv.FormatFloat(math.Round(ratio*1000)/10, 'f', -1, 64) + "%"
	}
	msg := fmt.Sprintf("%s is %s the %s %s figure (%s, %s): a change of more than %s from the comparable period is unusual. "+
		"If the figure is right, confirm it with a comment saying why; otherwise check the magnitude and the unit.",
		units.Format(o.Value, ind.DisplayUnit), how, c.Period, c.Basis, units.Format(c.Value, ind.DisplayUnit), c.Source,
		strconv.FormatFloat(maxChange*100, 'f', -1, 64)+"%")
	return &Outlier{Compared: c, Ratio: ratio, Msg: msg}
}

// Close reports whether a and b (both positive) differ by no more than maxChange, as
// CheckOutlier measures it.
func Close(a, b, maxChange float64) bool {
	if a <= 0 || b <= 0 {
		return a == b
	}
	if maxChange <= 0 {
		maxChange = DefaultMaxChange
	}
	return math.Abs(math.Log(a/b)) <= math.Log1p(maxChange)
}

// CheckRevision refuses a change of a stored figure's value without a reason. prev is
// the stored figure of the same key (nil: none). Changing only the provenance (URL,
// quote, note) is not a revision.
func CheckRevision(o obs.Observation, prev *obs.Observation, reason string) *Error {
	if prev == nil || o.SameFigure(*prev) || reason != "" {
		return nil
	}
	ind := obs.MustLookup(o.Indicator)
	who := prev.Source
	if prev.EnteredBy != "" {
		who = prev.EnteredBy
	}
	when := ""
	if !prev.RetrievedAt.IsZero() {
		when = " on " + prev.RetrievedAt.In(obs.Shanghai).Format("2006-01-02")
	}
	return fail("reason", "this changes the stored %s %s %s figure %s%s (entered by %s%s) to %s%s: a revision needs a reason; give one, e.g. \"revised in the 2025 statistical yearbook\"",
		o.Indicator, o.Period, o.Basis, units.Format(prev.Value, ind.DisplayUnit), estimateMark(prev.Estimate), who, when,
		units.Format(o.Value, ind.DisplayUnit), estimateMark(o.Estimate))
}

func estimateMark(e bool) string {
	if e {
		return "（预计 estimate）"
	}
	return ""
}
