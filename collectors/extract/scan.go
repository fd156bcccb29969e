package extract

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trademon/trademon/internal/obs"
)

// Errors a Mention's period methods wrap.
var (
	// ErrNoPeriod means no period expression dates the figure: none before it in its
	// sentence or paragraph, and none in the title.
	ErrNoPeriod = errors.New("no period stated for the figure")
	// ErrNoYear means the figure's period has no year in the text or the title and
	// the article has no publication date to infer it from.
	ErrNoYear = errors.New("no year for the figure's period")
	// ErrUnsupportedPeriod means the figure is stated for a span trademon does not
	// store (a later single quarter, 下半年, 7-8月, a day for a flow).
	ErrUnsupportedPeriod = errors.New("period is not a basis trademon stores")
)

// Doc is an article prepared for extraction: its title and text normalised, and what
// dates it.
type Doc struct {
	// Title and Text are normalised (see Normalize).
	Title, Text string
	// Published is the publication date; zero if unknown.
	Published time.Time

	titleYear      int
	titlePeriod    PeriodExpr
	hasTitlePeriod bool
}

// NewDoc normalises an article's title and text.
func NewDoc(title, text string, published time.Time) *Doc {
	d := &Doc{Title: Normalize(title), Text: Normalize(text), Published: published}
	d.titleYear = TitleYear(d.Title)
	for _, p := range FindPeriods(d.Title) {
		if !p.Comparison && p.Kind != PeriodDate {
			d.titlePeriod, d.hasTitlePeriod = p, true
			if p.Year == 0 && !p.HasRelYear {
				d.titlePeriod.Year = d.titleYear
			}
			break
		}
	}
	return d
}

// Mention is one number in a Doc with the context an extractor needs to decide what
// it is: the clause words before it, its sentence (the quote), and the period in force.
type Mention struct {
	Quantity
	// Paragraph and Sentence number the mention's place (from 1) for messages.
	Paragraph, Sentence int
	// SentenceText is the sentence the number is in: the Quote of an observation.
	SentenceText string
	// Lead is the clause right before the number (from the last , ; : 、 or the
	// previous number in the sentence) with period expressions and, in Chinese text,
	// spaces removed: "全市进出口总额" in "前三季度,全市进出口总额28000.12亿元".
	Lead string
	// Before is the sentence text before the number; After the sentence text after
	// its unit.
	Before, After string
	// ParagraphBefore is the paragraph text before the number.
	ParagraphBefore string
	// Estimate is set when 预计 stands in the sentence before the number.
	Estimate bool
	// Period is the period expression in force: the last one before the number in its
	// sentence, else (in English) the first after it in the sentence, else the last
	// one earlier in the paragraph, else the title's; HasPeriod is false if none.
	// Comparison references ("比1-7月") are never in force. A "当月" takes the month
	// in context.
	Period    PeriodExpr
	HasPeriod bool
	// Year is the year of Period: written with it, relative to publication (今年),
	// carried from an earlier expression of the paragraph, the title's, inferred
	// from the publication date (InferYear), or from an earlier paragraph; 0 if none.
	Year int
	// Published is the document's publication date.
	Published time.Time
}

// Errorf returns an error naming where the mention is and quoting its sentence.
func (m *Mention) Errorf(format string, args ...any) error {
	return fmt.Errorf("paragraph %d, sentence %d %q: %w", m.Paragraph, m.Sentence, m.SentenceText, fmt.Errorf(format, args...))
}

// FlowPeriod returns the basis and period of a flow figure at the mention. The
// error wraps ErrNoPeriod, ErrNoYear or ErrUnsupportedPeriod.
func (m *Mention) FlowPeriod() (obs.Basis, obs.Period, error) {
	if !m.HasPeriod {
		return "", obs.Period{}, ErrNoPeriod
	}
	b, ok := m.Period.Flow()
	if !ok || (m.Period.Kind == PeriodMonth && m.Period.Month == 0) {
		return "", obs.Period{}, fmt.Errorf("%q (%s): %w", m.Period.Text, m.Period.Kind, ErrUnsupportedPeriod)
	}
	if m.Year == 0 {
		return "", obs.Period{}, fmt.Errorf("%q: %w", m.Period.Text, ErrNoYear)
	}
	if b == obs.BasisYear {
		return b, obs.YearPeriod(m.Year), nil
	}
	return b, obs.MonthPeriod(m.Year, m.Period.Month), nil
}

// StockPeriod returns the month at whose end a level (a cumulative count) stands:
// the end month of the period in force ("截至2025年9月底" → 2025-09, "2024年" →
// 2024-12), or the publication month when the text says 目前 or names no period.
// A level cannot stand at a month after the article was published, so a period in
// force that ends later (the "2024年" of "2024年世界标准日" in an October title) gives
// way to the publication month.
func (m *Mention) StockPeriod() (obs.Period, error) {
	p, err := m.stockPeriod()
	if err == nil && !m.Published.IsZero() {
		if pub := obs.PeriodOf(m.Published); p.Compare(pub) > 0 {
			return pub, nil
		}
	}
	return p, err
}

func (m *Mention) stockPeriod() (obs.Period, error) {
	if !m.HasPeriod || m.Period.Kind == PeriodNow || (m.Period.Month == 0) {
		if m.Published.IsZero() {
			return obs.Period{}, fmt.Errorf("level as of publication, but no publication date: %w", ErrNoYear)
		}
		return obs.PeriodOf(m.Published), nil
	}
	if m.Year == 0 {
		return obs.Period{}, fmt.Errorf("%q: %w", m.Period.Text, ErrNoYear)
	}
	return obs.MonthPeriod(m.Year, m.Period.Month), nil
}

