package standards

import (
	"slices"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

// Name is the collector's registered name and config key.
const Name = "standards"

// Indicators are the ids of the figures this collector is responsible for; any other
// figure its extraction finds is dropped.
var Indicators = []string{Indicator}

// New builds the standards collector from its config section: it crawls the configured
// sources with deps.Fetcher and reads every article with planSeries.
func New(cfg *settings.Collector, deps collectors.Deps) (collectors.Collector, error) {
	return collectors.NewSourced(collectors.Spec{Name: Name, Indicators: Indicators, Extract: planSeries}, cfg, deps)
}

// planSeries is Extract without the counts that include foreign advanced standards
// (含国外先进标准): that wider series is not the plan's, and storing it under
// international_standards would mix two definitions in one series (SOURCES.md). The
// extraction goldens still show such counts, with their qualifier.
func planSeries(a collectors.Article) ([]obs.Observation, error) {
	os, err := Extract(a)
	return slices.DeleteFunc(os, IncludesForeignAdvanced), err
}
