package extract

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/trademon/trademon/internal/units"
)

// Quantity is a number found in a text with the unit written after it.
type Quantity struct {
	// Text is the number and unit as written, e.g. "7731亿6200万元" or "2.73 million TEU".
	Text string
	// Number is the number part of Text, e.g. "7731亿6200万".
	Number string
	// UnitText is the unit as written, e.g. "元", "美元", "TEU", "万标准箱" (with its
	// magnitude when the magnitude is a word: "million TEU"); empty when no unit
	// this package knows follows the number.
	UnitText string
	// Value and Unit are the quantity in base units (1.25e12, "CNY"); zero and empty
	// when there is no unit or when Err is set. A percentage (a growth rate or a
	// share, never a figure here) has Unit "ratio" and is not parsed: Value is 0.
	Value float64
	Unit  string
	// Resolution is the base-unit value of one step in the last digit written.
	Resolution float64
	// Err says why a number with a unit could not be read (e.g. "1.2.3亿元").
	Err error
	// Start and End are byte offsets of Text in the scanned string.
	Start, End int
	// Next is the rune right after the number when there is no unit, 0 at the end.
	Next rune
}

// HasUnit reports whether a known unit follows the number.
func (q Quantity) HasUnit() bool { return q.UnitText != "" }

// unitWords are the units a figure can be written in after its number (the
// magnitude, if any, is part of the number: "亿" in "6000亿元"). Longest first.
var unitWords = []string{"标准箱", "标箱", "TEUs", "TEU", "teus", "teu", "美元", "人民币", "元", "项", "%"}

// englishMagnitudes may stand between a number and its unit: "2.73 million TEU".
var englishMagnitudes = []string{"trillion", "billion", "million", "thousand"}

// isMagnitude reports whether r is a Chinese magnitude character.
func isMagnitude(r rune) bool {
	switch r {
	case '万', '亿', '兆', '千', '百':
		return true
	}
	return false
}

// FindQuantities returns every number in a normalised text, in order, with the unit
// that follows it when it is one of the figures' units (元, 美元, 标箱, 标准箱, TEU,
// 项, %; with magnitudes 万, 亿, 万亿, 兆, million …). Numbers without such a unit
// (years, months, counts of something else) are returned with an empty UnitText so
// that a caller can tell a truncated figure from no figure. Values are parsed by
// units.ParseQuantity.
func FindQuantities(s string) []Quantity {
	return AppendQuantities(nil, s)
}

// AppendQuantities is FindQuantities appending to dst, to reuse its storage.
func AppendQuantities(dst []Quantity, s string) []Quantity {
	for i := 0; i < len(s); {
		c := s[i]
		if !isDigit(c) {
			i++
			for i < len(s) && s[i]&0xC0 == 0x80 { // UTF-8 continuation bytes
				i++
			}
			continue
		}
		// A digit glued to a Latin letter is a name ("A320", "5G"), not a figure.
		if i > 0 && isASCIILetter(s[i-1]) && !strings.HasSuffix(s[:i], "RMB") && !strings.HasSuffix(s[:i], "US$") {
			i = skipDigits(s, i)
			continue
		}
		q, end := scanQuantity(s, i)
		if !q.HasUnit() && q.Next < utf8.RuneSelf && isASCIILetter(byte(q.Next)) {
			i = end // "5G", "3D": a name, not a figure
			continue
		}
		dst = append(dst, q)
		i = end
	}
	return dst
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func skipDigits(s string, i int) int {
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	return i
}

// scanQuantity reads a number starting at the digit s[i] and the unit after it. It
// returns the quantity and the offset to continue scanning from.
func scanQuantity(s string, i int) (Quantity, int) {
	start := i
	end := i // end of the number (after the last digit or magnitude)
	for i < len(s) {
		c := s[i]
		if isDigit(c) || c == '.' {
			i++
			end = i
			continue
		}
		if (c == ',' || c == ' ') && end == i && isDigit(s[i-1]) && threeDigits(s, i+1) {
			i++ // thousands separator: "12,500", "19 278.1"
			continue
		}
		k := i
		if c == ' ' && end == i {
			k = skipSpaces(s, i) // PDF text: "6000 亿元"
		}
		r, size := utf8.DecodeRuneInString(s[k:])
		if isMagnitude(r) && end == i {
			i = k + size
			end = i
			continue
		}
		break
	}
	// A trailing "." belongs to the sentence, not the number.
	for end > start && s[end-1] == '.' {
		end--
	}
	q := Quantity{Number: s[start:end], Start: start, End: end}
	// The unit: optional spaces, an optional English magnitude word, optional "个".
	j := end
	j = skipSpaces(s, j)
	unitStart := j
	for _, w := range englishMagnitudes {
		if hasPrefixFold(s[j:], w) {
			j = skipSpaces(s, j+len(w))
			break
		}
	}
	countWord := false
	if strings.HasPrefix(s[j:], "个") {
		j += len("个")
		countWord = true
	}
	for _, w := range unitWords {
		if !strings.HasPrefix(s[j:], w) {
			continue
		}
		if countWord && w != "标准箱" && w != "标箱" {
			break
		}
		unitEnd := j + len(w)
		if isASCIILetter(w[0]) && unitEnd < len(s) && isASCIILetter(s[unitEnd]) {
			break // "TEUX" is not TEU
		}
		q.UnitText = s[unitStart:unitEnd]
		q.Text = s[start:unitEnd]
		q.End = unitEnd
		parse := q.Text
		if countWord {
			parse = q.Number + strings.Replace(q.UnitText, "个", "", 1)
		}
		if w == "%" {
			// Growth rates and shares: never a figure here, so not parsed.
			q.Unit = units.Ratio
			return q, unitEnd
		}
		v, base, res, err := units.ParseQuantity(parse)
		if err != nil {
			q.Err = fmt.Errorf("quantity %q: %w", q.Text, err)
		} else {
			q.Value, q.Unit, q.Resolution = v, base, res
		}
		return q, unitEnd
	}
	q.Text = q.Number
	if end < len(s) {
		q.Next, _ = utf8.DecodeRuneInString(s[end:])
	}
	if end == start { // cannot happen (s[start] is a digit), but never loop forever
		return q, start + 1
	}
	return q, end
}

func threeDigits(s string, i int) bool {
	if i+3 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) || !isDigit(s[i+2]) {
		return false
	}
	return i+3 == len(s) || !isDigit(s[i+3])
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
