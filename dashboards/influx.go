package dashboards

import (
	"encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// FluxQuery is a query of Grafana's InfluxDB data source in Flux mode, which the
// foundation SDK does not model. Grafana stores it as {"refId", "datasource",
// "query"}; the data source's query language (Flux) is set in its provisioning.
type FluxQuery struct {
	RefId      string                `json:"refId"`
	Hide       *bool                 `json:"hide,omitempty"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	// Query is the Flux text with Grafana's macros (v.timeRangeStart, v.timeRangeStop,
	// v.windowPeriod, v.defaultBucket) and dashboard variables (${indicator}).
	Query string `json:"query"`
}

// ImplementsDataqueryVariant marks FluxQuery as a data query.
func (FluxQuery) ImplementsDataqueryVariant() {}

// DataqueryType names the data source plugin the query is for.
func (FluxQuery) DataqueryType() string { return "influxdb" }

// Validate reports nothing: every field is optional to Grafana.
func (FluxQuery) Validate() error { return nil }

// Equals reports whether other is the same query.
func (q FluxQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(FluxQuery)
	if !ok || q.RefId != o.RefId || q.Query != o.Query {
		return false
	}
	if (q.Hide == nil) != (o.Hide == nil) || (q.Hide != nil && *q.Hide != *o.Hide) {
		return false
	}
	if (q.Datasource == nil) != (o.Datasource == nil) {
		return false
	}
	return q.Datasource == nil || (deref(q.Datasource.Uid) == deref(o.Datasource.Uid) && deref(q.Datasource.Type) == deref(o.Datasource.Type))
}

// FluxVariantConfig lets cog's runtime decode FluxQuery from dashboard JSON.
func FluxVariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: "influxdb",
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q FluxQuery
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}

var _ cog.Builder[variants.Dataquery] = (*FluxQueryBuilder)(nil)

// FluxQueryBuilder builds a FluxQuery for panels, annotations and variables.
type FluxQueryBuilder struct{ q FluxQuery }

// NewFluxQuery returns a builder of a Flux query on the trademon InfluxDB data source.
func NewFluxQuery(refID, query string) *FluxQueryBuilder {
	return &FluxQueryBuilder{q: FluxQuery{RefId: refID, Datasource: influxDS(), Query: query}}
}

// Build implements cog.Builder.
func (b *FluxQueryBuilder) Build() (variants.Dataquery, error) { return b.q, nil }
