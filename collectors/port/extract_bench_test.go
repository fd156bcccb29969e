package port

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
)

// BenchmarkExtract50KB measures extraction on a 50 KB release page.
func BenchmarkExtract50KB(b *testing.B) {
	extracttest.Bench(b, Extract, ".articleBox", "jtys_2025_01.txt", "jtys_2025_11.txt", "no_figures.txt")
}
