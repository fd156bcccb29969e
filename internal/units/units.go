// Package units converts between the display units people read and write (亿元, 万标箱,
// %, 项 …) and the base units trademon stores (CNY, USD, TEU, count, ratio, CNY/USD),
// and parses numbers as Chinese statistics print them: full-width digits, thousands
// separators, and magnitudes such as 万, 亿, 万亿 and mixed forms like "7731亿6200万".
// It is the one place such conversions live; collectors, import and the web form use it.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Base units.
const (
	CNY       = "CNY"
	USD       = "USD"
	TEU       = "TEU"
	Count     = "count"
	Ratio     = "ratio"
	CNYPerUSD = "CNY/USD"
)

// Unit is a display unit: value_in_base = value_in_unit × Factor.
type Unit struct {
	// Name is the unit as written, e.g. "亿元".
	Name   string
	Base   string
	Factor float64
}

// baseWords maps a unit word without magnitude to its base unit and factor.
var baseWords = map[string]struct {
	base   string
	factor float64
}{
	"元": {CNY, 1}, "人民币": {CNY, 1}, "人民币元": {CNY, 1}, "cny": {CNY, 1}, "rmb": {CNY, 1}, "yuan": {CNY, 1},
	"美元": {USD, 1}, "usd": {USD, 1}, "us$": {USD, 1}, "$": {USD, 1}, "dollars": {USD, 1}, "u.s.dollars": {USD, 1}, "usdollars": {USD, 1},
	"标箱": {TEU, 1}, "标准箱": {TEU, 1}, "標箱": {TEU, 1}, "標準箱": {TEU, 1}, "teu": {TEU, 1}, "teus": {TEU, 1},
	"项": {Count, 1}, "項": {Count, 1}, "家": {Count, 1}, "条": {Count, 1}, "條": {Count, 1}, "个": {Count, 1}, "個": {Count, 1}, "count": {Count, 1},
	"%": {Ratio, 0.01}, "percent": {Ratio, 0.01}, "ratio": {Ratio, 1},
	"元/美元": {CNYPerUSD, 1}, "cny/usd": {CNYPerUSD, 1}, "cnyperusd": {CNYPerUSD, 1}, "人民币/美元": {CNYPerUSD, 1},
}

// magnitude characters; consecutive ones multiply (百万 = 1e6, 万亿 = 1e12).
var magChars = map[rune]float64{
	'十': 10, '百': 100, '千': 1e3, '万': 1e4, '萬': 1e4, '亿': 1e8, '億': 1e8, '兆': 1e12,
}

// English magnitude words used by press and reference figures.
var magWords = []struct {
	word   string
	factor float64
}{
	{"trillion", 1e12}, {"billion", 1e9}, {"million", 1e6}, {"thousand", 1e3},
}

// Normalize applies NFKC (full-width digits and punctuation become ASCII, ％ becomes %)
// and trims space.
func Normalize(s string) string {
	return strings.TrimSpace(norm.NFKC.String(s))
}

// ParseUnit parses a unit such as "亿元", "万标箱", "万TEU", "%", "亿美元",
// "million TEU" or "CNY". Base unit names are accepted as themselves.
func ParseUnit(s string) (Unit, error) {
	orig := s
	s = strings.ToLower(strings.Join(strings.Fields(Normalize(s)), ""))
	if s == "" {
		return Unit{}, errors.New("missing unit")
	}
	factor := 1.0
	for _, w := range magWords {
		if rest, ok := strings.CutPrefix(s, w.word); ok && rest != "" {
			factor, s = w.factor, rest
			break
		}
	}
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		m, ok := magChars[r]
		if !ok {
			break
		}
		if _, isWord := baseWords[s]; isWord { // "万" alone is not a unit, but guard anyway
			break
		}
		factor *= m
		s = s[size:]
	}
	b, ok := baseWords[s]
	if !ok {
		return Unit{}, fmt.Errorf("unknown unit %q", strings.TrimSpace(orig))
	}
	return Unit{Name: strings.TrimSpace(orig), Base: b.base, Factor: factor * b.factor}, nil
}

