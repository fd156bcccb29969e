package extract

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trademon/trademon/internal/obs"
)

// PeriodKind says what span of time a period expression names.
type PeriodKind uint8

// The kinds of period expression.
const (
	// PeriodMonth is a single month: "7月", "7月份", "7月单月", "当月".
	PeriodMonth PeriodKind = iota + 1
	// PeriodYTD runs from January: "1-8月", "前7个月", "上半年", "前三季度", "一季度".
	PeriodYTD
	// PeriodYear is a whole year: "全年", "2024年".
	PeriodYear
	// PeriodThrough is "up to the end of": "截至8月底", "2025年底". A flow figure for
	// it is year-to-date; a stock figure is the level at that month's end.
	PeriodThrough
	// PeriodNow is "by now": "目前", "截至目前", "至今"; it is dated by publication.
	PeriodNow
	// PeriodDate is a day: "10月14日". It dates a stock, not a flow.
	PeriodDate
	// PeriodOther is recognised but is no basis trademon stores: a later single
	// quarter ("三季度"), 下半年, or months not starting in January ("7-8月").
	PeriodOther
)

var periodKindNames = [...]string{"", "month", "ytd", "year", "through", "now", "date", "other"}

// String names the kind.
func (k PeriodKind) String() string {
	if int(k) < len(periodKindNames) {
		return periodKindNames[k]
	}
	return fmt.Sprintf("PeriodKind(%d)", k)
}

// PeriodExpr is one period expression found in a text.
type PeriodExpr struct {
	Kind PeriodKind
	// Text is the expression as written; Start and End are its byte offsets.
	Text       string
	Start, End int
	// Month is the last month covered (1–12): 8 for "1-8月", 12 for "全年"; 0 for
	// PeriodNow and for "当月"/"单月", which take the month in context.
	Month int
	// Year is the year written with the expression ("2025年1-8月"), 0 if none.
	Year int
	// RelYear is the year relative to publication when HasRelYear: 今年 0, 去年 -1.
	RelYear    int
	HasRelYear bool
	// Comparison marks a reference period, not the period of a figure: "比1-7月",
	// "较上半年".
	Comparison bool
	// English marks an expression in English ("in the first quarter"); English
	// sentences name the period after the figure.
	English bool
}

// Flow returns the basis of a flow figure stated for the expression, and false for
// kinds that date no flow figure (now, a day, a later quarter).
func (p PeriodExpr) Flow() (obs.Basis, bool) {
	switch p.Kind {
	case PeriodMonth:
		return obs.BasisMonth, true
	case PeriodYTD, PeriodThrough:
		return obs.BasisYTD, true
	case PeriodYear:
		return obs.BasisYear, true
	}
	return "", false
}

// ErrNotPeriod is returned by ParsePeriod for text that is not one period expression.
var ErrNotPeriod = errors.New("not a period expression")

// ParsePeriod parses s (normalised first) as exactly one period expression, such as
// "1—8月", "2025年前三季度", "前7个月", "7月单月", "截至2025年9月底" or "全年".
func ParsePeriod(s string) (PeriodExpr, error) {
	n := Normalize(s)
	ps := FindPeriods(n)
	if len(ps) != 1 || ps[0].Start != 0 || ps[0].End != len(n) {
		return PeriodExpr{}, fmt.Errorf("%q: %w", s, ErrNotPeriod)
	}
	return ps[0], nil
}

// FindPeriods returns the period expressions in a normalised text, left to right.
func FindPeriods(s string) []PeriodExpr { return AppendPeriods(nil, s) }

