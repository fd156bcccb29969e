package obs

import (
	"strings"
	"testing"
	"time"
)

// TestValidateWholeCounts checks that a count (家, 项, 条) must be a whole number: a
// 12.5 headquarters figure was stored before (issue 10, hostile inputs).
func TestValidateWholeCounts(t *testing.T) {
	o := Observation{Indicator: "trade_hq_enterprises", Region: "shenzhen", Period: MonthPeriod(2024, 12),
		Basis: BasisStock, Value: 12.5, Unit: Count, SourceKind: KindManual, Source: "manual", EnteredBy: "t"}
	err := o.Validate(time.Date(2025, 6, 1, 0, 0, 0, 0, Shanghai))
	if err == nil || !strings.Contains(err.Error(), "value: 12.5 is not a whole number, but trade_hq_enterprises counts 家") {
		t.Errorf("12.5 headquarters: %v", err)
	}
	o.Value = 120
	if err := o.Validate(time.Date(2025, 6, 1, 0, 0, 0, 0, Shanghai)); err != nil {
		t.Errorf("120 headquarters: %v", err)
	}
}
