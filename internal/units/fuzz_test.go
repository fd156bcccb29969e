package units

import (
	"math"
	"testing"
)

var bases = map[string]bool{CNY: true, USD: true, TEU: true, Count: true, Ratio: true, CNYPerUSD: true}

// FuzzParseUnit checks that a unit is refused or names one of the base units with a
// positive, finite factor, and that converting to the base unit and back gives the
// value again (to 15 significant digits, the precision ToBase keeps).
func FuzzParseUnit(f *testing.F) {
	for _, s := range []string{"亿元", "万标箱", "万TEU", "%", "％", "亿美元", "million TEU", "CNY", "元/美元", "项", "家",
		"万万亿元", "十百千万亿兆元", "trillion", "trilliontrillion美元", "亿", "", " ", "\xff", "<script>"} {
		f.Add(s, 1300.7)
	}
	f.Fuzz(func(t *testing.T, s string, v float64) {
		u, err := ParseUnit(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseUnit(%q): error without a message", s)
			}
			return
		}
		if !bases[u.Base] {
			t.Fatalf("ParseUnit(%q).Base = %q, not a base unit", s, u.Base)
		}
		if !(u.Factor > 0) || math.IsInf(u.Factor, 0) {
			t.Fatalf("ParseUnit(%q).Factor = %v", s, u.Factor)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		b, base, err := ToBase(v, s)
		if err != nil || base != u.Base {
			t.Fatalf("ToBase(%v, %q) = %v %q, %v", v, s, b, base, err)
		}
		if p := math.Abs(v * u.Factor); math.IsInf(p, 0) || p != 0 && p < 1e-290 || math.Abs(v) < 1e-290 {
			return // beyond float64's range: the plausible-range check refuses such values
		}
		back, err := FromBase(b, s)
		if err != nil {
			t.Fatalf("FromBase(%v, %q): %v", b, s, err)
		}
		if d := math.Abs(back - v); d > 1e-12*math.Abs(v) {
			t.Fatalf("%v %s → %v %s → %v %s (off by %g)", v, s, b, base, back, s, d)
		}
	})
}
