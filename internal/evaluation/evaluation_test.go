package evaluation

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/targets"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// asOf is the fixed evaluation time of these tests: 2026-11-26 10:00 Asia/Shanghai.
var asOf = time.Date(2026, 11, 26, 10, 0, 0, 0, obs.Shanghai)

func fixture(t testing.TB) (store.Store, []targets.Target, []targets.Task) {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ts, err := targets.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := targets.BuiltinTasks()
	if err != nil {
		t.Fatal(err)
	}
	return st, ts, tasks
}

func ob(ind, period string, basis obs.Basis, v float64, kind obs.SourceKind) obs.Observation {
	o := obs.Observation{Indicator: ind, Period: obs.MustParsePeriod(period), Basis: basis, Value: v,
		SourceKind: kind, Source: "test", URL: "https://example.org/" + ind + "/" + period, Quote: ind + " " + period}
	if kind == obs.KindManual {
		o.Source, o.EnteredBy = obs.SourceManual, "tester"
	}
	o.Normalize()
	return o
}

// sample is a small, fixed set of figures: enough for several statuses.
func sample() []obs.Observation {
	return []obs.Observation{
		ob("goods_trade_cny", "2020", obs.BasisYear, 3.05e12, obs.KindReference),
		ob("goods_trade_cny", "2025", obs.BasisYear, 4.55e12, obs.KindReference),
		ob("usd_cny_rate", "2020", obs.BasisYear, 6.8976, obs.KindManual),
		ob("usd_cny_rate", "2025", obs.BasisYear, 7.18, obs.KindManual),
		ob("port_container_throughput", "2020", obs.BasisYear, 2.655e7, obs.KindReference),
		ob("port_container_throughput", "2024", obs.BasisYear, 3.338e7, obs.KindReference),
		ob("port_container_throughput", "2025-10", obs.BasisYTD, 2.70e7, obs.KindCollector),
		ob("retail_sales", "2020", obs.BasisYear, 8.6645e11, obs.KindReference),
		ob("retail_sales", "2023", obs.BasisYear, 1.05e12, obs.KindReference),
		ob("international_standards", "2020-12", obs.BasisStock, 2200, obs.KindManual),
		ob("international_standards", "2021-10", obs.BasisStock, 2363, obs.KindReference),
		ob("digital_economy_share", "2020", obs.BasisYear, 0.305, obs.KindReference),
	}
}

func newService(t testing.TB, st store.Store, ts []targets.Target, tasks []targets.Task) *Service {
	return New(Options{Store: st, Targets: ts, Tasks: tasks, Now: func() time.Time { return asOf }})
}

func TestMetricsGolden(t *testing.T) {
	st, ts, tasks := fixture(t)
	if _, err := st.Put(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, ts, tasks)
	if err := svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(svc.Collector())
	got := exposition(t, reg)
	// The evaluation's own duration varies from run to run; the golden leaves it out.
	stable := dropSeries(got, "trademon_evaluation_duration_seconds")

	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.WriteFile(golden, stable, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(stable, want) {
		t.Errorf("/metrics output differs from %s (go test -update rewrites it):\n%s", golden, diff(string(want), string(stable)))
	}

	// Spot-check values that must hold whatever the golden says.
	for _, c := range []struct {
		name, labels string
		want         float64
	}{
		{"trademon_target_goal_value", `target="goods_trade"`, 5e11},
		{"trademon_target_status", `status="achieved",target="goods_trade"`, 1},
		{"trademon_target_status", `status="no_data",target="services_trade"`, 1},
		{"trademon_indicator_latest_value", `basis="ytd",indicator="port_container_throughput"`, 2.7e7},
		// The port figure after 2025-10 is November's, due 20 days after November ends.
		{"trademon_indicator_next_release_due_timestamp_seconds", `indicator="port_container_throughput"`,
			float64(time.Date(2025, 12, 21, 0, 0, 0, 0, obs.Shanghai).Unix())},
		{"trademon_evaluation_last_success_timestamp_seconds", ``, float64(asOf.Unix())},
	} {
		line := c.name
		if c.labels != "" {
			line += "{" + c.labels + "}"
		}
		if v, ok := sampleValue(string(got), line); !ok || v != c.want {
			t.Errorf("%s = %v (present %v), want %v", line, v, ok, c.want)
		}
	}
	// No sample carries a timestamp.
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.TimestampMs != nil {
				t.Errorf("%s has a sample timestamp", name)
			}
		}
	}
	promtoolCheck(t, got)
}

