package safety

// Range is a span of values in an indicator's base unit.
type Range struct{ Min, Max float64 }

// typical holds, for the indicators collectors read, the range one month of the
// indicator plausibly lies in (flows, compared as monthly averages: a year-to-date
// value through month m divided by m, a full year divided by 12) or the level itself
// (the stock of international standards). Each is wide enough for Shenzhen's
// figures from 2005 to well past 2030 (Shenzhen's goods trade was 1.5万亿元 in 2005 and
// 4.5万亿元 in 2024, its retail sales 1440亿元 and 1.06万亿元, its port 1620万 and
// 3338万标箱) and narrow enough that a figure ten times off (or a tenth) falls
// outside it: a lone figure, with nothing stored near it to compare with, is checked
// against it. TestTypicalRangesHoldTheHistory checks the bundled history against it.
var typical = map[string]Range{
	"goods_trade_cny":           {Min: 600e8, Max: 10000e8},
	"goods_exports_cny":         {Min: 350e8, Max: 6000e8},
	"goods_imports_cny":         {Min: 250e8, Max: 4500e8},
	"goods_trade":               {Min: 80e8, Max: 1500e8},
	"retail_sales":              {Min: 100e8, Max: 2000e8},
	"port_container_throughput": {Min: 80e4, Max: 1000e4},
	"international_standards":   {Min: 100, Max: 50000},
}

// TypicalRange returns the typical range of a month of the indicator (see typical),
// and false for an indicator without one (those staff enter).
func TypicalRange(indicator string) (Range, bool) {
	r, ok := typical[indicator]
	return r, ok
}
