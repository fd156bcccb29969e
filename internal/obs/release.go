package obs

import "time"

// Release describes when a source publishes an indicator: a new figure for every
// period of granularity Every, due LagDays after that period ends. The lags are
// generous readings of SOURCES.md (customs about the 14th–25th of the next month, the
// statistics bureau near the end of the next month, the port mid-month), so that a
// figure counts as overdue only when it really is.
type Release struct {
	// Every is Month or Year; zero means the indicator is never published (derived).
	Every Granularity
	// LagDays is how long after the period's end the figure is due.
	LagDays int
	// NoJanuary marks monthly series whose January figure is released together with
	// February (retail sales: 1—2月), so the figure after December is February's.
	NoJanuary bool
}

// NextDue returns when the figure after latest is due to be published: the end of the
// next period plus the lag. latest is the period of the newest figure held. For yearly
// releases of a stock measured in some month, the next figure is the same month a year
// later. ok is false for indicators without releases.
func (r Release) NextDue(latest Period) (due time.Time, next Period, ok bool) {
	switch r.Every {
	case Month:
		next = latest.EndMonth().Next()
		if r.NoJanuary && next.Month() == 1 {
			next = next.Next()
		}
	case Year:
		if latest.Granularity() == Year {
			next = latest.Next()
		} else {
			e := latest.EndMonth()
			next = MonthPeriod(e.Year()+1, e.Month())
		}
	default:
		return time.Time{}, Period{}, false
	}
	return next.End().AddDate(0, 0, r.LagDays), next, true
}

// LatestPeriodEnd returns the end of the latest period an article published at t can
// report for an indicator of the given kind: a flow figure covers a period that has
// ended (at the latest the month before t), a stock may be as of t's month.
func LatestPeriodEnd(kind Kind, t time.Time) time.Time {
	p := PeriodOf(t)
	if kind == Flow {
		return p.Start()
	}
	return p.End()
}
