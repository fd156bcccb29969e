package obs

import (
	"slices"
	"time"
)

// SlotKey names one slot of an Index: an indicator, basis and period, whatever the
// source. Every figure for the slot competes for it; one is chosen.
type SlotKey struct {
	Indicator string
	Basis     Basis
	Period    Period
}

// String formats the key as "indicator basis period".
func (k SlotKey) String() string {
	return k.Indicator + " " + string(k.Basis) + " " + k.Period.String()
}

// SlotOf returns the slot an observation competes for.
func SlotOf(o Observation) SlotKey { return SlotKey{o.Indicator, o.Basis, o.Period} }

// Derivation says how a figure of an Index was obtained.
type Derivation string

// Derivations, from none to the weakest.
const (
	// Published is a figure as a source published it (or staff entered it).
	Published Derivation = ""
	// MonthFromYTD is month(m) = ytd(m) − ytd(m−1), and month(1) = ytd(1).
	MonthFromYTD Derivation = "month_from_ytd"
	// YearFromYTD is year = ytd(12).
	YearFromYTD Derivation = "year_from_ytd"
	// Converted is a CNY figure divided by the annual average exchange rate.
	Converted Derivation = "converted"
	// Implied is a figure implied by a later one and its stated growth: v / (1 + g).
	Implied Derivation = "implied"
)

// Figure is one candidate for a slot: a published observation, or one derived from
// others. A derived figure has Source SourceDerived, the URL and quote of the figure it
// mainly rests on, and its operands in From.
type Figure struct {
	Observation
	// Derivation says how the figure was obtained.
	Derivation Derivation
	// From holds the figures it was computed from: the year-to-date operands, the
	// amount and the exchange rate of a conversion, or the figure whose stated growth
	// implies it.
	From []*Figure
	// Detail says how the figure was obtained, with the numbers put in ("converted
	// from 4.55万亿元 at 7.18 元/美元 (2025 annual average)"); empty for a published one.
	Detail string
	// KnownAt is when the figure became known (Observation.KnownAt; for a derived
	// figure the latest of its operands').
	KnownAt time.Time
	// depth counts derivation steps: 0 for a published figure.
	depth int
	// implied says the figure rests on an implied figure, which ranks below all others.
	implied bool
}

// SetAside is a figure that was not chosen for its slot, with the reason.
type SetAside struct {
	Figure *Figure `json:"figure"`
	Reason string  `json:"reason"`
}

// Slot holds the figures for one slot: the chosen one and those set aside.
type Slot struct {
	Key SlotKey
	// Chosen is the figure that counts; nil when every figure is set aside (all were
	// published after the known date).
	Chosen *Figure
	// SetAside lists the other figures, best first, each with why it lost.
	SetAside []SetAside
	cands    []*Figure
	late     []SetAside // versions not yet published at the known date
}

// IndexOptions say which figures an Index holds.
type IndexOptions struct {
	// Region is the region indexed; empty means RegionSZ.
	Region string
	// AsOf, when set, keeps only figures whose period has ended by then.
	AsOf time.Time
	// Known, when set, keeps only what had been published by then, each figure in the
	// version in force at that time (reconstructed from Revisions).
	Known time.Time
	// Revisions are the stores' recorded changes; used only with Known.
	Revisions []Revision
}

// Index is the one place where figures are chosen and derived: for every slot, the
// published figures and those derived from them (month and year from year-to-date,
// USD from CNY, implied from stated growth) compete, and one is chosen — final over
// estimate, then source precedence, then direct over derived (see rank). Verdicts and
// metrics read the same Index. Build it with NewIndex; it is not modified afterwards
// and is safe for concurrent use.
type Index struct {
	opts  IndexOptions
	slots map[SlotKey]*Slot
	// byInd lists the slots of each indicator, in no particular order.
	byInd map[string][]*Slot
	// chosen lists the chosen figures per indicator and basis, sorted by period.
	chosen map[string]map[Basis][]*Figure
	// unconverted lists, per derived indicator, the figures a conversion lacked a rate for.
	unconverted map[string][]*Figure
}

// NewIndex chooses and derives the figures of in (see Index).
func NewIndex(in []Observation, opts IndexOptions) *Index {
	if opts.Region == "" {
		opts.Region = RegionSZ
	}
	ix := &Index{opts: opts, slots: make(map[SlotKey]*Slot, len(in)), byInd: map[string][]*Slot{}, unconverted: map[string][]*Figure{}}
	ix.addPublished(in)
	ix.resolveAll()
	ix.addImplied()
	for _, ind := range indicators {
		if ind.Kind == Flow && !isConversionTarget(ind.ID) {
			ix.deriveFlow(ind.ID)
		}
	}
	for _, c := range conversions {
		ix.convert(c)
		ix.deriveFlow(c.Target)
	}
	ix.buildChosen()
	return ix
}

