package obs

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/trademon/trademon/internal/units"
)

// Kind says how an indicator's values add up over time.
type Kind string

// Indicator kinds, as DESIGN.md defines them.
const (
	// Flow values accumulate over a period: year = ytd(12), month(m) = ytd(m) − ytd(m−1).
	Flow Kind = "flow"
	// Stock values are levels at the end of a period (cumulative counts).
	Stock Kind = "stock"
	// Ratio values are shares in [0, 1], judged on annual values.
	Ratio Kind = "ratio"
	// Rate values are averages (an exchange rate); they are never summed.
	Rate Kind = "rate"
)

const (
	// RegionSZ is the region of every figure the plan concerns: the city of Shenzhen.
	RegionSZ = "shenzhen"
	// SourceManual is the Source of figures entered by staff.
	SourceManual = "manual"
)

// Base units, re-exported from package units for brevity in the catalogue.
const (
	CNY       = units.CNY
	USD       = units.USD
	TEU       = units.TEU
	Count     = units.Count
	RatioUnit = units.Ratio
	CNYPerUSD = units.CNYPerUSD
)

// Indicator describes one measured quantity. Its ID is a contract (config, metrics, InfluxDB tags).
type Indicator struct {
	ID          string
	NameZH      string
	NameEN      string
	Kind        Kind
	BaseUnit    string
	DisplayUnit string
	// Source is the collector that fetches it, "manual", or "derived".
	Source string
	// Min and Max bound plausible values of any basis in base units; collectors reject
	// values outside them as unit slips.
	Min, Max float64
	// Release says when new figures are published; the zero value means never (derived).
	Release Release
}

// Bases returns the bases an observation of this indicator may have.
func (ind Indicator) Bases() []Basis {
	switch ind.Kind {
	case Flow:
		return []Basis{BasisMonth, BasisYTD, BasisYear}
	case Stock:
		return []Basis{BasisStock}
	case Ratio:
		return []Basis{BasisYear, BasisYTD}
	case Rate:
		return []Basis{BasisYear, BasisMonth}
	}
	return nil
}

// AllowsBasis reports whether b is one of ind.Bases().
func (ind Indicator) AllowsBasis(b Basis) bool { return slices.Contains(ind.Bases(), b) }

// CheckRange reports a value (in the base unit) outside the plausible range Min–Max,
// which is a unit slip rather than news. The error reads "<value> is outside the
// plausible range of <id> (<min> to <max>)", in the display unit.
func (ind Indicator) CheckRange(v float64) error {
	if v < ind.Min || v > ind.Max {
		return fmt.Errorf("%s is outside the plausible range of %s (%s to %s)",
			units.Format(v, ind.DisplayUnit), ind.ID, units.Format(ind.Min, ind.DisplayUnit), units.Format(ind.Max, ind.DisplayUnit))
	}
	return nil
}

// Format renders a base-unit value in the display unit, with 万亿元 for yuan amounts
// of a trillion or more ("4.55万亿元", "9498.12亿元", "3338万标箱").
func (ind Indicator) Format(v float64) string {
	if ind.DisplayUnit == "亿元" && math.Abs(v) >= 1e12 {
		return units.Format(v, "万亿元")
	}
	return units.Format(v, ind.DisplayUnit)
}

