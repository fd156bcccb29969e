package spool

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/storetest"
)

// textSink is a Sink writing one readable line per point into memory. Its failures
// are scripted by fail, which sees each request body.
type textSink struct {
	mu        sync.Mutex
	latest    []obs.Observation
	latestErr error
	fail      func(body string) error
	bodies    []string
	delivered []string // lines of the accepted requests
}

func (k *textSink) Latest(context.Context) ([]obs.Observation, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.latest, k.latestErr
}

func (k *textSink) AppendItem(dst []byte, it *Item) []byte {
	switch {
	case it.Observation != nil:
		o := it.Observation
		dst = fmt.Appendf(dst, "obs %s %v %s\n", o.Key(), o.Value, o.Quote)
		if r := it.Revision; r != nil {
			dst = fmt.Appendf(dst, "rev %s %v->%v @%d\n", r.Key, r.PreviousValue, r.Observation.Value, r.At.UnixNano())
		}
	case it.Conflict != nil:
		dst = fmt.Appendf(dst, "conflict %s %s %v\n", it.Conflict.Alternative.Key(), it.Conflict.Alternative.Source, it.Conflict.Alternative.Value)
	case it.Audit != nil:
		dst = fmt.Appendf(dst, "audit %s %s @%d %s\n", it.Audit.Action, it.Audit.User, it.Audit.Time.UnixNano(), it.Audit.Reason)
	case it.Evaluation != nil:
		dst = fmt.Appendf(dst, "evaluation %s %s @%d recorded@%d\n", it.Evaluation.Target, it.Evaluation.Status, it.Evaluation.Time.UnixNano(), it.At.UnixNano())
	}
	return dst
}

func (k *textSink) Write(_ context.Context, body []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.bodies = append(k.bodies, string(body))
	if k.fail != nil {
		if err := k.fail(string(body)); err != nil {
			return err
		}
	}
	k.delivered = append(k.delivered, strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")...)
	return nil
}

func (k *textSink) setFail(f func(string) error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fail = f
}

func (k *textSink) lines() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.delivered)
}

var errDown = &Error{Reason: ReasonUnreachable, Err: errors.New("connection refused")}

