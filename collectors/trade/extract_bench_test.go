package trade

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
)

// BenchmarkExtract50KB measures extraction on a 50 KB release page.
func BenchmarkExtract50KB(b *testing.B) {
	extracttest.Bench(b, Extract, "#easysiteText", "customs_2025_07.txt", "tjj_2025_q3.txt", "no_figures.txt")
}