// FormatFine renders a base-unit value in the display unit with up to four decimals,
// enough to recompute a verdict by hand ("6.8974元/美元", "4421.9619亿美元").
func (ind Indicator) FormatFine(v float64) string {
	d, err := units.FromBase(v, ind.DisplayUnit)
	if err != nil {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(math.Round(d*1e4)/1e4, 'f', -1, 64) + ind.DisplayUnit
}

var indicators = []Indicator{
	{ID: "goods_trade_cny", NameZH: "货物贸易进出口总额", NameEN: "Goods trade (imports + exports), CNY", Kind: Flow, BaseUnit: CNY, DisplayUnit: "亿元", Source: "trade", Min: 1e9, Max: 2e13, Release: Release{Every: Month, LagDays: 25}},
	{ID: "goods_exports_cny", NameZH: "货物贸易出口额", NameEN: "Goods exports, CNY", Kind: Flow, BaseUnit: CNY, DisplayUnit: "亿元", Source: "trade", Min: 5e8, Max: 1.5e13, Release: Release{Every: Month, LagDays: 25}},
	{ID: "goods_imports_cny", NameZH: "货物贸易进口额", NameEN: "Goods imports, CNY", Kind: Flow, BaseUnit: CNY, DisplayUnit: "亿元", Source: "trade", Min: 5e8, Max: 1.5e13, Release: Release{Every: Month, LagDays: 25}},
	{ID: "goods_trade", NameZH: "货物贸易进出口总额（美元）", NameEN: "Goods trade (imports + exports), USD", Kind: Flow, BaseUnit: USD, DisplayUnit: "亿美元", Source: "derived", Min: 1e8, Max: 3e12},
	{ID: "retail_sales", NameZH: "社会消费品零售总额", NameEN: "Retail sales of consumer goods", Kind: Flow, BaseUnit: CNY, DisplayUnit: "亿元", Source: "retail", Min: 1e9, Max: 5e12, Release: Release{Every: Month, LagDays: 35, NoJanuary: true}},
	{ID: "port_container_throughput", NameZH: "港口集装箱吞吐量", NameEN: "Port container throughput", Kind: Flow, BaseUnit: TEU, DisplayUnit: "万标箱", Source: "port", Min: 5e4, Max: 1e8, Release: Release{Every: Month, LagDays: 20}},
	{ID: "international_standards", NameZH: "主导或参与制定国际标准（累计）", NameEN: "International standards led or co-developed (cumulative)", Kind: Stock, BaseUnit: Count, DisplayUnit: "项", Source: "standards", Min: 0, Max: 1e5, Release: Release{Every: Year, LagDays: 31}},
	{ID: "services_trade", NameZH: "服务贸易进出口总额", NameEN: "Services trade (imports + exports)", Kind: Flow, BaseUnit: USD, DisplayUnit: "亿美元", Source: SourceManual, Min: 1e8, Max: 2e12, Release: Release{Every: Year, LagDays: 120}},
	{ID: "digital_economy_share", NameZH: "数字经济核心产业增加值占GDP比重", NameEN: "Digital economy core industries, share of GDP", Kind: Ratio, BaseUnit: RatioUnit, DisplayUnit: "%", Source: SourceManual, Min: 0, Max: 1, Release: Release{Every: Year, LagDays: 270}},
	{ID: "new_trade_formats_share", NameZH: "外贸新业态占比", NameEN: "New foreign-trade formats, share of trade", Kind: Ratio, BaseUnit: RatioUnit, DisplayUnit: "%", Source: SourceManual, Min: 0, Max: 1, Release: Release{Every: Year, LagDays: 120}},
	{ID: "trade_hq_enterprises", NameZH: "认定贸易型总部企业（累计）", NameEN: "Recognised trade headquarters (cumulative)", Kind: Stock, BaseUnit: Count, DisplayUnit: "家", Source: SourceManual, Min: 0, Max: 1e4, Release: Release{Every: Year, LagDays: 120}},
	{ID: "airport_international_routes", NameZH: "机场国际航线", NameEN: "Airport international routes", Kind: Stock, BaseUnit: Count, DisplayUnit: "条", Source: SourceManual, Min: 0, Max: 1000, Release: Release{Every: Year, LagDays: 60}},
	{ID: "usd_cny_rate", NameZH: "人民币对美元年平均汇率", NameEN: "USD/CNY average exchange rate", Kind: Rate, BaseUnit: CNYPerUSD, DisplayUnit: "元/美元", Source: SourceManual, Min: 1, Max: 20, Release: Release{Every: Year, LagDays: 60}},
}

var byID = func() map[string]Indicator {
	m := make(map[string]Indicator, len(indicators))
	for _, ind := range indicators {
		m[ind.ID] = ind
	}
	return m
}()

// Lookup returns the indicator with the given id.
func Lookup(id string) (Indicator, bool) {
	ind, ok := byID[id]
	return ind, ok
}

// MustLookup returns the indicator with the given id and panics if there is none.
func MustLookup(id string) Indicator {
	ind, ok := byID[id]
	if !ok {
		panic(fmt.Sprintf("obs: unknown indicator %q", id))
	}
	return ind
}

// Indicators returns every indicator in catalogue order.
func Indicators() []Indicator { return slices.Clone(indicators) }

// IndicatorIDs returns the sorted ids of every indicator.
func IndicatorIDs() []string {
	ids := make([]string, 0, len(indicators))
	for _, ind := range indicators {
		ids = append(ids, ind.ID)
	}
	sort.Strings(ids)
	return ids
}

// UnknownIndicatorError is the error for an indicator id that is not in the catalogue.
func UnknownIndicatorError(id string) error {
	return fmt.Errorf("unknown indicator %q (known: %s)", id, strings.Join(IndicatorIDs(), ", "))
}