func testOptions() Options {
	return Options{BatchSize: 4, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
}

func openSpool(t *testing.T, path string, k Sink) *Spool {
	t.Helper()
	s, err := Open(path, k, testOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func sample(period string, v float64) obs.Observation {
	return storetest.Sample("retail_sales", period, obs.BasisMonth, obs.KindCollector, v)
}

// waitEmpty waits until the outbox is empty; the deadline only guards against a hang.
func waitEmpty(t *testing.T, s *Spool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.Stats().Entries > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spool not delivered: %+v", s.Stats())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	o := sample("2024-03", math.MaxFloat64)
	o.Quote = "引号\"，\n换行 \\ 😀"
	o.Estimate, o.Qualifier, o.EnteredBy, o.Note = true, "含国外先进标准", "张三", "备注"
	o.PublishedAt = time.Date(1601, 1, 1, 0, 0, 0, 1, time.UTC) // outside UnixNano's range
	o.RetrievedAt = time.Time{}
	yoy := -0.0
	o.YoY, o.Resolution = &yoy, 1e-2
	at := time.Date(2025, 11, 1, 2, 3, 4, 5, time.UTC)
	old, nw := 3.5e10, math.SmallestNonzeroFloat64
	tests := []intent{
		{seq: 7, kind: kindObservation, at: at, obs: o},
		{seq: 8, kind: kindConflict, at: at, conflict: obs.Conflict{Alternative: o, ExistingValue: 5e-324, ExistingSource: "s", ExistingURL: "u", DetectedAt: at}},
		{seq: 9, kind: kindAudit, at: at, audit: store.AuditRecord{Time: at, User: "张三", Remote: "r", Action: store.AuditRevise,
			Indicator: "services_trade", Period: "2024", Basis: obs.BasisYear, OldValue: &old, NewValue: &nw, Reason: "理由\n", Detail: "d"}},
		{seq: 10, kind: kindAudit, at: at, audit: store.AuditRecord{Time: at, Action: store.AuditLoginFailure}},
		{seq: 11, kind: kindEvaluation, at: at, evaluation: store.EvaluationRecord{Time: at, Target: "t", Status: "behind", Period: "2025-09",
			Actual: 1, Expected: math.MaxFloat64, Gap: -0.5, Projected: 0.1 + 0.2, Progress: -0.0}},
	}
	for _, want := range tests {
		b := encodeIntent(nil, &want)
		got, err := decodeIntent(want.seq, b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got.kind != want.kind || !got.at.Equal(want.at) {
			t.Errorf("header %d %v, want %d %v", got.kind, got.at, want.kind, want.at)
		}
		if d := storetest.Diff(want.obs, got.obs); d != "" {
			t.Errorf("observation: %s", d)
		}
		if d := storetest.Diff(want.conflict.Alternative, got.conflict.Alternative); d != "" {
			t.Errorf("conflict: %s", d)
		}
		if got.conflict.ExistingValue != want.conflict.ExistingValue || !got.conflict.DetectedAt.Equal(want.conflict.DetectedAt) {
			t.Errorf("conflict existing %v %v", got.conflict.ExistingValue, got.conflict.DetectedAt)
		}
		if d := storetest.DiffAudit(want.audit, got.audit); d != "" {
			t.Errorf("audit: %s", d)
		}
		if !got.evaluation.Time.Equal(want.evaluation.Time) || !sameEvaluationValues(got.evaluation, want.evaluation) {
			t.Errorf("evaluation %+v, want %+v", got.evaluation, want.evaluation)
		}
		for n := range len(b) { // every truncation is an error, never a panic
			if _, err := decodeIntent(1, b[:n]); err == nil {
				t.Fatalf("truncated intent (%d of %d bytes) decoded", n, len(b))
			}
		}
	}
	rec := encodeRecord(nil, &o)
	back, err := decodeRecord(rec)
	if err != nil || storetest.Diff(o, back) != "" {
		t.Fatalf("record: %v %s", err, storetest.Diff(o, back))
	}
	if _, err := decodeRecord(append(rec, 0)); err == nil {
		t.Fatal("a ledger record with a byte too many decoded")
	}
}

func sameEvaluationValues(a, b store.EvaluationRecord) bool {
	return a.Target == b.Target && a.Status == b.Status && a.Period == b.Period &&
		math.Float64bits(a.Actual) == math.Float64bits(b.Actual) && math.Float64bits(a.Expected) == math.Float64bits(b.Expected) &&
		math.Float64bits(a.Gap) == math.Float64bits(b.Gap) && math.Float64bits(a.Projected) == math.Float64bits(b.Projected) &&
		math.Float64bits(a.Progress) == math.Float64bits(b.Progress)
}

// TestCodecReadsVersion1 decodes records written by the version 1 codec (before the
// stated growth and the resolution were kept): testdata/codec-v1.hex holds an
// observation intent, a conflict intent and a ledger record as that release wrote them.
func TestCodecReadsVersion1(t *testing.T) {
	data, err := os.ReadFile("testdata/codec-v1.hex")
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for _, line := range strings.Fields(string(data)) {
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, b)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records in testdata, want 3", len(recs))
	}
	want := sample("2024-03", 8.2643e11)
	want.Quote = "1-3月，社零总额8264.30亿元"
	want.Estimate, want.Qualifier, want.EnteredBy, want.Note = true, "q", "张三", "备注"
	at := time.Date(2025, 11, 1, 2, 3, 4, 5, time.UTC)

	it, err := decodeIntent(7, recs[0])
	if err != nil || it.kind != kindObservation || !it.at.Equal(at) {
		t.Fatalf("observation intent: %+v, %v", it, err)
	}
	if d := storetest.Diff(want, it.obs); d != "" {
		t.Errorf("observation intent: %s", d)
	}
	it, err = decodeIntent(8, recs[1])
	if err != nil || it.kind != kindConflict || it.conflict.ExistingValue != 8.3e11 || it.conflict.ExistingURL != "u" || !it.conflict.DetectedAt.Equal(at) {
		t.Fatalf("conflict intent: %+v, %v", it, err)
	}
	if d := storetest.Diff(want, it.conflict.Alternative); d != "" {
		t.Errorf("conflict intent: %s", d)
	}
	o, err := decodeRecord(recs[2])
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.Diff(want, o); d != "" {
		t.Errorf("ledger record: %s", d)
	}
	// A version 1 record cannot hold the journal's kinds.
	bad := slices.Clone(recs[0])
	bad[1] = kindAudit
	if _, err := decodeIntent(9, bad); err == nil || !strings.Contains(err.Error(), "format version 1") {
		t.Errorf("audit kind in a version 1 record: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name     string
		min, max time.Duration
		rand     float64
		want     []time.Duration // after 1, 2, 3, ... failures
	}{
		{"lowest jitter", 1 * s, 60 * s, 0, []time.Duration{1 * s, 1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{"highest jitter", 1 * s, 60 * s, 1, []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s}},
		{"middle jitter", 2 * s, 10 * s, 0.5, []time.Duration{2 * s, 3 * s, 6 * s, 7500 * time.Millisecond, 7500 * time.Millisecond}},
		{"max below min", 5 * s, 1 * s, 0.5, []time.Duration{5 * s, 5 * s}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := Backoff{Min: tc.min, Max: tc.max, Rand: func() float64 { return tc.rand }}
			for i, want := range tc.want {
				if got := b.Failure(); got != want {
					t.Errorf("after %d failures: %v, want %v", i+1, got, want)
				}
			}
			b.Reset()
			if got := b.Failure(); got != tc.want[0] {
				t.Errorf("after reset: %v, want %v", got, tc.want[0])
			}
		})
	}
	// Whatever the jitter, delays stay within [min, max] and never overflow.
	b := Backoff{Min: time.Second, Max: 5 * time.Minute}
	for n := 1; n < 200; n++ {
		if d := b.Delay(n); d < time.Second || d > 5*time.Minute {
			t.Fatalf("Delay(%d) = %v, outside [1s, 5m]", n, d)
		}
	}
}

func TestDeliversInOrderWithRevisions(t *testing.T) {
	k := &textSink{}
	s := openSpool(t, filepath.Join(t.TempDir(), "spool.db"), k)
	if err := s.Sync(t.Context()); err != nil { // loads the (empty) ledger
		t.Fatal(err)
	}
	a1, b := sample("2024-01", 1), sample("2024-02", 2)
	a2 := a1
	a2.Value = 1.5
	out, err := s.Enqueue([]obs.Observation{a1, b, a2, a2, b})
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.Outcome{store.Created, store.Created, store.Updated, store.Unchanged, store.Unchanged}; !slices.Equal(out, want) {
		t.Fatalf("outcomes %v, want %v", out, want)
	}
	// Three intents are spooled (the unchanged ones are not); the append wakes the
	// delivery loop, so some may be delivered already.
	if st := s.Stats(); st.Entries > 3 {
		t.Fatalf("entries %d, want at most 3", st.Entries)
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	lines := k.lines()
	if len(lines) != 4 || !strings.HasPrefix(lines[3], "rev retail_sales/shenzhen/month/2024-01/collector 1->1.5 @") {
		t.Fatalf("delivered %q", lines)
	}
	if st := s.Stats(); st.Entries != 0 || !st.Oldest.IsZero() {
		t.Fatalf("after delivery: %+v", st)
	}
	out, _ = s.Enqueue([]obs.Observation{a2, a1})
	if !slices.Equal(out, []store.Outcome{store.Unchanged, store.Updated}) {
		t.Fatalf("against the ledger: %v", out)
	}
}

func TestQueuedUntilLedgerLoadedThenRevisionsAgainstDatabase(t *testing.T) {
	k := &textSink{latestErr: errDown}
	path := filepath.Join(t.TempDir(), "spool.db")
	s := openSpool(t, path, k)
	old := sample("2024-01", 10)
	newer := old
	newer.Value = 11
	out, err := s.Enqueue([]obs.Observation{newer, sample("2024-02", 20), newer})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out, []store.Outcome{store.Queued, store.Queued, store.Unchanged}) {
		t.Fatalf("outcomes before the ledger is loaded: %v", out)
	}
	if err := s.Sync(t.Context()); err == nil || !s.Failing() {
		t.Fatalf("Sync with the database down = %v, failing %v", err, s.Failing())
	}
	k.mu.Lock()
	k.latest, k.latestErr = []obs.Observation{old}, nil
	k.mu.Unlock()
	waitEmpty(t, s) // the retry timer delivers
	lines := k.lines()
	if len(lines) != 3 || !strings.Contains(lines[1], "rev retail_sales/shenzhen/month/2024-01/collector 10->11") {
		t.Fatalf("delivered %q, want a revision from the database's 10", lines)
	}
	if st := s.Stats(); !st.Bootstrapped || st.Failing {
		t.Fatalf("stats %+v", st)
	}
}

func TestQuarantineIsolatesRejectedPoint(t *testing.T) {
	k := &textSink{}
	k.fail = func(body string) error {
		if strings.Contains(body, "POISON") {
			return &Error{Reason: ReasonRejected, Rejected: true, Err: errors.New("partial write: field type conflict")}
		}
		return nil
	}
	s := openSpool(t, filepath.Join(t.TempDir(), "spool.db"), k)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	var in []obs.Observation
	for i := range 10 {
		in = append(in, sample(fmt.Sprintf("2023-%02d", i+1), float64(i+1)))
	}
	bad := sample("2024-06", 99)
	bad.Quote = "POISON"
	after := sample("2024-06", 100) // same key as the poison, after it
	in = slices.Insert(in, 5, bad, after)
	if _, err := s.Enqueue(in); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if st := s.Stats(); st.Entries != 0 || st.Quarantined != 1 {
		t.Fatalf("stats %+v, want empty outbox and 1 quarantined", st)
	}
	lines := k.lines()
	if len(lines) != 11 {
		t.Fatalf("delivered %d lines, want 11: %q", len(lines), lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "POISON") || strings.HasPrefix(l, "rev") {
			t.Errorf("delivered %q: the write after the rejected one must be planned without it", l)
		}
	}
	q, err := s.Quarantined()
	if err != nil || len(q) != 1 || q[0].Observation == nil || q[0].Observation.Quote != "POISON" || !strings.Contains(q[0].Err, "field type conflict") {
		t.Fatalf("quarantine %+v, %v", q, err)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_quarantined_entries"); v != 1 {
		t.Errorf("quarantined gauge %v", v)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_flush_errors_total", "reason", ReasonRejected); v != 1 {
		t.Errorf("rejected counter %v", v)
	}
	// A rejection is not an outage: the loop is not backing off.
	if s.Failing() {
		t.Error("spool failing after a quarantine")
	}
}

func TestLostAcknowledgementResendsIdenticalPoints(t *testing.T) {
	k := &textSink{}
	lost := true
	k.fail = func(string) error {
		if lost { // the database stored the batch but the answer never came
			lost = false
			return &Error{Reason: ReasonUnreachable, Err: context.DeadlineExceeded}
		}
		return nil
	}
	k.latest = []obs.Observation{sample("2024-01", 1)}
	s := openSpool(t, filepath.Join(t.TempDir(), "spool.db"), k)
	up := sample("2024-01", 2)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue([]obs.Observation{up, sample("2024-02", 3)}); err != nil {
		t.Fatal(err)
	}
	_ = s.Sync(t.Context())
	waitEmpty(t, s)
	k.mu.Lock()
	bodies := slices.Clone(k.bodies)
	k.mu.Unlock()
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[0], "rev ") {
		t.Fatalf("request bodies %q: a resend must repeat the same points with the same times", bodies)
	}
}

func TestSurvivesCrashAndReopen(t *testing.T) {
	k := &textSink{}
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, k, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	k.setFail(func(string) error { return errDown })
	a := sample("2024-01", 1)
	if _, err := s.Enqueue([]obs.Observation{a, sample("2024-02", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueConflicts([]obs.Conflict{{Alternative: sample("2024-03", 3), ExistingValue: 4}}); err != nil {
		t.Fatal(err)
	}
	s.abandon() // no last delivery, no close: as if the process died

	s2 := openSpool(t, path, k)
	if st := s2.Stats(); st.Entries != 3 || !st.Bootstrapped || st.Oldest.IsZero() {
		t.Fatalf("after reopen: %+v", st)
	}
	out, err := s2.Enqueue([]obs.Observation{a})
	if err != nil || out[0] != store.Unchanged {
		t.Fatalf("spooled figure forgotten across the crash: %v %v", out, err)
	}
	k.setFail(nil)
	waitEmpty(t, s2)
	if got := k.lines(); len(got) != 3 || !strings.HasPrefix(got[2], "conflict ") {
		t.Fatalf("delivered %q", got)
	}
}

// TestJournalSurvivesCrash: audit and evaluation records acknowledged while the
// database is down survive a crash, keep the times they were given (audit times
// unique per series, also across the restart) and are delivered in order.
func TestJournalSurvivesCrash(t *testing.T) {
	k := &textSink{}
	path := filepath.Join(t.TempDir(), "spool.db")
	now := time.Date(2025, 10, 1, 8, 0, 0, 0, time.UTC)
	opts := testOptions()
	opts.Now = func() time.Time { return now }
	s, err := Open(path, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	k.setFail(func(string) error { return errDown })
	r := store.AuditRecord{Time: now, User: "zhang.wei", Action: store.AuditApprove, Reason: "first"}
	r2 := r
	r2.Reason = "second"
	got, err := s.EnqueueAudit([]store.AuditRecord{r, r2})
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Time.Equal(now) || !got[1].Time.Equal(now.Add(time.Nanosecond)) {
		t.Fatalf("audit times %v, %v; want %v and 1 ns later", got[0].Time, got[1].Time, now)
	}
	e := store.EvaluationRecord{Time: now.Add(-time.Hour), Target: "retail_sales_2025", Status: "behind", Period: "2025-09"}
	if err := s.EnqueueEvaluations([]store.EvaluationRecord{e}); err != nil {
		t.Fatal(err)
	}
	s.abandon()

	s2, err := Open(path, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Close(context.Background()) })
	r3 := r
	r3.Reason = "after the crash"
	if got, err = s2.EnqueueAudit([]store.AuditRecord{r3}); err != nil || !got[0].Time.Equal(now.Add(2*time.Nanosecond)) {
		t.Fatalf("audit after the crash: %+v, %v; want it dated 2 ns after %v", got, err, now)
	}
	if st := s2.Stats(); st.Entries != 4 {
		t.Fatalf("after reopen: %+v, want 4 entries", st)
	}
	k.setFail(nil)
	waitEmpty(t, s2)
	want := []string{
		fmt.Sprintf("audit approve zhang.wei @%d first", now.UnixNano()),
		fmt.Sprintf("audit approve zhang.wei @%d second", now.UnixNano()+1),
		fmt.Sprintf("evaluation retail_sales_2025 behind @%d recorded@%d", e.Time.UnixNano(), now.UnixNano()+2),
		fmt.Sprintf("audit approve zhang.wei @%d after the crash", now.UnixNano()+2),
	}
	if got := k.lines(); !slices.Equal(got, want) {
		t.Fatalf("delivered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEnqueueWakesDelivery is issue 7's defect 9: acknowledged writes must not wait
// for a later Sync or write. Nothing here calls Sync after the first.
func TestEnqueueWakesDelivery(t *testing.T) {
	k := &textSink{}
	s := openSpool(t, filepath.Join(t.TempDir(), "spool.db"), k)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := s.Enqueue([]obs.Observation{sample(fmt.Sprintf("2024-%02d", i%12+1), float64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EnqueueConflicts([]obs.Conflict{{Alternative: sample("2023-01", 1), ExistingValue: 2}}); err != nil {
		t.Fatal(err)
	}
	waitEmpty(t, s)
	if got := k.lines(); len(got) != 21+8 { // 20 observations, 8 of them revisions, 1 conflict
		t.Fatalf("delivered %d lines, want 29:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestEnqueueDuringBackoffWaitsForTheTimer: while the database fails, a write does
// not cut the backoff short (a stream of writes must not hammer a database that is
// down); the timer's round delivers it.
func TestEnqueueDuringBackoffWaitsForTheTimer(t *testing.T) {
	k := &textSink{}
	k.fail = func(string) error { return errDown }
	opts := testOptions()
	opts.RetryMin, opts.RetryMax, opts.BatchSize = time.Hour, time.Hour, 100
	s, err := Open(filepath.Join(t.TempDir(), "spool.db"), k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if _, err := s.Enqueue([]obs.Observation{sample("2024-01", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(t.Context()); err == nil { // fails: the loop now waits an hour
		t.Fatal("Sync succeeded with the database down")
	}
	if !s.Failing() {
		t.Fatal("spool not failing after a failed round")
	}
	k.mu.Lock()
	failed := len(k.bodies) // the first append's wake-up may have made a round of its own
	k.mu.Unlock()
	k.setFail(nil)
	for i := range 5 {
		if _, err := s.Enqueue([]obs.Observation{sample(fmt.Sprintf("2024-%02d", i+2), 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(t.Context()); err != nil { // an explicit Sync still delivers
		t.Fatal(err)
	}
	k.mu.Lock()
	n := len(k.bodies)
	k.mu.Unlock()
	if n != failed+1 { // the failed rounds and the Sync's round: no round per write
		t.Errorf("%d write requests, want %d", n, failed+1)
	}
	if got := k.lines(); len(got) != 6 {
		t.Errorf("delivered %q, want 6 observations", got)
	}
}

func TestCloseKeepsUndeliveredAndMetrics(t *testing.T) {
	k := &textSink{}
	k.fail = func(string) error { return errDown }
	path := filepath.Join(t.TempDir(), "spool.db")
	now := time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	opts := testOptions()
	opts.Now = clock
	opts.RetryMin, opts.RetryMax = time.Hour, time.Hour // no retries during the test
	s, err := Open(path, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	if _, err := s.Enqueue([]obs.Observation{sample("2024-01", 1), sample("2024-02", 2)}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(90 * time.Second)
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_entries"); v != 2 {
		t.Errorf("entries gauge %v, want 2", v)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_oldest_age_seconds"); v != 90 {
		t.Errorf("oldest age %v, want 90", v)
	}
	_ = s.Sync(t.Context())
	if v := storetest.MetricValue(t, reg, "trademon_store_spool_flush_errors_total", "reason", ReasonUnreachable); v < 1 {
		t.Errorf("unreachable counter %v, want ≥ 1", v)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Enqueue([]obs.Observation{sample("2024-03", 3)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
	s2, err := Open(path, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close(context.Background())
	if st := s2.Stats(); st.Entries != 2 || !st.Oldest.Equal(time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("after reopen %+v", st)
	}
}
