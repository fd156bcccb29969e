package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Panel ids of the Targets overview that alert rules link to.
const (
	OverviewTilePanel     = 1
	OverviewTablePanel    = 10
	OverviewGapPanel      = 11
	OverviewHistoryPanel  = 20
	OverviewProgressPanel = 21
)

// targetVariable is the Prometheus variable of every target: value the id, text the
// Chinese name (from trademon_target_info).
func targetVariable(multi bool, filter string) *dashboard.QueryVariableBuilder {
	q := "query_result(trademon_target_info" + filter + ")"
	v := dashboard.NewQueryVariableBuilder("target").
		Label("目标 Target").
		Datasource(*promDS()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Regex(`/name_zh="(?<text>[^"]*)".*target="(?<value>[^"]*)"/`).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortDisabled)
	if multi {
		v.Multi(true).IncludeAll(true).Current(dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr("All")},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")},
		})
	}
	return v
}

func overview() *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder("目标总览 Targets overview").
		Uid(OverviewUID).
		Description("Every target of the plan: its current verdict (Prometheus, from trademon's metrics) and how the verdict moved over time (InfluxDB, measurement evaluation).").
		Tags([]string{"trademon"}).
		Timezone("Asia/Shanghai").
		Time("now-6y", "now").
		Refresh("5m").
		Readonly().
		Link(dashboardLinks()).
		WithVariable(targetVariable(true, "")).
		WithPanel(targetTile()).
		WithPanel(targetsTable()).
		WithPanel(gapBars()).
		WithPanel(statusHistory()).
		WithPanel(progressHistory())
}

// dashboardLinks links every trademon dashboard from every other.
func dashboardLinks() *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder("trademon").Type(dashboard.DashboardLinkTypeDashboards).
		Tags([]string{"trademon"}).AsDropdown(true).KeepTime(true).IncludeVars(false)
}

func targetTile() *stat.PanelBuilder {
	sel := `target="$target"`
	return stat.NewPanelBuilder().
		Id(OverviewTilePanel).
		Title("${target:text}").
		Description("The target's status (colour), its progress from the 2020 baseline to the goal, and its gap to the expected path ((actual − expected)/expected).").
		Datasource(*promDS()).
		GridPos(pos(0, 0, 8, 5)).
		Repeat("target").RepeatDirection(dashboard.PanelRepeatDirectionH).MaxPerRow(3).
		WithTarget(prom("A", statusCodeExpr(sel), "状态 Status", "instant")).
		WithTarget(prom("B", fmt.Sprintf("trademon_target_progress_ratio{%s}", sel), "进度 Progress", "instant")).
		WithTarget(prom("C", fmt.Sprintf("trademon_target_gap_ratio{%s}", sel), "差距 Gap", "instant")).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		NoValue("—").
		OverrideByQuery("A", []dashboard.DynamicConfigValue{
			prop("displayName", "状态 Status"),
			prop("mappings", []dashboard.ValueMapping{statusMapping(false)}),
			prop("color", map[string]any{"mode": "fixed", "fixedColor": "text"}),
		}).
		OverrideByQuery("B", []dashboard.DynamicConfigValue{
			prop("displayName", "进度 Progress"), prop("unit", "percentunit"), prop("decimals", 1),
			prop("color", map[string]any{"mode": "fixed", "fixedColor": "transparent"}),
		}).
		OverrideByQuery("C", []dashboard.DynamicConfigValue{
			prop("displayName", "差距 Gap"), prop("unit", "percentunit"), prop("decimals", 1),
			prop("color", map[string]any{"mode": "fixed", "fixedColor": "transparent"}),
		})
}

// tableColumns are the queries of the targets table, in column order.
var tableColumns = []struct {
	ref, title, expr string
}{
	{"I", "", "max by (target, name_zh, display_unit, goal_year) (trademon_target_info)"},
	{"G", "状态 Status", statusCodeExpr("")},
	{"A", "实际 Actual", promDisplay("trademon_target_actual_value")},
	{"B", "预期 Expected", promDisplay("trademon_target_expected_value")},
	{"C", "目标值 Goal", promDisplay("trademon_target_goal_value")},
	{"D", "年末预测 Projected", promDisplay("trademon_target_projected_value")},
	{"E", "差距 Gap", "max by (target) (trademon_target_gap_ratio)"},
	{"F", "进度 Progress", "max by (target) (trademon_target_progress_ratio)"},
	{"H", "最新数据期末 Latest period end", "max by (target) (trademon_target_info * on(indicator) group_left() trademon_indicator_latest_period_end_timestamp_seconds) * 1000"},
}

