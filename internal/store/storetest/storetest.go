// Package storetest is the conformance suite every store.Store implementation passes.
// A store's own tests call Run with a function that opens a fresh, empty store and one
// that reopens a closed store's data:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, openFresh, reopen)
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

// Run runs the conformance suite as subtests of t. open returns a fresh, empty store
// (registering its own cleanup); reopen closes s and returns a new store over the same
// data, as after a restart.
func Run(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	t.Helper()
	if open == nil || reopen == nil {
		t.Fatal("storetest.Run needs both open and reopen")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"EmptyPut", testEmptyPut},
		{"Ping", testPing},
		{"Outcomes", testOutcomes},
		{"ManualProvenanceUpdates", testManualProvenance},
		{"DuplicateKeyInOneBatch", testDuplicateInBatch},
		{"RevisionsOldestFirst", testRevisionsOrder},
		{"SourceKindsCoexist", testKindsCoexist},
		{"ProvenanceRoundTrip", testRoundTrip},
		{"GrowthAndResolution", testGrowthAndResolution},
		{"Filters", testFilters},
		{"QuerySorted", testSorted},
		{"Conflicts", testConflicts},
		{"InvalidBatchWritesNothing", testInvalid},
		{"ConcurrentPuts", testConcurrent},
	}
	tests = append(tests, journalTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	t.Run("PersistsAcrossReopen", func(t *testing.T) { testPersistence(t, open(t), reopen) })
	t.Run("JournalPersistsAcrossReopen", func(t *testing.T) { testJournalPersistence(t, open(t), reopen) })
}

// Sample returns a normalized, valid observation with full provenance. Manual ones get
// Source "manual" and an EnteredBy.
func Sample(indicator, period string, basis obs.Basis, kind obs.SourceKind, value float64) obs.Observation {
	o := obs.Observation{
		Indicator:   indicator,
		Period:      obs.MustParsePeriod(period),
		Basis:       basis,
		Value:       value,
		SourceKind:  kind,
		Source:      "retail/tjj-monthly",
		URL:         "https://tjj.sz.gov.cn/zwgk/zfxxgkml/tjsj/tjfx/content/post_1.html",
		Quote:       "1-10月，全市社会消费品零售总额8264.30亿元，同比增长3.5%。",
		PublishedAt: time.Date(2025, 11, 18, 9, 30, 0, 0, obs.Shanghai),
		RetrievedAt: time.Date(2025, 11, 18, 10, 0, 1, 500, time.UTC),
	}
	switch kind {
	case obs.KindManual:
		o.Source = obs.SourceManual
		o.EnteredBy = "stats-staff"
	case obs.KindReference:
		o.Source = "reference/history"
	}
	o.Normalize()
	return o
}

// Diff describes how got differs from want field by field ("" when equal). Times are
// compared as instants.
func Diff(want, got obs.Observation) string {
	var d []string
	add := func(field string, w, g any) { d = append(d, fmt.Sprintf("%s: want %#v, got %#v", field, w, g)) }
	if want.Indicator != got.Indicator {
		add("indicator", want.Indicator, got.Indicator)
	}
	if want.Region != got.Region {
		add("region", want.Region, got.Region)
	}
	if want.Period != got.Period {
		add("period", want.Period.String(), got.Period.String())
	}
	if want.Basis != got.Basis {
		add("basis", want.Basis, got.Basis)
	}
	if math.Float64bits(want.Value) != math.Float64bits(got.Value) {
		add("value", want.Value, got.Value)
	}
	if want.Unit != got.Unit {
		add("unit", want.Unit, got.Unit)
	}
	if want.SourceKind != got.SourceKind {
		add("source_kind", want.SourceKind, got.SourceKind)
	}
	if want.Source != got.Source {
		add("source", want.Source, got.Source)
	}
	if want.URL != got.URL {
		add("url", want.URL, got.URL)
	}
	if want.Quote != got.Quote {
		add("quote", want.Quote, got.Quote)
	}
	if !want.PublishedAt.Equal(got.PublishedAt) {
		add("published_at", want.PublishedAt.Format(time.RFC3339Nano), got.PublishedAt.Format(time.RFC3339Nano))
	}
	if !want.RetrievedAt.Equal(got.RetrievedAt) {
		add("retrieved_at", want.RetrievedAt.Format(time.RFC3339Nano), got.RetrievedAt.Format(time.RFC3339Nano))
	}
	if want.Estimate != got.Estimate {
		add("estimate", want.Estimate, got.Estimate)
	}
	if want.Qualifier != got.Qualifier {
		add("qualifier", want.Qualifier, got.Qualifier)
	}
	if want.EnteredBy != got.EnteredBy {
		add("entered_by", want.EnteredBy, got.EnteredBy)
	}
	if want.Note != got.Note {
		add("note", want.Note, got.Note)
	}
	if !sameOpt(want.YoY, got.YoY) {
		add("yoy", fmtOpt(want.YoY), fmtOpt(got.YoY))
	}
	if math.Float64bits(want.Resolution) != math.Float64bits(got.Resolution) {
		add("resolution", want.Resolution, got.Resolution)
	}
	return strings.Join(d, "; ")
}

