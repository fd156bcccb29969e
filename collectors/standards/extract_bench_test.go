package standards

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
)

// BenchmarkExtract50KB measures extraction on a 50 KB article page.
func BenchmarkExtract50KB(b *testing.B) {
	extracttest.Bench(b, Extract, ".articleBox", "amr_2025_10.txt", "dutenews_2023_10.txt", "no_figures.txt")
}
