package entry_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/testutil/influxtest"
	"github.com/trademon/trademon/targets"
)

// crashMode says where crashingStore stops the goroutine that writes through it.
type crashMode int

const (
	noCrash crashMode = iota
	// crashBeforeWrite stops it before PutWithAudit writes anything.
	crashBeforeWrite
	// crashAfterWrite stops it once PutWithAudit is durable, before it returns: the
	// moment at which a process killed leaves the store written and the state file not.
	crashAfterWrite
)

// crashingStore is a real store whose PutWithAudit, when armed, ends the calling
// goroutine (runtime.Goexit) as a SIGKILL ends the process: what is on disk stays,
// nothing after the write runs.
type crashingStore struct {
	store.Store
	mode crashMode
}

func (c *crashingStore) PutWithAudit(ctx context.Context, os []obs.Observation, rs []store.AuditRecord) ([]store.Outcome, error) {
	switch c.mode {
	case crashBeforeWrite:
		runtime.Goexit()
	case crashAfterWrite:
		if _, err := c.Store.PutWithAudit(ctx, os, rs); err != nil {
			panic(err)
		}
		runtime.Goexit()
	}
	return c.Store.PutWithAudit(ctx, os, rs)
}

// Sync forwards store.Syncer, which Recover relies on with the InfluxDB store.
func (c *crashingStore) Sync(ctx context.Context) error {
	if sy, ok := c.Store.(store.Syncer); ok {
		return sy.Sync(ctx)
	}
	return nil
}

// newCrashFixture is a fixture over the store cc names, behind a crashingStore.
func newCrashFixture(t *testing.T, cc childConfig) (*fixture, *crashingStore) {
	t.Helper()
	st, err := openChildStore(cc)
	if err != nil {
		t.Fatal(err)
	}
	cs := &crashingStore{Store: st}
	return newFixtureOn(t, cs, cc.Dir), cs
}

// crashed runs fn in a goroutine of its own and waits for it to end, by returning or
// by the crash.
func crashed(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}

// TestRecoverAfterCrash: a decision is two writes — the figure with its audit record
// to the store, then the state file (the pending figure gone, the period locked). A
// crash between them must not leave a stored figure still waiting for approval, a
// period approved but not locked, or a pending figure the audit trail never heard of:
// at the next start Service.Recover finishes what the store holds and drops what it
// does not. Each case crashes once, "restarts" (a new Service on the same files) and
// checks the store, the audit trail, the pending figures and the locks; with the
// embedded store and with InfluxDB behind the spool.
func TestRecoverAfterCrash(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		testRecoverAfterCrash(t, func(t *testing.T) childConfig { return childConfig{Dir: t.TempDir()} })
	})
	t.Run("influxdb", func(t *testing.T) {
		srv := influxtest.Start(t)
		testRecoverAfterCrash(t, func(t *testing.T) childConfig {
			return childConfig{Dir: t.TempDir(), URL: srv.URL, Bucket: srv.CreateDatabase(t)}
		})
	})
}

func testRecoverAfterCrash(t *testing.T, newStore func(t *testing.T) childConfig) {
	services := fig("services_trade", "2024", "1300.7")
	tests := []struct {
		name string
		// pending submits services first, from an editor, to be approved by the crash step.
		pending bool
		mode    crashMode
		// step is what crashes: "approve" (the pending figure), "approver enters" (an
		// approver's own figure, approved on entry) or "editor enters" (it waits).
		step     string
		stored   []float64
		audit    string
		pending2 int
		locked   bool
	}{
		{name: "approval crashed after the store write is finished", pending: true, mode: crashAfterWrite, step: "approve",
			stored: []float64{1.3007e11}, audit: "[create approve]", locked: true},
		{name: "approval crashed before the store write waits again", pending: true, mode: crashBeforeWrite, step: "approve",
			audit: "[create]", pending2: 1},
		{name: "approved on entry, crashed after the write, is locked", mode: crashAfterWrite, step: "approver enters",
			stored: []float64{1.3007e11}, audit: "[approve create]", locked: true},
		{name: "approved on entry, crashed before the write, left nothing", mode: crashBeforeWrite, step: "approver enters",
			audit: "[]"},
		{name: "a figure for approval, crashed after its record, waits", mode: crashAfterWrite, step: "editor enters",
			audit: "[create]", pending2: 1},
		{name: "a figure for approval, crashed before its record, is not kept", mode: crashBeforeWrite, step: "editor enters",
			audit: "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, cs := newCrashFixture(t, newStore(t))
			ctx := t.Context()
			var id string
			if tc.pending {
				res, err := f.svc.Submit(ctx, editor, "10.0.0.1", entry.ViaAPI, []entry.Submission{services})
				if err != nil || res[0].PendingID == "" {
					t.Fatalf("Submit = %+v, %v", res, err)
				}
				id = res[0].PendingID
			}
			cs.mode = tc.mode
			crashed(func() {
				var err error
				switch tc.step {
				case "approve":
					_, err = f.svc.Approve(ctx, approver, "10.0.0.2", id, "")
				case "approver enters":
					_, err = f.svc.Submit(ctx, approver, "10.0.0.2", entry.ViaAPI, []entry.Submission{services})
				case "editor enters":
					_, err = f.svc.Submit(ctx, editor, "10.0.0.1", entry.ViaAPI, []entry.Submission{services})
				}
				t.Errorf("%s returned (%v) instead of crashing", tc.step, err)
			})
			cs.mode = noCrash

			// The restart: a new service on the same store and state file.
			svc := entry.New(entry.Options{Store: cs, State: f.db, Approval: []string{"services_trade"}})
			if _, err := svc.Recover(ctx); err != nil {
				t.Fatalf("Recover: %v", err)
			}
			checkRecovered(t, f, tc.stored, tc.audit, tc.pending2, tc.locked)
			// Recovering again changes nothing.
			if _, err := svc.Recover(ctx); err != nil {
				t.Fatalf("Recover again: %v", err)
			}
			checkRecovered(t, f, tc.stored, tc.audit, tc.pending2, tc.locked)
		})
	}
}

