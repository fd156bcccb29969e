package obs

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		gran    Granularity
		year    int
		quarter int
		month   int
	}{
		{"2025", "2025", Year, 2025, 0, 0},
		{"1900", "1900", Year, 1900, 0, 0},
		{"2200", "2200", Year, 2200, 0, 0},
		{"2025-Q1", "2025-Q1", Quarter, 2025, 1, 0},
		{"2025-Q3", "2025-Q3", Quarter, 2025, 3, 0},
		{"2025-q4", "2025-Q4", Quarter, 2025, 4, 0},
		{"2025-10", "2025-10", Month, 2025, 0, 10},
		{"2025-01", "2025-01", Month, 2025, 0, 1},
		{"2025-1", "2025-01", Month, 2025, 0, 1},
		{"2024-12", "2024-12", Month, 2024, 0, 12},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePeriod(tt.in)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tt.in, err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if p.Granularity() != tt.gran || p.Year() != tt.year || p.Quarter() != tt.quarter || p.Month() != tt.month {
				t.Errorf("got granularity %d year %d quarter %d month %d, want %d %d %d %d",
					p.Granularity(), p.Year(), p.Quarter(), p.Month(), tt.gran, tt.year, tt.quarter, tt.month)
			}
			if p.IsZero() {
				t.Error("IsZero() = true for a parsed period")
			}
			// Round trip through the canonical form.
			if q := MustParsePeriod(p.String()); q != p {
				t.Errorf("round trip %q → %v", p.String(), q)
			}
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	const want = " (want YYYY, YYYY-Qn or YYYY-MM)"
	tests := []struct{ in, msg string }{
		{"", `invalid period "": too short` + want},
		{"202", `invalid period "202": too short` + want},
		{"abcd", `invalid period "abcd": year must be four digits between 1900 and 2200` + want},
		{"1899", `invalid period "1899": year must be four digits between 1900 and 2200` + want},
		{"2201", `invalid period "2201": year must be four digits between 1900 and 2200` + want},
		{"+025", `invalid period "+025": year must be four digits between 1900 and 2200` + want},
		{"20251", `invalid period "20251": expected '-' after the year` + want},
		{"2025/10", `invalid period "2025/10": expected '-' after the year` + want},
		{"2025-Q0", `invalid period "2025-Q0": quarter must be Q1 to Q4` + want},
		{"2025-Q5", `invalid period "2025-Q5": quarter must be Q1 to Q4` + want},
		{"2025-Qx", `invalid period "2025-Qx": quarter must be Q1 to Q4` + want},
		{"2025-00", `invalid period "2025-00": month must be 01 to 12` + want},
		{"2025-13", `invalid period "2025-13": month must be 01 to 12` + want},
		{"2025-+1", `invalid period "2025-+1": month must be 01 to 12` + want},
		{"2025--1", `invalid period "2025--1": month must be 01 to 12` + want},
		{"2025- 1", `invalid period "2025- 1": month must be 01 to 12` + want},
		{"2025-", `invalid period "2025-": unrecognised suffix` + want},
		{"2025-100", `invalid period "2025-100": unrecognised suffix` + want},
		{"2025-Q12", `invalid period "2025-Q12": unrecognised suffix` + want},
		{" 2025", `invalid period " 2025": year must be four digits between 1900 and 2200` + want},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePeriod(tt.in)
			if err == nil {
				t.Fatalf("ParsePeriod(%q) = %v, want error", tt.in, p)
			}
			if err.Error() != tt.msg {
				t.Errorf("error = %q\n want %q", err, tt.msg)
			}
		})
	}
}

