package entry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// clock is when the tests' entry starts (each call of Now is a second later).
var clock = time.Date(2025, 12, 1, 10, 0, 0, 0, obs.Shanghai)

// fixture is a Service over a real embedded store and state file in a temporary
// directory, with the clock fixed and approval needed for services_trade.
type fixture struct {
	svc *entry.Service
	st  store.Store
	db  *state.DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(dir, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, st, dir)
}

// newFixtureOn is newFixture over st, with the state file in dir.
func newFixtureOn(t *testing.T, st store.Store, dir string) *fixture {
	t.Helper()
	t.Cleanup(func() { _ = st.Close() })
	db, err := state.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var mu sync.Mutex
	now := clock
	tick := func() time.Time { // a second later at every call, so records sort as made
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	svc := entry.New(entry.Options{Store: st, State: db, Approval: []string{"services_trade"}, Now: tick})
	return &fixture{svc: svc, st: st, db: db}
}

func (f *fixture) audit(t *testing.T, filter store.AuditFilter) []store.AuditRecord {
	t.Helper()
	rs, err := f.st.Audit(t.Context(), filter)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestLoginFailureSeries: a failed login for a name that is not in the users file is
// recorded under one fixed user, with the tried name (capped, sanitised) in Detail, so
// that trying names does not create an InfluxDB series (user is a tag of audit) per
// name. A known name keeps its name.
func TestLoginFailureSeries(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testLoginFailureSeries(t, newFixture(t)) })
	t.Run("influxdb", func(t *testing.T) {
		srv := influxtest.Start(t)
		cc := childConfig{Dir: t.TempDir(), URL: srv.URL, Bucket: srv.CreateDatabase(t)}
		st, err := openChildStore(cc)
		if err != nil {
			t.Fatal(err)
		}
		testLoginFailureSeries(t, newFixtureOn(t, st, cc.Dir))
		series := srv.CountPoints(t, cc.Bucket, "audit", "detail")
		want := map[string]int{"action=login_failure,user=" + entry.UnknownUser: 5, "action=login_failure,user=zhang.wei": 1}
		if len(series) != len(want) || series[`action=login_failure,user=(unknown)`] != 5 || series["action=login_failure,user=zhang.wei"] != 1 {
			t.Errorf("audit series in InfluxDB %v, want %v", series, want)
		}
	})
}

func testLoginFailureSeries(t *testing.T, f *fixture) {
	ctx := context.Background()
	for _, name := range []string{"root", "admin1", "zhang.wie", "x\x00y\nz", strings.Repeat("长", 200)} {
		f.svc.LoginFailed(ctx, auth.Failure{Name: auth.TriedName(name), Remote: "192.0.2.9", Reason: "unknown user"})
	}
	f.svc.LoginFailed(ctx, auth.Failure{Name: "zhang.wei", Known: true, Remote: "192.0.2.9", Reason: "wrong password"})
	rs := f.audit(t, store.AuditFilter{Action: store.AuditLoginFailure})
	users := map[string]int{}
	for _, r := range rs {
		users[r.User]++
	}
	if len(rs) != 6 || users[entry.UnknownUser] != 5 || users["zhang.wei"] != 1 {
		t.Fatalf("login failures by user %v, want 5 under %q and 1 under zhang.wei", users, entry.UnknownUser)
	}
	details := map[string]bool{}
	for _, r := range rs {
		details[r.Detail] = true
		if len(r.Detail) > 200 {
			t.Errorf("detail of %d bytes: %.80q…", len(r.Detail), r.Detail)
		}
	}
	for _, want := range []string{
		`unknown user; name tried: "root"`,
		`unknown user; name tried: "zhang.wie"`,
		`unknown user; name tried: "x\x00y\nz"`,
		`unknown user; name tried: "` + strings.Repeat("长", 20) + `…"`,
		"wrong password",
	} {
		if !details[want] {
			t.Errorf("no record with detail %s; have %v", want, details)
		}
	}
}

func principal(name string, role auth.Role, indicators ...string) *auth.Principal {
	return &auth.Principal{User: &auth.User{Name: name, Role: role, Indicators: indicators}, Via: auth.ViaToken}
}

