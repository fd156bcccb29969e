package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Panel ids of the Data health dashboard that alert rules link to.
const (
	HealthLastSuccessPanel = 1
	HealthRunsPanel        = 2
	HealthDurationPanel    = 3
	HealthPerRunPanel      = 4
	HealthRejectedPanel    = 5
	HealthSpoolPanel       = 6
	HealthOverduePanel     = 7
	HealthManualPanel      = 8
	HealthPendingPanel     = 9
	HealthEvaluationPanel  = 10
	HealthReloadPanel      = 11
	HealthNextReleasePanel = 12
	HealthStoreWritesPanel = 13
)

func dataHealth() *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder("数据健康 Data health").
		Uid(HealthUID).
		Description("Whether the figures keep coming: collector runs and their results, the InfluxDB spool, figures overdue by their release calendar, manual entries waiting for approval, and trademon's own evaluation.").
		Tags([]string{"trademon"}).
		Timezone("Asia/Shanghai").
		Time("now-7d", "now").
		Refresh("1m").
		Readonly().
		Link(dashboardLinks()).
		WithPanel(lastSuccess()).
		WithPanel(evaluationAge()).
		WithPanel(reloadStat()).
		WithPanel(runsByResult()).
		WithPanel(collectorDuration()).
		WithPanel(observationsPerRun()).
		WithPanel(rejected()).
		WithPanel(spool()).
		WithPanel(storeWrites()).
		WithPanel(overdue()).
		WithPanel(nextRelease()).
		WithPanel(manualEntries()).
		WithPanel(pendingApprovals())
}

func lastSuccess() *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(HealthLastSuccessPanel).
		Title("最近成功采集 Last successful run").
		Description("When each collector last finished a run without error. 从未 never: no successful run since trademon started.").
		Datasource(*promDS()).
		GridPos(pos(0, 0, 12, 5)).
		WithTarget(prom("A", "trademon_collector_last_success_timestamp_seconds * 1000", "{{collector}}", "instant")).
		Unit("dateTimeFromNow").
		Mappings([]dashboard.ValueMapping{valueMap([3]string{"0", "从未 never", "red"})}).
		ColorMode(common.BigValueColorModeNone).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

func evaluationAge() *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(HealthEvaluationPanel).
		Title("评估时效 Evaluation age").
		Description("Seconds since trademon last evaluated the targets successfully (it does so after every write and at least every refresh_interval). Above 15 minutes the verdicts are stale.").
		Datasource(*promDS()).
		GridPos(pos(12, 0, 6, 5)).
		WithTarget(prom("A", "time() - trademon_evaluation_last_success_timestamp_seconds", "", "instant")).
		Unit("s").Decimals(0).
		Thresholds(steps(nil, "green", 900.0, "red")).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

func reloadStat() *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(HealthReloadPanel).
		Title("配置重载 Config reload").
		Description("Whether the last configuration reload (SIGHUP or POST /-/reload) succeeded; on failure trademon keeps running on the previous configuration.").
		Datasource(*promDS()).
		GridPos(pos(18, 0, 6, 5)).
		WithTarget(prom("A", "trademon_config_last_reload_successful", "", "instant")).
		Mappings([]dashboard.ValueMapping{valueMap([3]string{"0", "失败 failed", "red"}, [3]string{"1", "成功 ok", "green"})}).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

func runsByResult() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(HealthRunsPanel).
		Title("采集结果 Collector runs by result").
		Description("Runs per collector and result: success, partial (stored figures but rejected some) or error.").
		Datasource(*promDS()).
		GridPos(pos(0, 5, 12, 8)).
		WithTarget(prom("A", "sum by (collector, result) (increase(trademon_collector_runs_total[$__rate_interval]))", "{{collector}} {{result}}", "range")).
		Unit("short").Decimals(0).
		DrawStyle(common.GraphDrawStyleBars).FillOpacity(70).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
		OverrideByRegexp("/ error$/", []dashboard.DynamicConfigValue{prop("color", map[string]any{"mode": "fixed", "fixedColor": "red"})}).
		OverrideByRegexp("/ partial$/", []dashboard.DynamicConfigValue{prop("color", map[string]any{"mode": "fixed", "fixedColor": "orange"})}).
		OverrideByRegexp("/ success$/", []dashboard.DynamicConfigValue{prop("color", map[string]any{"mode": "fixed", "fixedColor": "green"})})
}

func collectorDuration() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(HealthDurationPanel).
		Title("采集耗时 Run duration").
		Description("How long each collector's last run took.").
		Datasource(*promDS()).
		GridPos(pos(12, 5, 12, 8)).
		WithTarget(prom("A", "trademon_collector_duration_seconds", "{{collector}}", "range")).
		Unit("s")
}

func observationsPerRun() *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Id(HealthPerRunPanel).
		Title("每次采集的数据 Observations per run").
		Description("Figures a collector extracted and kept, per run that did not fail, over the time range. Zero: the sources answered but yielded nothing.").
		Datasource(*promDS()).
		GridPos(pos(0, 13, 12, 7)).
		WithTarget(prom("A", `sum by (collector) (increase(trademon_collector_observations_total[$__range])) / sum by (collector) (increase(trademon_collector_runs_total{result!="error"}[$__range]))`, "{{collector}}", "instant")).
		Unit("short").Decimals(1).Min(0).
		Orientation(common.VizOrientationHorizontal).
		Thresholds(steps(nil, "red", 0.5, "green"))
}

