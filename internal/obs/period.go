package obs

import (
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on machines without a zoneinfo database.
)

// Shanghai is the time zone of every period: a period starts at 00:00 Asia/Shanghai.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("obs: load time zone %s: %v", name, err))
	}
	return loc
}

// Granularity says whether a period is a year, a quarter or a month.
type Granularity int

// The granularities of a period, from coarse to fine.
const (
	Year Granularity = iota + 1
	Quarter
	Month
)

// Period is a calendar year ("2025"), quarter ("2025-Q3") or month ("2025-10").
// The zero Period is invalid; use ParsePeriod or the constructors.
type Period struct {
	year    int
	quarter int // 1–4 for a quarter, 0 otherwise
	month   int // 1–12 for a month, 0 otherwise
}

// YearPeriod returns the period for a whole year.
func YearPeriod(y int) Period { return Period{year: y} }

// QuarterPeriod returns the period for quarter q (1–4) of year y.
func QuarterPeriod(y, q int) Period { return Period{year: y, quarter: q} }

// MonthPeriod returns the period for month m (1–12) of year y.
func MonthPeriod(y, m int) Period { return Period{year: y, month: m} }

// PeriodError is the error of ParsePeriod: the text given and what is wrong with it.
type PeriodError struct {
	Input string
	// Why says what is wrong ("month must be 01 to 12").
	Why string
}

func (e *PeriodError) Error() string {
	return fmt.Sprintf("invalid period %q: %s (want YYYY, YYYY-Qn or YYYY-MM)", e.Input, e.Why)
}

// ParsePeriod parses "2025", "2025-Q3" (also "2025-q3") or "2025-10" (also "2025-1").
// Its errors are *PeriodError.
func ParsePeriod(s string) (Period, error) {
	bad := func(why string) (Period, error) {
		return Period{}, &PeriodError{Input: s, Why: why}
	}
	if len(s) < 4 {
		return bad("too short")
	}
	y, err := atoiDigits(s[:4])
	if err != nil || y < 1900 || y > 2200 {
		return bad("year must be four digits between 1900 and 2200")
	}
	rest := s[4:]
	switch {
	case rest == "":
		return YearPeriod(y), nil
	case rest[0] != '-':
		return bad("expected '-' after the year")
	case len(rest) == 3 && (rest[1] == 'Q' || rest[1] == 'q'):
		q, err := atoiDigits(rest[2:])
		if err != nil || q < 1 || q > 4 {
			return bad("quarter must be Q1 to Q4")
		}
		return QuarterPeriod(y, q), nil
	case len(rest) == 2 || len(rest) == 3:
		m, err := atoiDigits(rest[1:])
		if err != nil || m < 1 || m > 12 {
			return bad("month must be 01 to 12")
		}
		return MonthPeriod(y, m), nil
	default:
		return bad("unrecognised suffix")
	}
}

// atoiDigits is strconv.Atoi for ASCII digits only: no sign, no space.
func atoiDigits(s string) (int, error) {
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("not a number: %q", s)
		}
	}
	return strconv.Atoi(s)
}

// MustParsePeriod is ParsePeriod for constants in tests and tables; it panics on error.
func MustParsePeriod(s string) Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// IsZero reports whether p is the zero (invalid) period.
func (p Period) IsZero() bool { return p.year == 0 }

// Year returns the calendar year of the period.
func (p Period) Year() int { return p.year }

// Granularity returns whether p is a year, quarter or month.
func (p Period) Granularity() Granularity {
	switch {
	case p.month != 0:
		return Month
	case p.quarter != 0:
		return Quarter
	default:
		return Year
	}
}

// Quarter returns the quarter (1–4) of a quarter period, or 0.
func (p Period) Quarter() int { return p.quarter }

// Month returns the month (1–12) of a month period, or 0.
func (p Period) Month() int { return p.month }

// FirstMonth returns the first calendar month covered by the period.
func (p Period) FirstMonth() int {
	switch p.Granularity() {
	case Month:
		return p.month
	case Quarter:
		return 3*p.quarter - 2
	default:
		return 1
	}
}

// LastMonth returns the last calendar month covered by the period (12 for a year).
func (p Period) LastMonth() int {
	switch p.Granularity() {
	case Month:
		return p.month
	case Quarter:
		return 3 * p.quarter
	default:
		return 12
	}
}

// EndMonth returns the month period in which p ends ("2025-Q3" → "2025-09", "2025" → "2025-12").
func (p Period) EndMonth() Period { return MonthPeriod(p.year, p.LastMonth()) }

// MonthIndex numbers the period's last month so that consecutive months differ by one:
// year·12 + month − 1, the same for "2025-Q3", "2025-09" and a ytd figure through
// September. Subtracting two indexes counts the months between the periods' ends.
func (p Period) MonthIndex() int { return p.year*12 + p.LastMonth() - 1 }

// Start returns 00:00 Asia/Shanghai on the first day of the period.
func (p Period) Start() time.Time {
	return time.Date(p.year, time.Month(p.FirstMonth()), 1, 0, 0, 0, 0, Shanghai)
}

// End returns the first instant after the period: the start of the next one.
func (p Period) End() time.Time {
	return time.Date(p.year, time.Month(p.LastMonth())+1, 1, 0, 0, 0, 0, Shanghai)
}

// Prev returns the period of the same granularity just before p.
func (p Period) Prev() Period { return p.add(-1) }

// Next returns the period of the same granularity just after p.
func (p Period) Next() Period { return p.add(1) }

func (p Period) add(n int) Period {
	switch p.Granularity() {
	case Month:
		i := p.year*12 + p.month - 1 + n
		return MonthPeriod(i/12, i%12+1)
	case Quarter:
		i := p.year*4 + p.quarter - 1 + n
		return QuarterPeriod(i/4, i%4+1)
	default:
		return YearPeriod(p.year + n)
	}
}

// Compare orders periods by start, then by length (a month before the quarter and the
// year that start with it). It returns -1, 0 or +1.
func (p Period) Compare(q Period) int {
	if c := p.Start().Compare(q.Start()); c != 0 {
		return c
	}
	switch pg, qg := p.Granularity(), q.Granularity(); {
	case pg > qg:
		return -1
	case pg < qg:
		return 1
	}
	return 0
}

// Contains reports whether q lies entirely within p.
func (p Period) Contains(q Period) bool {
	return !q.Start().Before(p.Start()) && !q.End().After(p.End())
}

// String formats the period as "2025", "2025-Q3" or "2025-10".
func (p Period) String() string {
	switch p.Granularity() {
	case Month:
		return fmt.Sprintf("%04d-%02d", p.year, p.month)
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.year, p.quarter)
	default:
		return fmt.Sprintf("%04d", p.year)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (p Period) MarshalText() ([]byte, error) {
	if p.IsZero() {
		return nil, fmt.Errorf("marshal zero period")
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Period) UnmarshalText(b []byte) error {
	q, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// PeriodOf returns the month period containing t (in Asia/Shanghai).
func PeriodOf(t time.Time) Period {
	t = t.In(Shanghai)
	return MonthPeriod(t.Year(), int(t.Month()))
}
