package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/trademon/trademon/targets"
)

// Panel ids of the Indicator detail dashboard that alert rules link to.
const (
	IndicatorPathPanel      = 1
	IndicatorGoalPanel      = 2
	IndicatorValuesPanel    = 3
	IndicatorMonthsPanel    = 4
	IndicatorYoYPanel       = 5
	IndicatorSourcesPanel   = 6
	IndicatorRevisionsPanel = 7
)

// fluxIndicatorVariable lists the indicators that have observations.
const fluxIndicatorVariable = `from(bucket: v.defaultBucket)
  |> range(start: 1970-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == "observation" and r._field == "value")
  |> keep(columns: ["_value", "indicator"])
  |> group()
  |> distinct(column: "indicator")
  |> sort()`

// fluxPrelude defines displayFactor, displayUnit and goalOf, and binds the selected
// indicator's factor and unit.
func fluxPrelude(ts []targets.Target) string {
	var g strings.Builder
	g.WriteString("goalOf = (t) =>\n")
	for _, t := range ts {
		fmt.Fprintf(&g, "    if t == %q then %s else\n", t.ID, fluxFloat(t.Goal))
	}
	g.WriteString("    0.0\n")
	return fluxDisplayFuncs() + g.String() +
		"factor = displayFactor(ind: \"${indicator}\")\nunit = displayUnit(ind: \"${indicator}\")\n"
}

func indicatorDetail(ts []targets.Target) *dashboard.DashboardBuilder {
	prelude := fluxPrelude(ts)
	return dashboard.NewDashboardBuilder("指标详情 Indicator detail").
		Uid(IndicatorUID).
		Description("One indicator: its figures over the years with their sources, the target's expected path and goal, single months, year-on-year growth as published, and revisions. Values are in the indicator's display unit.").
		Tags([]string{"trademon"}).
		Timezone("Asia/Shanghai").
		Time("now-8y", "now").
		Refresh("1h").
		Readonly().
		Link(dashboardLinks()).
		WithVariable(dashboard.NewQueryVariableBuilder("indicator").
			Label("指标 Indicator").
			Datasource(*influxDS()).
			Query(dashboard.StringOrMap{String: cog.ToPtr(fluxIndicatorVariable)}).
			Definition(fluxIndicatorVariable).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr("retail_sales")},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("retail_sales")},
			})).
		WithVariable(targetVariable(false, `{indicator="$indicator"}`).Refresh(dashboard.VariableRefreshOnTimeRangeChanged)).
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("修订 Revisions").
			Datasource(*influxDS()).
			Enable(true).
			IconColor("orange").
			Target(NewFluxQuery("Anno", prelude+fluxRevisionAnnotations))).
		WithPanel(expectedPath(prelude)).
		WithPanel(goalStat()).
		WithPanel(observedValues(prelude, false)).
		WithPanel(observedValues(prelude, true)).
		WithPanel(yoyPanel()).
		WithPanel(sourcesTable(prelude)).
		WithPanel(revisionsTable(prelude))
}

const fluxExpectedPath = fluxEvaluations + `evals = evaluations(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r.target == "${target}" and r.status != "no_data")
actual = evals |> map(fn: (r) => ({_time: r._time, target: r.target, _field: "actual", _value: r.actual / factor, display_unit: unit}))
expected = evals |> map(fn: (r) => ({_time: r._time, target: r.target, _field: "expected", _value: r.expected / factor, display_unit: unit}))
goal = evals |> map(fn: (r) => ({_time: r._time, target: r.target, _field: "goal", _value: goalOf(t: r.target) / factor, display_unit: unit}))
union(tables: [actual, expected, goal])
  |> group(columns: ["_field", "target", "display_unit"])
  |> sort(columns: ["_time"])`

