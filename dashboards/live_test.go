package dashboards

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// expectation says what one dashboard query must return on the live stack.
type expectation struct {
	// min is the least number of series (PromQL) or rows (Flux).
	min int
	// labels (PromQL) or columns (Flux) every series or row has.
	labels []string
	// indicator binds ${indicator} (default retail_sales).
	indicator string
	// check asserts values; bound holds the variables the query ran with.
	promCheck func(t *testing.T, bound map[string]string, res []promSeries)
	fluxCheck func(t *testing.T, rows []influxtest.Row)
}

const behindTarget = "retail_sales"

func value(t *testing.T, res []promSeries, label, v string) float64 {
	t.Helper()
	for _, s := range res {
		if s.Labels[label] == v && len(s.Values) > 0 {
			return s.Values[len(s.Values)-1]
		}
	}
	t.Errorf("no series with %s=%q in %v", label, v, res)
	return math.NaN()
}

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want)) }

func nineTargets(labels ...string) expectation {
	return expectation{min: 9, labels: append([]string{"target"}, labels...)}
}

func checkStatusCodes(t *testing.T, _ map[string]string, res []promSeries) {
	for _, s := range res {
		want := 4.0 // on_track
		if s.Labels["target"] == behindTarget {
			want = 2 // behind
		}
		if got := s.Values[len(s.Values)-1]; got != want {
			t.Errorf("status code of %s = %v, want %v", s.Labels["target"], got, want)
		}
	}
}

func sumValues(res []promSeries) float64 {
	var sum float64
	for _, s := range res {
		sum += s.Values[len(s.Values)-1]
	}
	return sum
}

func rowWith(rows []influxtest.Row, col, v string) (influxtest.Row, bool) {
	i := slices.IndexFunc(rows, func(r influxtest.Row) bool { return r[col] == v })
	if i < 0 {
		return nil, false
	}
	return rows[i], true
}