var (
	editor   = principal("zhang.wei", auth.Editor)
	approver = principal("li.na", auth.Approver)
	viewer   = principal("wang.fang", auth.Viewer)
	limited  = principal("chen.jie", auth.Editor, "retail_sales")
)

// fig is a submission of value (in the display unit) for the indicator and period.
func fig(indicator, period, value string) entry.Submission {
	var s entry.Submission
	s.Indicator, s.Period, s.Value = indicator, period, value
	s.SourceURL = "https://tjj.sz.gov.cn/2024.html"
	return s
}

func with(s entry.Submission, f func(*entry.Submission)) entry.Submission { f(&s); return s }

// TestSubmitOutcomes is the table of what becomes of a submitted figure under the
// service's rules, each case on a fresh store: the status or the refusal (HTTP status,
// code, field), what the store then holds, and the audit actions recorded.
func TestSubmitOutcomes(t *testing.T) {
	retail := fig("retail_sales", "2024", "10500")
	type step struct {
		p   *auth.Principal
		sub entry.Submission
	}
	tests := []struct {
		name   string
		before []step // submitted first, each must be accepted
		p      *auth.Principal
		sub    entry.Submission
		status string // the result's status, or
		refuse string // "HTTP code field" of the *entry.RefusedError
		stored []float64
		audit  []store.AuditAction // every record, oldest first
		locked bool
	}{
		{name: "created", p: editor, sub: retail,
			status: entry.StatusCreated, stored: []float64{1.05e12}, audit: []store.AuditAction{store.AuditCreate}},
		{name: "updated with a reason", before: []step{{editor, retail}}, p: editor, sub: with(fig("retail_sales", "2024", "10600"), func(s *entry.Submission) { s.Reason = "统计年鉴更正" }),
			status: entry.StatusUpdated, stored: []float64{1.06e12}, audit: []store.AuditAction{store.AuditCreate, store.AuditRevise}},
		{name: "unchanged: the same figure again", before: []step{{editor, retail}}, p: editor, sub: fig("retail_sales", "2024", "10,500"),
			status: entry.StatusUnchanged, stored: []float64{1.05e12}, audit: []store.AuditAction{store.AuditCreate}},
		{name: "revision without a reason", before: []step{{editor, retail}}, p: editor, sub: fig("retail_sales", "2024", "10600"),
			refuse: "422 invalid reason", stored: []float64{1.05e12}, audit: []store.AuditAction{store.AuditCreate}},
		{name: "outlier not confirmed", before: []step{{editor, fig("retail_sales", "2023", "10000")}}, p: editor, sub: fig("retail_sales", "2024", "30000"),
			refuse: "409 outlier value", stored: []float64{1e12}, audit: []store.AuditAction{store.AuditCreate}},
		{name: "outlier confirmed with a comment", before: []step{{editor, fig("retail_sales", "2023", "10000")}}, p: editor,
			sub:    with(fig("retail_sales", "2024", "30000"), func(s *entry.Submission) { s.Confirm, s.Comment = true, "新口径含网络零售" }),
			status: entry.StatusCreated, stored: []float64{1e12, 3e12}, audit: []store.AuditAction{store.AuditCreate, store.AuditCreate}},
		{name: "confirm without a comment is no confirmation", before: []step{{editor, fig("retail_sales", "2023", "10000")}}, p: editor,
			sub:    with(fig("retail_sales", "2024", "30000"), func(s *entry.Submission) { s.Confirm = true }),
			refuse: "409 outlier value", stored: []float64{1e12}, audit: []store.AuditAction{store.AuditCreate}},
		{name: "pending: an editor's figure that needs approval", p: editor, sub: fig("services_trade", "2024", "1300.7"),
			status: entry.StatusPending, audit: []store.AuditAction{store.AuditCreate}},
		{name: "an approver's own figure is approved on entry and locks", p: approver, sub: fig("services_trade", "2024", "1300.7"),
			status: entry.StatusCreated, stored: []float64{1.3007e11}, audit: []store.AuditAction{store.AuditApprove, store.AuditCreate}, locked: true},
		{name: "locked: a change to an approved period", before: []step{{approver, fig("services_trade", "2024", "1300.7")}}, p: editor,
			sub:    with(fig("services_trade", "2024", "1310"), func(s *entry.Submission) { s.Reason = "更正" }),
			refuse: "409 locked period", stored: []float64{1.3007e11}, audit: []store.AuditAction{store.AuditApprove, store.AuditCreate}, locked: true},
		{name: "locked, but the stored figure typed again is no change", before: []step{{approver, fig("services_trade", "2024", "1300.7")}}, p: approver,
			sub:    fig("services_trade", "2024", "1,300.7"),
			status: entry.StatusUnchanged, stored: []float64{1.3007e11}, audit: []store.AuditAction{store.AuditApprove, store.AuditCreate}, locked: true},
		{name: "locked: the same value from someone else changes the record", before: []step{{approver, fig("services_trade", "2024", "1300.7")}}, p: editor,
			sub:    fig("services_trade", "2024", "1300.7"),
			refuse: "409 locked period", stored: []float64{1.3007e11}, audit: []store.AuditAction{store.AuditApprove, store.AuditCreate}, locked: true},
		{name: "provenance only: a revision record without a reason", before: []step{{editor, retail}}, p: editor,
			sub:    with(retail, func(s *entry.Submission) { s.SourceURL = "https://tjj.sz.gov.cn/2024-final.html" }),
			status: entry.StatusUpdated, stored: []float64{1.05e12}, audit: []store.AuditAction{store.AuditCreate, store.AuditRevise}},
		{name: "a viewer may not enter", p: viewer, sub: retail, refuse: "403 forbidden "},
		{name: "an editor limited to other indicators", p: limited, sub: fig("services_trade", "2024", "1300.7"), refuse: "403 forbidden indicator"},
		{name: "invalid: a period not over", p: editor, sub: fig("retail_sales", "2025", "10500"), refuse: "422 invalid period"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := t.Context()
			for i, b := range tc.before {
				if _, err := f.svc.Submit(ctx, b.p, "10.0.0.1", entry.ViaAPI, []entry.Submission{b.sub}); err != nil {
					t.Fatalf("before %d: %v", i, err)
				}
			}
			res, err := f.svc.Submit(ctx, tc.p, "10.0.0.1", entry.ViaAPI, []entry.Submission{tc.sub})
			if tc.refuse != "" {
				var re *entry.RefusedError
				if !errors.As(err, &re) {
					t.Fatalf("Submit = %+v, %v; want refused %s", res, err, tc.refuse)
				}
				if got := fmt.Sprintf("%d %s %s", re.Status, re.Code, re.Field); got != tc.refuse {
					t.Errorf("refused %q (%s), want %q", got, re.Msg, tc.refuse)
				}
			} else {
				if err != nil {
					t.Fatalf("Submit: %v", err)
				}
				if len(res) != 1 || res[0].Status != tc.status {
					t.Fatalf("results %+v, want status %s", res, tc.status)
				}
			}
			stored, err := f.st.Query(ctx, store.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var values []float64
			for _, o := range stored {
				values = append(values, o.Value)
			}
			if fmt.Sprint(values) != fmt.Sprint(tc.stored) {
				t.Errorf("stored %v, want %v", values, tc.stored)
			}
			var actions []store.AuditAction
			for _, r := range f.audit(t, store.AuditFilter{}) {
				actions = append(actions, r.Action)
			}
			if fmt.Sprint(actions) != fmt.Sprint(tc.audit) {
				t.Errorf("audit %v, want %v", actions, tc.audit)
			}
			if locks, _ := f.db.ListLocks(); (len(locks) == 1) != tc.locked || len(locks) > 1 {
				t.Errorf("locks %+v, want locked %v", locks, tc.locked)
			}
		})
	}
}

