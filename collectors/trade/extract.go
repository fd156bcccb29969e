// Package trade reads Shenzhen's goods trade (进出口, 出口, 进口) from 深圳海关 and
// 深圳市统计局 releases: year-to-date and single-month values in CNY, and the USD
// total where one is published.
package trade

import (
	"regexp"
	"strings"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/extract"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// Indicator ids this package extracts.
const (
	Total   = "goods_trade_cny"
	Exports = "goods_exports_cny"
	Imports = "goods_imports_cny"
	// TotalUSD is the total when a release states it in US dollars.
	TotalUSD = "goods_trade"
)

// leadRE accepts the words right before a figure that make it a city-level total,
// export or import value: "深圳累计进出口", "全市进出口总额", "其中,出口",
// "深圳市货物贸易进出口总值". Anything else before the number (一般贸易, 民营企业,
// 机电产品, 对美国, 比上年增加, 突破 …) makes it some other figure.
var leadRE = regexp.MustCompile(`^(?:其中|另外|同时|此外)?(?:据深圳海关统计|据海关统计|海关统计)?` +
	`(深圳海关关区|深圳关区|关区|深圳口岸|深圳市|深圳|全市|我市|本市)?` +
	`(?:累计)?(?:实现|完成)?(?:货物贸易|货物|外贸)?(进出口|出口|进口|外贸)` +
	`(?:贸易)?(?:总额|总值|额|值|规模)?(?:累计)?(?:预计)?(?:达到|达|为|实现|完成|约|人民币|共)*$`)

// convRE is the lead of a USD conversion right after a CNY figure: "(约合2950亿美元)".
var convRE = regexp.MustCompile(`^\(?(?:约合|折合|合|以美元计价?为?|按美元计价?为?|美元计价为?)$`)

// regions classify the scope words of a trade figure. Only city figures count:
// 深圳关区 (everything cleared through Shenzhen Customs) is not 深圳市.
var regions = extract.NewKeywords(
	"深圳海关关区", "district", "深圳关区", "district", "关区", "district", "深圳口岸", "district", "海关监管", "district",
	"深圳海关", "neutral", "深圳市统计局", "neutral", "深圳调查队", "neutral",
	"深圳市", "city", "深圳", "city", "全市", "city", "我市", "city", "本市", "city",
	"全省", "other", "广东省", "other", "全国", "other", "我国", "other",
	"福田区", "other", "罗湖区", "other", "南山区", "other", "盐田区", "other", "宝安区", "other",
	"龙岗区", "other", "龙华区", "other", "坪山区", "other", "光明区", "other", "大鹏新区", "other", "深汕特别合作区", "other",
)

// Extract reads the goods trade figures of an article. It returns (nil, nil) when the
// article states none, and an error wrapping extract.ErrUnreadable, with no
// observations, when a figure it clearly states cannot be read.
func Extract(a collectors.Article) ([]obs.Observation, error) {
	d := extract.NewDoc(a.Title, a.Text, a.Published)
	prov := extract.Provenance{Source: a.Source, URL: a.URL, Published: a.Published, Retrieved: a.Retrieved}
	var c extract.Collect
	// The CNY total just read in the current sentence, for a USD conversion after it.
	var lastTotal *extract.Mention
	for m := range d.Mentions() {
		if lastTotal != nil && (lastTotal.Paragraph != m.Paragraph || lastTotal.Sentence != m.Sentence) {
			lastTotal = nil
		}
		if m.Unit == units.USD && lastTotal != nil && convRE.MatchString(m.Lead) {
			b, p, err := lastTotal.FlowPeriod()
			if err == nil {
				c.Add(extract.Observation(prov, &m, TotalUSD, b, p))
			}
			lastTotal = nil
			continue
		}
		if !strings.Contains(m.Lead, "口") && !strings.Contains(m.Lead, "外贸") {
			continue // cheap test before the regular expression
		}
		sub := leadRE.FindStringSubmatch(m.Lead)
		if sub == nil {
			continue
		}
		region := sub[1]
		if region == "" {
			region = carriedRegion(d, &m)
		}
		if regions.Class(region) != "city" {
			continue
		}
		indicator := Total
		switch sub[2] {
		case "出口":
			indicator = Exports
		case "进口":
			indicator = Imports
		}
		want := units.CNY
		if m.Unit == units.USD {
			want = units.USD
		}
		err, ok := extract.Unreadable(&m, want)
		if !ok {
			c.Fail(err)
			continue
		}
		if want == units.USD {
			if indicator != Total {
				continue // no indicator for exports or imports in USD
			}
			indicator = TotalUSD
		}
		c.AddFlow(prov, &m, indicator)
		if indicator == Total {
			lastTotal = &m
		}
	}
	return c.Result("trade", a.URL)
}

// carriedRegion is the scope of a figure whose clause names none: the last scope
// named as a subject earlier in the paragraph, else in the title.
func carriedRegion(d *extract.Doc, m *extract.Mention) string {
	if k, ok := regions.LastSubjectExcept(m.ParagraphBefore, "neutral"); ok {
		return k.Word
	}
	for _, k := range regions.All(d.Title) {
		if k.Class != "neutral" {
			return k.Word
		}
	}
	return ""
}
