package storetest

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent runs write(i) for i in [0, b.N) from callers goroutines at once, each
// taking the next i when its last write returned, and reports the acknowledged
// writes per second ("acks/s") and the 50th and 99th percentile of one write's
// latency ("p50-ms", "p99-ms"). Run it with one caller and with many in the same run
// to see what concurrent writers share.
func Concurrent(b *testing.B, callers int, write func(i int) error) {
	b.Helper()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t := time.Now()
				if err := write(i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acks/s")
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
}