// exposition renders the registry in the Prometheus text format, as /metrics does.
func exposition(t testing.TB, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func sampleValue(text, series string) (float64, bool) {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f, true
			}
		}
	}
	return 0, false
}

// promtoolCheck runs `promtool check metrics` on the exposition when promtool is
// installed; CI installs it, so there a missing promtool fails the test.
func promtoolCheck(t *testing.T, exp []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found; CI must install it (Debian package prometheus)")
		}
		t.Skip("promtool not installed; skipping promtool check metrics")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestRefreshAfterWrite(t *testing.T) {
	st, ts, tasks := fixture(t)
	svc := newService(t, st, ts, tasks)
	ns := NotifyingStore{Store: st, Svc: svc}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.Run(ctx, time.Hour) // the timer never fires in this test: only writes refresh

	waitFor(t, "first evaluation", func() bool { _, ok := svc.Snapshot(); return ok })
	if v := verdict(t, svc, "port_container_throughput"); v.Status != targets.NoData {
		t.Fatalf("before any write: status %s, want no_data", v.Status)
	}
	if _, err := ns.Put(ctx, []obs.Observation{
		ob("port_container_throughput", "2020", obs.BasisYear, 2.655e7, obs.KindManual),
		ob("port_container_throughput", "2025", obs.BasisYear, 3.4e7, obs.KindManual),
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "refresh after write", func() bool { return verdict(t, svc, "port_container_throughput").Status == targets.Achieved })
	if got := verdict(t, svc, "port_container_throughput").Actual; got != 3.4e7 {
		t.Errorf("actual = %v, want 3.4e7", got)
	}
	// Staff figures are written with their audit records (store.PutWithAudit): the
	// same refresh.
	if _, err := ns.PutWithAudit(ctx, []obs.Observation{ob("port_container_throughput", "2025", obs.BasisYear, 3.5e7, obs.KindManual)},
		[]store.AuditRecord{{User: "zhang.wei", Action: store.AuditRevise, Indicator: "port_container_throughput", Period: "2025", Basis: obs.BasisYear}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "refresh after an audited write", func() bool { return verdict(t, svc, "port_container_throughput").Actual == 3.5e7 })
}

type failingStore struct{ store.Store }

func (failingStore) Query(context.Context, store.Filter) ([]obs.Observation, error) {
	return nil, errors.New("connection refused")
}

func TestRefreshFailureKeepsSnapshot(t *testing.T) {
	st, ts, tasks := fixture(t)
	if _, err := st.Put(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, ts, tasks)
	if err := svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc.store = failingStore{st}
	err := svc.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Refresh error = %v, want the store's error", err)
	}
	if _, ok := svc.Snapshot(); !ok {
		t.Fatal("the previous snapshot was dropped")
	}
	if v := verdict(t, svc, "goods_trade"); v.Status != targets.Achieved {
		t.Errorf("goods_trade status after a failed refresh = %s, want the cached achieved", v.Status)
	}
	if got := testutil.ToFloat64(svc.m.refreshes.WithLabelValues("error")); got != 1 {
		t.Errorf("refreshes_total{result=error} = %v, want 1", got)
	}
	if svc.LastError() == nil {
		t.Error("LastError is nil after a failed refresh")
	}
}

func verdict(t testing.TB, svc *Service, id string) targets.Verdict {
	t.Helper()
	snap, ok := svc.Snapshot()
	if !ok {
		t.Fatal("no snapshot")
	}
	for _, v := range snap.Verdicts {
		if v.Target == id {
			return v
		}
	}
	t.Fatalf("no verdict for %s", id)
	return targets.Verdict{}
}

// waitFor polls cond until it holds; it fails the test after a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// diff lists the lines only in want (-) and only in got (+), enough to see what changed.
func diff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// dropSeries removes a metric family (its HELP, TYPE and samples) from an exposition.
func dropSeries(exp []byte, name string) []byte {
	var out bytes.Buffer
	for _, l := range strings.SplitAfter(string(exp), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && (f[0] == name || (len(f) > 2 && f[0] == "#" && f[2] == name)) {
			continue
		}
		out.WriteString(l)
	}
	return out.Bytes()
}
