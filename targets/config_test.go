package targets

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

func TestBuiltinTargets(t *testing.T) {
	ts, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id   string
		goal float64
		path PathKind
		mode Mode
	}{
		{"international_standards", 1000, Linear, Increase},
		{"digital_economy_share", 0.31, Linear, Level},
		{"retail_sales", 1.25e12, Compound, Level},
		{"goods_trade", 5e11, Compound, Level},
		{"services_trade", 1.5e11, Compound, Level},
		{"new_trade_formats_share", 0.20, Linear, Level},
		{"trade_hq_enterprises", 100, Linear, Level},
		{"airport_international_routes", 100, Linear, Level},
		{"port_container_throughput", 3.3e7, Compound, Level},
	}
	if len(ts) != len(want) {
		t.Fatalf("got %d targets, want the plan's %d", len(ts), len(want))
	}
	for i, w := range want {
		got := ts[i]
		if got.ID != w.id || math.Abs(got.Goal-w.goal) > 1e-9*w.goal || got.Path != w.path || got.Mode != w.mode {
			t.Errorf("target %d = %s goal %g path %s mode %s, want %s goal %g path %s mode %s",
				i, got.ID, got.Goal, got.Path, got.Mode, w.id, w.goal, w.path, w.mode)
		}
		if got.GoalYear != 2025 || got.BaselineYear != 2020 || got.Direction != AtLeast || got.Baseline != nil {
			t.Errorf("%s: goal year %d, baseline year %d, direction %s, baseline %v; want 2025, 2020, at_least, read from data",
				got.ID, got.GoalYear, got.BaselineYear, got.Direction, got.Baseline)
		}
		if got.Tolerance != 0.05 || got.NameZH == "" || got.NameEN == "" {
			t.Errorf("%s: tolerance %g, names %q/%q", got.ID, got.Tolerance, got.NameZH, got.NameEN)
		}
	}
}

// validTarget is one well-formed target entry; tests replace one line of it.
const validTarget = `targets:
  - id: retail_sales
    name: {zh: 社会消费品零售总额, en: Retail sales}
    indicator: retail_sales
    goal: 12500亿元
    goal_year: 2025
    direction: at_least
    baseline_year: 2020
    path: compound
    tolerance: 5%
    mode: level
`

