package port

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
		// The monthly release: 外贸/内贸 sub-totals, port areas, 重箱/空箱 and 国际中转
		// in the same text; only the whole-port figure counts.
		File: "jtys_2025_01.txt", Title: "2025年1月份深圳港集装箱吞吐量情况", Published: "2025-02-14",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: month, Period: "2025-01", Value: 2.3e6, Quote: "深圳港完成集装箱吞吐量230.00万标箱"},
		},
	},
	{
		// "深圳港:1-11月全港…" and 万标准箱; 货物吞吐量 in 亿吨 is not a container figure.
		File: "jtys_2025_11.txt", Title: "2025年11月份深圳港口生产情况", Published: "2025-12-15",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2025-11", Value: 3e7, Quote: "1-11月全港集装箱吞吐量3000.00万标箱"},
			{Indicator: Indicator, Basis: month, Period: "2025-11", Value: 2.856e6, Quote: "285.60万标准箱"},
		},
	},
	{
		// Traditional characters with injected pinyin; 鹽田港區 skipped.
		File: "annual_traditional.txt", Title: "2024年深圳港口數據", Published: "2025-01-06",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: year, Period: "2024", Value: 3.338e7, Quote: "3338万标箱"},
		},
	},
	{
		// Mixed magnitude with TEU: 2520万8700TEU.
		File: "mixed_teu.txt", Title: "深圳港2017年集装箱吞吐量", Published: "2018-01-10",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: year, Period: "2017", Value: 25208700, Quote: "2520万8700TEU"},
		},
	},
	{
		// English: "million TEUs", the period after the figure; a port area skipped.
		File: "english.txt", Title: "Shenzhen Port throughput up in Q1", Published: "2021-04-09",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2021-03", Value: 7.21e6, Quote: "7.21 million TEUs in the first quarter"},
		},
	},
	{
		// English range January-October, the year from the publication date.
		File: "english_range.txt", Title: "Shenzhen port's container throughput rises", Published: "2021-11-18",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: ytd, Period: "2021-10", Value: 2.3788e7},
		},
	},
	{
		// 万TEU; "12月份" and "1-12月" published in January belong to the year before.
		File: "wan_teu.txt", Title: "深圳港12月份生产情况", Published: "2023-01-12",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: month, Period: "2022-12", Value: 2.6855e6},
			{Indicator: Indicator, Basis: ytd, Period: "2022-12", Value: 3.00356e7, Quote: "3003.56万TEU"},
		},
	},
	{
		// 亿标箱 printed for 万标箱: read as written, the quote shows the unit.
		File: "wrong_unit.txt", Title: "2025年1月份深圳港集装箱吞吐量情况", Published: "2025-02-14",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: month, Period: "2025-01", Value: 2.3e8, Quote: "2.30亿标箱"},
		},
	},
	{File: "no_figures.txt", Title: "市交通运输局召开港口安全生产工作会议", Published: "2025-06-10"},
	{File: "truncated.txt", Title: "2025年1月份深圳港集装箱吞吐量情况", Published: "2025-02-14", WantErr: `number "230.00万" has no unit`},
	{
		File: "jtys_page.html", Selector: ".articleBox", Published: "2025-02-14",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: month, Period: "2025-01", Value: 2.3e6},
		},
	},
}

func TestExtract(t *testing.T) {
	extracttest.Run(t, "port", Extract, cases)
}

func FuzzExtract(f *testing.F) {
	extracttest.Fuzz(f, Extract, cases)
}