func num(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// expectations lists every query of the committed dashboards; a query without an entry
// fails the test, so that a new panel comes with what it must show.
func expectations(site string) map[string]expectation {
	return map[string]expectation{
		// 目标总览 Targets overview.
		OverviewUID + " variable target": {min: 9, labels: []string{"target", "name_zh"}},
		OverviewUID + " panel 1 A":       {min: 1, labels: []string{"target"}, promCheck: func(t *testing.T, b map[string]string, res []promSeries) { checkStatusCodes(t, b, res) }},
		OverviewUID + " panel 1 B":       {min: 1, labels: []string{"target"}},
		OverviewUID + " panel 1 C": {min: 1, labels: []string{"target"}, promCheck: func(t *testing.T, b map[string]string, res []promSeries) {
			if g := res[0].Values[0]; (b["target"] == behindTarget) != (g < -0.05) {
				t.Errorf("gap of %s = %v", b["target"], g)
			}
		}},
		OverviewUID + " panel 10 I": nineTargets("name_zh", "display_unit", "goal_year"),
		OverviewUID + " panel 10 G": {min: 9, labels: []string{"target"}, promCheck: checkStatusCodes},
		OverviewUID + " panel 10 A": {min: 9, labels: []string{"target", "display_unit"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			if v := value(t, res, "target", behindTarget); !near(v, 9100) {
				t.Errorf("retail actual in 亿元 = %v, want 9100", v)
			}
			if v := value(t, res, "target", "digital_economy_share"); !near(v, 30.9) {
				t.Errorf("digital economy share in %% = %v, want 30.9", v)
			}
		}},
		OverviewUID + " panel 10 B": nineTargets("display_unit"),
		OverviewUID + " panel 10 C": {min: 9, labels: []string{"target", "display_unit"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			for target, want := range map[string]float64{"retail_sales": 12500, "goods_trade": 5000, "port_container_throughput": 3300, "new_trade_formats_share": 20, "international_standards": 1000} {
				if v := value(t, res, "target", target); !near(v, want) {
					t.Errorf("goal of %s in its display unit = %v, want %v", target, v, want)
				}
			}
		}},
		OverviewUID + " panel 10 D": nineTargets("display_unit"),
		OverviewUID + " panel 10 E": nineTargets(),
		OverviewUID + " panel 10 F": nineTargets(),
		// goods_trade (USD) is derived: no latest-period metric of its own.
		OverviewUID + " panel 10 H": {min: 8, labels: []string{"target"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			// 2025-10 ends on 2025-11-01 00:00 Asia/Shanghai; in milliseconds.
			if v := value(t, res, "target", behindTarget); v != float64(time.Date(2025, 10, 31, 16, 0, 0, 0, time.UTC).UnixMilli()) {
				t.Errorf("retail latest period end = %v", v)
			}
		}},
		OverviewUID + " panel 11 A": nineTargets("name_zh"),
		OverviewUID + " panel 20 A": {min: 9, labels: []string{"_time", "target", "status"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			last := map[string]string{}
			for _, r := range rows {
				last[r["target"]] = r["status"]
			}
			if len(last) != 9 || last[behindTarget] != "behind" || last["port_container_throughput"] != "on_track" {
				t.Errorf("latest status per target: %v", last)
			}
		}},
		OverviewUID + " panel 21 A": {min: 9, labels: []string{"_time", "_value", "target"}},

		// 指标详情 Indicator detail.
		IndicatorUID + " variable indicator": {min: 3, labels: []string{"_value"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			for _, want := range []string{"retail_sales", "port_container_throughput", "services_trade", "goods_trade_cny"} {
				if _, ok := rowWith(rows, "_value", want); !ok {
					t.Errorf("indicator %s not offered", want)
				}
			}
		}},
		IndicatorUID + " variable target": {min: 1, labels: []string{"target", "name_zh"}},
		IndicatorUID + " annotation 修订 Revisions": {min: 1, labels: []string{"_time", "text"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			if !strings.Contains(rows[0]["text"], "9000 → 9050 亿元") {
				t.Errorf("revision text %q", rows[0]["text"])
			}
		}},
		IndicatorUID + " panel 1 A": {min: 3, labels: []string{"_time", "_value", "_field", "display_unit"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			g, ok := rowWith(rows, "_field", "goal")
			if !ok || num(g["_value"]) != 12500 || g["display_unit"] != "亿元" {
				t.Errorf("goal row %v, want 12500 亿元", g)
			}
			a, ok := rowWith(rows, "_field", "actual")
			if _, e := rowWith(rows, "_field", "expected"); !ok || !e {
				t.Errorf("no actual or expected rows")
			} else if v := num(rows[slices.IndexFunc(rows, func(r influxtest.Row) bool { return r["_field"] == "actual" })]["_value"]); v <= 0 {
				t.Errorf("actual %v (%v)", v, a)
			}
		}},
		IndicatorUID + " panel 2 A": {min: 1, labels: []string{"display_unit"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			if v := res[0].Values[0]; !near(v, 12500) || res[0].Labels["display_unit"] != "亿元" {
				t.Errorf("goal %v %v, want 12500 亿元", v, res[0].Labels)
			}
		}},
		IndicatorUID + " panel 2 B": {min: 1},
		IndicatorUID + " panel 3 A": {min: 3, labels: []string{"_time", "value", "url", "basis", "source_kind", "display_unit", "period"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			r, ok := rowWith(rows, "period", "2025-10")
			if !ok || !near(num(r["value"]), 9100) || r["url"] != site+"/retail/content/post_1.html" || r["source_kind"] != "collector" || r["display_unit"] != "亿元" {
				t.Errorf("collected 2025-10 figure: %v", r)
			}
		}},
		IndicatorUID + " panel 4 A": {min: 2, indicator: "port_container_throughput", labels: []string{"_time", "value", "url", "display_unit"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			if r, _ := rowWith(rows, "period", "2024-12"); !near(num(r["value"]), 280) || r["display_unit"] != "万标箱" {
				t.Errorf("2024-12 single month %v, want 280 万标箱", r)
			}
		}},
		IndicatorUID + " panel 5 A": {min: 1, labels: []string{"_time", "_value", "basis"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			if !near(num(rows[len(rows)-1]["_value"]), 0.025) {
				t.Errorf("stated growth %v, want 0.025", rows[len(rows)-1])
			}
		}},
		IndicatorUID + " panel 6 A": {min: 3, labels: []string{"period", "basis", "source_kind", "value", "display_unit", "source", "url", "quote"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			r, ok := rowWith(rows, "period", "2025-10")
			if !ok || !strings.Contains(r["quote"], "9100.00亿元") {
				t.Errorf("2025-10 row lacks its quote: %v", r)
			}
		}},
		IndicatorUID + " panel 7 A": {min: 1, labels: []string{"_time", "period", "previous_value", "value", "display_unit"}, fluxCheck: func(t *testing.T, rows []influxtest.Row) {
			if r := rows[0]; r["period"] != "2024" || !near(num(r["previous_value"]), 9000) || !near(num(r["value"]), 9050) {
				t.Errorf("revision %v, want 2024: 9000 → 9050", r)
			}
		}},

		// 数据健康 Data health.
		HealthUID + " panel 1 A": {min: 2, labels: []string{"collector"}},
		HealthUID + " panel 10 A": {min: 1, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			if v := res[0].Values[0]; v < 0 || v > 60 {
				t.Errorf("evaluation age %v s", v)
			}
		}},
		HealthUID + " panel 11 A": {min: 1},
		HealthUID + " panel 2 A": {min: 2, labels: []string{"collector", "result"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			seen := map[string]float64{}
			for _, s := range res {
				for _, v := range s.Values {
					seen[s.Labels["collector"]+" "+s.Labels["result"]] += v
				}
			}
			// The fixture article has a figure and a unit slip: a partial run; trade's
			// list page fails: errors.
			if seen["retail partial"] <= 0 || seen["trade error"] <= 0 {
				t.Errorf("runs by result %v, want retail partial and trade error runs", seen)
			}
		}},
		HealthUID + " panel 3 A": {min: 2, labels: []string{"collector"}},
		HealthUID + " panel 4 A": {min: 1, labels: []string{"collector"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			if v := value(t, res, "collector", "retail"); !(v >= 0.5) {
				t.Errorf("retail observations per run = %v", v)
			}
		}},
		HealthUID + " panel 5 A": {min: 2, labels: []string{"collector", "reason"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			var retail float64
			for _, s := range res {
				if s.Labels["collector"] == "retail" {
					retail += s.Values[0]
				}
			}
			if retail <= 0 {
				t.Errorf("the unit slip in the fixture article was not counted as rejected: %v", res)
			}
		}},
		HealthUID + " panel 6 A":  {min: 1},
		HealthUID + " panel 6 B":  {min: 1},
		HealthUID + " panel 6 C":  {min: 1},
		HealthUID + " panel 13 A": {min: 1, labels: []string{"result"}},
		HealthUID + " panel 7 A":  {min: 1, labels: []string{"indicator"}},
		HealthUID + " panel 12 A": {min: 8, labels: []string{"indicator"}},
		HealthUID + " panel 12 B": {min: 8, labels: []string{"indicator"}},
		HealthUID + " panel 8 A":  {min: 1, labels: []string{"result"}},
		HealthUID + " panel 9 A":  {min: 1},

		// 任务进展 Measures.
		MeasuresUID + " panel 1 A": {min: 1, labels: []string{"status"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			if s := sumValues(res); s != 46 {
				t.Errorf("tasks by status add up to %v, want the plan's 46", s)
			}
		}},
		MeasuresUID + " panel 2 A": {min: 5, labels: []string{"lead", "status"}, promCheck: func(t *testing.T, _ map[string]string, res []promSeries) {
			if s := sumValues(res); s < 46 {
				t.Errorf("tasks by lead department add up to %v, want at least 46", s)
			}
		}},
		MeasuresUID + " panel 3 A": {min: 46, labels: []string{"task", "status"}},
	}
}

