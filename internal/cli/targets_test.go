package cli

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/targets"
)

var updateTargets = flag.Bool("update-targets", false, "rewrite testdata/targets_*.golden from the current output")

func TestEvalFlags(t *testing.T) {
	sh := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, obs.Shanghai) }
	tests := []struct {
		flags     evalFlags
		at, known time.Time
		err       string
	}{
		{evalFlags{at: "2025-10"}, sh(2025, 11, 1), time.Time{}, ""},
		{evalFlags{at: "2024-02"}, sh(2024, 3, 1), time.Time{}, ""},
		{evalFlags{at: "2025-12"}, sh(2026, 1, 1), time.Time{}, ""},
		{evalFlags{at: "2024-07-15"}, sh(2024, 7, 16), time.Time{}, ""},
		{evalFlags{known: "2024-07"}, time.Time{}, sh(2024, 8, 1), ""},
		{evalFlags{at: "2025-12", known: "2024-07-31"}, sh(2026, 1, 1), sh(2024, 8, 1), ""},
		{evalFlags{at: "2025"}, time.Time{}, time.Time{}, `--at: invalid date "2025": want YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day)`},
		{evalFlags{at: "2025-13"}, time.Time{}, time.Time{}, `--at: invalid date "2025-13": want YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day)`},
		{evalFlags{known: "soon"}, time.Time{}, time.Time{}, `--known: invalid date "soon": want YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day)`},
	}
	for _, tc := range tests {
		q, err := tc.flags.query()
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%+v: error %v, want %s", tc.flags, err, tc.err)
		case tc.err == "" && (err != nil || !q.At.Equal(tc.at) || !q.Known.Equal(tc.known)):
			t.Errorf("%+v = %+v, %v; want at %s known %s", tc.flags, q, err, tc.at, tc.known)
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for in, want := range map[string]int{"abc": 3, "港口": 4, "港口 Port": 9, "３": 2, "—": 1, "": 0} {
		if got := displayWidth(in); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", in, got, want)
		}
	}
}

// seededStore writes the bundled history into a fresh embedded store, as the first
// `serve` does, and returns a config file pointing at it.
func seededStore(t *testing.T, extra ...obs.Observation) string {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "data"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, obs.Shanghai)
	if _, err := importer.Import(context.Background(), st, "config/history/shenzhen.csv", config.HistoryCSV,
		importer.Options{Kind: obs.KindReference, Now: now}); err != nil {
		t.Fatalf("import bundled history: %v", err)
	}
	if len(extra) > 0 {
		if _, err := st.Put(context.Background(), extra); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "trademon.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  kind: embedded\n  path: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestTargetsCommandTable runs `trademon targets` on a store holding only the bundled
// history: what a first start shows. The table is compared with a golden file
// (go test ./internal/cli -run TestTargetsCommandTable -update-targets rewrites it).
func TestTargetsCommandTable(t *testing.T) {
	cfg := seededStore(t)
	code, out, stderr := run(t, "--config", cfg, "targets", "--at", "2026-10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden := filepath.Join("testdata", "targets_table.golden")
	if *updateTargets {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-targets to create it)", err)
	}
	if out != string(want) {
		t.Errorf("table differs from %s (rerun with -update-targets after checking):\n%s", golden, out)
	}
	for _, s := range []string{"港口集装箱吞吐量 Port container throughput", "已达成 achieved", "3338万标箱", "≥ 3300万标箱 (2025)", "截至 As of 2026-10-31"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q", s)
		}
	}
}

// TestTargetsCommandJSON checks the JSON contract (DESIGN.md): an array with at least
// target, indicator, status, period, actual, expected, goal, gap, projected, progress
// and source, in base units.
func TestTargetsCommandJSON(t *testing.T) {
	rate := obs.Observation{Indicator: "usd_cny_rate", Region: obs.RegionSZ, Period: obs.YearPeriod(2020), Basis: obs.BasisYear,
		Value: 6.8974, Unit: "CNY/USD", SourceKind: obs.KindManual, Source: obs.SourceManual, EnteredBy: "test", URL: "https://example.test/rate"}
	rate2025 := rate
	rate2025.Period, rate2025.Value = obs.YearPeriod(2025), 7.2
	cfg := seededStore(t, rate, rate2025)
	code, out, stderr := run(t, "--config", cfg, "targets", "--at", "2026-10", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	plan, _ := targets.Builtin()
	if len(raw) != len(plan) {
		t.Fatalf("%d verdicts, want %d", len(raw), len(plan))
	}
	for _, v := range raw {
		for _, k := range []string{"target", "indicator", "status", "period", "actual", "expected", "goal", "gap", "projected", "progress", "source"} {
			if _, ok := v[k]; !ok {
				t.Errorf("%v lacks %q", v["target"], k)
			}
		}
	}
	var vs []targets.Verdict
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	byID := map[string]targets.Verdict{}
	for _, v := range vs {
		byID[v.Target] = v
	}
	port := byID["port_container_throughput"]
	if port.Status != targets.Achieved || port.Actual != 3.338e7 || port.Goal != 3.3e7 || port.Period != "2024" {
		t.Errorf("port: %s %g/%g %s", port.Status, port.Actual, port.Goal, port.Period)
	}
	// With the 2020 and 2025 annual average rates entered, goods trade is judged in USD.
	gt := byID["goods_trade"]
	if gt.Status != targets.Achieved || gt.Period != "2025" || gt.Source != obs.SourceDerived ||
		!closeRel(gt.Actual, 4.55e12/7.2) || !closeRel(gt.Baseline, 3.05e12/6.8974) {
		t.Errorf("goods_trade: %s %s %g baseline %g source %s", gt.Status, gt.Period, gt.Actual, gt.Baseline, gt.Source)
	}
	if !strings.Contains(strings.Join(gt.Notes, "\n"), "converted from 4.55万亿元 at 7.2 元/美元 (2025 annual average)") {
		t.Errorf("goods_trade notes: %q", gt.Notes)
	}
	if d := byID["digital_economy_share"]; d.Actual != 0.305 || d.Status != targets.AtRisk {
		t.Errorf("digital share: %s %g", d.Status, d.Actual)
	}
}

func closeRel(a, b float64) bool { return a == b || (a-b)/b < 1e-12 && (b-a)/b < 1e-12 }

func TestTargetsCommandErrors(t *testing.T) {
	cfg := seededStore(t)
	bad := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(bad, []byte("targets:\n  - id: x\n    indicator: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withTargets := filepath.Join(t.TempDir(), "trademon.yaml")
	base, _ := os.ReadFile(cfg)
	if err := os.WriteFile(withTargets, append(base, []byte("targets: "+bad+"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad --at", []string{"--config", cfg, "targets", "--at", "2025"}, 2, `trademon: --at: invalid date "2025": want YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day)`},
		{"bad --known", []string{"--config", cfg, "targets", "--known", "July"}, 2, `trademon: --known: invalid date "July"`},
		{"bad --format", []string{"--config", cfg, "targets", "--format", "xml"}, 2, `trademon: --format: unknown format "xml" (want table or json)`},
		{"bad targets file", []string{"--config", withTargets, "targets"}, 1, bad + `:3: targets[0].indicator: unknown indicator "nope"`},
		{"extra argument", []string{"--config", cfg, "targets", "now"}, 1, `unknown command "now" for "trademon targets"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}
