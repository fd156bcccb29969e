package obs

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// KnownAt returns when o became public, for "what did we know then" (--known):
// PublishedAt when the source gave it; else, for a manual figure, its entry time
// (RetrievedAt, which the importer and the entry API set when staff enter it); else the
// end of its period plus the indicator's release lag (Release.LagDays), the date by
// which the release calendar says it was out.
func (o Observation) KnownAt() time.Time {
	switch {
	case !o.PublishedAt.IsZero():
		return o.PublishedAt
	case o.SourceKind == KindManual && !o.RetrievedAt.IsZero():
		return o.RetrievedAt
	}
	return o.releasedBy()
}

// releasedBy returns the end of o's period plus its indicator's release lag.
func (o Observation) releasedBy() time.Time {
	lag := 0
	if ind, ok := Lookup(o.Indicator); ok {
		lag = ind.Release.LagDays
	}
	return o.Period.End().AddDate(0, 0, lag)
}

// revisionsByKey groups revisions by the key they changed, oldest first.
func revisionsByKey(rs []Revision) map[Key][]Revision {
	m := map[Key][]Revision{}
	for _, r := range rs {
		k := r.Key
		if k == (Key{}) {
			k = r.Observation.Key()
		}
		m[k] = append(m[k], r)
	}
	for _, l := range m {
		slices.SortStableFunc(l, func(a, b Revision) int { return a.At.Compare(b.At) })
	}
	return m
}

// version is one state a stored figure has had, and when it became known.
type version struct {
	o  Observation
	at time.Time
}

// versions reconstructs the states of the stored figure cur from its revisions (oldest
// first): the value before the first revision, the value each revision set, and cur.
// A version's time is its KnownAt, except where nothing says when it was published:
// a revised value then counts from the revision (not from the release calendar, which
// dates the first release), and the value before the first revision, whose page and
// quote the revision record does not keep, counts from the release calendar but no
// later than the revision that replaced it.
func versions(cur Observation, revs []Revision) []version {
	if len(revs) == 0 {
		return []version{{cur, cur.KnownAt()}}
	}
	out := make([]version, 0, len(revs)+1)
	first := revs[0]
	v0 := first.Observation
	v0.Value, v0.Source, v0.Estimate = first.PreviousValue, first.PreviousSource, first.PreviousEstimate
	v0.PublishedAt, v0.RetrievedAt, v0.YoY, v0.Resolution = time.Time{}, time.Time{}, nil, 0
	v0.URL = ""
	v0.Quote = fmt.Sprintf("the value before the revision recorded %s (its page and quote are not kept)", first.At.In(Shanghai).Format("2006-01-02 15:04"))
	at0 := v0.releasedBy()
	if first.At.Before(at0) {
		at0 = first.At
	}
	out = append(out, version{v0, at0})
	for i, r := range revs {
		o := r.Observation
		if i == len(revs)-1 {
			o = cur
		}
		out = append(out, version{o, revisedAt(o, r.At)})
	}
	return out
}

// revisedAt is when a revised value became known: its publication time or, for a
// manual figure, its entry time; else the revision time, and never before the release
// calendar's date.
func revisedAt(o Observation, rev time.Time) time.Time {
	switch {
	case !o.PublishedAt.IsZero():
		return o.PublishedAt
	case o.SourceKind == KindManual && !o.RetrievedAt.IsZero():
		return o.RetrievedAt
	}
	if r := o.releasedBy(); r.After(rev) {
		return r
	}
	return rev
}

// addKnown adds the version of o in force at the known date: the latest one known by
// then. Versions known only later are recorded as set aside, with their dates.
func (ix *Index) addKnown(o Observation, revs []Revision) {
	known := ix.opts.Known
	vs := versions(o, revs)
	in := -1
	for i, v := range vs {
		if !v.at.After(known) {
			in = i
		}
	}
	var late []SetAside
	for i := in + 1; i < len(vs); i++ {
		v, what := vs[i], "published"
		if i > 0 {
			what = "revised to this value"
		}
		late = append(late, SetAside{
			Figure: &Figure{Observation: v.o, KnownAt: v.at},
			Reason: fmt.Sprintf("%s %s, after the known date %s", what, dateOrUnknown(v.at), LastDay(known)),
		})
	}
	s := ix.slot(SlotOf(o))
	if in >= 0 {
		s.cands = append(s.cands, &Figure{Observation: vs[in].o, KnownAt: vs[in].at})
	}
	s.late = append(s.late, late...)
}

// dateOrUnknown formats t as a date in Asia/Shanghai, or "unknown" when zero.
func dateOrUnknown(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.In(Shanghai).Format("2006-01-02")
}

// LastDay renders an as-of or known time as the last day it covers, in Asia/Shanghai:
// the end of 2024-01 (2024-02-01 00:00) is "2024-01-31".
func LastDay(t time.Time) string {
	return t.Add(-time.Nanosecond).In(Shanghai).Format("2006-01-02")
}

// ParseDate reads a date for --at and --known (and ?at=, ?known=): "2024-07" means the
// end of July 2024, "2024-07-15" the end of that day, both in Asia/Shanghai. It returns
// the first instant after the date, so that a figure counts when its period has ended
// (or it was published) by then.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation("2006-01-02", s, Shanghai); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	p, err := ParsePeriod(s)
	if err != nil || p.Granularity() != Month {
		return time.Time{}, fmt.Errorf("invalid date %q: want YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day)", s)
	}
	return p.End(), nil
}