// grafanaRegex applies a query variable's regex the way Grafana does: named groups
// text and value, else the first group, else the whole match.
func grafanaRegex(re, s string) (text, val string, ok bool) {
	r := regexp.MustCompile(strings.TrimSuffix(strings.TrimPrefix(re, "/"), "/"))
	m := r.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	text, val = m[0], m[0]
	if i := r.SubexpIndex("value"); i > 0 {
		val = m[i]
		text = val
	}
	if i := r.SubexpIndex("text"); i > 0 {
		text = m[i]
	}
	return text, val, true
}

// queryResultLines formats an instant result as Grafana's query_result() does:
// name{label="value",…} value timestamp, labels in the order Prometheus sorts them.
func queryResultLines(res []promSeries) []string {
	var out []string
	for _, s := range res {
		var keys []string
		for k := range s.Labels {
			if k != "__name__" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%q", k, s.Labels[k])
		}
		out = append(out, fmt.Sprintf("%s{%s} %v %d", s.Labels["__name__"], strings.Join(parts, ","), s.Values[0], time.Now().UnixMilli()))
	}
	return out
}

// promExpr substitutes Grafana's variables in a PromQL query.
func promExpr(q string, bound map[string]string) string {
	r := strings.NewReplacer("$__rate_interval", "15s", "$__range", "10m",
		"${target}", bound["target"], "$target", bound["target"],
		"${indicator}", bound["indicator"], "$indicator", bound["indicator"])
	return r.Replace(q)
}