func expectedPath(prelude string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(IndicatorPathPanel).
		Title("实际、预期路径与目标 Actual, expected path and goal").
		Description("The target's actual value and the value its schedule expected at every change of verdict (measurement evaluation; backfilled history is judged as of each period end), and the goal. For targets of mode increase the values are increases since the baseline.").
		Datasource(*influxDS()).
		GridPos(pos(0, 0, 18, 10)).
		WithTarget(NewFluxQuery("A", prelude+fluxExpectedPath)).
		Decimals(2).
		LineInterpolation(common.LineInterpolationStepAfter).
		ShowPoints(common.VisibilityModeAlways).
		OverrideByRegexp("/^actual/", []dashboard.DynamicConfigValue{prop("displayName", "实际 Actual (${__field.labels.display_unit})"), prop("color", map[string]any{"mode": "fixed", "fixedColor": "blue"})}).
		OverrideByRegexp("/^expected/", []dashboard.DynamicConfigValue{prop("displayName", "预期路径 Expected (${__field.labels.display_unit})"), prop("custom.lineStyle", map[string]any{"fill": "dash", "dash": []int{10, 10}}), prop("color", map[string]any{"mode": "fixed", "fixedColor": "orange"})}).
		OverrideByRegexp("/^goal/", []dashboard.DynamicConfigValue{prop("displayName", "目标 Goal (${__field.labels.display_unit})"), prop("custom.showPoints", "never"), prop("color", map[string]any{"mode": "fixed", "fixedColor": "red"})})
}

func goalStat() *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(IndicatorGoalPanel).
		Title("目标与差距 Goal and gap").
		Description("The target's goal in its goal year, in the display unit, and its current gap to the expected path (trademon's metrics).").
		Datasource(*promDS()).
		GridPos(pos(18, 0, 6, 10)).
		WithTarget(prom("A", promDisplay(`trademon_target_goal_value{target="$target"}`), "目标 Goal ({{display_unit}})", "instant")).
		WithTarget(prom("B", `trademon_target_gap_ratio{target="$target"}`, "差距 Gap", "instant")).
		Decimals(2).
		Orientation(common.VizOrientationVertical).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		OverrideByQuery("B", []dashboard.DynamicConfigValue{prop("unit", "percentunit"), prop("decimals", 1),
			prop("thresholds", map[string]any{"mode": "absolute", "steps": []map[string]any{{"value": nil, "color": "red"}, {"value": -0.05, "color": "orange"}, {"value": 0, "color": "green"}}})})
}

// fluxObserved returns the figures of the selected indicator with their source, one
// series per basis and source kind, values in the display unit.
func fluxObserved(months bool) string {
	basis := `r.basis != "month"`
	if months {
		basis = `r.basis == "month"`
	}
	return `from(bucket: v.defaultBucket)
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "observation" and r.indicator == "${indicator}" and r.region == "shenzhen" and ` + basis + `)
  |> filter(fn: (r) => r._field == "value" or r._field == "url" or r._field == "source")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({r with value: r.value / factor, display_unit: unit}))
  |> group(columns: ["basis", "source_kind", "display_unit"])
  |> keep(columns: ["_time", "value", "url", "source", "period", "basis", "source_kind", "display_unit"])
  |> sort(columns: ["_time"])`
}

// sourceLink opens the page a figure was taken from.
func sourceLink() []cog.Builder[dashboard.DashboardLink] {
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder("来源 Source: ${__data.fields.url}").Url("${__data.fields.url}").TargetBlank(true),
	}
}

func observedValues(prelude string, months bool) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Datasource(*influxDS()).
		WithTarget(NewFluxQuery("A", prelude+fluxObserved(months))).
		Decimals(2).
		DisplayName("${__field.labels.basis} ${__field.labels.source_kind} (${__field.labels.display_unit})").
		DataLinks(sourceLink()).
		ShowPoints(common.VisibilityModeAlways)
	if months {
		return p.Id(IndicatorMonthsPanel).
			Title("单月值 Single months").
			Description("Single-month figures as published (basis month), in the display unit. Click a bar for its source.").
			GridPos(pos(12, 10, 12, 9)).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(80)
	}
	return p.Id(IndicatorValuesPanel).
		Title("年度、累计与存量值 Annual, year-to-date and stock figures").
		Description("Every stored figure of the indicator except single months, one line per basis and source kind (reference, collector, manual), in the display unit. Click a point for its source.").
		GridPos(pos(0, 10, 12, 9))
}