// EqualObservations fails t unless got holds exactly want, in order.
func EqualObservations(t testing.TB, want, got []obs.Observation) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %d observations, want %d:\n got: %s\nwant: %s", len(got), len(want), keys(got), keys(want))
	}
	for i := range want {
		if d := Diff(want[i], got[i]); d != "" {
			t.Errorf("observation %d (%s): %s", i, want[i].Key(), d)
		}
	}
}

func keys(os []obs.Observation) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = o.Key().String()
	}
	return strings.Join(s, ", ")
}

func ctx(t *testing.T) context.Context { return t.Context() }

func put(t *testing.T, s store.Store, os ...obs.Observation) []store.Outcome {
	t.Helper()
	out, err := s.Put(ctx(t), os)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if len(out) != len(os) {
		t.Fatalf("Put returned %d outcomes for %d observations", len(out), len(os))
	}
	return out
}

func query(t *testing.T, s store.Store, f store.Filter) []obs.Observation {
	t.Helper()
	got, err := s.Query(ctx(t), f)
	if err != nil {
		t.Fatalf("Query(%+v): %v", f, err)
	}
	return got
}

func revisions(t *testing.T, s store.Store, f store.Filter) []obs.Revision {
	t.Helper()
	got, err := s.Revisions(ctx(t), f)
	if err != nil {
		t.Fatalf("Revisions: %v", err)
	}
	return got
}

func wantOutcomes(t *testing.T, got []store.Outcome, want ...store.Outcome) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}

