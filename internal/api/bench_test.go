package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
)

// discardStore acknowledges every write without keeping it: the baseline that shows
// what the handler costs without the store.
type discardStore struct{}

func (discardStore) Put(_ context.Context, os []obs.Observation) ([]store.Outcome, error) {
	if err := store.Check(os); err != nil {
		return nil, err
	}
	out := make([]store.Outcome, len(os))
	for i := range out {
		out[i] = store.Created
	}
	return out, nil
}
func (d discardStore) PutWithAudit(ctx context.Context, os []obs.Observation, _ []store.AuditRecord) ([]store.Outcome, error) {
	return d.Put(ctx, os)
}
func (discardStore) Query(context.Context, store.Filter) ([]obs.Observation, error)  { return nil, nil }
func (discardStore) Revisions(context.Context, store.Filter) ([]obs.Revision, error) { return nil, nil }
func (discardStore) PutConflicts(context.Context, []obs.Conflict) error              { return nil }
func (discardStore) Conflicts(context.Context, store.Filter) ([]obs.Conflict, error) { return nil, nil }
func (discardStore) Ping(context.Context) error                                      { return nil }
func (discardStore) Close() error                                                    { return nil }
func (discardStore) AppendAudit(context.Context, []store.AuditRecord) error          { return nil }
func (discardStore) Audit(context.Context, store.AuditFilter) ([]store.AuditRecord, error) {
	return nil, nil
}
func (discardStore) AppendEvaluations(context.Context, []store.EvaluationRecord) error { return nil }
func (discardStore) Evaluations(context.Context, store.EvaluationFilter) ([]store.EvaluationRecord, error) {
	return nil, nil
}

const (
	benchToken       = "tmk_bench-token"
	benchEditorToken = "tmk_bench-editor-token"
)

// benchServer serves the API over loopback, writing through st, with the state file
// (idempotency keys, locks, pending figures) in a temporary directory; the exchange
// rate needs approval when approval is set.
func benchServer(b *testing.B, st store.Store, approval bool) *httptest.Server {
	b.Helper()
	db, err := state.Open(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	us, err := auth.ParseUsers("users.yaml", []byte("users:\n  - name: bench\n    role: admin\n    tokens: [\""+auth.HashToken(benchToken)+"\"]\n"+
		"  - name: bench-editor\n    role: editor\n    tokens: [\""+auth.HashToken(benchEditorToken)+"\"]\n"), auth.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var needs []string
	if approval {
		needs = []string{"usd_cny_rate"}
	}
	svc := entry.New(entry.Options{Store: st, State: db, Approval: needs})
	a := auth.New(auth.Options{Users: auth.NewDirectory(us), Sessions: db})
	srv, err := server.New(server.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	(&API{Entry: svc, Auth: a, Store: st, State: db}).Mount(srv)
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	return hs
}

// BenchmarkPostObservations measures POST /api/v1/observations under 32 concurrent
// clients on loopback: acknowledged entries per second and p50/p99 latency, with the
// embedded store (every 2xx after an fsync; concurrent writers share commits) beside
// the same handler with a store that discards. Each client revises its own figure (a
// monthly exchange rate) with a reason, so every request writes. embedded-pending is
// an editor's figures where the indicator needs approval: each request keeps its
// figure for approval (the state file's intent, the audit record in the store, the
// intent applied: three fsynced commits, each shared by concurrent writers).
//
//	go test -run '^$' -bench BenchmarkPostObservations -benchtime 2000x -count 3 ./internal/api/
func BenchmarkPostObservations(b *testing.B) {
	embeddedStore := func(b *testing.B) store.Store {
		st, err := embedded.Open(b.TempDir(), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		return st
	}
	for _, bc := range []struct {
		name     string
		open     func(b *testing.B) store.Store
		approval bool
		token    string
	}{
		{"discard", func(*testing.B) store.Store { return discardStore{} }, false, benchToken},
		{"embedded", embeddedStore, false, benchToken},
		{"embedded-pending", embeddedStore, true, benchEditorToken},
	} {
		b.Run(bc.name, func(b *testing.B) { benchPost(b, benchServer(b, bc.open(b), bc.approval), bc.token, 32) })
	}
}

func benchPost(b *testing.B, hs *httptest.Server, token string, clients int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	post := func(body string) error {
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/observations", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
	figure := func(c, i int) string {
		return fmt.Sprintf(`{"indicator":"usd_cny_rate","period":"%d-%02d","basis":"month","value":%s,"reason":"bench revision","source_url":"https://www.safe.gov.cn/%d.html"}`,
			2000+c/12, c%12+1, []string{"7.00", "7.01"}[i%2], c)
	}
	for c := range clients { // every client's figure exists before the clock starts
		if err := post(figure(c, 1)); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for i := 0; next.Add(1) <= int64(b.N); i++ {
				t0 := time.Now()
				if err := post(figure(c, i)); err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "entries/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
