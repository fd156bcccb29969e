package embedded_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/tmpfs"
)

// batch returns n observations with distinct keys and long quotes, so that writing
// them needs new pages in the file.
func batch(indicator string, n int) []obs.Observation {
	out := make([]obs.Observation, n)
	for i := range out {
		o := storetest.Sample(indicator, fmt.Sprintf("%d-%02d", 1900+i/12, i%12+1), obs.BasisMonth, obs.KindCollector, float64(i+1)*1e9)
		o.Quote = strings.Repeat("全市社会消费品零售总额", 20)
		out[i] = o
	}
	return out
}

// TestDiskFull (issue 10, fault suite): with the disk full, writes are refused with
// an error naming the file and the cause, nothing acknowledged is lost, Ping (and so
// /readyz) says why, and all is well again once there is space.
func TestDiskFull(t *testing.T) {
	dir := tmpfs.Mount(t, 16<<20)
	s := open(t, dir)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	acked := batch("retail_sales", 50)
	if _, err := s.Put(t.Context(), acked); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(t.Context(), []store.AuditRecord{storetest.SampleAudit("zhang.wei", acked[0].RetrievedAt)}); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)

	big := batch("goods_trade_cny", 2000)
	_, err := s.Put(t.Context(), big)
	file := filepath.Join(dir, "trademon.db")
	if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), file) {
		t.Fatalf("Put on a full disk: %v, want an error naming %s and ENOSPC", err, file)
	}
	// A small write may still fit in pages the file holds; it does not make the
	// store look healthy while the disk is full.
	if err := s.AppendAudit(t.Context(), []store.AuditRecord{storetest.SampleAudit("li.na", acked[0].RetrievedAt)}); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("AppendAudit on a full disk: %v", err)
	}
	perr := s.Ping(t.Context())
	if perr == nil || !strings.Contains(perr.Error(), "last write failed") || !strings.Contains(perr.Error(), "no space left on device") || !strings.Contains(perr.Error(), file) {
		t.Fatalf("Ping on a full disk: %v, want it to say the last write failed and why", perr)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_write_failing"); v != 1 {
		t.Errorf("trademon_store_write_failing = %v, want 1", v)
	}
	got, err := s.Query(t.Context(), store.Filter{})
	if err != nil {
		t.Fatalf("Query on a full disk: %v", err)
	}
	storetest.EqualObservations(t, acked, got)
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping recovered while the disk is still full")
	}

	tmpfs.Free(t, filler)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once there is space again: %v", err)
	}
	if v := storetest.MetricValue(t, reg, "trademon_store_write_failing"); v != 0 {
		t.Errorf("trademon_store_write_failing = %v after recovery, want 0", v)
	}
	if _, err := s.Put(t.Context(), big); err != nil {
		t.Fatalf("Put once there is space again: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	got, err = s.Query(t.Context(), store.Filter{})
	if err != nil || len(got) != len(acked)+len(big) {
		t.Fatalf("after reopening: %d observations (%v), want %d", len(got), err, len(acked)+len(big))
	}
	if a, err := s.Audit(t.Context(), store.AuditFilter{User: "zhang.wei"}); err != nil || len(a) != 1 {
		t.Fatalf("audit after reopening: %v %v", a, err)
	}
}
