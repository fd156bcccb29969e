package storetest

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

// journalTests are the conformance tests of store.Journal.
var journalTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"AuditRoundTrip", testAuditRoundTrip},
	{"AuditSameInstant", testAuditSameInstant},
	{"AuditFilters", testAuditFilters},
	{"AuditNormalizes", testAuditNormalizes},
	{"AuditInvalidWritesNothing", testAuditInvalid},
	{"AuditConcurrent", testAuditConcurrent},
	{"EvaluationsRoundTrip", testEvaluationsRoundTrip},
	{"EvaluationsReplaceSameTargetAndTime", testEvaluationsReplace},
	{"EvaluationsFilters", testEvaluationsFilters},
	{"EvaluationsInvalidWritesNothing", testEvaluationsInvalid},
	// PutWithAudit: observations and audit records in one step (audited.go).
	{"PutWithAudit", testPutWithAudit},
	{"PutWithAuditInvalidWritesNothing", testPutWithAuditInvalid},
	{"PutWithAuditConcurrent", testPutWithAuditConcurrent},
}

func ptr(v float64) *float64 { return &v }

// DiffAudit describes how got differs from want ("" when equal). Times are compared
// as instants, values bit for bit.
func DiffAudit(want, got store.AuditRecord) string {
	var d []string
	add := func(field string, w, g any) { d = append(d, fmt.Sprintf("%s: want %#v, got %#v", field, w, g)) }
	if !want.Time.Equal(got.Time) {
		add("time", want.Time.Format(time.RFC3339Nano), got.Time.Format(time.RFC3339Nano))
	}
	for _, f := range []struct{ name, w, g string }{
		{"user", want.User, got.User}, {"remote", want.Remote, got.Remote}, {"action", string(want.Action), string(got.Action)},
		{"indicator", want.Indicator, got.Indicator}, {"period", want.Period, got.Period}, {"basis", string(want.Basis), string(got.Basis)},
		{"reason", want.Reason, got.Reason}, {"detail", want.Detail, got.Detail},
	} {
		if f.w != f.g {
			add(f.name, f.w, f.g)
		}
	}
	if !sameOpt(want.OldValue, got.OldValue) {
		add("old_value", fmtOpt(want.OldValue), fmtOpt(got.OldValue))
	}
	if !sameOpt(want.NewValue, got.NewValue) {
		add("new_value", fmtOpt(want.NewValue), fmtOpt(got.NewValue))
	}
	return strings.Join(d, "; ")
}

func sameOpt(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Float64bits(*a) == math.Float64bits(*b)
}

func fmtOpt(v *float64) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(*v)
}

// EqualAudit fails t unless got holds exactly want, in order.
func EqualAudit(t testing.TB, want, got []store.AuditRecord) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %d audit records, want %d:\n got: %+v\nwant: %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if d := DiffAudit(want[i], got[i]); d != "" {
			t.Errorf("audit record %d (%s by %s): %s", i, want[i].Action, want[i].User, d)
		}
	}
}

// EqualEvaluations fails t unless got holds exactly want, in order.
func EqualEvaluations(t testing.TB, want, got []store.EvaluationRecord) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %d evaluation records, want %d:\n got: %+v\nwant: %+v", len(got), len(want), got, want)
	}
	for i, w := range want {
		g := got[i]
		same := w.Time.Equal(g.Time) && w.Target == g.Target && w.Status == g.Status && w.Period == g.Period
		for _, p := range [][2]float64{{w.Actual, g.Actual}, {w.Expected, g.Expected}, {w.Gap, g.Gap}, {w.Projected, g.Projected}, {w.Progress, g.Progress}} {
			same = same && math.Float64bits(p[0]) == math.Float64bits(p[1])
		}
		if !same {
			t.Errorf("evaluation record %d:\n got: %+v\nwant: %+v", i, g, w)
		}
	}
}

