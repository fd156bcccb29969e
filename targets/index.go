package targets

import (
	"slices"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Index holds the figures of an obs.Index arranged for evaluation: per indicator, the
// chosen full-year, year-to-date and stock figures by period, and the seasonal share
// S(m) of every year-to-date figure. Build it once and evaluate any number of targets
// against it; it is not modified afterwards and is safe for concurrent use.
type Index struct {
	obs    *obs.Index
	asOf   time.Time
	series map[string]*series
}

// series holds one indicator's chosen figures, each list sorted by period.
type series struct {
	ind    obs.Indicator
	years  []*obs.Figure // basis year (flows, ratios)
	ytd    []*obs.Figure // basis ytd (flows)
	stocks []*obs.Figure // basis stock
	yearAt map[int]*obs.Figure
	ytdAt  map[int]*obs.Figure // by month index
	stAt   map[int]*obs.Figure // by month index
	shares map[int]share       // by month index of the ytd figure
}

// share is the seasonal share S(m) for one year-to-date figure.
type share struct {
	s     float64
	years []shareYear // the earlier years averaged; none means m/12
}

// shareYear is one earlier year behind S(m): its January–m and full-year figures.
type shareYear struct {
	year      int
	ytd, full *obs.Figure
}

// NewIndex prepares observations for evaluation as of asOf: only Shenzhen figures whose
// period ended by asOf count, chosen and derived by obs.NewIndex.
func NewIndex(observations []obs.Observation, asOf time.Time) *Index {
	return FromIndex(obs.NewIndex(observations, obs.IndexOptions{AsOf: asOf}))
}

// FromIndex arranges an obs.Index for evaluation. The index must have an as-of time.
func FromIndex(oix *obs.Index) *Index {
	ix := &Index{obs: oix, asOf: oix.AsOf(), series: map[string]*series{}}
	for _, ind := range obs.Indicators() {
		if !oix.Has(ind.ID) {
			continue
		}
		s := &series{ind: ind}
		switch ind.Kind {
		case obs.Flow:
			s.years, s.ytd = oix.Chosen(ind.ID, obs.BasisYear), oix.Chosen(ind.ID, obs.BasisYTD)
		case obs.Ratio:
			s.years = oix.Chosen(ind.ID, obs.BasisYear)
		case obs.Stock:
			s.stocks = oix.Chosen(ind.ID, obs.BasisStock)
		}
		s.build()
		ix.series[ind.ID] = s
	}
	return ix
}

// Obs returns the obs.Index the evaluation reads: the one the metrics read too.
func (ix *Index) Obs() *obs.Index { return ix.obs }

// AsOf returns the evaluation time.
func (ix *Index) AsOf() time.Time { return ix.asOf }

func (s *series) build() {
	s.yearAt = make(map[int]*obs.Figure, len(s.years))
	for _, f := range s.years {
		s.yearAt[f.Period.Year()] = f
	}
	s.ytdAt = make(map[int]*obs.Figure, len(s.ytd))
	for _, f := range s.ytd {
		s.ytdAt[f.Period.MonthIndex()] = f
	}
	s.stAt = make(map[int]*obs.Figure, len(s.stocks))
	for _, f := range s.stocks {
		s.stAt[f.Period.MonthIndex()] = f
	}
	s.shares = make(map[int]share, len(s.ytd))
	for _, f := range s.ytd {
		s.shares[f.Period.MonthIndex()] = s.seasonalShare(f.Period.Year(), f.Period.Month())
	}
}

// seasonalShare returns S(m) for year y: the mean share of January–m in the full year
// over the up to three most recent earlier years holding both figures, or m/12.
func (s *series) seasonalShare(y, m int) share {
	if m == 12 {
		return share{s: 1}
	}
	var sum float64
	var years []shareYear
	first := y
	if len(s.years) > 0 {
		first = s.years[0].Period.Year()
	}
	for py := y - 1; py >= first && len(years) < 3; py-- {
		full, td := s.yearAt[py], s.ytdAt[py*12+m-1]
		if full == nil || td == nil || full.Value <= 0 {
			continue
		}
		sum += td.Value / full.Value
		years = append(years, shareYear{year: py, ytd: td, full: full})
	}
	if len(years) == 0 {
		return share{s: float64(m) / 12}
	}
	return share{s: sum / float64(len(years)), years: years}
}

// latest returns the last figure in fs (sorted by period) of a year ≤ maxYear, or nil.
func latest(fs []*obs.Figure, maxYear int) *obs.Figure {
	i, _ := slices.BinarySearchFunc(fs, (maxYear+1)*12, func(f *obs.Figure, mi int) int { return f.Period.MonthIndex() - mi })
	if i == 0 {
		return nil
	}
	return fs[i-1]
}
