package extract

import (
	"math"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

var testPublished = time.Date(2025, 10, 24, 10, 0, 0, 0, obs.Shanghai)

// TestYoY checks that the growth stated beside a figure is read as its own, and that
// a neighbour's growth, a month-on-month rate or a change in 百分点 is not.
func TestYoY(t *testing.T) {
	none := math.NaN()
	tests := []struct {
		text, figure string
		want         float64
	}{
		{"2021年全市社会消费品零售总额9498.12亿元，同比增长9.6%。", "9498.12亿元", 0.096},
		{"前7个月，深圳累计进出口2.1万亿元，同比增长3.2%。其中，7月单月，深圳进出口3100.5亿元，增长1.1%。", "2.1万亿元", 0.032},
		{"前7个月，深圳累计进出口2.1万亿元，同比增长3.2%。其中，7月单月，深圳进出口3100.5亿元，增长1.1%。", "3100.5亿元", 0.011},
		{"前三季度,全市进出口总额28000.12亿元,同比增长5.0%。其中,出口17000.00亿元,增长4.0%;进口11000.12亿元,下降6.6%。", "17000.00亿元", 0.04},
		{"前三季度,全市进出口总额28000.12亿元,同比增长5.0%。其中,出口17000.00亿元,增长4.0%;进口11000.12亿元,下降6.6%。", "11000.12亿元", -0.066},
		{"1月份，深圳港完成集装箱吞吐量230.00万标箱，同比增长2.00%，环比增长10.00%，其中完成外贸集装箱吞吐量210.00万标箱。", "230.00万标箱", 0.02},
		{"1月份，深圳港完成集装箱吞吐量230.00万标箱，环比增长10.00%，同比下降2.50%。", "230.00万标箱", -0.025},
		{"前7个月，深圳累计进出口2.1万亿元（约合2950亿美元），同比增长3.2%。", "2.1万亿元", 0.032},
		{"前7个月，深圳累计进出口2.1万亿元（约合2950亿美元），同比增长3.2%。", "2950亿美元", none},
		{"全年社会消费品零售总额10600亿元，比上年增长1.0%。", "10600亿元", 0.01},
		{"全年社会消费品零售总额10600亿元，与上年持平。", "10600亿元", 0},
		{"Shenzhen Port handled 2.73 million TEU, up 5.2% year on year.", "2.73 million TEU", 0.052},
		{"Shenzhen Port handled 2.73 million TEU, down 1.5 percent from a year earlier.", "2.73 million TEU", -0.015},
		// Not the figure's own growth.
		{"1—8月,全市社会消费品零售总额6376.52亿元,增速比1—7月提高0.3个百分点。", "6376.52亿元", none},
		{"深圳进出口3100.5亿元,其中出口2000亿元,增长1.1%。", "3100.5亿元", none},
		{"1月份，深圳港完成集装箱吞吐量230.00万标箱，环比增长10.00%。", "230.00万标箱", none},
		{"Shenzhen Port handled 2.73 million TEU, up 5.2% from the previous month.", "2.73 million TEU", none},
		{"深圳市进出口2.58万亿元,占同期全省进出口总值的45.3%。", "2.58万亿元", none},
		{"全市累计研制国际标准2000项、国内标准5000项。", "2000项", none},
	}
	for _, tt := range tests {
		var found bool
		for m := range NewDoc("", tt.text, testPublished).Mentions() {
			if m.Text != tt.figure {
				continue
			}
			found = true
			got, ok := m.YoY()
			switch {
			case math.IsNaN(tt.want) && ok:
				t.Errorf("%q in %q: growth %v, want none", tt.figure, tt.text, got)
			case !math.IsNaN(tt.want) && (!ok || got != tt.want):
				t.Errorf("%q in %q: growth %v (%v), want %v", tt.figure, tt.text, got, ok, tt.want)
			}
		}
		if !found {
			t.Errorf("no mention %q in %q", tt.figure, tt.text)
		}
	}
}