func appendAudit(t *testing.T, s store.Store, rs ...store.AuditRecord) {
	t.Helper()
	if err := s.AppendAudit(ctx(t), rs); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func audit(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditRecord {
	t.Helper()
	got, err := s.Audit(ctx(t), f)
	if err != nil {
		t.Fatalf("Audit(%+v): %v", f, err)
	}
	return got
}

func appendEvaluations(t *testing.T, s store.Store, es ...store.EvaluationRecord) {
	t.Helper()
	if err := s.AppendEvaluations(ctx(t), es); err != nil {
		t.Fatalf("AppendEvaluations: %v", err)
	}
}

func evaluations(t *testing.T, s store.Store, f store.EvaluationFilter) []store.EvaluationRecord {
	t.Helper()
	got, err := s.Evaluations(ctx(t), f)
	if err != nil {
		t.Fatalf("Evaluations(%+v): %v", f, err)
	}
	return got
}

// base is a fixed instant the journal tests date their records from.
var base = time.Date(2025, 10, 20, 9, 30, 0, 123456789, obs.Shanghai)

// SampleAudit returns a revision record of user at t with every field set.
func SampleAudit(user string, t time.Time) store.AuditRecord {
	return store.AuditRecord{
		Time: t, User: user, Remote: "10.1.2.3:54321", Action: store.AuditRevise,
		Indicator: "services_trade", Period: "2024", Basis: obs.BasisYear,
		OldValue: ptr(3.5e10), NewValue: ptr(3.62e10), Reason: "按商务部口径更正", Detail: "",
	}
}

func utcAudit(rs ...store.AuditRecord) []store.AuditRecord {
	out := make([]store.AuditRecord, len(rs))
	for i, r := range rs {
		r.Time = r.Time.UTC()
		out[i] = r
	}
	return out
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	a := SampleAudit("zhang.wei", base)
	b := store.AuditRecord{Time: base.Add(time.Second), User: "li.na", Remote: "[::1]:1", Action: store.AuditCreate,
		Indicator: "retail_sales", Period: "2025-09", Basis: obs.BasisYTD, NewValue: ptr(0.1 + 0.2), Reason: hardTexts[1], Detail: hardTexts[3]}
	c := store.AuditRecord{Time: base.Add(2 * time.Second), User: "wang 小明,=x", Action: store.AuditImport,
		Detail: `{"file":"2025 Q3.xlsx","created":3,"updated":0}`, OldValue: ptr(-0.0), NewValue: ptr(5e-324)}
	login := store.AuditRecord{Time: base.Add(-time.Hour), Action: store.AuditLoginFailure, Remote: "192.0.2.1:4000", Detail: "unknown user"}
	appendAudit(t, s, a, b, c)
	appendAudit(t, s, login)
	EqualAudit(t, utcAudit(login, a, b, c), audit(t, s, store.AuditFilter{}))
	for _, r := range audit(t, s, store.AuditFilter{}) {
		if r.Time.Location() != time.UTC {
			t.Errorf("record of %s returned in %v, want UTC", r.User, r.Time.Location())
		}
	}

	// A zero time becomes the time of the call.
	before := time.Now()
	appendAudit(t, s, store.AuditRecord{User: "zhang.wei", Action: store.AuditApprove, Indicator: "services_trade"})
	after := time.Now()
	got := audit(t, s, store.AuditFilter{Action: store.AuditApprove})
	if len(got) != 1 || got[0].Time.Before(before) || got[0].Time.After(after) {
		t.Fatalf("record without a time: %+v, want one dated within [%v, %v]", got, before, after)
	}
	if err := s.AppendAudit(ctx(t), nil); err != nil {
		t.Fatalf("AppendAudit(nil): %v", err)
	}
}

func testAuditSameInstant(t *testing.T, s store.Store) {
	// Three records of one series in one nanosecond, in one call and in the next, and
	// one of another series: none overwrites another.
	a, b := SampleAudit("zhang.wei", base), SampleAudit("zhang.wei", base)
	b.Reason = "second"
	c := SampleAudit("zhang.wei", base)
	c.Reason = "third"
	other := SampleAudit("li.na", base)
	appendAudit(t, s, a, b)
	appendAudit(t, s, c, other)
	b.Time = base.Add(time.Nanosecond)
	c.Time = base.Add(2 * time.Nanosecond)
	EqualAudit(t, utcAudit(other, a, b, c), audit(t, s, store.AuditFilter{}))

	// A record dated before the latest of its series is moved after it, so that the
	// times of a series increase in the order records were appended.
	late := SampleAudit("zhang.wei", base.Add(-time.Minute))
	late.Reason = "late"
	appendAudit(t, s, late)
	late.Time = base.Add(3 * time.Nanosecond)
	EqualAudit(t, utcAudit(late), audit(t, s, store.AuditFilter{From: base.Add(3 * time.Nanosecond)}))
}

func testAuditFilters(t *testing.T, s store.Store) {
	var all []store.AuditRecord
	users := []string{"zhang.wei", "li.na", "admin"}
	actions := []store.AuditAction{store.AuditCreate, store.AuditRevise, store.AuditApprove, store.AuditUnlock}
	inds := []string{"services_trade", "retail_sales"}
	for i := range 12 {
		r := SampleAudit(users[i%3], base.Add(time.Duration(i)*time.Minute))
		r.Action, r.Indicator = actions[i%4], inds[i%2]
		all = append(all, r)
	}
	appendAudit(t, s, all[:7]...)
	appendAudit(t, s, all[7:]...)
	all = utcAudit(all...)
	pick := func(idx ...int) []store.AuditRecord {
		var out []store.AuditRecord
		for _, i := range idx {
			out = append(out, all[i])
		}
		return out
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want []store.AuditRecord
	}{
		{"all", store.AuditFilter{}, all},
		{"user", store.AuditFilter{User: "li.na"}, pick(1, 4, 7, 10)},
		{"action", store.AuditFilter{Action: store.AuditApprove}, pick(2, 6, 10)},
		{"indicator", store.AuditFilter{Indicator: "retail_sales"}, pick(1, 3, 5, 7, 9, 11)},
		{"from inclusive, to exclusive", store.AuditFilter{From: base.Add(3 * time.Minute), To: base.Add(6 * time.Minute)}, pick(3, 4, 5)},
		{"from one ns late", store.AuditFilter{From: base.Add(3*time.Minute + 1), To: base.Add(6 * time.Minute)}, pick(4, 5)},
		{"empty range", store.AuditFilter{From: base.Add(time.Hour), To: base}, nil},
		{"limit keeps the newest", store.AuditFilter{Limit: 3}, pick(9, 10, 11)},
		{"limit with filters", store.AuditFilter{Indicator: "services_trade", To: base.Add(9 * time.Minute), Limit: 2}, pick(6, 8)},
		{"limit above count", store.AuditFilter{User: "admin", Limit: 50}, pick(2, 5, 8, 11)},
		{"combined", store.AuditFilter{User: "zhang.wei", Action: store.AuditCreate, Indicator: "services_trade"}, pick(0)},
		{"no match", store.AuditFilter{User: "nobody"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { EqualAudit(t, tc.want, audit(t, s, tc.f)) })
	}
}

func testAuditNormalizes(t *testing.T, s store.Store) {
	in := store.AuditRecord{
		Time: base, User: "evil\nname\\", Action: store.AuditLoginFailure, Remote: "1.2.3.4:5",
		Reason: "line one\r\nline two\rthree", Detail: "caf\xe9 " + strings.Repeat("长", store.MaxAuditText),
	}
	appendAudit(t, s, in)
	got := audit(t, s, store.AuditFilter{})
	if len(got) != 1 {
		t.Fatalf("got %d records, want 1", len(got))
	}
	r := got[0]
	if r.User != "evil\uFFFDname\uFFFD" {
		t.Errorf("user %q, want control character and trailing backslash replaced", r.User)
	}
	if r.Reason != "line one\nline two\nthree" {
		t.Errorf("reason %q, want carriage returns as newlines", r.Reason)
	}
	if len(r.Detail) > store.MaxAuditText || !strings.HasSuffix(r.Detail, store.TruncatedMark) || !strings.HasPrefix(r.Detail, "caf\uFFFD 长长") {
		t.Errorf("detail of %d bytes (%q…), want cut to %d bytes and marked", len(r.Detail), r.Detail[:min(len(r.Detail), 20)], store.MaxAuditText)
	}
	if got := audit(t, s, store.AuditFilter{User: r.User}); len(got) != 1 {
		t.Errorf("filter on the stored user name found %d records", len(got))
	}
}

func testAuditInvalid(t *testing.T, s store.Store) {
	good := SampleAudit("zhang.wei", base)
	noAction := good
	noAction.Action = ""
	nan := good
	nan.NewValue = ptr(math.NaN())
	inf := good
	inf.OldValue = ptr(math.Inf(-1))
	ancient := good
	ancient.Time = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		batch []store.AuditRecord
		want  []string
	}{
		{"no action", []store.AuditRecord{good, noAction}, []string{"audit record 1", "action"}},
		{"NaN", []store.AuditRecord{nan}, []string{"audit record 0", "new_value", "NaN"}},
		{"Inf", []store.AuditRecord{good, good, inf}, []string{"audit record 2", "old_value"}},
		{"time out of range", []store.AuditRecord{ancient}, []string{"audit record 0", "time", "1500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AppendAudit(ctx(t), tc.batch)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("AppendAudit error %v, want one wrapping store.ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if got := audit(t, s, store.AuditFilter{}); len(got) != 0 {
				t.Fatalf("an invalid batch wrote %d audit records", len(got))
			}
		})
	}
}

func testAuditConcurrent(t *testing.T, s store.Store) {
	concurrentAudit(t, s, func(_, _ int, r store.AuditRecord) error { return s.AppendAudit(ctx(t), []store.AuditRecord{r}) })
}

// concurrentAudit runs auditWorkers writers of auditEach records each, all of one
// series and one instant, through write (worker, index, record), and checks that
// none overwrote another: the records come back a nanosecond apart.
func concurrentAudit(t *testing.T, s store.Store, write func(w, i int, r store.AuditRecord) error) {
	var wg sync.WaitGroup
	errs := make(chan error, auditWorkers*auditEach)
	for w := range auditWorkers {
		wg.Go(func() {
			for i := range auditEach {
				r := SampleAudit("zhang.wei", base) // one series, one instant
				r.Detail = fmt.Sprintf("worker %d record %d", w, i)
				if err := write(w, i, r); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := audit(t, s, store.AuditFilter{})
	if len(got) != auditWorkers*auditEach {
		t.Fatalf("got %d records, want %d", len(got), auditWorkers*auditEach)
	}
	seen := map[string]bool{}
	for i, r := range got {
		seen[r.Detail] = true
		if want := base.Add(time.Duration(i)); !r.Time.Equal(want) {
			t.Errorf("record %d at %v, want %v (one ns after the one before)", i, r.Time, want)
		}
	}
	if len(seen) != auditWorkers*auditEach {
		t.Errorf("%d distinct records, want %d", len(seen), auditWorkers*auditEach)
	}
}

// The writers and records of concurrentAudit.
const auditWorkers, auditEach = 6, 5

// SampleEvaluation returns a verdict record of target at t.
func SampleEvaluation(target string, t time.Time, status string) store.EvaluationRecord {
	return store.EvaluationRecord{Time: t, Target: target, Status: status, Period: "2025-09",
		Actual: 8.26430e11, Expected: 8.4e11, Gap: -0.016154761904761904, Projected: 1.1e12, Progress: 0.4321}
}

func utcEvaluations(es ...store.EvaluationRecord) []store.EvaluationRecord {
	out := make([]store.EvaluationRecord, len(es))
	for i, e := range es {
		e.Time = e.Time.UTC()
		out[i] = e
	}
	return out
}

func testEvaluationsRoundTrip(t *testing.T, s store.Store) {
	a := SampleEvaluation("retail_sales_2025", base, "at_risk")
	b := SampleEvaluation("goods_trade_2025", base, "behind")
	b.Actual, b.Expected, b.Gap, b.Projected, b.Progress = math.MaxFloat64, 5e-324, -0.0, 0.1+0.2, -1.5
	c := SampleEvaluation("port_throughput_2025", base.Add(-24*time.Hour), "achieved")
	c.Period = "2024"
	appendEvaluations(t, s, a, b)
	appendEvaluations(t, s, c)
	EqualEvaluations(t, utcEvaluations(c, b, a), evaluations(t, s, store.EvaluationFilter{}))
	for _, e := range evaluations(t, s, store.EvaluationFilter{}) {
		if e.Time.Location() != time.UTC {
			t.Errorf("record of %s returned in %v, want UTC", e.Target, e.Time.Location())
		}
	}
	if err := s.AppendEvaluations(ctx(t), nil); err != nil {
		t.Fatalf("AppendEvaluations(nil): %v", err)
	}
}

func testEvaluationsReplace(t *testing.T, s store.Store) {
	// A backfill run twice, the second time with a changed verdict for one month.
	var first, second []store.EvaluationRecord
	statuses := []string{"on_track", "on_track", "at_risk"}
	for i, st := range statuses {
		e := SampleEvaluation("retail_sales_2025", base.AddDate(0, i, 0), st)
		first = append(first, e)
		if i == 1 {
			e.Status, e.Actual = "behind", 8.1e11
		}
		second = append(second, e)
	}
	appendEvaluations(t, s, first...)
	appendEvaluations(t, s, first...)
	EqualEvaluations(t, utcEvaluations(first...), evaluations(t, s, store.EvaluationFilter{}))
	appendEvaluations(t, s, second...)
	EqualEvaluations(t, utcEvaluations(second...), evaluations(t, s, store.EvaluationFilter{}))
	// And back: the record appended last wins, whatever its status.
	appendEvaluations(t, s, first[1])
	EqualEvaluations(t, utcEvaluations(second[0], first[1], second[2]), evaluations(t, s, store.EvaluationFilter{}))
}

func testEvaluationsFilters(t *testing.T, s store.Store) {
	targets := []string{"retail_sales_2025", "goods_trade_2025", "port_throughput_2025"}
	var all []store.EvaluationRecord
	for i := range 9 {
		all = append(all, SampleEvaluation(targets[i%3], base.Add(time.Duration(i/3)*time.Hour), "on_track"))
	}
	appendEvaluations(t, s, all...)
	store.SortEvaluations(all)
	all = utcEvaluations(all...)
	sel := func(keep func(e store.EvaluationRecord) bool) []store.EvaluationRecord {
		var out []store.EvaluationRecord
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	tests := []struct {
		name string
		f    store.EvaluationFilter
		want []store.EvaluationRecord
	}{
		{"all", store.EvaluationFilter{}, all},
		{"one target", store.EvaluationFilter{Targets: []string{"goods_trade_2025"}}, sel(func(e store.EvaluationRecord) bool { return e.Target == "goods_trade_2025" })},
		{"two targets, one twice", store.EvaluationFilter{Targets: []string{"port_throughput_2025", "retail_sales_2025", "port_throughput_2025"}},
			sel(func(e store.EvaluationRecord) bool { return e.Target != "goods_trade_2025" })},
		{"from inclusive, to exclusive", store.EvaluationFilter{From: base.Add(time.Hour), To: base.Add(2 * time.Hour)},
			sel(func(e store.EvaluationRecord) bool { return e.Time.Equal(base.Add(time.Hour)) })},
		{"target and from", store.EvaluationFilter{Targets: []string{"retail_sales_2025"}, From: base.Add(time.Hour + 1)},
			sel(func(e store.EvaluationRecord) bool {
				return e.Target == "retail_sales_2025" && e.Time.After(base.Add(time.Hour))
			})},
		{"unknown target", store.EvaluationFilter{Targets: []string{"nope"}}, nil},
		{"empty range", store.EvaluationFilter{From: base, To: base}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { EqualEvaluations(t, tc.want, evaluations(t, s, tc.f)) })
	}
}

func testEvaluationsInvalid(t *testing.T, s store.Store) {
	good := SampleEvaluation("retail_sales_2025", base, "on_track")
	noTarget := good
	noTarget.Target = ""
	nan := good
	nan.Gap = math.NaN()
	zero := good
	zero.Time = time.Time{}
	badTag := good
	badTag.Status = "on track\n"
	tests := []struct {
		name  string
		batch []store.EvaluationRecord
		want  []string
	}{
		{"no target", []store.EvaluationRecord{good, noTarget}, []string{"evaluation record 1", "target"}},
		{"NaN", []store.EvaluationRecord{nan}, []string{"evaluation record 0", "gap", "NaN"}},
		{"zero time", []store.EvaluationRecord{good, zero}, []string{"evaluation record 1", "time"}},
		{"status with newline", []store.EvaluationRecord{badTag}, []string{"evaluation record 0", "status", "control character"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AppendEvaluations(ctx(t), tc.batch)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("AppendEvaluations error %v, want one wrapping store.ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if got := evaluations(t, s, store.EvaluationFilter{}); len(got) != 0 {
				t.Fatalf("an invalid batch wrote %d evaluation records", len(got))
			}
		})
	}
}

func testJournalPersistence(t *testing.T, s store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	a := SampleAudit("zhang.wei", base)
	e := SampleEvaluation("retail_sales_2025", base, "at_risk")
	appendAudit(t, s, a)
	appendEvaluations(t, s, e)

	o := Sample("services_trade", "2024", obs.BasisYear, obs.KindManual, 1.3e11)
	ra := entryAudit(o, base, nil)
	putWithAudit(t, s, []obs.Observation{o}, ra)

	s = reopen(t, s)
	EqualAudit(t, utcAudit(a), audit(t, s, store.AuditFilter{Action: store.AuditRevise}))
	EqualAudit(t, utcAudit(ra), audit(t, s, store.AuditFilter{Action: store.AuditCreate}))
	EqualObservations(t, []obs.Observation{o}, query(t, s, store.Filter{}))
	EqualEvaluations(t, utcEvaluations(e), evaluations(t, s, store.EvaluationFilter{}))
	// The reopened store still keeps the times of a series unique.
	b := SampleAudit("zhang.wei", base)
	b.Reason = "after the restart"
	appendAudit(t, s, b)
	b.Time = base.Add(time.Nanosecond)
	EqualAudit(t, utcAudit(a, b), audit(t, s, store.AuditFilter{Action: store.AuditRevise}))
}
