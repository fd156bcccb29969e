package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/targets"
)

// embeddedConfigFile writes a config file for an embedded store under dir, with extra lines.
func embeddedConfigFile(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := filepath.Join(dir, "trademon.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  kind: embedded\n  path: "+filepath.Join(dir, "data")+"\n"+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func verdictsJSON(t *testing.T, args ...string) map[string]targets.Verdict {
	t.Helper()
	code, out, stderr := run(t, append(args, "--format", "json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var vs []targets.Verdict
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	m := map[string]targets.Verdict{}
	for _, v := range vs {
		m[v.Target] = v
	}
	return m
}

// TestTargetsKnown: a retail figure published at 1.0万亿元 and revised to 1.06万亿元 in
// September 2024 is at_risk with what was known in July 2024, and on_track with what
// was known after the revision (and with everything known now).
func TestTargetsKnown(t *testing.T) {
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "data"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 10, 0, 0, 0, obs.Shanghai) }
	base := obs.Observation{Indicator: "retail_sales", Period: obs.YearPeriod(2020), Basis: obs.BasisYear, Value: 8e11,
		SourceKind: obs.KindManual, Source: obs.SourceManual, EnteredBy: "staff", RetrievedAt: day(2021, 3, 1), URL: "https://example.test/2020"}
	first := obs.Observation{Indicator: "retail_sales", Period: obs.YearPeriod(2023), Basis: obs.BasisYear, Value: 1.0e12,
		SourceKind: obs.KindCollector, Source: "retail/tjj-monthly", PublishedAt: day(2024, 1, 20), URL: "https://example.test/2023", Quote: "全年社会消费品零售总额1万亿元"}
	revised := first
	revised.Value, revised.PublishedAt, revised.Quote = 1.06e12, day(2024, 9, 1), "修订后全年社会消费品零售总额10600亿元"
	for _, batch := range [][]obs.Observation{{base, first}, {revised}} {
		for i := range batch {
			batch[i].Normalize()
		}
		if _, err := st.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := embeddedConfigFile(t, dir, "history: none\n")
	for _, c := range []struct {
		args   []string
		status targets.Status
		actual float64
	}{
		{[]string{"--known", "2024-07"}, targets.AtRisk, 1.0e12},
		{[]string{"--known", "2024-09-15"}, targets.OnTrack, 1.06e12},
		{[]string{"--at", "2024-07"}, targets.OnTrack, 1.06e12},
		{[]string{"--at", "2024-07", "--known", "2024-07"}, targets.AtRisk, 1.0e12},
		{[]string{"--known", "2021-12"}, targets.NoData, 0}, // the 2023 figure was not out: nothing after the baseline
	} {
		v := verdictsJSON(t, append([]string{"--config", cfg, "targets"}, c.args...)...)["retail_sales"]
		if v.Status != c.status || v.Actual != c.actual && c.actual != 0 {
			t.Errorf("%v: %s %g (notes %q), want %s %g", c.args, v.Status, v.Actual, v.Notes, c.status, c.actual)
		}
	}
	_, out, _ := run(t, "--config", cfg, "targets", "--known", "2024-07")
	if want := "截至 As of 2024-07-31 (Asia/Shanghai) · 以 2024-07-31 已发布数据为准 Known as of 2024-07-31\n"; len(out) < len(want) || out[:len(want)] != want {
		t.Errorf("table header %q", out)
	}
}

// TestFirstTargetsMatchesThePage: on a store that serve never opened, `trademon
// targets` shows the verdicts the page shows once serve has loaded the history.
func TestFirstTargetsMatchesThePage(t *testing.T) {
	dir := t.TempDir()
	cfg := embeddedConfigFile(t, dir, "")
	before := verdictsJSON(t, "--config", cfg, "targets", "--at", "2026-10-31")

	// What serve does: load the history, then evaluate (the page reads this snapshot).
	a := &app{logger: slog.New(slog.DiscardHandler)}
	a.configPath = cfg
	settings, err := a.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := openStore(ctx, settings, a.logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := seedHistory(ctx, st, settings, a.logger, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"result"})); err != nil {
		t.Fatal(err)
	}
	ts, _ := targets.Builtin()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, obs.Shanghai)
	svc := evaluation.New(evaluation.Options{Store: st, Targets: ts, Now: func() time.Time { return at }})
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	snap, _ := svc.Snapshot()
	judged := 0
	for _, page := range snap.Verdicts {
		cli := before[page.Target]
		if cli.Status != page.Status || cli.Actual != page.Actual || cli.Period != page.Period || cli.Expected != page.Expected {
			t.Errorf("%s: targets shows %s %g (%s), the page %s %g (%s)", page.Target, cli.Status, cli.Actual, cli.Period, page.Status, page.Actual, page.Period)
		}
		if page.Status != targets.NoData {
			judged++
		}
	}
	if judged < 4 {
		t.Errorf("only %d targets judged on the bundled history, want at least goods trade, retail, port and the digital share", judged)
	}
}
