package port

import (
	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/internal/settings"
)

// Name is the collector's registered name and config key.
const Name = "port"

// Indicators are the ids of the figures this collector is responsible for; any other
// figure its extraction finds is dropped.
var Indicators = []string{Indicator}

// New builds the port collector from its config section: it crawls the configured
// sources with deps.Fetcher and reads every article with Extract.
func New(cfg *settings.Collector, deps collectors.Deps) (collectors.Collector, error) {
	return collectors.NewSourced(collectors.Spec{Name: Name, Indicators: Indicators, Extract: Extract}, cfg, deps)
}
