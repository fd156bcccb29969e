package obs

import (
	"encoding/json"
	"testing"
)

// FuzzParsePeriod checks that a period either is refused with a message or is a real
// year, quarter or month between 1900 and 2200 whose canonical text parses back to it,
// and that the calendar arithmetic on it is consistent (Start before End, Prev and Next
// inverse, the period contains its own end month).
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2025", "2025-Q3", "2025-q4", "2025-10", "2025-1", "2025-13", "2025-00", "2025-Q0",
		"2025-Q5", "1899", "2201", "２０２５", "2025-+1", "2025-1 ", "-2025", "20251", "2025--1", "", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParsePeriod(%q): error without a message", s)
			}
			return
		}
		if p.IsZero() || p.Year() < 1900 || p.Year() > 2200 {
			t.Fatalf("ParsePeriod(%q) = %v: year out of range", s, p)
		}
		if m := p.Month(); m < 0 || m > 12 || (p.Granularity() == Month && m == 0) {
			t.Fatalf("ParsePeriod(%q): month %d", s, m)
		}
		if q := p.Quarter(); q < 0 || q > 4 {
			t.Fatalf("ParsePeriod(%q): quarter %d", s, q)
		}
		back, err := ParsePeriod(p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePeriod(%q) = %v, but its text %q parses to %v, %v", s, p, p.String(), back, err)
		}
		if !p.Start().Before(p.End()) {
			t.Fatalf("%v: start %v not before end %v", p, p.Start(), p.End())
		}
		if p.Next().Prev() != p || p.Prev().Next() != p {
			t.Fatalf("%v: Next/Prev are not inverse (%v, %v)", p, p.Next().Prev(), p.Prev().Next())
		}
		if !p.Contains(p.EndMonth()) || p.Compare(p) != 0 {
			t.Fatalf("%v: does not contain its end month %v or compare equal to itself", p, p.EndMonth())
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %v: %v", p, err)
		}
		var q Period
		if err := json.Unmarshal(b, &q); err != nil || q != p {
			t.Fatalf("JSON round trip of %v: %s → %v, %v", p, b, q, err)
		}
	})
}

// FuzzParseBasis checks that only the four bases are accepted, each as itself.
func FuzzParseBasis(f *testing.F) {
	for _, s := range []string{"month", "ytd", "year", "stock", "YTD", "", "year "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBasis(s)
		if err != nil {
			return
		}
		if string(b) != s {
			t.Fatalf("ParseBasis(%q) = %q", s, b)
		}
		switch b {
		case BasisMonth, BasisYTD, BasisYear, BasisStock:
		default:
			t.Fatalf("ParseBasis(%q) = %q, not a basis", s, b)
		}
	})
}
