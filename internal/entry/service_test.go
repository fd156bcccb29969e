package entry_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// clock is the time of entry in these tests.
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
	svc := entry.New(entry.Options{Store: st, State: db, Approval: []string{"services_trade"}, Now: func() time.Time { return clock }})
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
