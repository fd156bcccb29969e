package targets

import "math"

// ExpectedAnnual returns where a path from baseline b in year y0 to goal g in year Y
// expects the annual value in year y (DESIGN.md, "Schedule math"):
//
//	linear:   b + (g−b)·(y−y0)/(Y−y0)
//	compound: b·(g/b)^((y−y0)/(Y−y0))
//
// Years outside [y0, Y] extrapolate the same formula. A compound path needs b > 0 and
// g > 0; otherwise, and when Y ≤ y0, the result is NaN.
func ExpectedAnnual(path PathKind, b, g float64, y0, Y, y int) float64 {
	if Y <= y0 {
		return math.NaN()
	}
	f := float64(y-y0) / float64(Y-y0)
	switch path {
	case Linear:
		return b + (g-b)*f
	case Compound:
		if b <= 0 || g <= 0 {
			return math.NaN()
		}
		return b * math.Pow(g/b, f)
	}
	return math.NaN()
}

// ExpectedStock returns the expected level of a stock in month m (1–12) of year y: the
// expected value at the end of year y−1 plus m/12 of the expected step in year y. It
// depends on the month number only, never on day counts, so leap years change nothing.
func ExpectedStock(path PathKind, b, g float64, y0, Y, y, m int) float64 {
	prev := ExpectedAnnual(path, b, g, y0, Y, y-1)
	cur := ExpectedAnnual(path, b, g, y0, Y, y)
	return prev + (cur-prev)*float64(m)/12
}

// Gap returns (actual − expected)/|expected|, with the sign flipped for at_most goals,
// so that a positive gap is always ahead of schedule, also when the expected value is
// negative (an increase target in its baseline year). An expected value of 0 gives 0.
func Gap(dir Direction, actual, expected float64) float64 {
	if expected == 0 {
		return 0
	}
	g := (actual - expected) / math.Abs(expected)
	if dir == AtMost {
		g = -g
	}
	return g
}

// Meets reports whether v meets goal g in direction dir.
func Meets(dir Direction, v, g float64) bool {
	if dir == AtMost {
		return v <= g
	}
	return v >= g
}

// StatusOf returns the on-schedule status for a gap: on_track (gap ≥ 0), at_risk
// (−tolerance ≤ gap < 0) or behind (gap < −tolerance).
func StatusOf(gap, tolerance float64) Status {
	switch {
	case gap >= 0:
		return OnTrack
	case gap >= -tolerance:
		return AtRisk
	default:
		return Behind
	}
}

// RequiredPace returns the annual growth rate that takes level l at time t (in years;
// the end of year y is y) to goal level g at the end of goal year Y: (g/l)^(1/(Y−t)) − 1.
// It is 0 when not applicable: t ≥ Y, or a level that is not positive.
func RequiredPace(l, t, g float64, Y int) float64 {
	yrs := float64(Y) - t
	if yrs <= 0 || l <= 0 || g <= 0 {
		return 0
	}
	return finite(math.Pow(g/l, 1/yrs) - 1)
}

// GrowthRatio returns the Open-SDG-style ratio of observed to required compound growth:
// the annual rate from baseline level b at the end of year y0 to level l at time t,
// divided by the annual rate from b to goal level g at the end of year Y. 1 means
// exactly on the required pace, above 1 ahead, below 1 behind, negative moving the
// wrong way. It is 0 when not applicable (t ≤ y0, a level that is not positive, or no
// growth required).
func GrowthRatio(b float64, y0 int, l, t, g float64, Y int) float64 {
	if t <= float64(y0) || Y <= y0 || b <= 0 || l <= 0 || g <= 0 {
		return 0
	}
	observed := math.Pow(l/b, 1/(t-float64(y0))) - 1
	required := math.Pow(g/b, 1/float64(Y-y0)) - 1
	if required == 0 {
		return 0
	}
	return finite(observed / required)
}

// finite maps NaN and ±Inf to 0, so that verdicts always encode as JSON.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