func targetsTable() *table.PanelBuilder {
	p := table.NewPanelBuilder().
		Id(OverviewTablePanel).
		Title("全部目标 All targets").
		Description("Every target's latest verdict. Actual, expected, goal and projection are in the indicator's display unit (column 单位 Unit); the latest period end is when the newest figure's period ends.").
		Datasource(*promDS()).
		GridPos(pos(0, 10, 24, 10)).
		Decimals(2).
		CellHeight(common.TableCellHeightSm)
	rename := map[string]string{"name_zh": "目标 Target", "display_unit": "单位 Unit", "goal_year": "目标年 Goal year", "target": "id"}
	index := map[string]int{"name_zh": 0}
	for i, c := range tableColumns {
		p.WithTarget(prom(c.ref, c.expr, "", "table"))
		if c.title != "" {
			rename["Value #"+c.ref] = c.title
			index["Value #"+c.ref] = i + 1
		}
	}
	index["display_unit"], index["goal_year"], index["target"] = len(tableColumns)+1, len(tableColumns)+2, len(tableColumns)+3
	p.WithTransformation(transform("merge", map[string]any{})).
		WithTransformation(transform("organize", map[string]any{
			"excludeByName": map[string]bool{"Time": true, "Value #I": true},
			"renameByName":  rename,
			"indexByName":   index,
		})).
		OverrideByName("Value #G", []dashboard.DynamicConfigValue{
			prop("mappings", []dashboard.ValueMapping{statusMapping(false)}),
			prop("custom.cellOptions", map[string]any{"type": "color-background"}),
		}).
		OverrideByName("Value #E", []dashboard.DynamicConfigValue{prop("unit", "percentunit"), prop("decimals", 1)}).
		OverrideByName("Value #F", []dashboard.DynamicConfigValue{prop("unit", "percentunit"), prop("decimals", 1)}).
		OverrideByName("Value #H", []dashboard.DynamicConfigValue{prop("unit", "time:YYYY-MM-DD")})
	return p
}

func gapBars() *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Id(OverviewGapPanel).
		Title("差距 Gap to the expected path").
		Description("(actual − expected)/expected per target; below −5% (the plan's usual tolerance) a target is behind.").
		Datasource(*promDS()).
		GridPos(pos(0, 20, 12, 9)).
		WithTarget(prom("A", "trademon_target_gap_ratio * on(target) group_left(name_zh) trademon_target_info", "{{name_zh}}", "instant")).
		Unit("percentunit").Decimals(1).Min(-0.5).Max(0.5).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		Thresholds(steps(nil, "red", -0.05, "orange", 0.0, "green"))
}

// fluxEvaluations defines evaluations(start, stop): the verdict records of the
// evaluation measurement, one row per target and time with the fields as columns. A
// record rewritten with another status (the history recomputed after a correction) is
// a second point, its status being a tag; the one acknowledged last (recorded_at) wins.
const fluxEvaluations = `evaluations = (start, stop) => from(bucket: v.defaultBucket)
  |> range(start: start, stop: stop)
  |> filter(fn: (r) => r._measurement == "evaluation")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group(columns: ["target", "_time"])
  |> sort(columns: ["recorded_at"])
  |> last(column: "recorded_at")
  |> group(columns: ["target"])
  |> sort(columns: ["_time"])
`

// fluxStatusHistory is the Flux of the status history: the verdict in force at the
// start of the range (the last change before it), then every change in the range.
const fluxStatusHistory = fluxEvaluations + `before = evaluations(start: 1970-01-01T00:00:00Z, stop: v.timeRangeStart)
  |> last(column: "recorded_at")
  |> map(fn: (r) => ({r with _time: v.timeRangeStart}))
during = evaluations(start: v.timeRangeStart, stop: v.timeRangeStop)
union(tables: [before, during])
  |> filter(fn: (r) => contains(value: r.target, set: ${target:json}))
  |> keep(columns: ["_time", "target", "status"])
  |> group(columns: ["target"])
  |> sort(columns: ["_time"])`

func statusHistory() *statetimeline.PanelBuilder {
	return statetimeline.NewPanelBuilder().
		Id(OverviewHistoryPanel).
		Title("状态历史 Status history").
		Description("How each target's verdict moved: one change per point of the evaluation measurement; backfilled history is judged as of each period end.").
		Datasource(*influxDS()).
		GridPos(pos(12, 20, 12, 9)).
		WithTarget(NewFluxQuery("A", fluxStatusHistory)).
		Mappings([]dashboard.ValueMapping{statusMapping(true)}).
		DisplayName("${__field.labels.target}").
		ShowValue(common.VisibilityModeAuto).
		MergeValues(true)
}

const fluxProgressHistory = fluxEvaluations + `evaluations(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r.status != "no_data" and contains(value: r.target, set: ${target:json}))
  |> map(fn: (r) => ({_time: r._time, target: r.target, _value: r.progress}))
  |> group(columns: ["target"])
  |> sort(columns: ["_time"])`

func progressHistory() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(OverviewProgressPanel).
		Title("进度历史 Progress history").
		Description("Progress from the baseline to the goal at every change of verdict ((v − baseline)/(goal − baseline); during a year v is the projected annual value).").
		Datasource(*influxDS()).
		GridPos(pos(0, 29, 24, 9)).
		WithTarget(NewFluxQuery("A", fluxProgressHistory)).
		Unit("percentunit").Decimals(1).
		DisplayName("${__field.labels.target}").
		LineInterpolation(common.LineInterpolationStepAfter).
		ShowPoints(common.VisibilityModeAlways)
}