// fluxQuery substitutes Grafana's variables and then its Flux macros, as Grafana does
// (variables in the browser, macros in the data source's backend).
func fluxQuery(q string, bound map[string]string, targets []string, bucket string, from, to time.Time) string {
	js, _ := json.Marshal(targets)
	q = strings.NewReplacer("${target:json}", string(js), "${target}", bound["target"], "${indicator}", bound["indicator"]).Replace(q)
	return strings.NewReplacer(
		"v.timeRangeStart", from.UTC().Format(time.RFC3339),
		"v.timeRangeStop", to.UTC().Format(time.RFC3339),
		"v.windowPeriod", (time.Hour).String(),
		"v.defaultBucket", strconv.Quote(bucket),
	).Replace(q)
}

// dashboardRange is the dashboard's default time range ("now-6y"), as times.
func dashboardRange(from string) (time.Time, time.Time) {
	now := time.Now()
	n, _ := strconv.Atoi(strings.TrimRight(strings.TrimPrefix(from, "now-"), "yd"))
	if strings.HasSuffix(from, "y") {
		return now.AddDate(-n, 0, 0), now
	}
	return now.AddDate(0, 0, -n), now
}

// TestLiveStack runs trademon on fixture data with the real InfluxDB, Prometheus (the
// shipped rules loaded) and Alertmanager, then runs every query of the committed
// dashboards on them and checks what each panel gets, and checks that the
// behind-schedule alert reaches the webhook for the one target behind and that the
// targets on track raise nothing.
func TestLiveStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts influxd, trademon, Prometheus and Alertmanager")
	}
	s := startStack(t)

	t.Run("alerts", func(t *testing.T) { testAlerts(t, s) })
	_, metrics, err := httpGet(s.trademon + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("metric names", func(t *testing.T) { testMetricNames(t, string(metrics)) })

	exps := expectations(s.site.URL)
	used := map[string]bool{}
	targetIDs := s.targetValues(t, committed(t)[OverviewUID])
	for uid, d := range committed(t) {
		t.Run(uid, func(t *testing.T) {
			from, to := dashboardRange(d.timeFrom())
			for _, q := range d.queries() {
				key := uid + " " + q.Where
				e, ok := exps[key]
				if !ok {
					t.Errorf("%s: no expectation for this query; add one to expectations():\n%s", key, q.Text)
					continue
				}
				used[key] = true
				t.Run(q.Where, func(t *testing.T) {
					ind := e.indicator
					if ind == "" {
						ind = "retail_sales"
					}
					bindings := []map[string]string{{"indicator": ind, "target": ind}}
					if q.Repeat == "target" {
						bindings = nil
						for _, id := range targetIDs {
							bindings = append(bindings, map[string]string{"target": id})
						}
					}
					for _, b := range bindings {
						switch q.Kind {
						case "prometheus":
							s.checkProm(t, q, e, b, d)
						case "influxdb":
							text := fluxQuery(q.Text, b, targetIDs, s.bucket, from, to)
							rows, err := s.influx.FluxErr(text)
							if err != nil {
								t.Fatalf("Flux failed on InfluxDB %s: %v\n%s", s.influx.Version, err, text)
							}
							checkRows(t, e, rows, text)
						}
					}
				})
			}
		})
	}
	for k := range exps {
		if !used[k] {
			t.Errorf("expectation %q matches no query of the committed dashboards", k)
		}
	}
}

func (d jsonDashboard) timeFrom() string { return d.Time.From }

func (s *stack) targetValues(t *testing.T, d jsonDashboard) []string {
	t.Helper()
	res, err := s.promInstant("trademon_target_info")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, line := range queryResultLines(res) {
		if _, v, ok := grafanaRegex(d.variable("target").Regex, line); ok {
			ids = append(ids, v)
		}
	}
	slices.Sort(ids)
	return ids
}

func (d jsonDashboard) variable(name string) jsonVariable {
	i := slices.IndexFunc(d.Templating.List, func(v jsonVariable) bool { return v.Name == name })
	if i < 0 {
		return jsonVariable{}
	}
	return d.Templating.List[i]
}