func TestParseTargetsForms(t *testing.T) {
	tests := []struct {
		name, from, to string
		check          func(Target) bool
	}{
		{"display unit goal", "", "", func(x Target) bool { return x.Goal == 1.25e12 }},
		{"base unit goal", "goal: 12500亿元", "goal: 1.25e12", func(x Target) bool { return x.Goal == 1.25e12 }},
		{"plain integer goal", "goal: 12500亿元", "goal: 1250000000000", func(x Target) bool { return x.Goal == 1.25e12 }},
		{"万亿 goal", "goal: 12500亿元", "goal: 1.25万亿元", func(x Target) bool { return x.Goal == 1.25e12 }},
		{"ratio tolerance", "tolerance: 5%", "tolerance: 0.1", func(x Target) bool { return x.Tolerance == 0.1 }},
		{"baseline", "mode: level", "mode: level\n    baseline: 8664.83亿元", func(x Target) bool { return x.Baseline != nil && *x.Baseline == 8.66483e11 }},
		{"at_most", "direction: at_least", "direction: at_most", func(x Target) bool { return x.Direction == AtMost }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := ParseTargets("t.yaml", []byte(strings.Replace(validTarget, tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 1 || !tc.check(ts[0]) {
				t.Errorf("got %+v", ts)
			}
		})
	}
}

func TestParseTargetsErrors(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           string
	}{
		{"unknown indicator", "indicator: retail_sales", "indicator: retail",
			`t.yaml:4: targets[0].indicator: unknown indicator "retail" (known: airport_international_routes, digital_economy_share, goods_exports_cny, goods_imports_cny, goods_trade, goods_trade_cny, international_standards, new_trade_formats_share, port_container_throughput, retail_sales, services_trade, trade_hq_enterprises, usd_cny_rate)`},
		{"goal year before baseline", "goal_year: 2025", "goal_year: 2019",
			"t.yaml:6: targets[0].goal_year: goal year 2019 is not after baseline year 2020"},
		{"goal year equal to baseline", "goal_year: 2025", "goal_year: 2020",
			"t.yaml:6: targets[0].goal_year: goal year 2020 is not after baseline year 2020"},
		{"missing goal year", "    goal_year: 2025\n", "",
			"t.yaml:2: targets[0].goal_year: missing: want a year such as 2020"},
		{"unknown direction", "direction: at_least", "direction: above",
			`t.yaml:7: targets[0].direction: unknown direction "above" (want at_least or at_most)`},
		{"unknown path", "path: compound", "path: exponential",
			`t.yaml:9: targets[0].path: unknown path "exponential" (want linear or compound)`},
		{"unknown mode", "mode: level", "mode: delta",
			`t.yaml:11: targets[0].mode: unknown mode "delta" (want level or increase)`},
		{"tolerance too large", "tolerance: 5%", "tolerance: 1.5",
			"t.yaml:10: targets[0].tolerance: 1.5 is out of range: want at least 0 and below 1 (100%)"},
		{"tolerance negative", "tolerance: 5%", "tolerance: -5%",
			"t.yaml:10: targets[0].tolerance: -5% is out of range: want at least 0 and below 1 (100%)"},
		{"tolerance unreadable", "tolerance: 5%", "tolerance: lots",
			`t.yaml:10: targets[0].tolerance: cannot read "lots": want a ratio such as 0.05 or a percentage such as 5%`},
		{"increase on a flow", "path: compound\n    tolerance: 5%\n    mode: level", "path: linear\n    tolerance: 5%\n    mode: increase",
			"t.yaml:11: targets[0].mode: mode increase needs a stock (cumulative) indicator, but retail_sales is a flow indicator"},
		{"goal in the wrong unit", "goal: 12500亿元", "goal: 5000亿美元",
			`t.yaml:5: targets[0].goal: "5000亿美元" is in USD, but retail_sales is measured in CNY (e.g. 亿元)`},
		{"goal unreadable", "goal: 12500亿元", "goal: lots",
			`t.yaml:5: targets[0].goal: cannot read "lots": no number in "lots" (want a number in CNY, or a number with a unit such as 亿元)`},
		{"goal negative", "goal: 12500亿元", "goal: -5",
			`t.yaml:5: targets[0].goal: "-5" is negative`},
		{"unknown key", "mode: level", "mode: level\n    colour: red",
			"t.yaml:12: targets[0].colour: unknown key (known keys of targets[0]: baseline, baseline_year, direction, goal, goal_year, id, indicator, mode, name, path, tolerance)"},
		{"missing name", "name: {zh: 社会消费品零售总额, en: Retail sales}", "name: {zh: 社会消费品零售总额}",
			"t.yaml:3: targets[0].name.en: missing: every target needs an English name"},
		{"bad id", "id: retail_sales", "id: Retail-Sales",
			`t.yaml:2: targets[0].id: invalid id "Retail-Sales": use lower-case letters, digits and '_', starting with a letter`},
		{"rate indicator", "indicator: retail_sales\n    goal: 12500亿元", "indicator: usd_cny_rate\n    goal: 7",
			"t.yaml:4: targets[0].indicator: usd_cny_rate is a rate indicator (a conversion rate), not something a target can be judged on"},
		{"not yaml types", "goal_year: 2025", "goal_year: soon",
			"t.yaml:6: targets[0].goal_year: cannot decode YAML str `soon` into int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(validTarget, tc.from, tc.to, 1)
			if in == validTarget {
				t.Fatalf("test case did not change the input")
			}
			_, err := ParseTargets("t.yaml", []byte(in))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			var se *settings.Error
			if !errors.As(err, &se) {
				t.Errorf("error is %T, want *settings.Error", err)
			}
		})
	}
}

