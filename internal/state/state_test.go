package state

import (
	"errors"
	"fmt"
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
	apply(t, d, Intent{ID: "i1", Add: &Pending{ID: "p1", Observation: figure("2024", 1.2e11), SubmittedBy: "zhang.wei", SubmittedAt: now}})
	apply(t, d, Intent{ID: "i2", Lock: &Lock{Indicator: "services_trade", Region: "shenzhen", Basis: obs.BasisYear, Period: "2023", By: "li.na", At: now}})
	if err := d.PutIntents([]Intent{{ID: "i3", At: now, User: "li.na", Action: "approve", Observation: ptr(figure("2024", 1.2e11)), Remove: "p1"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutAnswer("zhang.wei", "k1", Answer{RequestHash: "r", Status: 201, Body: []byte(`{}`), At: now}); err != nil {
		t.Fatal(err)
	}
	apply(t, d, Intent{ID: "i4", Task: &TaskUpdate{Task: 3, Status: "in_progress", Date: "2025-11-01", By: "zhang.wei", At: now}})
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
	if ins, err := d.ListIntents(); err != nil || len(ins) != 1 || ins[0].ID != "i3" || ins[0].Remove != "p1" || ins[0].User != "li.na" {
		t.Errorf("intents after restart: %+v %v", ins, err)
	}
}

func ptr[T any](v T) *T { return &v }

// apply records the intent and finishes it, as entry does around a store write.
func apply(t *testing.T, d *DB, in Intent) {
	t.Helper()
	if err := d.PutIntents([]Intent{in}); err != nil {
		t.Fatal(err)
	}
	if err := d.FinishIntents(in.ID); err != nil {
		t.Fatal(err)
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

// TestIntents: what an intent does once finished — keep a pending figure (replacing
// one for the same key), remove one, lock and unlock a period — and that one dropped,
// or finished a second time, changes nothing.
func TestIntents(t *testing.T) {
	d := open(t, t.TempDir())
	defer d.Close()
	t0 := time.Now()
	apply(t, d, Intent{ID: "1", Add: &Pending{ID: "a", Observation: figure("2024", 1e11), SubmittedAt: t0}})
	apply(t, d, Intent{ID: "2", Add: &Pending{ID: "b", Observation: figure("2023", 1e11), SubmittedAt: t0.Add(time.Second)}})
	// A new figure for the same key replaces the pending one.
	apply(t, d, Intent{ID: "3", Add: &Pending{ID: "c", Observation: figure("2024", 1.1e11), SubmittedAt: t0.Add(2 * time.Second)}})
	if ps, _ := d.ListPending(); len(ps) != 2 || ps[0].ID != "b" || ps[1].ID != "c" {
		t.Fatalf("pending %+v, want b and c", ps)
	}
	if p, ok, _ := d.PendingFor(figure("2024", 0).Key()); !ok || p.ID != "c" {
		t.Errorf("PendingFor = %+v %v", p, ok)
	}
	// Dropped: nothing happens.
	lock := &Lock{Indicator: "services_trade", Region: "shenzhen", Basis: obs.BasisYear, Period: "2024", By: "li.na"}
	if err := d.PutIntents([]Intent{{ID: "4", Observation: ptr(figure("2024", 1.1e11)), Remove: "c", Lock: lock}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.CountIntents(); n != 1 {
		t.Errorf("%d intents, want 1", n)
	}
	if err := d.DropIntents("4"); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.CountPending(); n != 2 {
		t.Errorf("a dropped intent changed the pending figures: %d, want 2", n)
	}
	if _, ok, _ := d.LockOf(LockKey(figure("2024", 0))); ok {
		t.Error("a dropped intent locked the period")
	}
	// The approval: removed and locked, and finishing again is a no-op.
	apply(t, d, Intent{ID: "5", Remove: "c", Lock: lock})
	if err := d.FinishIntents("5"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.LockOf(LockKey(figure("2024", 0))); !ok {
		t.Error("approval did not lock the period")
	}
	apply(t, d, Intent{ID: "6", Remove: "b"})
	if ps, _ := d.ListPending(); len(ps) != 0 {
		t.Errorf("pending left: %+v", ps)
	}
	apply(t, d, Intent{ID: "7", Unlock: LockKey(figure("2024", 0))})
	if ls, _ := d.ListLocks(); len(ls) != 0 {
		t.Errorf("locks left: %+v", ls)
	}
	if n, _ := d.CountIntents(); n != 0 {
		t.Errorf("%d intents left", n)
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
			in := Intent{ID: fmt.Sprint(i), Task: &TaskUpdate{Task: i%46 + 1, Status: "in_progress", By: "x"}}
			if err := d.PutIntents([]Intent{in}); err != nil {
				t.Error(err)
			}
			if err := d.FinishIntents(in.ID); err != nil {
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
