package dashboards

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/targets"
)

// Data source UIDs. The provisioning file dashboards/provisioning/datasources and the
// compose stack create the data sources under these UIDs, so that the dashboards need
// no __inputs and work as provisioned.
const (
	PrometheusUID = "trademon-prometheus"
	InfluxDBUID   = "trademon-influxdb"
)

// Dashboard UIDs (contracts: alert rules link to them).
const (
	OverviewUID  = "trademon-overview"
	IndicatorUID = "trademon-indicator"
	HealthUID    = "trademon-data-health"
	MeasuresUID  = "trademon-measures"
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func promDS() *common.DataSourceRef {
	return &common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(PrometheusUID)}
}

func influxDS() *common.DataSourceRef {
	return &common.DataSourceRef{Type: cog.ToPtr("influxdb"), Uid: cog.ToPtr(InfluxDBUID)}
}

// mixedDS is Grafana's data source for panels whose queries go to several data sources.
func mixedDS() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("datasource"), Uid: cog.ToPtr("-- Mixed --")}
}

// prom returns a Prometheus query of kind "range" (a time series over the dashboard's
// range), "instant" (one value per series) or "table" (instant, one row per series).
func prom(refID, expr, legend, kind string) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().RefId(refID).Expr(expr).Datasource(*promDS())
	if legend != "" {
		q.LegendFormat(legend)
	}
	switch kind {
	case "instant":
		q.Instant()
	case "table":
		q.Instant().Format(prometheus.PromQueryFormatTable)
	default:
		q.Range()
	}
	return q
}

func pos(x, y, w, h uint32) dashboard.GridPos {
	return dashboard.GridPos{X: x, Y: y, W: w, H: h}
}

func steps(colors ...any) *dashboard.ThresholdsConfigBuilder {
	var ss []dashboard.Threshold
	for i := 0; i+1 < len(colors); i += 2 {
		var v *float64
		if colors[i] != nil {
			v = cog.ToPtr(colors[i].(float64))
		}
		ss = append(ss, dashboard.Threshold{Value: v, Color: colors[i+1].(string)})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(ss)
}

func prop(id string, v any) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: id, Value: v}
}

func valueMap(pairs ...[3]string) dashboard.ValueMapping {
	m := dashboard.NewValueMap()
	for i, p := range pairs {
		r := dashboard.ValueMappingResult{Text: cog.ToPtr(p[1]), Index: cog.ToPtr(int32(i))}
		if p[2] != "" {
			r.Color = cog.ToPtr(p[2])
		}
		m.Options[p[0]] = r
	}
	return dashboard.ValueMapping{ValueMap: m}
}

func transform(id string, options any) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: id, Options: options}
}

// Target status codes: trademon_target_status has the status in a label, which a stat
// or table cell cannot colour by, so the dashboards turn it into a number (statusCodeExpr)
// and map the number back to the status's name and colour (statusMapping).
var statusCodes = []struct {
	status targets.Status
	code   int
	color  string
}{
	{targets.NoData, 0, "text"},
	{targets.Missed, 1, "dark-red"},
	{targets.Behind, 2, "red"},
	{targets.AtRisk, 3, "orange"},
	{targets.OnTrack, 4, "green"},
	{targets.Achieved, 5, "blue"},
}

// statusCodeExpr returns, per target matching sel (a label matcher list such as
// `target="$target"`, or ""), the code of its current status.
func statusCodeExpr(sel string) string {
	if sel != "" {
		sel += ","
	}
	parts := make([]string, len(statusCodes))
	for i, s := range statusCodes {
		parts[i] = fmt.Sprintf(`(trademon_target_status{%sstatus="%s"} == 1) * %d`, sel, s.status, s.code)
	}
	return "max by (target) (\n    " + strings.Join(parts, "\n  or ") + "\n)"
}

func statusName(s targets.Status) string {
	return s.ZH() + " " + strings.ReplaceAll(string(s), "_", " ")
}

// statusMapping maps the codes of statusCodeExpr (and the status names the evaluation
// measurement stores) to the status's Chinese and English name and colour.
func statusMapping(byName bool) dashboard.ValueMapping {
	var pairs [][3]string
	for _, s := range statusCodes {
		key := strconv.Itoa(s.code)
		if byName {
			key = string(s.status)
		}
		pairs = append(pairs, [3]string{key, statusName(s.status), s.color})
	}
	return valueMap(pairs...)
}

// displayGroup is a set of display units that share one factor to the base unit.
type displayGroup struct {
	Factor float64
	Units  []string
}

// displayGroups lists, from the indicator catalogue, the display units by factor
// (亿元 and 亿美元 are 1e8 of their base unit, 万标箱 1e4 TEU, % 0.01 of a ratio).
// Grafana has no unit that scales by 1e8 or 1e4, so queries divide by the factor and
// the panel shows the display unit's name: the stored values stay in base units.
func displayGroups() []displayGroup {
	var gs []displayGroup
	for _, ind := range obs.Indicators() {
		f := displayFactor(ind)
		i := slices.IndexFunc(gs, func(g displayGroup) bool { return g.Factor == f })
		if i < 0 {
			gs = append(gs, displayGroup{Factor: f})
			i = len(gs) - 1
		}
		if !slices.Contains(gs[i].Units, ind.DisplayUnit) {
			gs[i].Units = append(gs[i].Units, ind.DisplayUnit)
		}
	}
	return gs
}

// displayFactor is value_in_base = value_in_display × factor for the indicator.
func displayFactor(ind obs.Indicator) float64 {
	u, err := units.ParseUnit(ind.DisplayUnit)
	if err != nil {
		panic(fmt.Sprintf("indicator %s: display unit %q: %v", ind.ID, ind.DisplayUnit, err))
	}
	return u.Factor
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// promDisplay converts a per-target metric selection (e.g.
// `trademon_target_actual_value{target="$target"}`) to the display unit of each
// target's indicator, and adds the label display_unit from trademon_target_info.
func promDisplay(sel string) string {
	var parts []string
	for _, g := range displayGroups() {
		match := fmt.Sprintf("display_unit=%q", g.Units[0])
		if len(g.Units) > 1 {
			match = fmt.Sprintf("display_unit=~%q", strings.Join(g.Units, "|"))
		}
		parts = append(parts, fmt.Sprintf("%s / %s * on(target) group_left(display_unit) trademon_target_info{%s}", sel, fmtFloat(g.Factor), match))
	}
	return strings.Join(parts, "\nor ")
}

// fluxDisplayFuncs defines the Flux functions displayFactor(ind) and displayUnit(ind)
// from the indicator catalogue.
func fluxDisplayFuncs() string {
	var f, u strings.Builder
	f.WriteString("displayFactor = (ind) =>\n")
	u.WriteString("displayUnit = (ind) =>\n")
	for _, ind := range obs.Indicators() {
		fmt.Fprintf(&f, "    if ind == %q then %s else\n", ind.ID, fluxFloat(displayFactor(ind)))
		fmt.Fprintf(&u, "    if ind == %q then %q else\n", ind.ID, ind.DisplayUnit)
	}
	f.WriteString("    1.0\n")
	u.WriteString("    \"\"\n")
	return f.String() + u.String()
}

// fluxFloat writes f as a Flux float literal (Flux needs a decimal point).
func fluxFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