// ToBase converts value in unit (e.g. 12500, "亿元") to its base unit (1.25e12, "CNY").
func ToBase(value float64, unit string) (float64, string, error) {
	u, err := ParseUnit(unit)
	if err != nil {
		return 0, "", err
	}
	return clean(value * u.Factor), u.Base, nil
}

// clean rounds away binary noise from decimal scaling, so that "19278.1亿" is exactly
// 1.92781e12 and not 1.9278099999999998e12: values keep 15 significant digits.
func clean(v float64) float64 {
	f, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v
	}
	return f
}

// FromBase converts a base-unit value to the given display unit: FromBase(1.25e12, "亿元") = 12500.
func FromBase(value float64, unit string) (float64, error) {
	u, err := ParseUnit(unit)
	if err != nil {
		return 0, err
	}
	return clean(value / u.Factor), nil
}

// Format renders a base-unit value in a display unit with at most two decimals and
// no trailing zeros, e.g. Format(1.25e12, "亿元") = "12500亿元", Format(0.305, "%") = "30.5%".
// An unknown unit renders the bare value.
func Format(value float64, unit string) string {
	v, err := FromBase(value, unit)
	if err != nil {
		return strconv.FormatFloat(value, 'g', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + unit
}

// ParseQuantity parses a number followed by a unit, such as "1.25万亿元", "3300万标箱",
// "31%", "２３６３项" or "7731亿6200万元", into a base-unit value and its base unit.
// It also returns the resolution: the base-unit value of one step in the last digit
// written ("2.1万亿元" has resolution 1e11), which bounds rounding when comparing figures.
func ParseQuantity(s string) (value float64, base string, resolution float64, err error) {
	n := Normalize(s)
	num, unit := splitNumber(n)
	if num == "" {
		return 0, "", 0, fmt.Errorf("no number in %q", s)
	}
	v, res, err := ParseNumberResolution(num)
	if err != nil {
		return 0, "", 0, err
	}
	u, err := ParseUnit(unit)
	if err != nil {
		return 0, "", 0, fmt.Errorf("%q: %w", s, err)
	}
	return clean(v * u.Factor), u.Base, clean(res * u.Factor), nil
}

// splitNumber splits a normalized string into its leading number (digits, separators,
// magnitudes, sign) and the rest.
func splitNumber(s string) (num, rest string) {
	end := 0
	for i, r := range s {
		if isNumberRune(r) || (i == 0 && (r == '-' || r == '−' || r == '+')) {
			end = i + utf8.RuneLen(r)
			continue
		}
		break
	}
	return strings.TrimSpace(s[:end]), strings.TrimSpace(s[end:])
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isSpace reports whether r is a space that may separate digit groups.
func isSpace(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u2009' }

func isNumberRune(r rune) bool {
	if isDigit(r) || r == '.' || r == ',' || isSpace(r) {
		return true
	}
	_, ok := magChars[r]
	return ok
}

// ParseNumber parses a number with optional Chinese magnitudes and separators:
// "12,500", "19 278.1", "１２５００", "1.25万亿", "7731亿6200万", "2520万8700", "3.05 trillion".
// Magnitude groups must decrease left to right. It never panics.
func ParseNumber(s string) (float64, error) {
	v, _, err := ParseNumberResolution(s)
	return v, err
}

// ParseNumberResolution is ParseNumber that also returns the value of one step in the
// last digit written (the rounding resolution).
func ParseNumberResolution(s string) (float64, float64, error) {
	orig := s
	s = Normalize(s)
	if s == "" {
		return 0, 0, errors.New("empty number")
	}
	neg := false
	if r, size := utf8.DecodeRuneInString(s); r == '-' || r == '−' || r == '+' {
		neg = r != '+'
		s = strings.TrimSpace(s[size:])
	}
	// An English magnitude word at the end: "3.05 trillion".
	wordFactor := 1.0
	low := strings.ToLower(s)
	for _, w := range magWords {
		if strings.HasSuffix(low, w.word) {
			wordFactor = w.factor
			s = strings.TrimSpace(s[:len(s)-len(w.word)])
			break
		}
	}
	type group struct {
		digits string
		mag    float64
	}
	var groups []group
	var cur strings.Builder
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case isDigit(r) || r == '.':
			cur.WriteRune(r)
		case r == ',' || isSpace(r):
			// Space before a magnitude is layout: "3100.5 亿".
			if isSpace(r) && cur.Len() > 0 && i+1 < len(runes) && magChars[runes[i+1]] != 0 {
				continue
			}
			// A separator only between digits: "12,500", "19 278.1".
			if cur.Len() == 0 || i+1 >= len(runes) || !isDigit(runes[i+1]) || strings.Contains(cur.String(), ".") {
				return 0, 0, fmt.Errorf("invalid number %q: misplaced separator", orig)
			}
			// It separates thousands, so exactly three digits follow: "12,5" is not 125.
			j := i + 1
			for j < len(runes) && isDigit(runes[j]) {
				j++
			}
			if j-i-1 != 3 {
				if j < len(runes) && !isNumberRune(runes[j]) {
					return 0, 0, fmt.Errorf("invalid number %q: unexpected %q", orig, runes[j])
				}
				return 0, 0, fmt.Errorf("invalid number %q: a thousands separator must be followed by three digits", orig)
			}
		default:
			m, ok := magChars[r]
			if !ok {
				return 0, 0, fmt.Errorf("invalid number %q: unexpected %q", orig, r)
			}
			if cur.Len() == 0 {
				return 0, 0, fmt.Errorf("invalid number %q: magnitude %q without digits", orig, r)
			}
			for i+1 < len(runes) {
				m2, ok := magChars[runes[i+1]]
				if !ok {
					break
				}
				m *= m2
				i++
			}
			groups = append(groups, group{cur.String(), m})
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		groups = append(groups, group{cur.String(), 1})
	}
	if len(groups) == 0 {
		return 0, 0, fmt.Errorf("invalid number %q: no digits", orig)
	}
	total, resolution := 0.0, 0.0
	for i, g := range groups {
		if i > 0 && g.mag >= groups[i-1].mag {
			return 0, 0, fmt.Errorf("invalid number %q: magnitudes must decrease (%g after %g)", orig, g.mag, groups[i-1].mag)
		}
		if strings.Count(g.digits, ".") > 1 || strings.HasPrefix(g.digits, ".") || strings.HasSuffix(g.digits, ".") {
			return 0, 0, fmt.Errorf("invalid number %q: malformed digits %q", orig, g.digits)
		}
		v, err := strconv.ParseFloat(g.digits, 64)
		if errors.Is(err, strconv.ErrRange) {
			return 0, 0, fmt.Errorf("invalid number %q: out of range", orig)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("invalid number %q: %w", orig, err)
		}
		total += v * g.mag
		decimals := 0
		if _, frac, ok := strings.Cut(g.digits, "."); ok {
			decimals = len(frac)
		}
		resolution = math.Pow10(-decimals) * g.mag
	}
	total *= wordFactor
	resolution *= wordFactor
	if math.IsInf(total, 0) || math.IsNaN(total) {
		return 0, 0, fmt.Errorf("invalid number %q: out of range", orig)
	}
	if neg {
		total = -total
	}
	return clean(total), clean(resolution), nil
}

// Clean rounds away binary noise from decimal scaling (15 significant digits), as
// ToBase does: Clean(1300.7 * 1e8) is exactly 1.3007e11.
func Clean(v float64) float64 { return clean(v) }
