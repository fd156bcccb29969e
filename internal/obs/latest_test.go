package obs

import (
	"testing"
	"time"
)

func TestLatestPeriodEnd(t *testing.T) {
	sh := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02", s, Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		kind Kind
		at   string
		want string
	}{
		{Flow, "2025-09-26", "2025-09-01"},  // 1-8月 ends 2025-09-01
		{Flow, "2025-01-08", "2025-01-01"},  // the year's preliminary total
		{Stock, "2025-10-14", "2025-11-01"}, // a count as of October
	}
	for _, tt := range tests {
		if got := LatestPeriodEnd(tt.kind, sh(tt.at)); !got.Equal(sh(tt.want)) {
			t.Errorf("LatestPeriodEnd(%s, %s) = %s, want %s", tt.kind, tt.at, got, tt.want)
		}
	}
}
