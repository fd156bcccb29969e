package trade

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
	"github.com/trademon/trademon/internal/obs"
)

const (
	ytd   = obs.BasisYTD
	month = obs.BasisMonth
	year  = obs.BasisYear
)

var cases = []extracttest.Case{
	{
		// Customs release: the district (关区) figure first, city figures after, then
		// breakdowns by trade mode, owner, partner and product that must be skipped.
		File: "customs_2025_07.txt", Title: "前7个月深圳市进出口2.58万亿元", Published: "2025-08-20",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: ytd, Period: "2025-07", Value: 2.58e12, Quote: "深圳市进出口2.58万亿元"},
			{Indicator: Exports, Basis: ytd, Period: "2025-07", Value: 1.61e12, Quote: "出口1.61万亿元"},
			{Indicator: Imports, Basis: ytd, Period: "2025-07", Value: 9.70035e11, Quote: "进口9700.35亿元"},
			{Indicator: TotalUSD, Basis: ytd, Period: "2025-07", Value: 3.6215e11, Quote: "3621.5亿美元"},
			{Indicator: Total, Basis: month, Period: "2025-07", Value: 3.8746e11, Quote: "7月单月"},
			{Indicator: Exports, Basis: month, Period: "2025-07", Value: 2.40521e11},
			{Indicator: Imports, Basis: month, Period: "2025-07", Value: 1.46939e11},
		},
	},
	{
		// Statistics bureau release: trade among GDP and retail paragraphs; 9月当月.
		File: "tjj_2025_q3.txt", Title: "2025年前三季度深圳经济运行情况", Published: "2025-10-24",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: ytd, Period: "2025-09", Value: 2.800012e12, Quote: "前三季度,全市进出口总额28000.12亿元"},
			{Indicator: Exports, Basis: ytd, Period: "2025-09", Value: 1.7e12},
			{Indicator: Imports, Basis: ytd, Period: "2025-09", Value: 1.100012e12},
			{Indicator: Total, Basis: month, Period: "2025-09", Value: 3.3912e11, Quote: "9月当月"},
		},
	},
	{
		// Traditional characters and injected pinyin (進(jìn)出口, 標(biāo)箱).
		File: "traditional_pinyin.txt", Title: "2024年深圳經濟活力數據", Published: "2025-02-10",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: year, Period: "2024", Value: 4.51e12, Quote: "进出口总额达4.51万亿元"},
			{Indicator: Exports, Basis: year, Period: "2024", Value: 2.83e12, Quote: "出口2.83万亿元"},
			{Indicator: Imports, Basis: year, Period: "2024", Value: 1.68e12},
		},
	},
	{
		// Full-width digits and punctuation, thousands separators, a USD conversion in
		// brackets, a mixed magnitude (11493亿2000万元).
		File: "fullwidth_mixed.txt", Title: "深圳市1-8月进出口情况", Published: "2025-09-18",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: ytd, Period: "2025-08", Value: 2.96034e12, Quote: "29,603.4亿元"},
			{Indicator: TotalUSD, Basis: ytd, Period: "2025-08", Value: 4.1308e11, Quote: "约合4130.8亿美元"},
			{Indicator: Exports, Basis: ytd, Period: "2025-08", Value: 1.81102e12},
			{Indicator: Imports, Basis: ytd, Period: "2025-08", Value: 1.14932e12, Quote: "11493亿2000万元"},
			{Indicator: Total, Basis: month, Period: "2025-08", Value: 3.021e11},
		},
	},
	{
		// "1-12月" with no year anywhere, published in January: the previous year.
		File: "year_end_january.txt", Title: "深圳海关：1-12月深圳市进出口4.55万亿元", Published: "2026-01-20",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: ytd, Period: "2025-12", Value: 4.55e12},
			{Indicator: Exports, Basis: ytd, Period: "2025-12", Value: 2.85e12},
			{Indicator: Imports, Basis: ytd, Period: "2025-12", Value: 1.70e12},
			{Indicator: Total, Basis: month, Period: "2025-12", Value: 4.1002e11},
		},
	},
	{
		// A page in the wrong unit (万元 for 亿元): read as written, the quote shows the
		// unit; the safety check before storing rejects it.
		File: "wrong_unit.txt", Title: "前7个月深圳市进出口情况", Published: "2025-08-20",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: ytd, Period: "2025-07", Value: 2.580035e8, Quote: "25800.35万元"},
		},
	},
	{File: "no_figures.txt", Title: "深圳海关推出12项措施支持外贸稳增长", Published: "2025-06-03"},
	{File: "district_only.txt", Title: "前7个月深圳关区进出口5.12万亿元", Published: "2025-08-20"},
	{File: "truncated.txt", Title: "2025年前三季度深圳经济运行情况", Published: "2025-10-24", WantErr: `number "28000.12亿" has no unit`},
	{
		File: "customs_page.html", Selector: "#easysiteText", Published: "2025-08-20",
		Want: []extracttest.Want{
			{Indicator: Total, Basis: ytd, Period: "2025-07", Value: 2.58e12},
			{Indicator: Exports, Basis: ytd, Period: "2025-07", Value: 1.61e12},
			{Indicator: Imports, Basis: ytd, Period: "2025-07", Value: 9.70035e11},
			{Indicator: Total, Basis: month, Period: "2025-07", Value: 3.8746e11},
			{Indicator: Exports, Basis: month, Period: "2025-07", Value: 2.40521e11},
			{Indicator: Imports, Basis: month, Period: "2025-07", Value: 1.46939e11},
		},
	},
}

func TestExtract(t *testing.T) {
	extracttest.Run(t, "trade", Extract, cases)
}

func FuzzExtract(f *testing.F) {
	extracttest.Fuzz(f, Extract, cases)
}