// scanner holds buffers reused across paragraphs.
type scanner struct {
	periods []PeriodExpr
	sents   []Span
	qs      []Quantity
}

// Mentions yields every number in the document, in text order, with its context.
// Numbers inside period expressions ("1-8月") are not mentions.
func (d *Doc) Mentions() iter.Seq[Mention] {
	return func(yield func(Mention) bool) {
		var sc scanner
		docYear := 0
		for pi, para := range Paragraphs(d.Text) {
			pt := para.Text
			sc.periods = AppendPeriods(sc.periods[:0], pt)
			sc.sents = appendSentences(sc.sents[:0], pt)
			for si, sent := range sc.sents {
				sc.qs = AppendQuantities(sc.qs[:0], sent.Text)
				prevEnd := 0
				for _, q := range sc.qs {
					pos := sent.Start + q.Start // paragraph offsets
					if !q.HasUnit() && insidePeriod(sc.periods, pos) {
						continue
					}
					m := Mention{
						Quantity:        q,
						Paragraph:       pi + 1,
						Sentence:        si + 1,
						SentenceText:    sent.Text,
						Before:          sent.Text[:q.Start],
						After:           sent.Text[q.End:],
						ParagraphBefore: pt[:pos],
						Published:       d.Published,
					}
					m.Estimate = strings.Contains(m.Before, "预计")
					m.Lead = lead(pt, sent.Start+max(prevEnd, lastBoundary(m.Before)), pos, sc.periods)
					d.period(&m, sc.periods, sent, pos, pos+len(q.Text))
					if m.HasPeriod && m.Year == 0 {
						m.Year = d.inferYear(m.Period, docYear)
					}
					// Quantity offsets become document offsets.
					m.Quantity.Start += para.Start + sent.Start
					m.Quantity.End += para.Start + sent.Start
					if !yield(m) {
						return
					}
					prevEnd = q.End
				}
			}
			for _, p := range sc.periods {
				if p.Year != 0 && !p.Comparison {
					docYear = p.Year
				}
			}
		}
	}
}

func insidePeriod(ps []PeriodExpr, pos int) bool {
	for _, p := range ps {
		if pos >= p.Start && pos < p.End {
			return true
		}
	}
	return false
}

// lastBoundary returns the offset just after the last clause boundary in s, or 0.
func lastBoundary(s string) int {
	for i := len(s); i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if isClauseBoundary(r) {
			return i
		}
		i -= size
	}
	return 0
}

// lead returns pt[from:to] without the period expressions in it, trimmed; in Chinese
// text spaces are dropped.
func lead(pt string, from, to int, periods []PeriodExpr) string {
	from = min(from, to)
	var b []byte
	cur := from
	for _, p := range periods { // in text order
		if p.End <= cur || p.Start >= to {
			continue
		}
		if b == nil {
			b = make([]byte, 0, to-from)
		}
		b = append(b, pt[cur:max(cur, p.Start)]...)
		cur = min(max(cur, p.End), to)
	}
	s := pt[from:to]
	if b != nil {
		s = string(append(b, pt[cur:to]...))
	}
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, ' ') >= 0 && !hasLetter(s) {
		s = strings.ReplaceAll(s, " ", "")
	}
	return s
}

func hasLetter(s string) bool {
	for i := range len(s) {
		if isASCIILetter(s[i]) {
			return true
		}
	}
	return false
}

// period fills m.Period, m.HasPeriod and m.Year (when written or carried) for the
// number at paragraph offsets [pos, end) in sentence sent.
func (d *Doc) period(m *Mention, ps []PeriodExpr, sent Span, pos, end int) {
	chosen := -1
	for i, p := range ps {
		if p.Comparison || p.End > pos {
			continue
		}
		chosen = i // the last one before the number
	}
	if chosen < 0 || ps[chosen].Start < sent.Start {
		// None in the sentence before the number: an English sentence names its
		// period after the figure.
		for i, p := range ps {
			if p.English && !p.Comparison && p.Start >= end && p.End <= sent.End {
				chosen = i
				break
			}
		}
	}
	switch {
	case chosen >= 0:
		m.Period, m.HasPeriod = ps[chosen], true
	case d.hasTitlePeriod:
		m.Period, m.HasPeriod = d.titlePeriod, true
		m.Year = d.titlePeriod.Year
	default:
		return
	}
	p := &m.Period
	if p.Month == 0 && p.Kind == PeriodMonth {
		// 当月 / 单月: the month of the closest earlier expression, or the title's.
		for i := chosen - 1; i >= 0; i-- {
			if q := ps[i]; !q.Comparison && q.Month != 0 {
				p.Month = q.Month
				if p.Year == 0 {
					p.Year = q.Year
				}
				break
			}
		}
		if p.Month == 0 && d.hasTitlePeriod {
			p.Month = d.titlePeriod.Month
		}
	}
	switch {
	case p.Year != 0:
		m.Year = p.Year
	case p.HasRelYear:
		if !d.Published.IsZero() {
			m.Year = d.Published.In(obs.Shanghai).Year() + p.RelYear
		}
	default:
		// Carried from an earlier expression of the paragraph that wrote its year.
		for i := range ps {
			if q := ps[i]; !q.Comparison && q.Year != 0 && q.End <= pos {
				m.Year = q.Year
			}
		}
	}
}

// inferYear dates an expression with no year in its paragraph: the title's year, the
// publication date, or the last year written in an earlier paragraph.
func (d *Doc) inferYear(p PeriodExpr, docYear int) int {
	if d.titleYear != 0 {
		return d.titleYear
	}
	if y, ok := InferYear(p.Month, p.Kind, d.Published); ok {
		return y
	}
	return docYear
}
