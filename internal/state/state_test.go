package state

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

func open(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func figure(period string, v float64) obs.Observation {
	o := obs.Observation{Indicator: "services_trade", Period: obs.MustParsePeriod(period), Basis: obs.BasisYear, Value: v,
		SourceKind: obs.KindManual, Source: "manual", EnteredBy: "zhang.wei"}
	o.Normalize()
	return o
}

// TestSurvivesRestart writes one of everything, closes the file and reads it back.
func TestSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	now := time.Now().UTC().Truncate(time.Second)
	if err := d.PutSession(Session{IDHash: "h1", User: "zhang.wei", CSRF: "c", Created: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutPending(Pending{ID: "p1", Observation: figure("2024", 1.2e11), SubmittedBy: "zhang.wei", SubmittedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutLock(Lock{Indicator: "services_trade", Region: "shenzhen", Basis: obs.BasisYear, Period: "2023", By: "li.na", At: now}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutAnswer("zhang.wei", "k1", Answer{RequestHash: "r", Status: 201, Body: []byte(`{}`), At: now}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddTaskUpdate(TaskUpdate{Task: 3, Status: "in_progress", Date: "2025-11-01", By: "zhang.wei", At: now}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = open(t, dir)
	defer d.Close()
	if s, ok, err := d.Session("h1", now); err != nil || !ok || s.User != "zhang.wei" {
		t.Errorf("session after restart: %+v %v %v", s, ok, err)
	}
	if p, err := d.GetPending("p1"); err != nil || p.Observation.Value != 1.2e11 {
		t.Errorf("pending after restart: %+v %v", p, err)
	}
	if l, ok, err := d.LockOf("services_trade/shenzhen/year/2023"); err != nil || !ok || l.By != "li.na" {
		t.Errorf("lock after restart: %+v %v %v", l, ok, err)
	}
	if a, ok, err := d.Answer("zhang.wei", "k1", now); err != nil || !ok || a.Status != 201 {
		t.Errorf("answer after restart: %+v %v %v", a, ok, err)
	}
	if us, err := d.LatestTaskUpdates(); err != nil || us[3].Status != "in_progress" {
		t.Errorf("task updates after restart: %+v %v", us, err)
	}
}

func TestOpenHeld(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	defer d.Close()
	if _, err := Open(dir, 100*time.Millisecond); !errors.Is(err, ErrHeld) {
		t.Errorf("second Open: %v, want ErrHeld", err)
	}
}

func TestPendingReplaceApproveReject(t *testing.T) {
	d := open(t, t.TempDir())
	defer d.Close()
	t0 := time.Now()
	if r, err := d.PutPending(Pending{ID: "a", Observation: figure("2024", 1e11), SubmittedAt: t0}); err != nil || r != nil {
		t.Fatal(r, err)
	}
	if _, err := d.PutPending(Pending{ID: "b", Observation: figure("2023", 1e11), SubmittedAt: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	// A new figure for the same key replaces the pending one.
	r, err := d.PutPending(Pending{ID: "c", Observation: figure("2024", 1.1e11), SubmittedAt: t0.Add(2 * time.Second)})
	if err != nil || r == nil || r.ID != "a" {
		t.Fatalf("replace: %+v %v", r, err)
	}
	if n, _ := d.CountPending(); n != 2 {
		t.Fatalf("%d pending, want 2", n)
	}
	if p, ok, _ := d.PendingFor(figure("2024", 0).Key()); !ok || p.ID != "c" {
		t.Errorf("PendingFor = %+v %v", p, ok)
	}
	lock := &Lock{Indicator: "services_trade", Region: "shenzhen", Basis: obs.BasisYear, Period: "2024", By: "li.na"}
	if err := d.Approve("c", lock); err != nil {
		t.Fatal(err)
	}
	if err := d.Approve("c", lock); !errors.Is(err, ErrNotFound) {
		t.Errorf("second approval: %v, want ErrNotFound", err)
	}
	if _, ok, _ := d.LockOf(LockKey(figure("2024", 0))); !ok {
		t.Error("approval did not lock the period")
	}
	if err := d.Reject("b"); err != nil {
		t.Fatal(err)
	}
	if ps, _ := d.ListPending(); len(ps) != 0 {
		t.Errorf("pending left: %+v", ps)
	}
	if _, err := d.Unlock(LockKey(figure("2024", 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Unlock(LockKey(figure("2024", 0))); !errors.Is(err, ErrNotFound) {
		t.Errorf("second unlock: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	d := open(t, t.TempDir())
	defer d.Close()
	t0 := time.Now()
	_ = d.PutSession(Session{IDHash: "old", Expires: t0})
	_ = d.PutSession(Session{IDHash: "new", Expires: t0.Add(time.Hour)})
	if _, ok, _ := d.Session("old", t0); ok {
		t.Error("expired session returned")
	}
	if n, err := d.ExpireSessions(t0); err != nil || n != 1 {
		t.Errorf("ExpireSessions = %d %v", n, err)
	}
	_ = d.PutAnswer("u", "k", Answer{At: t0.Add(-25 * time.Hour)})
	if _, ok, _ := d.Answer("u", "k", t0); ok {
		t.Error("answer older than the TTL returned")
	}
	if n, err := d.ExpireAnswers(t0); err != nil || n != 1 {
		t.Errorf("ExpireAnswers = %d %v", n, err)
	}
}

// TestConcurrentWrites has many writers share commits; every write is there after.
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if err := d.AddTaskUpdate(TaskUpdate{Task: i%46 + 1, Status: "in_progress", By: "x"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	_ = d.Close()
	d = open(t, dir)
	defer d.Close()
	if us, _ := d.TaskUpdates(); len(us) != 64 {
		t.Errorf("%d updates, want 64", len(us))
	}
}