// AppendPeriods is FindPeriods appending to dst, to reuse its storage.
func AppendPeriods(dst []PeriodExpr, s string) []PeriodExpr {
	for i := 0; i < len(s); {
		if maybePeriodStart(s, i) {
			if p, ok := parsePeriodAt(s, i); ok {
				dst = append(dst, p)
				i = p.End
				continue
			}
			if isDigit(s[i]) { // do not re-read "025年" inside "2025年"
				for i < len(s) && isDigit(s[i]) {
					i++
				}
				continue
			}
		}
		if s[i] < utf8.RuneSelf {
			i++
			if isASCIILetter(s[i-1]) { // skip the rest of an English word
				for i < len(s) && isASCIILetter(s[i]) {
					i++
				}
			}
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return dst
}

// maybePeriodStart is a cheap test for a character that can begin an expression.
func maybePeriodStart(s string, i int) bool {
	c := s[i]
	if isDigit(c) {
		return i == 0 || !isDigit(s[i-1])
	}
	if isASCIILetter(c) {
		return i == 0 || !isASCIILetter(s[i-1])
	}
	if c < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '前', '上', '下', '全', '今', '本', '去', '第', '首', '当', '单', '截', '目', '至',
		'一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '两':
		return true
	}
	return false
}

// comparisonWords before an expression make it a reference period.
var comparisonWords = []string{"比", "较", "与", "同", "于", "相比", "低于", "高于", "超过", "回落", "提高"}

func parsePeriodAt(s string, i int) (PeriodExpr, bool) {
	p, ok := parseChinese(s, i)
	if !ok {
		p, ok = parseEnglish(s, i)
	}
	if !ok {
		return PeriodExpr{}, false
	}
	p.Start = i
	p.Text = s[p.Start:p.End]
	for _, w := range comparisonWords {
		if strings.HasSuffix(s[:i], w) {
			p.Comparison = true
			break
		}
	}
	return p, true
}

// cursor helpers over a normalised string.

func lit(s string, i int, words ...string) (int, bool) {
	for _, w := range words {
		if strings.HasPrefix(s[i:], w) {
			return i + len(w), true
		}
	}
	return i, false
}

// cnDigit returns the value of a Chinese numeral a month or count may be written
// with (一 … 十, 两), and false for other runes.
func cnDigit(r rune) (int, bool) {
	switch r {
	case '一':
		return 1, true
	case '二', '两':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	case '十':
		return 10, true
	}
	return 0, false
}

// smallNum reads a number from 1 to 12 written with one or two ASCII digits or in
// Chinese numerals (十一, 十二).
func smallNum(s string, i int) (int, int, bool) {
	if i < len(s) && isDigit(s[i]) {
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i > 2 {
			return 0, i, false
		}
		n := 0
		for _, c := range []byte(s[i:j]) {
			n = n*10 + int(c-'0')
		}
		if n < 1 || n > 12 {
			return 0, i, false
		}
		return n, j, true
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	v, ok := cnDigit(r)
	if !ok {
		return 0, i, false
	}
	j := i + size
	if v == 10 {
		if r2, s2 := utf8.DecodeRuneInString(s[j:]); r2 == '一' || r2 == '二' {
			d, _ := cnDigit(r2)
			return 10 + d, j + s2, true
		}
	}
	return v, j, true
}

// year4 reads a four-digit year from 1900 to 2199.
func year4(s string, i int) (int, int, bool) {
	if i+4 > len(s) {
		return 0, i, false
	}
	y := 0
	for k := range 4 {
		c := s[i+k]
		if !isDigit(c) {
			return 0, i, false
		}
		y = y*10 + int(c-'0')
	}
	if i+4 < len(s) && isDigit(s[i+4]) || y < 1900 || y > 2199 {
		return 0, i, false
	}
	return y, i + 4, true
}

// dashes join the first and last month of a range: 1-8月, 1—8月, 1～8月, 1至8月.
var dashes = []string{"-", "—", "–", "―", "‐", "‑", "−", "~", "〜", "～", "至", "到", "一"}

func parseChinese(s string, i int) (PeriodExpr, bool) {
	var p PeriodExpr
	j := i
	// An optional year: 2025年, 今年, 去年.
	hasYear := false
	if y, k, ok := year4(s, j); ok {
		k = skipSpaces(s, k)
		if k2, ok := lit(s, k, "年度", "年"); ok {
			p.Year, j, hasYear = y, k2, true
		}
	} else if k, ok := lit(s, j, "今年", "本年"); ok {
		p.HasRelYear, j, hasYear = true, k, true
	} else if k, ok := lit(s, j, "去年", "上年"); ok {
		p.HasRelYear, p.RelYear, j, hasYear = true, -1, k, true
	}
	if hasYear {
		j = skipSpaces(s, j)
		if b, ok := parseBody(s, j); ok {
			b.Year, b.RelYear, b.HasRelYear = p.Year, p.RelYear, p.HasRelYear
			return b, true
		}
		if k, ok := lit(s, j, "底", "末"); ok {
			p.Kind, p.Month, p.End = PeriodThrough, 12, k
			return p, true
		}
		if p.Year == 0 {
			return PeriodExpr{}, false // 今年 or 去年 alone dates nothing
		}
		// A bare year names the whole year when it leads a clause ("2024年，…",
		// "2024年全市…"), not in "2024年以来", "2024年同期", "2025年目标".
		if j < len(s) {
			r, _ := utf8.DecodeRuneInString(s[j:])
			if strings.ContainsRune("以同前后的目比相起至到内中初开年间上下第是将被为", r) || isDigit(s[j]) {
				return PeriodExpr{}, false
			}
		}
		p.Kind, p.Month, p.End = PeriodYear, 12, j
		return p, true
	}
	// 截至 …
	if k, ok := lit(s, j, "截至到", "截止到", "截至", "截止"); ok {
		k = skipSpaces(s, k)
		if inner, ok := parseChinese(s, k); ok {
			switch inner.Kind {
			case PeriodMonth, PeriodYTD, PeriodThrough, PeriodDate, PeriodYear:
				if inner.Month == 0 {
					return PeriodExpr{}, false
				}
				inner.Kind = PeriodThrough
				return inner, true
			case PeriodNow:
				return inner, true
			}
			return PeriodExpr{}, false
		}
		if k2, ok := lit(s, k, "目前", "当前", "现在", "今"); ok {
			return PeriodExpr{Kind: PeriodNow, End: k2}, true
		}
		return PeriodExpr{}, false
	}
	if k, ok := lit(s, j, "目前", "至今", "当前"); ok {
		return PeriodExpr{Kind: PeriodNow, End: k}, true
	}
	return parseBody(s, j)
}

// parseBody parses the part of a Chinese expression after an optional year.
func parseBody(s string, j int) (PeriodExpr, bool) {
	var p PeriodExpr
	if k, ok := lit(s, j, "全年"); ok {
		p.Kind, p.Month, p.End = PeriodYear, 12, k
		return p, true
	}
	if k, ok := lit(s, j, "上半年", "上半年度"); ok {
		p.Kind, p.Month, p.End = PeriodYTD, 6, k
		return p, true
	}
	if k, ok := lit(s, j, "下半年"); ok {
		p.Kind, p.Month, p.End = PeriodOther, 12, k
		return p, true
	}
	if k, ok := lit(s, j, "当月", "单月", "本月"); ok {
		p.Kind, p.End = PeriodMonth, k
		return p, true
	}
	if k, ok := lit(s, j, "前"); ok {
		n, k2, ok := smallNum(s, k)
		if !ok {
			return PeriodExpr{}, false
		}
		if k3, ok := lit(s, k2, "个月份", "个月", "月份", "月"); ok {
			p.Kind, p.Month, p.End = PeriodYTD, n, k3
			return p, true
		}
		if k3, ok := lit(s, k2, "个季度", "季度"); ok && n <= 4 {
			p.Kind, p.Month, p.End = PeriodYTD, 3*n, k3
			return p, true
		}
		return PeriodExpr{}, false
	}
	// 一季度, 第一季度, 首季度, 1季度.
	k := j
	if k2, ok := lit(s, k, "第"); ok {
		k = k2
	}
	if k2, ok := lit(s, k, "首季度", "首季"); ok {
		p.Kind, p.Month, p.End = PeriodYTD, 3, k2
		return p, true
	}
	if q, k2, ok := smallNum(s, k); ok && q <= 4 {
		if k3, ok := lit(s, k2, "季度"); ok {
			p.Kind, p.Month, p.End = PeriodOther, 3*q, k3
			if q == 1 {
				p.Kind = PeriodYTD
			}
			return p, true
		}
	}
	// Months: 7月, 7月份, 7月单月, 1-8月, 1月至8月, 10月14日, 8月底.
	m1, k, ok := smallNum(s, j)
	if !ok {
		return PeriodExpr{}, false
	}
	afterFirst := skipSpaces(s, k)
	if k2, ok := lit(s, afterFirst, "月份", "月"); ok {
		afterFirst = k2
	}
	afterFirst = skipSpaces(s, afterFirst)
	if k2, ok := lit(s, afterFirst, dashes...); ok && (k2 > afterFirst) {
		if !(s[afterFirst:k2] == "一" && !isDigit(s[k-1])) { // "一" is a dash only between digits
			if m2, k3, ok := smallNum(s, skipSpaces(s, k2)); ok {
				if k4, ok := lit(s, skipSpaces(s, k3), "月份", "月"); ok && m2 > m1 {
					p.End, p.Month = k4, m2
					p.Kind = PeriodOther
					if m1 == 1 {
						p.Kind = PeriodYTD
					}
					return p, true
				}
			}
		}
	}
	k2, ok := lit(s, skipSpaces(s, k), "月")
	if !ok {
		return PeriodExpr{}, false
	}
	p.Month, p.End = m1, k2
	// A day: 10月14日.
	if d := k2; d < len(s) && isDigit(s[d]) {
		e := d
		for e < len(s) && isDigit(s[e]) && e-d < 2 {
			e++
		}
		if k3, ok := lit(s, e, "日", "号"); ok {
			p.Kind, p.End = PeriodDate, k3
			return p, true
		}
		return PeriodExpr{}, false
	}
	if k3, ok := lit(s, k2, "底", "末"); ok {
		p.Kind, p.End = PeriodThrough, k3
		return p, true
	}
	p.Kind = PeriodMonth
	if k3, ok := lit(s, k2, "份单月", "份当月", "单月", "当月", "份"); ok {
		p.End = k3
	}
	return p, true
}

var englishMonths = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

var englishCounts = map[string]int{
	"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

// englishWord returns the ASCII word at s[i:], lower-cased without allocating for
// the short words compared here, and where it ends.
func englishWord(s string, i int) (string, int) {
	j := i
	for j < len(s) && (isASCIILetter(s[j]) || isDigit(s[j])) {
		j++
	}
	return s[i:j], j
}

func monthName(w string) int {
	if w == "" || w[0] < 'A' || w[0] > 'Z' { // "may" is a verb; month names are capitalised
		return 0
	}
	for m, name := range englishMonths {
		if strings.EqualFold(w, name) {
			return m + 1
		}
	}
	return 0
}

func parseEnglish(s string, i int) (PeriodExpr, bool) {
	p := PeriodExpr{English: true}
	w, j := englishWord(s, i)
	switch {
	case strings.EqualFold(w, "first"):
		w2, k := englishWord(s, skipSpaces(s, j))
		switch {
		case strings.EqualFold(w2, "quarter"):
			p.Kind, p.Month, p.End = PeriodYTD, 3, k
			return p, true
		case strings.EqualFold(w2, "half"):
			p.Kind, p.Month, p.End = PeriodYTD, 6, k
			return p, true
		}
		n, ok := englishCounts[strings.ToLower(w2)]
		if !ok {
			if v, k2, ok2 := smallNum(s, skipSpaces(s, j)); ok2 && k2 == k {
				n, ok = v, true
			}
		}
		if !ok {
			return p, false
		}
		w3, k3 := englishWord(s, skipSpaces(s, k))
		switch {
		case strings.EqualFold(w3, "months") && n <= 12:
			p.Kind, p.Month, p.End = PeriodYTD, n, k3
		case strings.EqualFold(w3, "quarters") && n <= 4:
			p.Kind, p.Month, p.End = PeriodYTD, 3*n, k3
		default:
			return p, false
		}
		return p, true
	case strings.EqualFold(w, "in") || strings.EqualFold(w, "for"):
		k := skipSpaces(s, j)
		if y, k2, ok := year4(s, k); ok {
			if k2 < len(s) && (isASCIILetter(s[k2]) || s[k2] == '-') {
				return p, false
			}
			p.Kind, p.Month, p.Year, p.End = PeriodYear, 12, y, k2
			return p, true
		}
		return p, false
	case strings.EqualFold(w, "between") || strings.EqualFold(w, "from"):
		w2, k := englishWord(s, skipSpaces(s, j))
		m1 := monthName(w2)
		if m1 == 0 {
			return p, false
		}
		return englishRange(s, m1, k, p)
	}
	if m1 := monthName(w); m1 != 0 {
		if r, ok := englishRange(s, m1, j, p); ok {
			return r, true
		}
		p.Kind, p.Month, p.End = PeriodMonth, m1, j
		if y, k, ok := year4(s, skipSpaces(s, j)); ok {
			p.Year, p.End = y, k
		}
		return p, true
	}
	return p, false
}

// englishRange reads "-October", " to October", " and October" after a first month.
func englishRange(s string, m1, j int, p PeriodExpr) (PeriodExpr, bool) {
	k := skipSpaces(s, j)
	if k2, ok := lit(s, k, "-", "–", "—"); ok {
		k = k2
	} else {
		w, k2 := englishWord(s, k)
		if !strings.EqualFold(w, "to") && !strings.EqualFold(w, "and") && !strings.EqualFold(w, "through") {
			return p, false
		}
		k = k2
	}
	w, k2 := englishWord(s, skipSpaces(s, k))
	m2 := monthName(w)
	if m2 <= m1 {
		return p, false
	}
	p.Kind, p.Month, p.End = PeriodOther, m2, k2
	if m1 == 1 {
		p.Kind = PeriodYTD
	}
	if y, k3, ok := year4(s, skipSpaces(s, k2)); ok {
		p.Year, p.End = y, k3
	}
	return p, true
}

// InferYear dates a period expression that does not write its year from the
// publication date: a figure is published after its period ends, so a flow period
// ending in month m published in year Y is in Y when m is before the publication
// month, else in Y−1 ("1-12月" published in January 2026 is 2025). A level
// (through, now, date) may be published within its month. It returns false when
// published is zero or month is out of range.
func InferYear(month int, kind PeriodKind, published time.Time) (int, bool) {
	if published.IsZero() || month < 1 || month > 12 {
		return 0, false
	}
	t := published.In(obs.Shanghai)
	y, pm := t.Year(), int(t.Month())
	switch kind {
	case PeriodThrough, PeriodNow, PeriodDate:
		if month > pm {
			return y - 1, true
		}
		return y, true
	}
	if month >= pm {
		return y - 1, true
	}
	return y, true
}

// TitleYear returns the first four-digit year written with 年 in s (normalised),
// or 0.
func TitleYear(s string) int {
	for i := 0; i+4 <= len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		if y, k, ok := year4(s, i); ok && strings.HasPrefix(s[skipSpaces(s, k):], "年") {
			return y
		}
	}
	return 0
}