// TestApproveAndReject: a pending figure counts only once approved, which stores it
// with its approval record and locks the period; a rejection needs a reason and
// stores nothing.
func TestApproveAndReject(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	submit := func(period string) string {
		res, err := f.svc.Submit(ctx, editor, "10.0.0.1", entry.ViaForm, []entry.Submission{fig("services_trade", period, "1300.7")})
		if err != nil || res[0].Status != entry.StatusPending || res[0].PendingID == "" {
			t.Fatalf("Submit: %+v, %v", res, err)
		}
		return res[0].PendingID
	}
	a, b := submit("2024"), submit("2023")
	if _, err := f.svc.Approve(ctx, editor, "10.0.0.2", a, ""); !isRefused(err, 403) {
		t.Errorf("an editor approved: %v", err)
	}
	r, err := f.svc.Approve(ctx, approver, "10.0.0.2", a, "与商务局核对")
	if err != nil || r.Status != entry.StatusCreated || !r.Locked {
		t.Fatalf("Approve = %+v, %v", r, err)
	}
	if err := f.svc.Reject(ctx, approver, "10.0.0.2", b, " "); !isRefused(err, 422) {
		t.Errorf("a rejection without a reason: %v", err)
	}
	if err := f.svc.Reject(ctx, approver, "10.0.0.2", b, "口径不符"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Approve(ctx, approver, "10.0.0.2", b, ""); !isRefused(err, 404) {
		t.Errorf("approving a rejected figure: %v", err)
	}
	stored, err := f.st.Query(ctx, store.Filter{})
	if err != nil || len(stored) != 1 || stored[0].Period.String() != "2024" || stored[0].EnteredBy != "zhang.wei" {
		t.Fatalf("stored %+v (%v), want only the approved 2024 figure, entered by zhang.wei", stored, err)
	}
	var got []string
	for _, r := range f.audit(t, store.AuditFilter{}) {
		got = append(got, string(r.Action)+" "+r.User+" "+r.Period)
	}
	want := "[create zhang.wei 2024 create zhang.wei 2023 approve li.na 2024 reject li.na 2023]"
	if fmt.Sprint(got) != want {
		t.Errorf("audit %v, want %s", got, want)
	}
	if n, _ := f.db.CountPending(); n != 0 {
		t.Errorf("%d figures still pending", n)
	}
}

func isRefused(err error, status int) bool {
	var re *entry.RefusedError
	return errors.As(err, &re) && re.Status == status
}

// TestImportRules: an import passes the rules of Submit row by row and is audited
// with its figures; the same file again, under another name, changes nothing.
func TestImportRules(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	csv := "indicator,period,basis,value,unit,source_url,note\n" +
		"retail_sales,2023,year,10000,亿元,,\n" +
		"retail_sales,2024,year,\"10,500\",亿元,,\n" +
		"services_trade,2024,year,1300.7,亿美元,,\n" +
		"retail_sales,2022,year,abc,亿元,,\n"
	res, err := f.svc.Import(ctx, editor, "10.0.0.1", "a.csv", []byte(csv), entry.ImportOptions{})
	if !errors.Is(err, importer.ErrRejected) || res.Created != 2 || res.Pending != 1 || res.Rejected != 1 || !res.Written {
		t.Fatalf("first import: %+v, %v", res.Result, err)
	}
	res, err = f.svc.Import(ctx, editor, "10.0.0.1", "b.csv", []byte(csv), entry.ImportOptions{})
	if !errors.Is(err, importer.ErrRejected) || res.Created != 0 || res.Updated != 0 || res.Unchanged != 2 || res.Pending != 1 {
		t.Fatalf("the same rows again: %+v, %v; want 2 unchanged, 1 pending", res.Result, err)
	}
	changed := strings.Replace(csv, `"10,500"`, "10600", 1)
	res, err = f.svc.Import(ctx, editor, "10.0.0.1", "c.csv", []byte(changed), entry.ImportOptions{})
	if len(res.Rejections) != 2 || !strings.HasPrefix(res.Rejections[0].Reason, "reason: this changes the stored retail_sales 2024 year figure 10500亿元") {
		t.Fatalf("a revision without --reason: %+v, %v", res.Rejections, err)
	}
	var got []string
	for _, r := range f.audit(t, store.AuditFilter{}) {
		got = append(got, string(r.Action))
	}
	// Records of one series at one instant are a nanosecond apart, so an import's
	// three creates straddle its own record; the rows waiting for approval are
	// recorded again each time (they replace the waiting figure).
	if want := "[create import create create create import create import]"; fmt.Sprint(got) != want {
		t.Errorf("audit %v, want %s", got, want)
	}
}
