package embedded_test

import (
	"fmt"
	"testing"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/storetest"
)

// BenchmarkPutConcurrent measures acknowledged (fsynced) Puts of one observation
// each, by one caller and by 32 at once (the entry API's goal: ≥ 500/s, p99 < 100 ms
// under 32 clients). Concurrent Puts share commits; compare the two in one run.
func BenchmarkPutConcurrent(b *testing.B) {
	for _, callers := range []int{1, 32} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s, err := embedded.Open(b.TempDir(), embedded.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.Concurrent(b, callers, func(i int) error {
				o := storetest.Sample("retail_sales", fmt.Sprintf("%d-%02d", 1900+i%3600/12, i%12+1), obs.BasisMonth, obs.KindCollector, float64(i+1))
				o.Region = fmt.Sprintf("district-%d", i/3600)
				_, err := s.Put(b.Context(), []obs.Observation{o})
				return err
			})
		})
	}
}
