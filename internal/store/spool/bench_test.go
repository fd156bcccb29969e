package spool

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/storetest"
)

// discardSink accepts everything instantly, isolating the spool's own cost.
type discardSink struct{}

func (discardSink) Latest(context.Context) ([]obs.Observation, error) { return nil, nil }
func (discardSink) AppendItem(dst []byte, it *Item) []byte {
	if it.Observation != nil {
		dst = append(dst, it.Observation.Quote...)
	}
	return append(dst, '\n')
}
func (discardSink) Write(context.Context, []byte) error { return nil }

// BenchmarkSpool measures 5,000 observations through the spool: appended (one fsynced
// transaction) and delivered to a sink that costs nothing (one more transaction).
func BenchmarkSpool(b *testing.B) {
	const n = 5000
	s, err := Open(filepath.Join(b.TempDir(), "spool.db"), discardSink{}, Options{BatchSize: n})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	batch := make([]obs.Observation, n)
	round := 0
	for b.Loop() {
		for i := range batch {
			batch[i] = storetest.Sample("retail_sales", fmt.Sprintf("%d-%02d", 1900+i/12%300, i%12+1), obs.BasisMonth, obs.KindCollector, float64(i))
			batch[i].Region = fmt.Sprintf("r%d-%d", round, i/3600)
		}
		round++
		if _, err := s.Enqueue(batch); err != nil {
			b.Fatal(err)
		}
		if err := s.Sync(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkEnqueueConcurrent measures acknowledged (fsynced) appends of one
// observation each, by one caller and by 32 at once; delivery goes on meanwhile to a
// sink that costs nothing. Concurrent appends share commits; compare the two in one
// run.
func BenchmarkEnqueueConcurrent(b *testing.B) {
	for _, callers := range []int{1, 32} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "spool.db"), discardSink{}, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(context.Background())
			if err := s.Sync(b.Context()); err != nil {
				b.Fatal(err)
			}
			storetest.Concurrent(b, callers, func(i int) error {
				o := storetest.Sample("retail_sales", fmt.Sprintf("%d-%02d", 1900+i%3600/12, i%12+1), obs.BasisMonth, obs.KindCollector, float64(i+1))
				o.Region = fmt.Sprintf("district-%d", i/3600)
				_, err := s.Enqueue([]obs.Observation{o})
				return err
			})
		})
	}
}
