package safety_test

import (
	"testing"
	"time"

	"github.com/trademon/trademon/collectors/safety"
	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
)

// TestTypicalRangesHoldTheHistory checks that no published figure in the bundled
// reference history would be taken for a unit slip by the lone-figure check, and that
// a tenth and ten times each would be.
func TestTypicalRangesHoldTheHistory(t *testing.T) {
	rows, rejects, err := importer.Prepare("config/history/shenzhen.csv", config.HistoryCSV,
		importer.Options{Kind: obs.KindReference, Now: time.Now()})
	if err != nil || len(rejects) > 0 {
		t.Fatalf("read the history: %v %v", err, rejects)
	}
	checked := 0
	for _, row := range rows {
		o := row.Observation
		r, ok := safety.TypicalRange(o.Indicator)
		if !ok {
			continue
		}
		v := o.Value
		switch o.Basis {
		case obs.BasisYear:
			v /= 12
		case obs.BasisYTD:
			v /= float64(o.Period.LastMonth())
		}
		checked++
		if v < r.Min || v > r.Max {
			t.Errorf("line %d: %s %s %s = %g (%g a month) is outside the typical range %g–%g",
				row.Line, o.Indicator, o.Basis, o.Period, o.Value, v, r.Min, r.Max)
		}
		if o.Indicator != "international_standards" && (v*10 <= r.Max || v/10 >= r.Min) {
			t.Errorf("line %d: %s %s: ten times or a tenth of it lies in the typical range %g–%g",
				row.Line, o.Indicator, o.Period, r.Min, r.Max)
		}
	}
	if checked < 30 {
		t.Errorf("only %d figures checked", checked)
	}
}
