package influx

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

const (
	benchPoints = 100_000
	benchBatch  = 5_000
)

// benchObservations returns n observations with distinct keys: 7 flow indicators × 3
// source kinds × 240 months × as many regions as needed (few, to stay far below
// InfluxDB's per-tag value limit), with full provenance.
func benchObservations(n int) []obs.Observation {
	inds := []string{"goods_trade_cny", "goods_exports_cny", "goods_imports_cny", "goods_trade", "retail_sales", "port_container_throughput", "services_trade"}
	kinds := []obs.SourceKind{obs.KindCollector, obs.KindReference, obs.KindManual}
	out := make([]obs.Observation, n)
	for i := range n {
		ind := inds[i%len(inds)]
		kind := kinds[(i/len(inds))%len(kinds)]
		m := (i / (len(inds) * len(kinds))) % 240
		region := fmt.Sprintf("bench-%02d", i/(len(inds)*len(kinds)*240))
		o := storetest.Sample(ind, fmt.Sprintf("%d-%02d", 2005+m/12, m%12+1), obs.BasisMonth, kind, float64(i+1)*1.25e6)
		o.Region = region
		o.Quote = fmt.Sprintf("%d月，全市%s为%d亿元，同比增长3.5%%。", m%12+1, ind, i)
		out[i] = o
	}
	return out
}

// BenchmarkWrite compares, in one run, 100,000 observations written through the
// store (spool included, until InfluxDB acknowledged all of them) with the same
// points posted as raw line protocol in 5,000-point batches straight to the same
// server. Each iteration uses a fresh database. Run with:
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 3x ./internal/store/influx/
func BenchmarkWrite(b *testing.B) {
	srv := influxtest.Start(b)
	all := benchObservations(benchPoints)
	rates := map[string]float64{}

	b.Run("store", func(b *testing.B) {
		var elapsed time.Duration
		for range b.N {
			b.StopTimer()
			cfg := Config{
				URL: srv.URL, Org: srv.Org, Token: srv.Token, Bucket: srv.CreateDatabase(b),
				Timeout: time.Minute, Dir: b.TempDir(), BatchSize: benchBatch,
				RetryMin: 100 * time.Millisecond, RetryMax: time.Second, Logger: slog.New(slog.DiscardHandler),
			}
			s, err := Open(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			b.StartTimer()
			for i := 0; i < len(all); i += benchBatch {
				if _, err := s.Put(b.Context(), all[i:min(i+benchBatch, len(all))]); err != nil {
					b.Fatal(err)
				}
			}
			for s.SpoolStats().Entries > 0 { // Put waits for delivery while InfluxDB is healthy
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			elapsed += time.Since(start)
			if st := s.SpoolStats(); st.Quarantined != 0 || st.Failing {
				b.Fatalf("spool %+v", st)
			}
			_ = s.Close()
			srv.DropDatabase(b, cfg.Bucket) // every iteration starts from the same server state
		}
		rates["store"] = float64(benchPoints*b.N) / elapsed.Seconds()
		b.ReportMetric(rates["store"], "points/s")
	})

	b.Run("raw", func(b *testing.B) {
		var bodies [][]byte
		for i := 0; i < len(all); i += benchBatch {
			var body []byte
			for j := i; j < min(i+benchBatch, len(all)); j++ {
				body = appendObservation(body, &all[j])
			}
			bodies = append(bodies, body)
		}
		client := &http.Client{Timeout: time.Minute}
		var elapsed time.Duration
		for range b.N {
			b.StopTimer()
			db := srv.CreateDatabase(b)
			u := srv.URL + "/api/v2/write?" + url.Values{"bucket": {db}, "org": {srv.Org}, "precision": {"ns"}}.Encode()
			start := time.Now()
			b.StartTimer()
			for _, body := range bodies {
				req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				if srv.Token != "" {
					req.Header.Set("Authorization", "Token "+srv.Token)
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					b.Fatalf("raw write: %s", resp.Status)
				}
			}
			b.StopTimer()
			elapsed += time.Since(start)
			srv.DropDatabase(b, db)
		}
		rates["raw"] = float64(benchPoints*b.N) / elapsed.Seconds()
		b.ReportMetric(rates["raw"], "points/s")
	})

	if rates["raw"] > 0 && rates["store"] > 0 {
		b.Logf("store/raw = %.2f (store %.0f points/s, raw %.0f points/s; goal ≥ 0.5)", rates["store"]/rates["raw"], rates["store"], rates["raw"])
	}
}

// BenchmarkEncode measures the line-protocol encoding of one observation.
func BenchmarkEncode(b *testing.B) {
	all := benchObservations(1000)
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendObservation(buf[:0], &all[i%len(all)])
	}
}