func checkRecovered(t *testing.T, f *fixture, stored []float64, audit string, pending int, locked bool) {
	t.Helper()
	all, err := f.st.Query(t.Context(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var values []float64
	for _, o := range all {
		values = append(values, o.Value)
	}
	if fmt.Sprint(values) != fmt.Sprint(stored) {
		t.Errorf("stored %v, want %v", values, stored)
	}
	var actions []store.AuditAction
	for _, r := range f.audit(t, store.AuditFilter{}) {
		actions = append(actions, r.Action)
	}
	if fmt.Sprint(actions) != audit {
		t.Errorf("audit %v, want %s", actions, audit)
	}
	if ps, _ := f.db.ListPending(); len(ps) != pending {
		t.Errorf("%d pending figures %+v, want %d", len(ps), ps, pending)
	}
	if locks, _ := f.db.ListLocks(); (len(locks) == 1) != locked || len(locks) > 1 {
		t.Errorf("locks %+v, want locked %v", locks, locked)
	}
}

// unreadableStore is a store whose acknowledged writes cannot be read yet: InfluxDB
// down behind the spool.
type unreadableStore struct{ store.Store }

func (unreadableStore) Sync(context.Context) error { return errors.New("InfluxDB unreachable") }

// TestRecoverWaitsForAReadableStore: when the store cannot show its acknowledged
// writes, Recover decides nothing (a decision dropped for want of its record would
// lose an approval) and says why; once it can, the decision is settled.
func TestRecoverWaitsForAReadableStore(t *testing.T) {
	f, cs := newCrashFixture(t, childConfig{Dir: t.TempDir()})
	ctx := t.Context()
	res, err := f.svc.Submit(ctx, editor, "10.0.0.1", entry.ViaAPI, []entry.Submission{fig("services_trade", "2024", "1300.7")})
	if err != nil {
		t.Fatal(err)
	}
	cs.mode = crashAfterWrite
	crashed(func() { _, _ = f.svc.Approve(ctx, approver, "10.0.0.2", res[0].PendingID, "") })
	cs.mode = noCrash

	down := entry.New(entry.Options{Store: unreadableStore{cs}, State: f.db, Approval: []string{"services_trade"}})
	r, err := down.Recover(ctx)
	if err == nil || !strings.Contains(err.Error(), "recover 1 unfinished decisions: the store cannot show its acknowledged writes yet: InfluxDB unreachable") {
		t.Errorf("Recover with the store unreadable = %+v, %v", r, err)
	}
	if n := unfinishedGauge(t, down); n != 1 {
		t.Errorf("trademon_entry_unfinished_decisions = %v, want the 1 undecided", n)
	}
	up := entry.New(entry.Options{Store: cs, State: f.db, Approval: []string{"services_trade"}})
	if r, err := up.Recover(ctx); err != nil || r.Finished != 1 || r.Dropped != 0 {
		t.Fatalf("Recover once readable = %+v, %v; want 1 finished", r, err)
	}
	checkRecovered(t, f, []float64{1.3007e11}, "[create approve]", 0, true)
	if n := unfinishedGauge(t, up); n != 0 {
		t.Errorf("trademon_entry_unfinished_decisions = %v after recovery, want 0", n)
	}
}

// unfinishedGauge reads trademon_entry_unfinished_decisions from svc's metrics.
func unfinishedGauge(t *testing.T, svc *entry.Service) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(svc.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "trademon_entry_unfinished_decisions" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no trademon_entry_unfinished_decisions")
	return 0
}

// TestRecoverTaskUpdateAfterCrash: a task's status update is the audit record in the
// store and the update in the state file; a crash between them is settled as a
// figure's decision is: recorded when the audit trail has it, dropped when not.
func TestRecoverTaskUpdateAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   crashMode
		audit  string
		status string
	}{
		{"crashed after the audit record: recorded", crashAfterWrite, "[task_update]", "in_progress"},
		{"crashed before the audit record: dropped", crashBeforeWrite, "[]", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, cs := newCrashFixture(t, childConfig{Dir: t.TempDir()})
			tasks := []targets.Task{{Number: 3, Lead: []string{"市商务局"}}}
			svc := entry.New(entry.Options{Store: cs, State: f.db, Tasks: tasks, Now: func() time.Time { return clock }})
			cs.mode = tc.mode
			crashed(func() {
				_, err := svc.UpdateTask(t.Context(), editor, "10.0.0.1", entry.TaskUpdate{Task: 3, Status: "in_progress", Note: "已出台实施细则"})
				t.Errorf("UpdateTask returned (%v) instead of crashing", err)
			})
			cs.mode = noCrash
			restarted := entry.New(entry.Options{Store: cs, State: f.db, Tasks: tasks})
			if _, err := restarted.Recover(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := string(restarted.TaskStatuses()[3]); got != tc.status {
				t.Errorf("task 3 status %q after recovery, want %q", got, tc.status)
			}
			var actions []store.AuditAction
			for _, r := range f.audit(t, store.AuditFilter{}) {
				actions = append(actions, r.Action)
			}
			if fmt.Sprint(actions) != tc.audit {
				t.Errorf("audit %v, want %s", actions, tc.audit)
			}
			if n := unfinishedGauge(t, restarted); n != 0 {
				t.Errorf("%v decisions left unfinished", n)
			}
		})
	}
}
