package extract

import (
	"errors"
	"fmt"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Provenance is where an article came from; every observation read from it carries it.
type Provenance struct {
	Source               string
	URL                  string
	Published, Retrieved time.Time
}

// Observation returns the collector observation of m's value for an indicator,
// basis and period, with the mention's sentence as its quote, the estimate flag of the
// mention, the rounding step of the figure as written (its resolution) and the
// year-on-year growth stated right after it (Mention.YoY), normalised.
func Observation(p Provenance, m *Mention, indicator string, basis obs.Basis, period obs.Period) obs.Observation {
	o := obs.Observation{
		Indicator:   indicator,
		Region:      obs.RegionSZ,
		Period:      period,
		Basis:       basis,
		Value:       m.Value,
		Unit:        m.Unit,
		SourceKind:  obs.KindCollector,
		Source:      p.Source,
		URL:         p.URL,
		Quote:       m.SentenceText,
		PublishedAt: p.Published,
		RetrievedAt: p.Retrieved,
		Estimate:    m.Estimate,
		Resolution:  m.Resolution,
	}
	if g, ok := m.YoY(); ok {
		yoy := g // allocated only for a figure with a stated growth
		o.YoY = &yoy
	}
	o.Normalize()
	return o
}

// ErrUnreadable marks a figure an article clearly states (its words match an
// extractor's pattern) that cannot be read: no unit, a malformed number, a unit of
// the wrong kind, or no period. Extractors wrap it with the place and the sentence.
var ErrUnreadable = errors.New("figure cannot be read")

// Unreadable returns why a mention whose words matched an extractor's pattern cannot
// give a figure in base unit want, or nil when it can. A number followed by another
// word (年, 个, 倍 …) is no figure and gives nil too, with ok false.
func Unreadable(m *Mention, want string) (err error, ok bool) {
	switch {
	case m.Err != nil:
		return m.Errorf("%w: %w", ErrUnreadable, m.Err), false
	case !m.HasUnit():
		if truncatedNumber(m) {
			return m.Errorf("%w: number %q has no unit (truncated text?)", ErrUnreadable, m.Number), false
		}
		return nil, false
	case m.Unit != want:
		return m.Errorf("%w: %q is in %s, expected a figure in %s", ErrUnreadable, m.Text, m.Unit, want), false
	}
	return nil, true
}

// truncatedNumber reports whether a number with no unit looks like a figure cut short:
// it ends the paragraph, is followed by punctuation, or ends with a magnitude
// ("28000.12亿" followed by nothing this package reads as a unit).
func truncatedNumber(m *Mention) bool {
	if m.Next == 0 || isClauseBoundary(m.Next) || m.Next == ')' || m.Next == '(' {
		return true
	}
	last := []rune(m.Number)
	return len(last) > 0 && isMagnitude(last[len(last)-1]) && m.Next != '多' && m.Next != '余'
}

// Collect gathers extraction errors: the observations of an article are all or
// nothing, so that a half-read article is not half stored.
type Collect struct {
	Obs  []obs.Observation
	Errs []error
}

// Add records an observation, dropping an exact repeat of one already recorded (the
// same figure for the same series, as a summary and its detail often repeat it).
func (c *Collect) Add(o obs.Observation) {
	for _, p := range c.Obs {
		if p.Key() == o.Key() && p.SameFigure(o) && p.Qualifier == o.Qualifier {
			return
		}
	}
	c.Obs = append(c.Obs, o)
}

// AddFlow adds m as a figure of the flow indicator, dated by the period in force. A
// figure stated for a span trademon does not store (ErrUnsupportedPeriod) is skipped
// quietly; one whose period cannot be read (no period, no year) fails the article.
func (c *Collect) AddFlow(prov Provenance, m *Mention, indicator string) {
	b, p, err := m.FlowPeriod()
	if err != nil {
		if !errors.Is(err, ErrUnsupportedPeriod) {
			c.Fail(m.Errorf("%w: %w", ErrUnreadable, err))
		}
		return
	}
	c.Add(Observation(prov, m, indicator, b, p))
}

// Fail records an error; nil is ignored.
func (c *Collect) Fail(err error) {
	if err != nil {
		c.Errs = append(c.Errs, err)
	}
}

// Result returns the observations, or none and every error joined under what
// ("trade") and url, wrapping ErrUnreadable.
func (c *Collect) Result(what, url string) ([]obs.Observation, error) {
	if len(c.Errs) > 0 {
		return nil, fmt.Errorf("%s: %s: %w", what, url, errors.Join(c.Errs...))
	}
	if len(c.Obs) == 0 {
		return nil, nil
	}
	return c.Obs, nil
}
