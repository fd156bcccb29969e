package storetest

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

func putWithAudit(t *testing.T, s store.Store, os []obs.Observation, rs ...store.AuditRecord) []store.Outcome {
	t.Helper()
	out, err := s.PutWithAudit(ctx(t), os, rs)
	if err != nil {
		t.Fatalf("PutWithAudit: %v", err)
	}
	if len(out) != len(os) {
		t.Fatalf("PutWithAudit returned %d outcomes for %d observations", len(out), len(os))
	}
	return out
}

// entryAudit is the audit record of a staff figure o, as internal/entry writes it.
func entryAudit(o obs.Observation, at time.Time, old *float64) store.AuditRecord {
	r := store.AuditRecord{Time: at, User: o.EnteredBy, Remote: "10.1.2.3", Action: store.AuditCreate,
		Indicator: o.Indicator, Period: o.Period.String(), Basis: o.Basis, OldValue: old, NewValue: ptr(o.Value)}
	if old != nil {
		r.Action, r.Reason = store.AuditRevise, "按年鉴更正"
	}
	return r
}

func testPutWithAudit(t *testing.T, s store.Store) {
	a := Sample("services_trade", "2024", obs.BasisYear, obs.KindManual, 1.3e11)
	b := Sample("trade_hq_enterprises", "2024-12", obs.BasisStock, obs.KindManual, 196)
	ra, rb := entryAudit(a, base, nil), entryAudit(b, base, nil)
	wantOutcomes(t, putWithAudit(t, s, []obs.Observation{a, b}, ra, rb), store.Created, store.Created)
	want := []obs.Observation{a, b}
	obs.Sort(want)
	EqualObservations(t, want, query(t, s, store.Filter{}))
	rb.Time = base.Add(time.Nanosecond) // the same series (create by stats-staff) and instant
	EqualAudit(t, utcAudit(ra, rb), audit(t, s, store.AuditFilter{}))

	// A revision: the outcome, the revision and the record, as Put and AppendAudit
	// would give them.
	a2 := a
	a2.Value = 1.32e11
	r2 := entryAudit(a2, base.Add(time.Minute), ptr(a.Value))
	wantOutcomes(t, putWithAudit(t, s, []obs.Observation{a2}, r2), store.Updated)
	revs := revisions(t, s, store.Filter{Indicators: []string{"services_trade"}})
	if len(revs) != 1 || revs[0].PreviousValue != a.Value || revs[0].Observation.Value != a2.Value {
		t.Fatalf("revisions %+v, want one from %v to %v", revs, a.Value, a2.Value)
	}
	EqualAudit(t, utcAudit(r2), audit(t, s, store.AuditFilter{Action: store.AuditRevise}))

	// The records are appended whatever the outcome: the caller decided what they say.
	note := store.AuditRecord{Time: base.Add(2 * time.Minute), User: "li.na", Action: store.AuditImport, Detail: "same figure again"}
	wantOutcomes(t, putWithAudit(t, s, []obs.Observation{a2}, note), store.Unchanged)
	EqualAudit(t, utcAudit(note), audit(t, s, store.AuditFilter{Action: store.AuditImport}))

	// Records alone, observations alone, and neither.
	alone := store.AuditRecord{User: "li.na", Action: store.AuditApprove, Indicator: "services_trade"}
	before := time.Now()
	putWithAudit(t, s, nil, alone)
	if got := audit(t, s, store.AuditFilter{Action: store.AuditApprove}); len(got) != 1 || got[0].Time.Before(before) {
		t.Fatalf("a record without a time: %+v, want one dated now", got)
	}
	c := Sample("airport_international_routes", "2024-12", obs.BasisStock, obs.KindManual, 60)
	wantOutcomes(t, putWithAudit(t, s, []obs.Observation{c}), store.Created)
	putWithAudit(t, s, nil)
	if got := audit(t, s, store.AuditFilter{}); len(got) != 5 {
		t.Fatalf("%d audit records, want 5", len(got))
	}
	if got := query(t, s, store.Filter{}); len(got) != 3 {
		t.Fatalf("%d observations, want 3", len(got))
	}
}

func testPutWithAuditInvalid(t *testing.T, s store.Store) {
	good := Sample("services_trade", "2024", obs.BasisYear, obs.KindManual, 1.3e11)
	bad := good
	bad.Value = math.Inf(1)
	rec := entryAudit(good, base, nil)
	badRec := rec
	badRec.Action = ""
	tests := []struct {
		name string
		os   []obs.Observation
		rs   []store.AuditRecord
		want []string
	}{
		{"bad observation, good record", []obs.Observation{good, bad}, []store.AuditRecord{rec}, []string{"observation 1", "value"}},
		{"good observation, bad record", []obs.Observation{good}, []store.AuditRecord{rec, badRec}, []string{"audit record 1", "action"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.PutWithAudit(ctx(t), tc.os, tc.rs)
			if !errors.Is(err, store.ErrInvalid) || out != nil {
				t.Fatalf("PutWithAudit = %v, %v; want no outcomes and an error wrapping store.ErrInvalid", out, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if got := query(t, s, store.Filter{}); len(got) != 0 {
				t.Errorf("a refused PutWithAudit wrote %d observations", len(got))
			}
			if got := audit(t, s, store.AuditFilter{}); len(got) != 0 {
				t.Errorf("a refused PutWithAudit wrote %d audit records", len(got))
			}
		})
	}
}

// testPutWithAuditConcurrent: writers of one series, some with PutWithAudit and some
// with AppendAudit, share the series' times without overwriting one another, and
// every figure is stored.
func testPutWithAuditConcurrent(t *testing.T, s store.Store) {
	concurrentAudit(t, s, func(w, i int, r store.AuditRecord) error {
		if w%2 == 1 {
			return s.AppendAudit(ctx(t), []store.AuditRecord{r})
		}
		o := Sample("retail_sales", obs.MonthPeriod(2010+w, i+1).String(), obs.BasisMonth, obs.KindManual, float64(1+w*auditEach+i)*1e9)
		_, err := s.PutWithAudit(ctx(t), []obs.Observation{o}, []store.AuditRecord{r})
		return err
	})
	if n := len(query(t, s, store.Filter{})); n != auditWorkers/2*auditEach {
		t.Errorf("%d observations, want %d", n, auditWorkers/2*auditEach)
	}
}
