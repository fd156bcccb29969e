package retail

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
	"github.com/trademon/trademon/internal/obs"
)

const (
	ytd  = obs.BasisYTD
	year = obs.BasisYear
)

var cases = []extracttest.Case{
	{
		// Monthly release: sub-totals (限额以上, 城镇, 乡村, 网上) and a comparison
		// period (比1—7月) in the same paragraph; a trade paragraph after.
		File: "tjj_2025_08.txt", Title: "2025年1-8月深圳经济运行情况", Published: "2025-09-25",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-08", Value: 6.37652e11, Quote: "1—8月,全市社会消费品零售总额6376.52亿元"},
		},
	},
	{
		// January and February released together: year-to-date through February.
		File: "tjj_2025_02.txt", Title: "2025年1-2月深圳经济运行情况", Published: "2025-03-21",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-02", Value: 1.5663e11},
		},
	},
	{
		// 上半年, 一季度, the dash variants 1～5月 1〜4月 1~3月份, 前三季度; the same
		// figure twice (一季度 and 1~3月份) is kept once.
		File: "dashes.txt", Title: "2025年深圳消费市场数据汇编", Published: "2025-10-30",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-06", Value: 4.82215e11},
			{Indicator: Indicator, Basis: ytd, Period: "2025-03", Value: 2.4156e11},
			{Indicator: Indicator, Basis: ytd, Period: "2025-05", Value: 4.0107e11},
			{Indicator: Indicator, Basis: ytd, Period: "2025-04", Value: 3.2249e11},
			{Indicator: Indicator, Basis: ytd, Period: "2025-09", Value: 7.5123e11},
		},
	},
	{
		// Early-January summary: the full year is an estimate, 前11个月 is not.
		File: "estimate_2025.txt", Title: "2025年深圳经济运行回顾", Published: "2026-01-06",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: year, Period: "2025", Value: 1.1e12, Estimate: true, Quote: "预计全年"},
			{Indicator: Indicator, Basis: ytd, Period: "2025-11", Value: 9.98025e11},
		},
	},
	{
		// Traditional characters; "預計" after the indicator; the year from the text.
		File: "estimate_traditional.txt", Title: "2024年深圳活力數據", Published: "2025-01-08",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: year, Period: "2024", Value: 1.06e12, Estimate: true, Quote: "社会消费品零售总额预计1.06万亿元"},
		},
	},
	{
		// Statistical bulletin: thousands separators; the province's figure skipped.
		File: "annual_bulletin.txt", Title: "深圳市2024年国民经济和社会发展统计公报", Published: "2025-04-28",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: year, Period: "2024", Value: 1.01835e12, Quote: "10,183.5亿元"},
		},
	},
	{
		// 亿元 printed where 万元 was meant: read as written, the quote shows the unit.
		File: "wrong_unit.txt", Title: "2025年1-8月深圳经济运行情况", Published: "2025-09-25",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-08", Value: 6.37652e15, Quote: "63765200亿元"},
		},
	},
	{
		// The province and a district first, the city after.
		File: "province_context.txt", Title: "1-8月广东及深圳消费市场", Published: "2025-09-25",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-08", Value: 6.37652e11, Quote: "全市社会消费品零售总额6376.52亿元"},
		},
	},
	{File: "no_figures.txt", Title: "深圳市统计局关于开展2025年统计开放日活动的通知", Published: "2025-09-01"},
	{File: "truncated.txt", Title: "2025年上半年深圳经济运行情况", Published: "2025-07-25", WantErr: `number "4" has no unit`},
	{
		File: "tjj_page.html", Selector: ".articleBox", Published: "2025-09-25",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-08", Value: 6.37652e11},
		},
	},
}

func TestExtract(t *testing.T) {
	extracttest.Run(t, "retail", Extract, cases)
}

func FuzzExtract(f *testing.F) {
	extracttest.Fuzz(f, Extract, cases)
}
