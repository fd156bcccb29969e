package dashboards

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/trademon/trademon/targets"
)

// Panel ids of the Measures dashboard.
const (
	MeasuresStatusPanel = 1
	MeasuresLeadPanel   = 2
	MeasuresTablePanel  = 3
)

// taskStatuses are the values of trademon_task_status's status label (targets.TaskStatuses).
var taskStatuses = []struct{ id, name, color string }{
	{"not_started", "未启动 not started", "text"},
	{"in_progress", "推进中 in progress", "blue"},
	{"completed", "已完成 completed", "green"},
	{"delayed", "滞后 delayed", "red"},
	{"unknown", "未报告 unknown", "gray"},
}

func taskStatusMapping() dashboard.ValueMapping {
	var pairs [][3]string
	for _, s := range taskStatuses {
		pairs = append(pairs, [3]string{s.id, s.name, s.color})
	}
	return valueMap(pairs...)
}

// leads returns the lead departments in the order the task table first names them,
// each with the numbers of the tasks it leads.
func leads(tasks []targets.Task) (names []string, numbers map[string][]int) {
	numbers = map[string][]int{}
	for _, t := range tasks {
		for _, l := range t.Lead {
			if !slices.Contains(names, l) {
				names = append(names, l)
			}
			numbers[l] = append(numbers[l], t.Number)
		}
	}
	return names, numbers
}

// leadExpr counts the tasks per lead department and status. A task with joint leads
// counts for each of them.
func leadExpr(tasks []targets.Task) string {
	names, numbers := leads(tasks)
	parts := make([]string, len(names))
	for i, n := range names {
		nums := make([]string, len(numbers[n]))
		for j, x := range numbers[n] {
			nums[j] = strconv.Itoa(x)
		}
		parts[i] = fmt.Sprintf(`label_replace(sum by (status) (trademon_task_status{task=~"%s"}), "lead", %q, "", "")`, strings.Join(nums, "|"), n)
	}
	return strings.Join(parts, "\nor ")
}

func measures(tasks []targets.Task) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder("任务进展 Measures").
		Uid(MeasuresUID).
		Description("The measures (tasks) of the plan's task table: how many are in each status, per lead department, and each task's status.").
		Tags([]string{"trademon"}).
		Timezone("Asia/Shanghai").
		Time("now-30d", "now").
		Refresh("5m").
		Readonly().
		Link(dashboardLinks()).
		WithPanel(taskStatusStat(len(tasks))).
		WithPanel(leadBars(tasks)).
		WithPanel(taskTable(tasks))
}

func taskStatusStat(n int) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(MeasuresStatusPanel).
		Title(fmt.Sprintf("任务状态 Tasks by status (%d measures)", n)).
		Description("How many of the plan's measures are in each status, as staff last reported.").
		Datasource(*promDS()).
		GridPos(pos(0, 0, 24, 4)).
		WithTarget(prom("A", "sum by (status) (trademon_task_status)", "{{status}}", "instant")).
		Unit("short").Decimals(0).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Overrides(statusOverrides())
}

// statusOverrides names each status series in Chinese and English, in its colour.
func statusOverrides() []cog.Builder[dashboard.DashboardFieldConfigSourceOverrides] {
	var out []cog.Builder[dashboard.DashboardFieldConfigSourceOverrides]
	for _, s := range taskStatuses {
		out = append(out, dashboard.NewDashboardFieldConfigSourceOverridesBuilder().
			Matcher(dashboard.MatcherConfig{Id: "byName", Options: s.id}).
			Properties([]dashboard.DynamicConfigValue{prop("displayName", s.name), prop("color", map[string]any{"mode": "fixed", "fixedColor": s.color})}))
	}
	return out
}

func leadBars(tasks []targets.Task) *barchart.PanelBuilder {
	names, _ := leads(tasks)
	return barchart.NewPanelBuilder().
		Id(MeasuresLeadPanel).
		Title("牵头单位 Tasks by lead department and status").
		Description("Per lead department (牵头单位), its tasks by status. A task with joint leads counts for each.").
		Datasource(*promDS()).
		GridPos(pos(0, 4, 24, uint32(max(8, len(names))))).
		WithTarget(prom("A", leadExpr(tasks), "", "table")).
		WithTransformation(transform("groupingToMatrix", map[string]any{"columnField": "status", "rowField": "lead", "valueField": "Value", "emptyValue": "zero"})).
		WithTransformation(transform("organize", map[string]any{"renameByName": taskStatusRename()})).
		Orientation(common.VizOrientationHorizontal).
		Stacking(common.StackingModeNormal).
		XField("lead\\status").
		ShowValue(common.VisibilityModeAuto).
		Unit("short").Decimals(0)
}

func taskStatusRename() map[string]string {
	m := map[string]string{"lead\\status": "牵头单位 Lead"}
	for _, s := range taskStatuses {
		m[s.id] = s.name
	}
	return m
}

// taskTitle is how the table names a task: its number, lead and the start of its text.
func taskTitle(t targets.Task) string {
	text := t.Text
	if utf8.RuneCountInString(text) > 40 {
		text = string([]rune(text)[:40]) + "…"
	}
	return fmt.Sprintf("%d · %s · %s", t.Number, strings.Join(t.Lead, "、"), text)
}

func taskTable(tasks []targets.Task) *table.PanelBuilder {
	m := dashboard.NewValueMap()
	for _, t := range tasks {
		title := taskTitle(t)
		m.Options[strconv.Itoa(t.Number)] = dashboard.ValueMappingResult{Text: &title}
	}
	return table.NewPanelBuilder().
		Id(MeasuresTablePanel).
		Title("任务清单 Every measure").
		Description("Each measure of the task table with its lead department and status.").
		Datasource(*promDS()).
		GridPos(pos(0, 20, 24, 16)).
		WithTarget(prom("A", "max by (task, status) (trademon_task_status == 1)", "", "table")).
		WithTransformation(transform("organize", map[string]any{
			"excludeByName": map[string]bool{"Time": true, "Value": true},
			"renameByName":  map[string]string{"task": "任务 Task", "status": "状态 Status"},
		})).
		Filterable(true).
		OverrideByName("task", []dashboard.DynamicConfigValue{prop("mappings", []dashboard.ValueMapping{{ValueMap: m}})}).
		OverrideByName("status", []dashboard.DynamicConfigValue{
			prop("mappings", []dashboard.ValueMapping{taskStatusMapping()}),
			prop("custom.cellOptions", map[string]any{"type": "color-text"}),
		})
}