func (s *stack) checkProm(t *testing.T, q query, e expectation, bound map[string]string, d jsonDashboard) {
	t.Helper()
	expr := promExpr(q.Text, bound)
	var res []promSeries
	var err error
	switch {
	case strings.HasPrefix(q.Where, "variable "):
		v := d.variable(strings.TrimPrefix(q.Where, "variable "))
		inner := strings.TrimSuffix(strings.TrimPrefix(expr, "query_result("), ")")
		res, err = s.promInstant(inner)
		if err == nil {
			var matched []promSeries
			for i, line := range queryResultLines(res) {
				if text, _, ok := grafanaRegex(v.Regex, line); ok && text != "" {
					matched = append(matched, res[i])
				}
			}
			res = matched
		}
	case q.Instant:
		res, err = s.promInstant(expr)
	default:
		res, err = s.promRange(expr, time.Minute)
	}
	if err != nil {
		t.Fatalf("PromQL failed on Prometheus: %v\n%s", err, expr)
	}
	if len(res) < e.min {
		t.Fatalf("%d series, want at least %d (bound %v):\n%s", len(res), e.min, bound, expr)
	}
	for _, sr := range res {
		for _, l := range e.labels {
			if _, ok := sr.Labels[l]; !ok {
				t.Errorf("series %v lacks label %s", sr.Labels, l)
			}
		}
		if len(sr.Values) == 0 {
			t.Errorf("series %v has no sample", sr.Labels)
		}
	}
	if e.promCheck != nil && !t.Failed() {
		e.promCheck(t, bound, res)
	}
}

func checkRows(t *testing.T, e expectation, rows []influxtest.Row, text string) {
	t.Helper()
	if len(rows) < e.min {
		t.Fatalf("%d rows, want at least %d:\n%s", len(rows), e.min, text)
	}
	for _, c := range e.labels {
		for _, r := range rows {
			if _, ok := r[c]; !ok {
				t.Fatalf("row %v lacks column %s", r, c)
			}
		}
	}
	if e.fluxCheck != nil {
		e.fluxCheck(t, rows)
	}
}

func testAlerts(t *testing.T, s *stack) {
	waitFor(t, 90*time.Second, "TrademonTargetBehindSchedule for "+behindTarget+" at the webhook", func() (bool, string) {
		for _, a := range s.hook.received() {
			if a.Labels["alertname"] == "TrademonTargetBehindSchedule" && a.Labels["target"] == behindTarget && a.Status == "firing" {
				return true, ""
			}
		}
		return false, fmt.Sprint(s.hook.received())
	})
	for _, a := range s.hook.received() {
		if strings.HasPrefix(a.Labels["alertname"], "TrademonTarget") && a.Labels["target"] != behindTarget {
			t.Errorf("an on-track target raised %s: %v", a.Labels["alertname"], a.Labels)
		}
		if a.Labels["alertname"] == "TrademonTargetBehindSchedule" && (a.Labels["severity"] != "critical" || a.Labels["name_zh"] != "社会消费品零售总额" || a.Labels["indicator"] != "retail_sales") {
			t.Errorf("behind-schedule alert labels %v", a.Labels)
		}
	}
	alerts, err := s.promAlerts()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if strings.HasPrefix(a.Labels["alertname"], "TrademonTarget") && a.Labels["target"] != behindTarget {
			t.Errorf("Prometheus holds %s for on-track target %s (%s)", a.Labels["alertname"], a.Labels["target"], a.State)
		}
		if a.Labels["alertname"] == "TrademonDown" || a.Labels["alertname"] == "TrademonEvaluationStale" {
			t.Errorf("a healthy trademon raised %v", a.Labels)
		}
	}
}

var metricName = regexp.MustCompile(`\btrademon_[a-z_]+[a-z]\b`)

// Every trademon metric a dashboard or an alert rule names is one trademon exports, so
// a renamed metric fails here rather than in a silent panel.
func testMetricNames(t *testing.T, metrics string) {
	exported := map[string]bool{}
	for _, line := range strings.Split(metrics, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			exported[strings.Fields(name)[0]] = true
		}
	}
	texts := map[string]string{}
	for uid, d := range committed(t) {
		for _, q := range d.queries() {
			texts[uid+" "+q.Where] = q.Text
		}
	}
	rules, _ := readGlob(t, "../config/prometheus/rules/*.yml")
	texts["rules"] = rules
	for where, text := range texts {
		for _, m := range metricName.FindAllString(text, -1) {
			if exported[m] {
				continue
			}
			t.Errorf("%s uses %s, which trademon does not export", where, m)
		}
	}
}
