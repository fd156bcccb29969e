package influx

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// envCrashChild carries the config of the child process of TestHardStopLosesNothing.
const envCrashChild = "TRADEMON_TEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if c := os.Getenv(envCrashChild); c != "" {
		os.Exit(crashChild(c))
	}
	os.Exit(m.Run())
}

// series returns n observations with distinct keys (months from start) and values
// value(i).
func series(indicator string, start obs.Period, n int, value func(i int) float64) []obs.Observation {
	out := make([]obs.Observation, n)
	p := start
	for i := range n {
		out[i] = storetest.Sample(indicator, p.String(), obs.BasisMonth, obs.KindCollector, value(i))
		p = p.Next()
	}
	return out
}

func scaled(os []obs.Observation, f float64) []obs.Observation {
	out := slices.Clone(os)
	for i := range out {
		out[i].Value *= f
	}
	return out
}

// waitDelivered waits until the store's spool is empty; the deadline only guards
// against a hang and is not a performance assertion.
func waitDelivered(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := s.SpoolStats()
		if st.Entries == 0 && st.Bootstrapped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spool not delivered within 60s: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func outcomes(t *testing.T, got []store.Outcome, want ...any) {
	t.Helper()
	var w []store.Outcome
	for i := 0; i < len(want); i += 2 {
		for range want[i].(int) {
			w = append(w, want[i+1].(store.Outcome))
		}
	}
	if !slices.Equal(got, w) {
		t.Fatalf("outcomes %v, want %v", got, w)
	}
}

// seriesKey is how influxtest.CountPoints names an observation's series.
func seriesKey(o obs.Observation) string {
	return fmt.Sprintf("basis=%s,indicator=%s,period=%s,region=%s,source_kind=%s", o.Basis, o.Indicator, o.Period, o.Region, o.SourceKind)
}

// exactlyOnce checks that measurement holds one point per observation in os (and
// nothing else), or want[key] points where given; a negative want ignores the series.
func exactlyOnce(t *testing.T, srv *influxtest.Server, bucket, measurement string, os []obs.Observation, want map[string]int) {
	t.Helper()
	got := srv.CountPoints(t, bucket, measurement, "value")
	expect := map[string]int{}
	for _, o := range os {
		expect[seriesKey(o)] = 1
	}
	for k, n := range want {
		expect[k] = n
	}
	for k, n := range expect {
		if n >= 0 && got[k] != n {
			t.Errorf("%s %s: %d points, want %d", measurement, k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := expect[k]; !ok {
			t.Errorf("%s %s: %d unexpected points", measurement, k, n)
		}
	}
}

// TestOutageLosesNothing is the outage test with a graceful restart: InfluxDB
// stops, trademon keeps acknowledging writes, restarts (twice) while InfluxDB is down,
// InfluxDB comes back, and every point arrives exactly once.
func TestOutageLosesNothing(t *testing.T) {
	p := influxtest.StartProcess(t)
	srv := p.Server()
	cfg := testConfig(t, srv)
	ctx := t.Context()

	s := openStore(t, cfg)
	a := series("retail_sales", obs.MonthPeriod(2020, 1), 40, func(i int) float64 { return float64(i+1) * 1e9 })
	out, err := s.Put(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	outcomes(t, out, 40, store.Created)

	p.Stop(t)
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with InfluxDB down")
	}
	if _, err := s.Query(ctx, store.Filter{}); err == nil {
		t.Fatal("Query succeeded with InfluxDB down")
	}
	fresh := series("goods_trade_cny", obs.MonthPeriod(2020, 1), 20, func(i int) float64 { return float64(i+1) * 1e10 })
	b := slices.Concat(scaled(a[:20], 2), fresh, a[30:])
	out, err = s.Put(ctx, b)
	if err != nil {
		t.Fatalf("Put with InfluxDB down: %v", err)
	}
	outcomes(t, out, 20, store.Updated, 20, store.Created, 10, store.Unchanged)
	conflicts := []obs.Conflict{
		{Alternative: fresh[0], ExistingValue: 1, ExistingSource: "x", DetectedAt: time.Now()},
		{Alternative: fresh[1], ExistingValue: 2, ExistingSource: "y", DetectedAt: time.Now()},
		{Alternative: a[5], ExistingValue: 3, ExistingSource: "z", DetectedAt: time.Now()},
	}
	conflicts[2].Alternative.Source = "port/other"
	if err := s.PutConflicts(ctx, conflicts); err != nil {
		t.Fatalf("PutConflicts with InfluxDB down: %v", err)
	}
	if st := s.SpoolStats(); st.Entries != 43 || !st.Failing {
		t.Fatalf("spool %+v, want 43 entries and failing", st)
	}
	if err := s.Close(); err != nil { // trademon stops while InfluxDB is down
		t.Fatalf("Close: %v", err)
	}

	s2 := openStore(t, cfg) // and starts again, InfluxDB still down
	if st := s2.SpoolStats(); st.Entries != 43 {
		t.Fatalf("after restart: %+v, want 43 entries", st)
	}
	out, err = s2.Put(ctx, slices.Concat(scaled(a[:10], 3), scaled(a[:10], 3)))
	if err != nil {
		t.Fatal(err)
	}
	outcomes(t, out, 10, store.Updated, 10, store.Unchanged)
	if err := s2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	p.Start(t)
	s3 := openStore(t, cfg)
	waitDelivered(t, s3)

	final := slices.Concat(scaled(a[:10], 3), scaled(a[10:20], 2), a[20:], fresh)
	obs.Sort(final)
	exactlyOnce(t, srv, cfg.Bucket, MeasurementObservation, final, nil)
	revCounts := map[string]int{}
	for i, o := range a[:20] {
		revCounts[seriesKey(o)] = 1
		if i < 10 {
			revCounts[seriesKey(o)] = 2 // updated before and after the restart
		}
	}
	exactlyOnce(t, srv, cfg.Bucket, MeasurementRevision, nil, revCounts)
	got := srv.CountPoints(t, cfg.Bucket, MeasurementConflict, "value")
	if len(got) != 3 {
		t.Errorf("conflict series %v, want 3", got)
	}
	storetest.EqualObservations(t, final, mustQuery(t, s3))
	revs, err := s3.Revisions(ctx, store.Filter{Indicators: []string{"retail_sales"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 30 {
		t.Fatalf("%d revisions, want 30", len(revs))
	}
	var chain []float64
	for _, r := range revs {
		if r.Key == a[0].Key() {
			chain = append(chain, r.PreviousValue, r.Observation.Value)
		}
	}
	if !slices.Equal(chain, []float64{1e9, 2e9, 2e9, 3e9}) {
		t.Errorf("revisions of %s: %v, want 1e9→2e9, 2e9→3e9", a[0].Key(), chain)
	}
	if err := s3.Ping(ctx); err != nil {
		t.Errorf("Ping after recovery: %v", err)
	}
}

func mustQuery(t *testing.T, s store.Store) []obs.Observation {
	t.Helper()
	got, err := s.Query(t.Context(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// childConfig is what the parent hands its child process.
type childConfig struct {
	URL, Bucket, Dir string
}

// crashChild runs in a child process: with InfluxDB down, it writes through a fresh
// spool, reports the acknowledgement, and waits to be killed.
func crashChild(c string) int {
	var cc childConfig
	if err := json.Unmarshal([]byte(c), &cc); err != nil {
		fmt.Println("ERR", err)
		return 2
	}
	s, err := Open(context.Background(), Config{URL: cc.URL, Bucket: cc.Bucket, Dir: cc.Dir, Timeout: 5 * time.Second,
		RetryMin: time.Hour, RetryMax: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("ERR", err)
		return 2
	}
	updated := scaled(crashBase()[:10], 2)
	out, err := s.Put(context.Background(), slices.Concat(updated, crashNew(), updated))
	if err != nil {
		fmt.Println("ERR", err)
		return 2
	}
	strs := make([]string, len(out))
	for i, o := range out {
		strs[i] = string(o)
	}
	fmt.Println("ACK", strings.Join(strs, ","))
	time.Sleep(2 * time.Minute) // killed long before; exits anyway if the parent died
	return 3
}

func crashBase() []obs.Observation {
	return series("port_container_throughput", obs.MonthPeriod(2019, 1), 20, func(i int) float64 { return float64(i+1) * 1e6 })
}

func crashNew() []obs.Observation {
	return series("retail_sales", obs.MonthPeriod(2019, 1), 20, func(i int) float64 { return float64(i+1) * 1e10 })
}

// TestHardStopLosesNothing kills a trademon process (SIGKILL, no Close) right after it
// acknowledged writes made while InfluxDB was down with a brand-new spool file. When
// InfluxDB and trademon are back, every write arrives exactly once and the revisions
// are decided against what InfluxDB held before the outage.
func TestHardStopLosesNothing(t *testing.T) {
	p := influxtest.StartProcess(t)
	srv := p.Server()
	cfg := testConfig(t, srv)

	before := openStore(t, Config{URL: cfg.URL, Bucket: cfg.Bucket, Dir: t.TempDir(), Logger: cfg.Logger})
	if _, err := before.Put(t.Context(), crashBase()); err != nil {
		t.Fatal(err)
	}
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}
	p.Stop(t)

	cc, _ := json.Marshal(childConfig{URL: cfg.URL, Bucket: cfg.Bucket, Dir: cfg.Dir})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashChild+"="+string(cc))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if kerr := cmd.Process.Kill(); kerr != nil {
		t.Fatalf("kill child: %v", kerr)
	}
	_ = cmd.Wait()
	if err != nil || !strings.HasPrefix(line, "ACK ") {
		t.Fatalf("child said %q (%v)", line, err)
	}
	want := strings.Repeat("queued,", 30) + strings.Repeat("unchanged,", 10)
	if got := strings.TrimSpace(strings.TrimPrefix(line, "ACK ")) + ","; got != want {
		t.Fatalf("child outcomes %s, want %s", got, want)
	}

	p.Start(t)
	s := openStore(t, cfg) // the dead child's spool directory
	waitDelivered(t, s)
	base := crashBase()
	final := slices.Concat(scaled(base[:10], 2), base[10:], crashNew())
	exactlyOnce(t, srv, cfg.Bucket, MeasurementObservation, final, nil)
	exactlyOnce(t, srv, cfg.Bucket, MeasurementRevision, base[:10], nil)
	obs.Sort(final)
	storetest.EqualObservations(t, final, mustQuery(t, s))
	revs, err := s.Revisions(t.Context(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range revs {
		i := r.Observation.Period.Month() - 1
		if r.PreviousValue != base[i].Value || r.Observation.Value != 2*base[i].Value {
			t.Errorf("revision %s: %v → %v, want %v → %v", r.Key, r.PreviousValue, r.Observation.Value, base[i].Value, 2*base[i].Value)
		}
	}
}

// TestLostAcknowledgementIsIdempotent loses InfluxDB's answers to batches it stored:
// the spool sends them again, and InfluxDB still holds one point per series and time.
func TestLostAcknowledgementIsIdempotent(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := testConfig(t, srv)
	cfg.BatchSize = 7
	s := openStore(t, cfg)
	a := series("retail_sales", obs.MonthPeriod(2015, 1), 20, func(i int) float64 { return float64(i+1) * 1e9 })
	if _, err := s.Put(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	var lose atomic.Int32
	lose.Store(3)
	hook := func(err error) error {
		if err == nil && lose.Add(-1) >= 0 {
			return context.DeadlineExceeded // stored, but the answer never came
		}
		return err
	}
	s.afterWrite.Store(&hook)
	b := slices.Concat(scaled(a, 2), series("retail_sales", obs.MonthPeriod(2017, 1), 10, func(i int) float64 { return 7e9 }))
	out, err := s.Put(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	outcomes(t, out, 20, store.Updated, 10, store.Created)
	waitDelivered(t, s)
	if lose.Load() >= 0 {
		t.Fatalf("only %d acknowledgements were lost", 3-lose.Load())
	}
	exactlyOnce(t, srv, cfg.Bucket, MeasurementObservation, b, nil)
	exactlyOnce(t, srv, cfg.Bucket, MeasurementRevision, a, nil)
	if revs, err := s.Revisions(t.Context(), store.Filter{}); err != nil || len(revs) != 20 {
		t.Fatalf("%d revisions (%v), want 20", len(revs), err)
	}
}

// TestPoisonPointQuarantined provokes a real rejection: a foreign point made the
// value field a string in one shard, so InfluxDB refuses our float for that period.
// The bad point is quarantined and counted; the good ones in the same batch arrive.
func TestPoisonPointQuarantined(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := testConfig(t, srv)
	bad := storetest.Sample("retail_sales", "2024-03", obs.BasisMonth, obs.KindCollector, 6e10)
	srv.MustWrite(t, cfg.Bucket, fmt.Sprintf("observation,basis=month,indicator=retail_sales,period=2024-03,region=shenzhen,source_kind=reference value=\"oops\" %d\n", bad.Time().UnixNano()))

	s := openStore(t, cfg)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	good := series("goods_trade_cny", obs.MonthPeriod(2023, 1), 12, func(i int) float64 { return float64(i+1) * 1e11 })
	batch := slices.Insert(slices.Clone(good), 7, bad)
	out, err := s.Put(t.Context(), batch)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	outcomes(t, out, 13, store.Created)
	st := s.SpoolStats()
	if st.Entries != 0 || st.Quarantined != 1 || st.Failing {
		t.Fatalf("spool %+v, want empty, 1 quarantined, not failing", st)
	}
	q, err := s.Quarantined()
	if err != nil || len(q) != 1 || q[0].Observation == nil || q[0].Observation.Key() != bad.Key() || !strings.Contains(q[0].Err, "field type conflict") {
		t.Fatalf("quarantine %+v (%v)", q, err)
	}
	foreign := bad
	foreign.SourceKind = obs.KindReference
	// The foreign string point is no concern of ours (Flux on 1.8 does not count it).
	exactlyOnce(t, srv, cfg.Bucket, MeasurementObservation, good, map[string]int{seriesKey(foreign): -1})
	storetest.EqualObservations(t, good, mustQuery(t, s))
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_quarantined_entries"); v != 1 {
		t.Errorf("quarantined gauge %v, want 1", v)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_flush_errors_total", "reason", "rejected"); v != 1 {
		t.Errorf("rejected counter %v, want 1", v)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_writes_total", "result", "ok"); v != 13 {
		t.Errorf("writes ok %v, want 13", v)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_entries"); v != 0 {
		t.Errorf("entries gauge %v, want 0", v)
	}
	// The quarantine outlives a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := openStore(t, cfg).SpoolStats(); st.Quarantined != 1 {
		t.Fatalf("after reopen %+v", st)
	}
}

// TestCloseDeliversWhenLedgerNeverLoaded is issue 7's defect 9: trademon starts while
// InfluxDB is down (the spool's ledger is never loaded), InfluxDB comes back, and
// trademon stops before the backoff timer fires. Close must deliver what it can
// instead of failing with "store closed" and leaving it for the next start.
func TestCloseDeliversWhenLedgerNeverLoaded(t *testing.T) {
	p := influxtest.StartProcess(t)
	srv := p.Server()
	cfg := testConfig(t, srv)
	cfg.RetryMin, cfg.RetryMax = time.Hour, time.Hour // only Close may deliver
	p.Stop(t)

	s := openStore(t, cfg)
	a := series("retail_sales", obs.MonthPeriod(2024, 1), 5, func(i int) float64 { return float64(i+1) * 1e10 })
	out, err := s.Put(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	outcomes(t, out, 5, store.Queued)
	p.Start(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	exactlyOnce(t, srv, cfg.Bucket, MeasurementObservation, a, nil)

	s2 := openStore(t, cfg)
	if st := s2.SpoolStats(); st.Entries != 0 || !st.Bootstrapped {
		t.Fatalf("spool after Close %+v, want empty and its ledger loaded", st)
	}
}

// TestPutWithEndedContextIsDelivered: a write whose caller's context ended right
// after the acknowledgement (a client that hung up) is delivered all the same.
func TestPutWithEndedContextIsDelivered(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := testConfig(t, srv)
	cfg.RetryMin, cfg.RetryMax = time.Hour, time.Hour
	s := openStore(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a := series("goods_trade_cny", obs.MonthPeriod(2024, 1), 20, func(i int) float64 { return float64(i+1) * 1e10 })
	for i := range a {
		if _, err := s.Put(ctx, a[i:i+1]); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	waitDelivered(t, s)
	exactlyOnce(t, srv, cfg.Bucket, MeasurementObservation, a, nil)
}