func TestPeriodStartEndInShanghai(t *testing.T) {
	tests := []struct {
		period     string
		start, end string // RFC 3339 in UTC
		firstMonth int
		lastMonth  int
		endMonth   string
	}{
		// 00:00 in Asia/Shanghai (UTC+8, no daylight saving) is 16:00 UTC the day before.
		{"2025", "2024-12-31T16:00:00Z", "2025-12-31T16:00:00Z", 1, 12, "2025-12"},
		{"2025-Q1", "2024-12-31T16:00:00Z", "2025-03-31T16:00:00Z", 1, 3, "2025-03"},
		{"2025-Q3", "2025-06-30T16:00:00Z", "2025-09-30T16:00:00Z", 7, 9, "2025-09"},
		{"2025-Q4", "2025-09-30T16:00:00Z", "2025-12-31T16:00:00Z", 10, 12, "2025-12"},
		{"2025-10", "2025-09-30T16:00:00Z", "2025-10-31T16:00:00Z", 10, 10, "2025-10"},
		{"2025-12", "2025-11-30T16:00:00Z", "2025-12-31T16:00:00Z", 12, 12, "2025-12"},
		{"2024-02", "2024-01-31T16:00:00Z", "2024-02-29T16:00:00Z", 2, 2, "2024-02"},
	}
	for _, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			p := MustParsePeriod(tt.period)
			if got := p.Start().UTC().Format(time.RFC3339); got != tt.start {
				t.Errorf("Start() = %s, want %s", got, tt.start)
			}
			if got := p.End().UTC().Format(time.RFC3339); got != tt.end {
				t.Errorf("End() = %s, want %s", got, tt.end)
			}
			if loc := p.Start().Location().String(); loc != "Asia/Shanghai" {
				t.Errorf("Start() location = %s, want Asia/Shanghai", loc)
			}
			if h, m := p.Start().Hour(), p.Start().Minute(); h != 0 || m != 0 {
				t.Errorf("Start() local time %02d:%02d, want 00:00", h, m)
			}
			if p.FirstMonth() != tt.firstMonth || p.LastMonth() != tt.lastMonth {
				t.Errorf("months %d–%d, want %d–%d", p.FirstMonth(), p.LastMonth(), tt.firstMonth, tt.lastMonth)
			}
			if got := p.EndMonth().String(); got != tt.endMonth {
				t.Errorf("EndMonth() = %s, want %s", got, tt.endMonth)
			}
			if got := (Observation{Period: p}).Time(); !got.Equal(p.Start()) {
				t.Errorf("Observation.Time() = %s, want the period start %s", got, p.Start())
			}
		})
	}
}

func TestPeriodLengthLeapYears(t *testing.T) {
	tests := []struct {
		period string
		days   int
	}{
		{"2024-02", 29}, // divisible by 4
		{"2025-02", 28},
		{"2000-02", 29}, // divisible by 400
		{"2100-02", 28}, // divisible by 100, not by 400
		{"2024", 366},
		{"2025", 365},
		{"2024-Q1", 91},
		{"2025-Q1", 90},
		{"2025-Q3", 92},
		{"2025-04", 30},
		{"2025-12", 31},
	}
	for _, tt := range tests {
		p := MustParsePeriod(tt.period)
		if got := p.End().Sub(p.Start()); got != time.Duration(tt.days)*24*time.Hour {
			t.Errorf("%s lasts %s, want %d days", tt.period, got, tt.days)
		}
	}
}

func TestPeriodPrevNext(t *testing.T) {
	tests := []struct{ p, prev, next string }{
		{"2025-01", "2024-12", "2025-02"},
		{"2025-12", "2025-11", "2026-01"},
		{"2025-06", "2025-05", "2025-07"},
		{"2025-Q1", "2024-Q4", "2025-Q2"},
		{"2025-Q4", "2025-Q3", "2026-Q1"},
		{"2025", "2024", "2026"},
	}
	for _, tt := range tests {
		p := MustParsePeriod(tt.p)
		if got := p.Prev().String(); got != tt.prev {
			t.Errorf("%s.Prev() = %s, want %s", tt.p, got, tt.prev)
		}
		if got := p.Next().String(); got != tt.next {
			t.Errorf("%s.Next() = %s, want %s", tt.p, got, tt.next)
		}
		if got := p.Next().Prev(); got != p {
			t.Errorf("%s.Next().Prev() = %s", tt.p, got)
		}
		// Consecutive periods tile time: one ends where the next starts.
		if !p.End().Equal(p.Next().Start()) {
			t.Errorf("%s ends %s but the next starts %s", tt.p, p.End(), p.Next().Start())
		}
	}
}

