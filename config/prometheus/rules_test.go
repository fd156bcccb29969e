// Tests of the shipped Prometheus alert rules: promtool check rules, promtool unit tests
// (tests/*.yml) for firing and for not firing, and the shape of every alert (severity,
// audience, summary, description, runbook, and a dashboard link that exists).
package prometheus_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"unicode"

	"gopkg.in/yaml.v3"
)

// tool returns the path of a Prometheus tool; without it the test is skipped, except
// in CI (CI or TRADEMON_TEST_REQUIRE_INFLUXDB=1 set: scripts/tools.sh installs it).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("TRADEMON_TEST_REQUIRE_INFLUXDB") == "1" {
			t.Fatalf("%s is required in CI (scripts/tools.sh installs the Debian package prometheus): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("rules/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files under rules/: %v", err)
	}
	return files
}

func loadRules(t *testing.T) map[string]rule {
	t.Helper()
	out := map[string]rule{}
	for _, f := range ruleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Name  string `yaml:"name"`
				Rules []rule `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				if _, dup := out[r.Alert]; dup {
					t.Errorf("alert %s defined twice", r.Alert)
				}
				out[r.Alert] = r
			}
		}
	}
	return out
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := tool(t, "promtool")
	out, err := exec.Command(promtool, append([]string{"check", "rules"}, ruleFiles(t)...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// render expands an annotation template the way Prometheus does for $labels (the
// alert's series labels).
func render(t *testing.T, text string, labels map[string]string) string {
	t.Helper()
	tmpl, err := template.New("a").Parse("{{$labels := .}}" + text)
	if err != nil {
		t.Fatalf("annotation %q: %v", text, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, labels); err != nil {
		t.Fatalf("annotation %q: %v", text, err)
	}
	return b.String()
}

// The unit tests, with exp_annotations rendered from the rules, run by promtool.
func TestPromtoolTestRules(t *testing.T) {
	promtool := tool(t, "promtool")
	rules := loadRules(t)
	ruleDirs, _ := filepath.Abs("rules")
	tests, _ := filepath.Glob("tests/*.yml")
	if len(tests) == 0 {
		t.Fatal("no promtool tests under tests/")
	}
	fired, quiet := map[string]bool{}, map[string]bool{}
	for _, f := range tests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var abs []any
		for _, rf := range doc["rule_files"].([]any) {
			abs = append(abs, filepath.Join(ruleDirs, filepath.Base(rf.(string))))
		}
		doc["rule_files"] = abs
		for _, tc := range doc["tests"].([]any) {
			for _, a := range tc.(map[string]any)["alert_rule_test"].([]any) {
				at := a.(map[string]any)
				name := at["alertname"].(string)
				r, ok := rules[name]
				if !ok {
					t.Errorf("%s tests unknown alert %s", f, name)
					continue
				}
				exp, _ := at["exp_alerts"].([]any)
				if len(exp) == 0 {
					quiet[name] = true
				} else {
					fired[name] = true
				}
				for _, e := range exp {
					em := e.(map[string]any)
					labels := map[string]string{}
					for k, v := range em["exp_labels"].(map[string]any) {
						labels[k] = v.(string)
					}
					for k, v := range r.Labels {
						if labels[k] != v {
							t.Errorf("%s: %s expects label %s=%q, the rule sets %q", f, name, k, labels[k], v)
						}
					}
					anns := map[string]string{}
					for k, v := range r.Annotations {
						anns[k] = render(t, v, labels)
					}
					em["exp_annotations"] = anns
				}
			}
		}
		out, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		full := filepath.Join(t.TempDir(), filepath.Base(f))
		if err := os.WriteFile(full, out, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := exec.Command(promtool, "test", "rules", full).CombinedOutput()
		if err != nil {
			t.Errorf("promtool test rules %s: %v\n%s", f, err, res)
		}
	}
	for name := range rules {
		if !fired[name] || !quiet[name] {
			t.Errorf("alert %s needs a promtool test where it fires (%v) and one where it does not (%v)", name, fired[name], quiet[name])
		}
	}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

var dashboardLink = regexp.MustCompile(`^/d/([a-z0-9-]+)/\?(.+)$`)

// Every alert has a severity, an audience, a bilingual summary, a description, a
// runbook, and a link to a panel that exists in the generated dashboards.
func TestAlertShape(t *testing.T) {
	dashboards := loadDashboards(t)
	rules := loadRules(t)
	if len(rules) < 12 {
		t.Errorf("%d alerts, want the issue's list (targets, figures, collectors, spool, trademon)", len(rules))
	}
	for _, want := range []string{"TrademonTargetBehindSchedule", "TrademonTargetAtRisk", "TrademonTargetGoalMissed",
		"TrademonFigureOverdue", "TrademonCollectorFailing", "TrademonCollectorYieldsNothing", "TrademonCollectorPartlyFailing",
		"TrademonSpoolBacklog", "TrademonSpoolQuarantine", "TrademonDown", "TrademonEvaluationStale"} {
		if _, ok := rules[want]; !ok {
			t.Errorf("no alert %s", want)
		}
	}
	for name, r := range rules {
		if !slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
			t.Errorf("%s: severity %q", name, r.Labels["severity"])
		}
		if !slices.Contains([]string{"analysts", "statistics", "operators"}, r.Labels["audience"]) {
			t.Errorf("%s: audience %q", name, r.Labels["audience"])
		}
		if s := r.Annotations["summary"]; !hasHan(s) || !strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("%s: summary %q is not Chinese and English", name, s)
		}
		if len(r.Annotations["description"]) < 80 || len(r.Annotations["runbook"]) < 40 {
			t.Errorf("%s: description or runbook too short to say what to do", name)
		}
		if r.For == "" {
			t.Errorf("%s: no for: (write for: 0m to fire at once)", name)
		}
		link := r.Annotations["dashboard"]
		m := dashboardLink.FindStringSubmatch(link)
		if m == nil {
			t.Errorf("%s: dashboard link %q is not /d/UID/?viewPanel=N", name, link)
			continue
		}
		d, ok := dashboards[m[1]]
		if !ok {
			t.Errorf("%s: dashboard %s does not exist", name, m[1])
			continue
		}
		q, err := url.ParseQuery(strings.ReplaceAll(m[2], "{{ $labels.indicator }}", "x"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		id, _ := strconv.Atoi(q.Get("viewPanel"))
		if !slices.Contains(d.panels, id) {
			t.Errorf("%s: dashboard %s has no panel %d (has %v)", name, m[1], id, d.panels)
		}
		for k := range q {
			if v, ok := strings.CutPrefix(k, "var-"); ok && !slices.Contains(d.variables, v) {
				t.Errorf("%s: dashboard %s has no variable %s", name, m[1], v)
			}
		}
	}
}

type dash struct {
	panels    []int
	variables []string
}

func loadDashboards(t *testing.T) map[string]dash {
	t.Helper()
	files, _ := filepath.Glob("../../dashboards/*.json")
	out := map[string]dash{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID    string `json:"uid"`
			Panels []struct {
				ID int `json:"id"`
			} `json:"panels"`
			Templating struct {
				List []struct {
					Name string `json:"name"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var x dash
		for _, p := range d.Panels {
			x.panels = append(x.panels, p.ID)
		}
		for _, v := range d.Templating.List {
			x.variables = append(x.variables, v.Name)
		}
		out[d.UID] = x
	}
	if len(out) == 0 {
		t.Fatal("no dashboards under ../../dashboards")
	}
	return out
}