func testEmptyPut(t *testing.T, s store.Store) {
	out, err := s.Put(ctx(t), nil)
	if err != nil || len(out) != 0 {
		t.Fatalf("Put(nil) = %v, %v; want no outcomes and no error", out, err)
	}
	if got := query(t, s, store.Filter{}); len(got) != 0 {
		t.Fatalf("fresh store holds %d observations", len(got))
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testOutcomes(t *testing.T, s store.Store) {
	a := Sample("retail_sales", "2024-03", obs.BasisMonth, obs.KindCollector, 6.5e10)
	wantOutcomes(t, put(t, s, a), store.Created)
	EqualObservations(t, []obs.Observation{a}, query(t, s, store.Filter{}))

	wantOutcomes(t, put(t, s, a), store.Unchanged)

	// The same figure republished elsewhere does not replace a collected record.
	elsewhere := a
	elsewhere.URL = "https://www.sz.gov.cn/other.html"
	elsewhere.Quote = "另一处转载"
	wantOutcomes(t, put(t, s, elsewhere), store.Unchanged)
	EqualObservations(t, []obs.Observation{a}, query(t, s, store.Filter{}))
	if r := revisions(t, s, store.Filter{}); len(r) != 0 {
		t.Fatalf("unchanged writes recorded %d revisions", len(r))
	}

	b := a
	b.Value = 6.6e10
	b.URL = "https://tjj.sz.gov.cn/corrected.html"
	before := time.Now()
	wantOutcomes(t, put(t, s, b), store.Updated)
	after := time.Now()
	EqualObservations(t, []obs.Observation{b}, query(t, s, store.Filter{}))
	revs := revisions(t, s, store.Filter{})
	if len(revs) != 1 {
		t.Fatalf("got %d revisions, want 1", len(revs))
	}
	r := revs[0]
	if r.PreviousValue != a.Value || r.PreviousSource != a.Source || r.PreviousEstimate {
		t.Errorf("revision previous = %v from %q (estimate %v), want %v from %q", r.PreviousValue, r.PreviousSource, r.PreviousEstimate, a.Value, a.Source)
	}
	if d := Diff(b, r.Observation); d != "" {
		t.Errorf("revision observation: %s", d)
	}
	if r.Key != b.Key() {
		t.Errorf("revision key %v, want %v", r.Key, b.Key())
	}
	if r.At.Before(before) || r.At.After(after) {
		t.Errorf("revision at %v, want within the Put call [%v, %v]", r.At, before, after)
	}

	// A final figure replacing an estimate of the same value is a change too.
	est := b
	est.Estimate = true
	wantOutcomes(t, put(t, s, est), store.Updated)
	revs = revisions(t, s, store.Filter{})
	if len(revs) != 2 || !revs[1].Observation.Estimate || revs[1].PreviousEstimate || revs[1].PreviousValue != b.Value {
		t.Fatalf("estimate flag change: revisions %+v", revs)
	}
}

func testManualProvenance(t *testing.T, s store.Store) {
	m := Sample("services_trade", "2024", obs.BasisYear, obs.KindManual, 3.5e10)
	wantOutcomes(t, put(t, s, m), store.Created)
	m2 := m
	m2.Note = "按商务部口径更正来源"
	m2.URL = "https://commerce.sz.gov.cn/fixed.html"
	wantOutcomes(t, put(t, s, m2), store.Updated)
	EqualObservations(t, []obs.Observation{m2}, query(t, s, store.Filter{}))
	// A revision is a changed value (DESIGN.md): corrected provenance is kept without one.
	if revs := revisions(t, s, store.Filter{}); len(revs) != 0 {
		t.Fatalf("a provenance-only change recorded %d revisions (%+v), want none", len(revs), revs)
	}
	wantOutcomes(t, put(t, s, m2), store.Unchanged)
	// A changed value after it is a revision, from the corrected record.
	m3 := m2
	m3.Value = 3.6e10
	wantOutcomes(t, put(t, s, m3), store.Updated)
	revs := revisions(t, s, store.Filter{})
	if len(revs) != 1 || revs[0].PreviousValue != m.Value || revs[0].Observation.Value != m3.Value || revs[0].Observation.Note != m2.Note {
		t.Fatalf("revisions %+v, want one from %v to %v", revs, m.Value, m3.Value)
	}
	// Provenance and value corrected in one batch, then provenance again: one revision.
	m4, m5 := m3, m3
	m4.Note = "第二次更正"
	m5.Note, m5.Value = "第三次更正", 3.7e10
	wantOutcomes(t, put(t, s, m4, m5, m4), store.Updated, store.Updated, store.Updated)
	EqualObservations(t, []obs.Observation{m4}, query(t, s, store.Filter{}))
	if revs := revisions(t, s, store.Filter{}); len(revs) != 3 || revs[1].PreviousValue != m3.Value || revs[2].PreviousValue != m5.Value || revs[2].Observation.Value != m4.Value {
		t.Fatalf("revisions %+v, want 3.5e10→3.6e10→3.7e10→3.6e10", revs)
	}
}

func testDuplicateInBatch(t *testing.T, s store.Store) {
	a := Sample("retail_sales", "2024-05", obs.BasisYTD, obs.KindCollector, 3.9e11)
	b := a
	b.Value = 3.95e11
	wantOutcomes(t, put(t, s, a, b, b), store.Created, store.Updated, store.Unchanged)
	EqualObservations(t, []obs.Observation{b}, query(t, s, store.Filter{}))
	revs := revisions(t, s, store.Filter{})
	if len(revs) != 1 || revs[0].PreviousValue != a.Value || revs[0].Observation.Value != b.Value {
		t.Fatalf("revisions %+v, want one from %v to %v", revs, a.Value, b.Value)
	}
}

func testRevisionsOrder(t *testing.T, s store.Store) {
	vals := []float64{1.0e11, 1.1e11, 1.2e11, 1.15e11}
	for _, v := range vals {
		put(t, s, Sample("goods_trade_cny", "2023", obs.BasisYear, obs.KindCollector, v))
	}
	other := Sample("goods_exports_cny", "2023", obs.BasisYear, obs.KindCollector, 7e10)
	put(t, s, other)
	other.Value = 7.1e10
	put(t, s, other)

	revs := revisions(t, s, store.Filter{Indicators: []string{"goods_trade_cny"}})
	if len(revs) != len(vals)-1 {
		t.Fatalf("got %d revisions, want %d", len(revs), len(vals)-1)
	}
	for i, r := range revs {
		if r.PreviousValue != vals[i] || r.Observation.Value != vals[i+1] {
			t.Errorf("revision %d: %v → %v, want %v → %v", i, r.PreviousValue, r.Observation.Value, vals[i], vals[i+1])
		}
		if i > 0 && !r.At.After(revs[i-1].At) {
			t.Errorf("revision %d at %v is not after revision %d at %v", i, r.At, i-1, revs[i-1].At)
		}
	}
	if all := revisions(t, s, store.Filter{}); len(all) != len(vals) {
		t.Fatalf("unfiltered: %d revisions, want %d", len(all), len(vals))
	}
}

func testKindsCoexist(t *testing.T, s store.Store) {
	ref := Sample("retail_sales", "2020", obs.BasisYear, obs.KindReference, 8.66e11)
	col := Sample("retail_sales", "2020", obs.BasisYear, obs.KindCollector, 8.6645e11)
	man := Sample("retail_sales", "2020", obs.BasisYear, obs.KindManual, 8.665e11)
	wantOutcomes(t, put(t, s, ref, col, man), store.Created, store.Created, store.Created)
	got := query(t, s, store.Filter{})
	EqualObservations(t, []obs.Observation{col, man, ref}, got) // obs.Sort orders by source kind name
	if r := revisions(t, s, store.Filter{}); len(r) != 0 {
		t.Fatalf("distinct source kinds recorded %d revisions", len(r))
	}
	only := query(t, s, store.Filter{SourceKinds: []obs.SourceKind{obs.KindManual}})
	EqualObservations(t, []obs.Observation{man}, only)
}

// Texts that stress every layer: line protocol escaping, Flux strings, CSV, JSON.
var hardTexts = []string{
	`1-10月，全市社会消费品零售总额8,264.30亿元，同比增长3.5%。`,
	"他说：\"外贸稳中有进\"，\n第二行, key=value 还有\ttab",
	`C:\data\2025\ 反斜杠结尾\`,
	`emoji 😀🚢📦 and ${x} and $ { and \n literally and 'single' "double"`,
	"line one\nline two \\\" tricky \\\\ ",
	"",
}

func testRoundTrip(t *testing.T, s store.Store) {
	var in []obs.Observation
	values := []struct {
		ind   string
		basis obs.Basis
		v     float64
	}{
		{"goods_trade_cny", obs.BasisYear, 0.1 + 0.2},
		{"goods_trade_cny", obs.BasisYTD, 3.8543456789012345e12},
		{"goods_exports_cny", obs.BasisMonth, math.MaxFloat64},
		{"goods_imports_cny", obs.BasisMonth, 5e-324},
		{"digital_economy_share", obs.BasisYear, 1.0 / 3},
		{"new_trade_formats_share", obs.BasisYear, 0},
		{"usd_cny_rate", obs.BasisYear, 7.1884},
		{"port_container_throughput", obs.BasisYTD, 3.3e7},
		{"international_standards", obs.BasisStock, 1e5},
		{"trade_hq_enterprises", obs.BasisStock, 123},
	}
	for i, v := range values {
		period := fmt.Sprintf("2024-%02d", i+1)
		if v.basis == obs.BasisYear {
			period = fmt.Sprintf("%d", 2010+i)
		}
		kind := []obs.SourceKind{obs.KindCollector, obs.KindManual, obs.KindReference}[i%3]
		o := Sample(v.ind, period, v.basis, kind, v.v)
		o.Quote = hardTexts[i%len(hardTexts)]
		o.Note = hardTexts[(i+1)%len(hardTexts)]
		o.Qualifier = []string{"", "含国外先进标准", "口径：海关 \"总值\""}[i%3]
		o.URL = fmt.Sprintf("https://tjj.sz.gov.cn/a b/%d.html?x=1&y=\"2\"#frag,=", i)
		if kind != obs.KindManual {
			o.Source = []string{"trade/customs monthly,v=2", "port/szport", `reference/history "old"`}[i%3]
		} else {
			o.EnteredBy = "王小明 <wang@sz.gov.cn>"
		}
		o.Estimate = i%2 == 1
		switch i % 4 { // stated growth: none, positive, negative, and exactly zero
		case 1:
			o.YoY = ptr(0.096)
		case 2:
			o.YoY = ptr(-1.0 / 3)
		case 3:
			o.YoY = ptr(0)
		}
		o.Resolution = []float64{0, 1e6, 1e4, 0.0001, 1e-12}[i%5]
		switch i % 3 {
		case 0:
			o.PublishedAt, o.RetrievedAt = time.Time{}, time.Time{}
		case 1:
			o.PublishedAt = time.Date(2025, 1, 20, 10, 0, 0, 123456789, obs.Shanghai)
			o.RetrievedAt = time.Date(2025, 1, 21, 3, 4, 5, 987654321, time.UTC)
		case 2:
			o.PublishedAt = time.Date(2009, 12, 31, 23, 59, 59, 0, time.FixedZone("x", -3*3600))
		}
		in = append(in, o)
	}
	// A region of free text exercises tag escaping.
	odd := Sample("retail_sales", "2024-12", obs.BasisMonth, obs.KindCollector, 8.8e10)
	odd.Region = `深圳 前海,区=1 "q"`
	in = append(in, odd)

	out := put(t, s, in...)
	for i, o := range out {
		if o != store.Created {
			t.Fatalf("outcome %d = %s, want created", i, o)
		}
	}
	want := slices.Clone(in)
	obs.Sort(want)
	EqualObservations(t, want, query(t, s, store.Filter{}))
	// Writing the same records again changes nothing.
	for i, o := range put(t, s, in...) {
		if o != store.Unchanged {
			t.Errorf("rewrite outcome %d = %s, want unchanged", i, o)
		}
	}
	EqualObservations(t, want, query(t, s, store.Filter{}))
}

func testGrowthAndResolution(t *testing.T, s store.Store) {
	a := Sample("retail_sales", "2024", obs.BasisYear, obs.KindCollector, 9.49812e11)
	a.YoY, a.Resolution = ptr(0.096), 1e6
	wantOutcomes(t, put(t, s, a), store.Created)
	EqualObservations(t, []obs.Observation{a}, query(t, s, store.Filter{}))

	// A corrected figure that states no growth and no resolution clears both.
	b := a
	b.Value, b.YoY, b.Resolution = 9.5e11, nil, 0
	wantOutcomes(t, put(t, s, b), store.Updated)
	EqualObservations(t, []obs.Observation{b}, query(t, s, store.Filter{}))
	revs := revisions(t, s, store.Filter{})
	if len(revs) != 1 {
		t.Fatalf("got %d revisions, want 1", len(revs))
	}
	if d := Diff(b, revs[0].Observation); d != "" {
		t.Errorf("revision observation: %s", d)
	}
	c := b
	c.Value, c.YoY, c.Resolution = 9.6e11, ptr(-0.02), 1e8
	wantOutcomes(t, put(t, s, c), store.Updated)
	EqualObservations(t, []obs.Observation{c}, query(t, s, store.Filter{}))

	// For a manual figure, stating its growth is a change of the record.
	m := Sample("services_trade", "2024", obs.BasisYear, obs.KindManual, 3.5e10)
	wantOutcomes(t, put(t, s, m), store.Created)
	m.YoY = ptr(0.12)
	wantOutcomes(t, put(t, s, m), store.Updated)
	m.Resolution = 1e6
	wantOutcomes(t, put(t, s, m), store.Updated)
	wantOutcomes(t, put(t, s, m), store.Unchanged)
	EqualObservations(t, []obs.Observation{c, m}, query(t, s, store.Filter{}))

	alt := a
	alt.Source = "retail/other"
	cf := conflict(alt, c.Value, time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC))
	if err := s.PutConflicts(ctx(t), []obs.Conflict{cf}); err != nil {
		t.Fatalf("PutConflicts: %v", err)
	}
	cs, err := s.Conflicts(ctx(t), store.Filter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("Conflicts: %d, %v; want 1", len(cs), err)
	}
	if d := diffConflict(cf, cs[0]); d != "" {
		t.Errorf("conflict: %s", d)
	}
}

func testFilters(t *testing.T, s store.Store) {
	os := []obs.Observation{
		Sample("retail_sales", "2024-01", obs.BasisMonth, obs.KindCollector, 8e10),      // 0
		Sample("retail_sales", "2024-02", obs.BasisYTD, obs.KindCollector, 1.5e11),      // 1
		Sample("retail_sales", "2024", obs.BasisYear, obs.KindReference, 1.0e12),        // 2
		Sample("retail_sales", "2024", obs.BasisYear, obs.KindManual, 1.01e12),          // 3
		Sample("goods_trade_cny", "2023-12", obs.BasisYTD, obs.KindCollector, 3.87e12),  // 4
		Sample("goods_trade_cny", "2025-01", obs.BasisMonth, obs.KindCollector, 3.1e11), // 5
		Sample("international_standards", "2024-06", obs.BasisStock, obs.KindCollector, 3000),
		Sample("retail_sales", "2024-01", obs.BasisMonth, obs.KindCollector, 9e9), // 7: other region
	}
	os[7].Region = "guangzhou"
	put(t, s, os...)
	sh := func(y, m int) time.Time { return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, obs.Shanghai) }
	tests := []struct {
		name string
		f    store.Filter
		want []int
	}{
		{"all", store.Filter{}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"indicator", store.Filter{Indicators: []string{"retail_sales"}}, []int{0, 1, 2, 3, 7}},
		{"two indicators", store.Filter{Indicators: []string{"goods_trade_cny", "international_standards"}}, []int{4, 5, 6}},
		{"unknown indicator", store.Filter{Indicators: []string{"nope"}}, nil},
		{"basis", store.Filter{Bases: []obs.Basis{obs.BasisYTD}}, []int{1, 4}},
		{"bases", store.Filter{Bases: []obs.Basis{obs.BasisYear, obs.BasisStock}}, []int{2, 3, 6}},
		{"source kind", store.Filter{SourceKinds: []obs.SourceKind{obs.KindReference, obs.KindManual}}, []int{2, 3}},
		{"region", store.Filter{Region: "guangzhou"}, []int{7}},
		// From is inclusive and To exclusive on the period start (00:00 Asia/Shanghai).
		{"from", store.Filter{From: sh(2024, 2)}, []int{1, 5, 6}},
		{"to", store.Filter{To: sh(2024, 1)}, []int{4}},
		{"from to", store.Filter{From: sh(2024, 1), To: sh(2024, 2)}, []int{0, 2, 3, 7}},
		{"from one ns late", store.Filter{From: sh(2024, 1).Add(time.Nanosecond), To: sh(2024, 3)}, []int{1}},
		{"from in UTC", store.Filter{From: sh(2025, 1).UTC()}, []int{5}},
		{"combined", store.Filter{Indicators: []string{"retail_sales"}, Bases: []obs.Basis{obs.BasisYear}, SourceKinds: []obs.SourceKind{obs.KindManual}, Region: obs.RegionSZ, From: sh(2024, 1), To: sh(2025, 1)}, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []obs.Observation
			for _, i := range tc.want {
				want = append(want, os[i])
			}
			obs.Sort(want)
			EqualObservations(t, want, query(t, s, tc.f))
		})
	}
}

func testSorted(t *testing.T, s store.Store) {
	var in []obs.Observation
	for _, p := range []string{"2024-11", "2023-02", "2024-01", "2024-10"} {
		for _, ind := range []string{"retail_sales", "goods_trade_cny"} {
			in = append(in, Sample(ind, p, obs.BasisYTD, obs.KindCollector, 1e11))
			in = append(in, Sample(ind, p, obs.BasisMonth, obs.KindReference, 1e10))
		}
	}
	put(t, s, in...)
	want := slices.Clone(in)
	obs.Sort(want)
	EqualObservations(t, want, query(t, s, store.Filter{}))
}

func conflict(alt obs.Observation, existing float64, detected time.Time) obs.Conflict {
	return obs.Conflict{Alternative: alt, ExistingValue: existing, ExistingSource: "trade/customs", ExistingURL: "https://shenzhen.customs.gov.cn/x.html", DetectedAt: detected}
}

func diffConflict(want, got obs.Conflict) string {
	d := Diff(want.Alternative, got.Alternative)
	if want.ExistingValue != got.ExistingValue || want.ExistingSource != got.ExistingSource || want.ExistingURL != got.ExistingURL || !want.DetectedAt.Equal(got.DetectedAt) {
		d += fmt.Sprintf("; existing: want %v %q %q %v, got %v %q %q %v", want.ExistingValue, want.ExistingSource, want.ExistingURL, want.DetectedAt,
			got.ExistingValue, got.ExistingSource, got.ExistingURL, got.DetectedAt)
	}
	return strings.TrimPrefix(d, "; ")
}

func testConflicts(t *testing.T, s store.Store) {
	alt := Sample("goods_trade_cny", "2024-10", obs.BasisYTD, obs.KindCollector, 3.6e12)
	alt.Source = "trade/commerce-bureau"
	alt.Quote = hardTexts[1]
	det := time.Date(2025, 11, 20, 8, 0, 0, 123456789, time.UTC)
	c1 := conflict(alt, 3.61e12, det)
	if err := s.PutConflicts(ctx(t), []obs.Conflict{c1}); err != nil {
		t.Fatalf("PutConflicts: %v", err)
	}
	// Recording it again (a collector re-run) replaces the record rather than adding one.
	c1b := c1
	c1b.Alternative.Value = 3.605e12
	c1b.DetectedAt = det.Add(24 * time.Hour)
	alt2 := alt
	alt2.Source = "trade/statistics-bureau"
	c2 := conflict(alt2, 3.61e12, det)
	other := conflict(Sample("retail_sales", "2024-10", obs.BasisYTD, obs.KindCollector, 8e11), 8.1e11, det)
	if err := s.PutConflicts(ctx(t), []obs.Conflict{c1b, c2, other}); err != nil {
		t.Fatalf("PutConflicts: %v", err)
	}
	if err := s.PutConflicts(ctx(t), []obs.Conflict{c1b}); err != nil {
		t.Fatalf("PutConflicts: %v", err)
	}
	got, err := s.Conflicts(ctx(t), store.Filter{Indicators: []string{"goods_trade_cny"}})
	if err != nil {
		t.Fatalf("Conflicts: %v", err)
	}
	slices.SortFunc(got, func(a, b obs.Conflict) int { return strings.Compare(a.Alternative.Source, b.Alternative.Source) })
	want := []obs.Conflict{c1b, c2}
	if len(got) != len(want) {
		t.Fatalf("got %d conflicts, want %d (one per key and source): %+v", len(got), len(want), got)
	}
	for i := range want {
		if d := diffConflict(want[i], got[i]); d != "" {
			t.Errorf("conflict %d: %s", i, d)
		}
	}
	all, err := s.Conflicts(ctx(t), store.Filter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("all conflicts: %d, %v; want 3", len(all), err)
	}
	none, err := s.Conflicts(ctx(t), store.Filter{SourceKinds: []obs.SourceKind{obs.KindManual}})
	if err != nil || len(none) != 0 {
		t.Fatalf("manual conflicts: %d, %v; want none", len(none), err)
	}
	// Conflicts are not observations.
	if o := query(t, s, store.Filter{}); len(o) != 0 {
		t.Fatalf("conflicts showed up as %d observations", len(o))
	}
}

func testInvalid(t *testing.T, s store.Store) {
	good := Sample("retail_sales", "2024-03", obs.BasisMonth, obs.KindCollector, 6e10)
	unknown := good
	unknown.Indicator = "retail_salez"
	badBasis := Sample("international_standards", "2024-03", obs.BasisStock, obs.KindCollector, 10)
	badBasis.Basis = obs.BasisMonth
	noWho := Sample("services_trade", "2024", obs.BasisYear, obs.KindManual, 1e10)
	noWho.EnteredBy = ""
	badRegion := good
	badRegion.Region = "shen\nzhen"
	slash := good
	slash.Region = `前海\,南山`
	nan := good
	nan.Value = math.NaN()
	cr := good
	cr.Quote = "Windows\r\nline"
	latin1 := good
	latin1.Note = "caf\xe9"
	tests := []struct {
		name  string
		batch []obs.Observation
		want  []string // substrings of the error
	}{
		{"unknown indicator", []obs.Observation{good, unknown}, []string{"observation 1", "indicator", "retail_salez"}},
		{"basis", []obs.Observation{badBasis, good}, []string{"observation 0", "basis"}},
		{"manual without who", []obs.Observation{good, good, noWho}, []string{"observation 2", "entered_by"}},
		{"region with newline", []obs.Observation{good, badRegion}, []string{"observation 1", "region", "control character"}},
		{"region with backslash before comma", []obs.Observation{slash}, []string{"observation 0", "region", "backslash"}},
		{"NaN", []obs.Observation{nan}, []string{"observation 0", "value", "NaN"}},
		{"carriage return", []obs.Observation{good, cr}, []string{"observation 1", "quote", "carriage return"}},
		{"invalid UTF-8", []obs.Observation{latin1}, []string{"observation 0", "note", "UTF-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Put(ctx(t), tc.batch)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Put error %v, want one wrapping store.ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if out != nil {
				t.Errorf("outcomes %v returned with an error", out)
			}
			if got := query(t, s, store.Filter{}); len(got) != 0 {
				t.Fatalf("an invalid batch wrote %d observations", len(got))
			}
		})
	}
	err := s.PutConflicts(ctx(t), []obs.Conflict{conflict(good, 1, time.Now()), conflict(unknown, 1, time.Now())})
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "conflict 1") {
		t.Fatalf("PutConflicts error %v, want ErrInvalid naming conflict 1", err)
	}
	if cs, err := s.Conflicts(ctx(t), store.Filter{}); err != nil || len(cs) != 0 {
		t.Fatalf("an invalid conflict batch wrote %d conflicts (%v)", len(cs), err)
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	const workers, puts = 6, 8
	shared := Sample("port_container_throughput", "2024-06", obs.BasisMonth, obs.KindCollector, 2.6e6)
	var mu sync.Mutex
	counts := map[store.Outcome]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers*puts)
	for w := range workers {
		wg.Go(func() {
			for p := range puts {
				own := Sample("retail_sales", fmt.Sprintf("%d-%02d", 2000+w, p+1), obs.BasisMonth, obs.KindCollector, float64(w*100+p+1)*1e9)
				out, err := s.Put(context.Background(), []obs.Observation{own, shared})
				if err != nil {
					errs <- err
					return
				}
				if out[0] != store.Created {
					errs <- fmt.Errorf("worker %d put %d: own observation %s", w, p, out[0])
				}
				mu.Lock()
				counts[out[1]]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if counts[store.Created] != 1 || counts[store.Unchanged] != workers*puts-1 {
		t.Errorf("shared observation outcomes %v, want 1 created and %d unchanged", counts, workers*puts-1)
	}
	if got := query(t, s, store.Filter{}); len(got) != workers*puts+1 {
		t.Errorf("store holds %d observations, want %d", len(got), workers*puts+1)
	}
	if r := revisions(t, s, store.Filter{}); len(r) != 0 {
		t.Errorf("%d revisions, want none", len(r))
	}
}

func testPersistence(t *testing.T, s store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	a := Sample("retail_sales", "2024-07", obs.BasisMonth, obs.KindCollector, 7e10)
	a.Quote = hardTexts[3]
	b := Sample("trade_hq_enterprises", "2024-12", obs.BasisStock, obs.KindManual, 40)
	put(t, s, a, b)
	a2 := a
	a2.Value = 7.2e10
	put(t, s, a2)
	c := conflict(Sample("retail_sales", "2024-07", obs.BasisMonth, obs.KindCollector, 7.1e10), 7.2e10, time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC))
	if err := s.PutConflicts(ctx(t), []obs.Conflict{c}); err != nil {
		t.Fatalf("PutConflicts: %v", err)
	}
	want := []obs.Observation{a2, b}
	obs.Sort(want)
	wantRevs := revisions(t, s, store.Filter{})

	s = reopen(t, s)
	EqualObservations(t, want, query(t, s, store.Filter{}))
	revs := revisions(t, s, store.Filter{})
	if len(revs) != 1 || len(wantRevs) != 1 || revs[0].PreviousValue != a.Value || !revs[0].At.Equal(wantRevs[0].At) {
		t.Fatalf("revisions after reopen %+v, want %+v", revs, wantRevs)
	}
	cs, err := s.Conflicts(ctx(t), store.Filter{})
	if err != nil || len(cs) != 1 || diffConflict(c, cs[0]) != "" {
		t.Fatalf("conflicts after reopen %+v (%v), want %+v", cs, err, c)
	}
	// The reopened store still knows what it holds.
	wantOutcomes(t, put(t, s, a2, b), store.Unchanged, store.Unchanged)
	a3 := a2
	a3.Value = 7.3e10
	wantOutcomes(t, put(t, s, a3), store.Updated)
	if revs := revisions(t, s, store.Filter{}); len(revs) != 2 || revs[1].PreviousValue != a2.Value {
		t.Fatalf("revisions after reopen and update %+v", revs)
	}
}

// MetricValue returns the value of the counter or gauge name with the given label
// pairs ("result", "ok", ...) gathered from g, failing t if there is no such sample.
func MetricValue(t testing.TB, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel())*2 != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if i := slices.Index(labels, lp.GetName()); i < 0 || i%2 != 0 || labels[i+1] != lp.GetValue() {
					continue next
				}
			}
			if m.GetTimestampMs() != 0 {
				t.Errorf("metric %s carries a sample timestamp", name)
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no sample %s%v", name, labels)
	return 0
}
