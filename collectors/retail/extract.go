// Package retail reads Shenzhen's retail sales of consumer goods (社会消费品零售总额)
// from 深圳市统计局 releases: year-to-date values (January and February come
// combined as 1-2月), full-year values, and the early-January estimates (预计).
package retail

import (
	"regexp"
	"strings"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/extract"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// Indicator is the id of the figure this package extracts.
const Indicator = "retail_sales"

// leadRE accepts the words right before a city-level total: "全市社会消费品零售总额",
// "社会消费品零售总额预计", "预计全年社会消费品零售总额". Sub-totals (限额以上单位消费品
// 零售额, 网上零售额, 城镇消费品零售额) and bounds (突破, 超) do not match.
var leadRE = regexp.MustCompile(`^(?:其中)?(?:预计)?(深圳市|深圳|全市|我市|本市)?(?:预计)?(?:累计)?(?:实现|完成)?` +
	`(?:社会消费品零售总额|社会消费品零售额|社零总额|社消零总额)` +
	`(?:累计)?(?:预计)?(?:可)?(?:达到|达|为|实现|完成|约|共)*$`)

// regions classify the scope words of a retail figure.
var regions = extract.NewKeywords(
	"深圳市统计局", "neutral", "国家统计局深圳调查队", "neutral",
	"深圳市", "city", "深圳", "city", "全市", "city", "我市", "city", "本市", "city",
	"全省", "other", "广东省", "other", "全国", "other", "我国", "other",
	"福田区", "other", "罗湖区", "other", "南山区", "other", "盐田区", "other", "宝安区", "other",
	"龙岗区", "other", "龙华区", "other", "坪山区", "other", "光明区", "other", "大鹏新区", "other", "深汕特别合作区", "other",
)

// Extract reads the retail sales figures of an article. It returns (nil, nil) when the
// article states none, and an error wrapping extract.ErrUnreadable, with no
// observations, when a figure it clearly states cannot be read. A figure with no
// scope in its clause is the city's unless an earlier sentence of the paragraph
// names another scope (全省, a district): the statistics bureau's releases are about
// the city.
func Extract(a collectors.Article) ([]obs.Observation, error) {
	d := extract.NewDoc(a.Title, a.Text, a.Published)
	prov := extract.Provenance{Source: a.Source, URL: a.URL, Published: a.Published, Retrieved: a.Retrieved}
	var c extract.Collect
	for m := range d.Mentions() {
		if !strings.Contains(m.Lead, "零售") {
			continue // cheap test before the regular expression
		}
		sub := leadRE.FindStringSubmatch(m.Lead)
		if sub == nil {
			continue
		}
		if sub[1] == "" {
			if k, ok := regions.LastSubjectExcept(m.ParagraphBefore, "neutral"); ok && k.Class != "city" {
				continue
			}
		}
		err, ok := extract.Unreadable(&m, units.CNY)
		if !ok {
			c.Fail(err)
			continue
		}
		c.AddFlow(prov, &m, Indicator)
	}
	return c.Result("retail", a.URL)
}
