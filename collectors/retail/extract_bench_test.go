package retail

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
)

// BenchmarkExtract50KB measures extraction on a 50 KB release page.
func BenchmarkExtract50KB(b *testing.B) {
	extracttest.Bench(b, Extract, ".articleBox", "tjj_2025_08.txt", "annual_bulletin.txt", "no_figures.txt")
}
