package obs

import (
	"testing"
	"time"
)

func TestReleaseNextDue(t *testing.T) {
	tests := []struct {
		indicator string
		latest    string
		wantNext  string
		wantDue   string // date in Asia/Shanghai
	}{
		{"goods_trade_cny", "2025-10", "2025-11", "2025-12-26"},
		{"goods_trade_cny", "2025", "2026-01", "2026-02-26"},
		{"retail_sales", "2025-12", "2026-02", "2026-04-05"},
		{"retail_sales", "2025-08", "2025-09", "2025-11-05"},
		{"port_container_throughput", "2024-02", "2024-03", "2024-04-21"},
		{"international_standards", "2021-10", "2022-10", "2022-12-02"},
		{"services_trade", "2023", "2024", "2025-05-01"},
	}
	for _, tt := range tests {
		ind := MustLookup(tt.indicator)
		due, next, ok := ind.Release.NextDue(MustParsePeriod(tt.latest))
		if !ok {
			t.Fatalf("%s: no release", tt.indicator)
		}
		if next.String() != tt.wantNext {
			t.Errorf("%s after %s: next = %s, want %s", tt.indicator, tt.latest, next, tt.wantNext)
		}
		if got := due.In(Shanghai).Format(time.DateOnly); got != tt.wantDue {
			t.Errorf("%s after %s: due %s, want %s", tt.indicator, tt.latest, got, tt.wantDue)
		}
	}
	if _, _, ok := MustLookup("goods_trade").Release.NextDue(MustParsePeriod("2025")); ok {
		t.Error("goods_trade (derived) has a release date")
	}
}