func rejected() *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Id(HealthRejectedPanel).
		Title("被拒数据 Rejected figures").
		Description("Figures the safety checks refused before storing, by collector and reason (invalid, out_of_range, unit_slip), over the time range.").
		Datasource(*promDS()).
		GridPos(pos(12, 13, 12, 7)).
		WithTarget(prom("A", "sum by (collector, reason) (increase(trademon_collector_rejected_total[$__range]))", "{{collector}} {{reason}}", "instant")).
		Unit("short").Decimals(0).Min(0).
		Orientation(common.VizOrientationHorizontal).
		Thresholds(steps(nil, "green", 1.0, "orange"))
}

func spool() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(HealthSpoolPanel).
		Title("写入队列 InfluxDB spool").
		Description("Writes waiting in the local spool for InfluxDB, the age of the oldest, and writes InfluxDB refused (quarantined). InfluxDB mode only.").
		Datasource(*promDS()).
		GridPos(pos(0, 20, 12, 8)).
		WithTarget(prom("A", "trademon_store_spool_entries", "待写入 entries", "range")).
		WithTarget(prom("B", "trademon_store_spool_oldest_age_seconds", "最旧 oldest age", "range")).
		WithTarget(prom("C", "trademon_store_spool_quarantined_entries", "隔离 quarantined", "range")).
		Unit("short").
		OverrideByQuery("B", []dashboard.DynamicConfigValue{prop("unit", "s"), prop("custom.axisPlacement", "right")}).
		OverrideByQuery("C", []dashboard.DynamicConfigValue{prop("color", map[string]any{"mode": "fixed", "fixedColor": "red"})})
}

func storeWrites() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(HealthStoreWritesPanel).
		Title("存储写入 Store writes").
		Description("Observations written to the store, by result (ok, error).").
		Datasource(*promDS()).
		GridPos(pos(12, 20, 12, 8)).
		WithTarget(prom("A", "sum by (result) (increase(trademon_store_writes_total[$__rate_interval]))", "{{result}}", "range")).
		Unit("short").Decimals(0).
		DrawStyle(common.GraphDrawStyleBars)
}

func overdue() *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(HealthOverduePanel).
		Title("逾期数据 Overdue figures").
		Description("Indicators whose next figure should have been published by now (release calendar: period end + the indicator's usual lag), and by how long.").
		Datasource(*promDS()).
		GridPos(pos(0, 28, 12, 8)).
		WithTarget(prom("A", "time() - trademon_indicator_next_release_due_timestamp_seconds > 0", "", "table")).
		WithTransformation(transform("organize", map[string]any{
			"excludeByName": map[string]bool{"Time": true},
			"renameByName":  map[string]string{"indicator": "指标 Indicator", "Value": "逾期 Overdue by"},
		})).
		Unit("dtdurations").
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("逾期 Overdue by").Desc(true)})
}

func nextRelease() *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(HealthNextReleasePanel).
		Title("数据发布日历 Release calendar").
		Description("Per indicator, the end of the newest period with a figure and when the next figure is due.").
		Datasource(*promDS()).
		GridPos(pos(12, 28, 12, 8)).
		WithTarget(prom("A", "trademon_indicator_latest_period_end_timestamp_seconds * 1000", "", "table")).
		WithTarget(prom("B", "trademon_indicator_next_release_due_timestamp_seconds * 1000", "", "table")).
		WithTransformation(transform("merge", map[string]any{})).
		WithTransformation(transform("organize", map[string]any{
			"excludeByName": map[string]bool{"Time": true},
			"renameByName":  map[string]string{"indicator": "指标 Indicator", "Value #A": "最新数据期末 Latest period end", "Value #B": "下次应发布 Next due"},
		})).
		Unit("dateTimeAsIso")
}

func manualEntries() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(HealthManualPanel).
		Title("人工录入 Manual entries").
		Description("Figures entered by staff (form, API, import), by result: created, updated, unchanged, pending (waiting for an approver) or rejected.").
		Datasource(*promDS()).
		GridPos(pos(0, 36, 12, 8)).
		WithTarget(prom("A", "sum by (result) (increase(trademon_manual_entries_total[$__rate_interval]))", "{{result}}", "range")).
		Unit("short").Decimals(0).
		DrawStyle(common.GraphDrawStyleBars).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
}

func pendingApprovals() *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(HealthPendingPanel).
		Title("待审批 Pending approvals").
		Description("Manually entered figures waiting for an approver; they count in no verdict until approved.").
		Datasource(*promDS()).
		GridPos(pos(12, 36, 12, 8)).
		WithTarget(prom("A", "trademon_pending_approvals", "", "instant")).
		Unit("short").Decimals(0).
		Thresholds(steps(nil, "green", 1.0, "orange")).
		ColorMode(common.BigValueColorModeBackground).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}