func TestPeriodCompare(t *testing.T) {
	// In order: start first, then a shorter period before a longer one starting with it.
	ordered := []string{"2024", "2024-Q4", "2024-12", "2025-01", "2025-Q1", "2025", "2025-02", "2025-03", "2025-04", "2025-Q2", "2025-10", "2026"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := MustParsePeriod(a).Compare(MustParsePeriod(b)); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestPeriodContains(t *testing.T) {
	tests := []struct {
		p, q string
		want bool
	}{
		{"2025", "2025-10", true},
		{"2025", "2025-Q3", true},
		{"2025", "2025", true},
		{"2025-Q3", "2025-09", true},
		{"2025-Q3", "2025-10", false},
		{"2025-Q3", "2025", false},
		{"2025", "2026-01", false},
		{"2025-10", "2025-10", true},
	}
	for _, tt := range tests {
		if got := MustParsePeriod(tt.p).Contains(MustParsePeriod(tt.q)); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v, want %v", tt.p, tt.q, got, tt.want)
		}
	}
}

func TestPeriodOf(t *testing.T) {
	tests := []struct {
		t    string
		want string
	}{
		{"2025-09-30T15:59:59Z", "2025-09"},
		{"2025-09-30T16:00:00Z", "2025-10"}, // midnight in Shanghai
		{"2024-12-31T16:00:00Z", "2025-01"},
		{"2025-10-01T00:00:00+08:00", "2025-10"},
	}
	for _, tt := range tests {
		ts, err := time.Parse(time.RFC3339, tt.t)
		if err != nil {
			t.Fatal(err)
		}
		if got := PeriodOf(ts).String(); got != tt.want {
			t.Errorf("PeriodOf(%s) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestPeriodText(t *testing.T) {
	type wrap struct {
		P Period `json:"p"`
	}
	b, err := json.Marshal(wrap{MustParsePeriod("2025-Q3")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"p":"2025-Q3"}` {
		t.Errorf("json = %s", b)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"p":"2025-7"}`), &w); err != nil {
		t.Fatal(err)
	}
	if w.P != MonthPeriod(2025, 7) {
		t.Errorf("unmarshal = %v, want 2025-07", w.P)
	}
	if err := json.Unmarshal([]byte(`{"p":"2025-13"}`), &w); err == nil {
		t.Error("unmarshal of 2025-13 succeeded")
	}
	if _, err := json.Marshal(wrap{}); err == nil {
		t.Error("marshal of the zero period succeeded")
	}
	if !(Period{}).IsZero() {
		t.Error("zero Period is not IsZero")
	}
}

func TestParseBasisAndSourceKind(t *testing.T) {
	for _, s := range []string{"month", "ytd", "year", "stock"} {
		b, err := ParseBasis(s)
		if err != nil || string(b) != s {
			t.Errorf("ParseBasis(%q) = %q, %v", s, b, err)
		}
	}
	for _, tt := range []struct{ in, msg string }{
		{"YTD", `invalid basis "YTD" (want month, ytd, year or stock)`},
		{"", `invalid basis "" (want month, ytd, year or stock)`},
		{"quarter", `invalid basis "quarter" (want month, ytd, year or stock)`},
	} {
		if _, err := ParseBasis(tt.in); err == nil || err.Error() != tt.msg {
			t.Errorf("ParseBasis(%q) error = %v, want %s", tt.in, err, tt.msg)
		}
	}
	prec := map[SourceKind]int{KindManual: 3, KindCollector: 2, KindReference: 1, "bogus": 0}
	for k, want := range prec {
		if got := k.Precedence(); got != want {
			t.Errorf("%s.Precedence() = %d, want %d", k, got, want)
		}
	}
	for _, s := range []string{"manual", "collector", "reference"} {
		if k, err := ParseSourceKind(s); err != nil || string(k) != s {
			t.Errorf("ParseSourceKind(%q) = %q, %v", s, k, err)
		}
	}
	if _, err := ParseSourceKind("derived"); err == nil || err.Error() != `invalid source kind "derived" (want manual, collector or reference)` {
		t.Errorf("ParseSourceKind(derived) error = %v", err)
	}
}