// AsOf returns the as-of time the index was built for (zero: none).
func (ix *Index) AsOf() time.Time { return ix.opts.AsOf }

// Known returns the known date the index was built for (zero: everything known now).
func (ix *Index) Known() time.Time { return ix.opts.Known }

// Slot returns the slot for k, or nil when no figure competes for it.
func (ix *Index) Slot(k SlotKey) *Slot { return ix.slots[k] }

// Figure returns the chosen figure for k, or nil.
func (ix *Index) Figure(k SlotKey) *Figure {
	if s := ix.slots[k]; s != nil {
		return s.Chosen
	}
	return nil
}

// Chosen returns the chosen figures of one indicator and basis, sorted by period. The
// slice is shared: do not modify it.
func (ix *Index) Chosen(indicator string, b Basis) []*Figure { return ix.chosen[indicator][b] }

// Has reports whether any figure of the indicator competes for a slot, chosen or set aside.
func (ix *Index) Has(indicator string) bool { return len(ix.byInd[indicator]) > 0 }

// Unconverted returns the figures that a conversion into indicator (goods_trade) could
// not convert for lack of any exchange rate, sorted by period.
func (ix *Index) Unconverted(indicator string) []*Figure { return ix.unconverted[indicator] }

// Latest returns, per indicator and basis, the chosen figure of the latest period:
// what trademon_indicator_latest_value shows. It is sorted as Sort does.
func (ix *Index) Latest() []Observation {
	var out []Observation
	for _, bases := range ix.chosen {
		for _, fs := range bases {
			if len(fs) > 0 {
				out = append(out, fs[len(fs)-1].Observation)
			}
		}
	}
	Sort(out)
	return out
}

// add puts a candidate into its slot.
func (ix *Index) add(f *Figure) *Slot {
	s := ix.slot(SlotOf(f.Observation))
	s.cands = append(s.cands, f)
	return s
}

// slot returns the slot for k, creating it when needed.
func (ix *Index) slot(k SlotKey) *Slot {
	s := ix.slots[k]
	if s == nil {
		s = &Slot{Key: k}
		ix.slots[k] = s
		ix.byInd[k.Indicator] = append(ix.byInd[k.Indicator], s)
	}
	return s
}

// addPublished adds the published figures of the region whose period ended by AsOf,
// in the version known at Known.
func (ix *Index) addPublished(in []Observation) {
	var versions map[Key][]Revision
	if !ix.opts.Known.IsZero() {
		versions = revisionsByKey(ix.opts.Revisions)
	}
	for _, o := range in {
		if o.Region != ix.opts.Region || o.Period.IsZero() {
			continue
		}
		if _, ok := Lookup(o.Indicator); !ok {
			continue
		}
		if !ix.opts.AsOf.IsZero() && o.Period.End().After(ix.opts.AsOf) {
			continue
		}
		if ix.opts.Known.IsZero() {
			ix.add(&Figure{Observation: o, KnownAt: o.KnownAt()})
			continue
		}
		ix.addKnown(o, versions[o.Key()])
	}
}

// resolveAll chooses a figure for every slot.
func (ix *Index) resolveAll() {
	for _, s := range ix.slots {
		s.resolve()
	}
}

// resolve chooses the best candidate and records why each other one lost.
func (s *Slot) resolve() {
	slices.SortStableFunc(s.cands, func(a, b *Figure) int { return -rank(a, b) })
	s.Chosen, s.SetAside = nil, s.SetAside[:0]
	if len(s.cands) > 0 {
		s.Chosen = s.cands[0]
		for _, f := range s.cands[1:] {
			s.SetAside = append(s.SetAside, SetAside{Figure: f, Reason: whyLost(f, s.Chosen)})
		}
	}
	s.SetAside = append(s.SetAside, s.late...)
}

func (ix *Index) buildChosen() {
	ix.chosen = map[string]map[Basis][]*Figure{}
	for _, s := range ix.slots {
		if s.Chosen == nil {
			continue
		}
		m := ix.chosen[s.Key.Indicator]
		if m == nil {
			m = map[Basis][]*Figure{}
			ix.chosen[s.Key.Indicator] = m
		}
		m[s.Key.Basis] = append(m[s.Key.Basis], s.Chosen)
	}
	for _, m := range ix.chosen {
		for _, fs := range m {
			slices.SortFunc(fs, func(a, b *Figure) int { return a.Period.Compare(b.Period) })
		}
	}
}