func TestParseTargetsMoreErrors(t *testing.T) {
	twice := validTarget + strings.TrimPrefix(validTarget, "targets:\n")
	increaseCompound := strings.NewReplacer("indicator: retail_sales", "indicator: international_standards",
		"goal: 12500亿元", "goal: 1000项", "mode: level", "mode: increase").Replace(validTarget)
	tests := []struct {
		name, in, want string
	}{
		{"duplicate id", twice, `t.yaml:12: targets[1].id: duplicate id "retail_sales" (first used at line 2)`},
		{"increase needs linear", increaseCompound,
			"t.yaml:9: targets[0].path: mode increase needs path linear: an increase starts from 0, which a compound path cannot grow from"},
		{"empty", "targets: []\n", "t.yaml:1: targets: no targets: the file must list at least one under targets:"},
		{"not a mapping", "- a\n- b\n", "t.yaml:1: the file must be a mapping of keys to values"},
		{"two problems", strings.NewReplacer("direction: at_least", "direction: up", "path: compound", "path: curvy").Replace(validTarget),
			"t.yaml:7: targets[0].direction: unknown direction \"up\" (want at_least or at_most)\nt.yaml:9: targets[0].path: unknown path \"curvy\" (want linear or compound)"},
		{"share above 100%", strings.NewReplacer("indicator: retail_sales", "indicator: digital_economy_share", "goal: 12500亿元", "goal: 131%").Replace(validTarget),
			`t.yaml:5: targets[0].goal: "131%" is a share above 100% (write shares as 31% or 0.31)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTargets("t.yaml", []byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// A new plan is a config change only: a 2030 target parses and is judged with no code
// (issue 7: nothing may assume the goal year is 2025).
func TestNewPlanIsConfigOnly(t *testing.T) {
	in := strings.NewReplacer("goal: 12500亿元", "goal: 2万亿元", "goal_year: 2025", "goal_year: 2030", "baseline_year: 2020", "baseline_year: 2025").Replace(validTarget)
	ts, err := ParseTargets("plan2030.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].GoalYear != 2030 || ts[0].BaselineYear != 2025 || ts[0].Goal != 2e12 {
		t.Errorf("got %+v", ts[0])
	}
	figures := []obs.Observation{
		yr("retail_sales", "2020", 8e11), // before the new baseline: not used
		yr("retail_sales", "2025", 1.1e12),
		yr("retail_sales", "2027", 1.5e12),   // E(2027) = 1.397e12
		yr("retail_sales", "2029", 2.05e12),  // meets the 2030 goal early
		ytd("retail_sales", "2030-06", 9e11), // partial: does not revoke it
		yr("retail_sales", "2030", 1.9e12),   // the goal-year value decides
	}
	var got []string
	for _, y := range []int{2025, 2027, 2029, 2030} {
		for _, m := range []int{6, 12} {
			v := Evaluate(ts, figures, endOf(y, m))[0]
			got = append(got, fmt.Sprintf("%d-%02d %s %s", y, m, v.Status, v.Period))
			if v.GoalYear != 2030 || len(v.Path) != 6 || v.Path[0].Year != 2025 || (v.Baseline != 0 && v.Path[5].Expected != 2e12) {
				t.Errorf("%d-%02d: goal year %d, path %+v", y, m, v.GoalYear, v.Path)
			}
		}
	}
	want := "2025-06 no_data 2020, 2025-12 no_data 2025, 2027-06 no_data 2025, 2027-12 on_track 2027, " +
		"2029-06 on_track 2027, 2029-12 achieved 2029, 2030-06 achieved 2029, 2030-12 missed 2030"
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("2030 plan:\n got %s\nwant %s", g, want)
	}
	v := Evaluate(ts, figures[:4], endOf(2030, 1))[0]
	if !strings.Contains(strings.Join(v.Notes, "\n"), "already meets the 2030 goal; the 2030 figure will confirm it") {
		t.Errorf("notes %q", v.Notes)
	}
}