const fluxYoY = `from(bucket: v.defaultBucket)
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "observation" and r.indicator == "${indicator}" and r.region == "shenzhen" and r._field == "yoy")
  |> group(columns: ["basis", "source_kind"])
  |> keep(columns: ["_time", "_value", "basis", "source_kind"])
  |> sort(columns: ["_time"])`

func yoyPanel() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(IndicatorYoYPanel).
		Title("同比增长 Year-on-year growth (as published)").
		Description("The year-on-year growth the source stated next to each figure (同比增长), per basis. Levels of different vintages are never turned into growth rates here.").
		Datasource(*influxDS()).
		GridPos(pos(0, 19, 12, 8)).
		WithTarget(NewFluxQuery("A", fluxYoY)).
		Unit("percentunit").Decimals(1).
		DisplayName("${__field.labels.basis} ${__field.labels.source_kind}").
		DrawStyle(common.GraphDrawStyleBars).FillOpacity(60)
}

const fluxSources = `from(bucket: v.defaultBucket)
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "observation" and r.indicator == "${indicator}" and r.region == "shenzhen")
  |> filter(fn: (r) => r._field == "value" or r._field == "url" or r._field == "quote" or r._field == "source" or r._field == "published_at" or r._field == "estimate")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({r with value: r.value / factor, display_unit: unit}))
  |> group()
  |> keep(columns: ["period", "basis", "source_kind", "value", "display_unit", "estimate", "source", "published_at", "url", "quote"])
  |> sort(columns: ["period", "basis", "source_kind"], desc: true)`

func sourcesTable(prelude string) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(IndicatorSourcesPanel).
		Title("数据与来源 Figures and sources").
		Description("Every stored figure of the indicator in the time range with its provenance: the source, the page (click to open) and the sentence it was taken from.").
		Datasource(*influxDS()).
		GridPos(pos(12, 19, 12, 8)).
		WithTarget(NewFluxQuery("A", prelude+fluxSources)).
		Decimals(2).
		Filterable(true).
		OverrideByName("url", []dashboard.DynamicConfigValue{prop("links", []map[string]any{{"title": "打开来源 Open source", "url": "${__value.raw}", "targetBlank": true}})}).
		OverrideByName("value", []dashboard.DynamicConfigValue{prop("displayName", "值 Value")}).
		OverrideByName("quote", []dashboard.DynamicConfigValue{prop("displayName", "原文 Quote"), prop("custom.inspect", true)})
}

const fluxRevisions = `from(bucket: v.defaultBucket)
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "revision" and r.indicator == "${indicator}")
  |> filter(fn: (r) => r._field == "value" or r._field == "previous_value" or r._field == "source" or r._field == "previous_source" or r._field == "url")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({r with value: r.value / factor, previous_value: r.previous_value / factor, display_unit: unit}))
  |> group()
  |> keep(columns: ["_time", "period", "basis", "source_kind", "previous_value", "value", "display_unit", "previous_source", "source", "url"])
  |> sort(columns: ["_time"], desc: true)`

// fluxRevisionAnnotations marks each revision at the time it was recorded.
const fluxRevisionAnnotations = `from(bucket: v.defaultBucket)
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "revision" and r.indicator == "${indicator}")
  |> filter(fn: (r) => r._field == "value" or r._field == "previous_value")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({_time: r._time, period: r.period, text: "修订 revised " + r.period + " " + r.basis + ": " + string(v: r.previous_value / factor) + " → " + string(v: r.value / factor) + " " + unit}))
  |> group()`

func revisionsTable(prelude string) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(IndicatorRevisionsPanel).
		Title("修订记录 Revisions").
		Description("Every change of a stored figure: when it was recorded, the period, the old and the new value (display unit) and who published each.").
		Datasource(*influxDS()).
		GridPos(pos(0, 27, 24, 8)).
		WithTarget(NewFluxQuery("A", prelude+fluxRevisions)).
		Decimals(2).
		OverrideByName("url", []dashboard.DynamicConfigValue{prop("links", []map[string]any{{"title": "打开来源 Open source", "url": "${__value.raw}", "targetBlank": true}})})
}
