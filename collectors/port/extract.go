// Package port reads the container throughput of the port of Shenzhen (深圳港集装箱
// 吞吐量) from 深圳市交通运输局 releases: single months and year-to-date values,
// whole port only.
package port

import (
	"regexp"
	"strings"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/extract"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// Indicator is the id of the figure this package extracts.
const Indicator = "port_container_throughput"

// leadRE accepts the words right before a whole-port figure: "深圳港完成集装箱吞吐量",
// "全港集装箱吞吐量", "集装箱吞吐量累计完成". Sub-totals (外贸集装箱, 内贸, 重箱,
// 空箱, 国际中转) and port areas (盐田港区 …) do not match.
var leadRE = regexp.MustCompile(`^(?:其中)?(深圳港|全港|全市港口|深圳市港口|深圳港口|深圳市|深圳|全市)?` +
	`(?:累计)?(?:共)?(?:完成|实现)?(?:港口)?(集装箱吞吐量|集装箱吞吐|集装箱量|集装箱运量)?` +
	`(?:累计)?(?:共)?(?:完成|实现|达到|达|为|约)*$`)

// leadEnRE is the English form: "The container throughput of Shenzhen Port reached".
var leadEnRE = regexp.MustCompile(`(?i)^(?:the\s+)?(?:(?:total\s+)?container\s+throughput\s+(?:of|at)\s+(?:the\s+)?(?:shenzhen\s+port|port\s+of\s+shenzhen|shenzhen(?:'s)?\s+ports?)|shenzhen(?:'s)?\s+ports?(?:'s)?(?:\s+(?:container\s+)?throughput)?|port\s+of\s+shenzhen(?:'s)?(?:\s+container\s+throughput)?)` +
	`\s+(?:reached|hit|totaled|totalled|was|stood\s+at|handled|amounted\s+to|came\s+to)$`)

// scopes classify the place words of a throughput figure.
var scopes = extract.NewKeywords(
	"深圳港", "port", "全港", "port", "全市港口", "port", "深圳市港口", "port", "深圳港口", "port",
	"深圳市", "port", "深圳", "port", "全市", "port",
	"港区", "area", "盐田港", "area", "盐田国际", "area", "南山港区", "area", "蛇口", "area", "赤湾", "area",
	"妈湾", "area", "大铲湾", "area", "大铲湾港区", "area", "东角头", "area", "码头", "area",
	"深圳市交通运输局", "neutral",
)

// Extract reads the container throughput figures of an article. It returns (nil, nil)
// when the article states none, and an error wrapping extract.ErrUnreadable, with no
// observations, when a figure it clearly states cannot be read.
func Extract(a collectors.Article) ([]obs.Observation, error) {
	d := extract.NewDoc(a.Title, a.Text, a.Published)
	prov := extract.Provenance{Source: a.Source, URL: a.URL, Published: a.Published, Retrieved: a.Retrieved}
	var c extract.Collect
	for m := range d.Mentions() {
		if !strings.Contains(m.Lead, "集装箱") && !strings.Contains(m.Lead, "深圳") && !strings.Contains(m.Lead, "全") &&
			!strings.ContainsAny(m.Lead, "TtPp") {
			continue // cheap test before the regular expressions
		}
		var scope string
		if sub := leadRE.FindStringSubmatch(m.Lead); sub != nil {
			if sub[1] == "" && sub[2] == "" {
				continue // a bare number after another figure
			}
			scope = sub[1]
		} else if leadEnRE.MatchString(m.Lead) {
			scope = "深圳港"
		} else {
			continue
		}
		if scope == "" {
			scope = carriedScope(d, &m)
		}
		if scope != "" && scopes.Class(scope) != "port" {
			continue
		}
		err, ok := extract.Unreadable(&m, units.TEU)
		if !ok {
			c.Fail(err)
			continue
		}
		c.AddFlow(prov, &m, Indicator)
	}
	return c.Result("port", a.URL)
}

// carriedScope is the scope of a figure whose clause names none: the last one named
// as a subject earlier in the paragraph, else the title's, else none (the transport
// bureau's port releases are about the whole port).
func carriedScope(d *extract.Doc, m *extract.Mention) string {
	if k, ok := scopes.LastSubjectExcept(m.ParagraphBefore, "neutral"); ok {
		return k.Word
	}
	if k, ok := scopes.LastSubjectExcept(d.Title, "neutral"); ok {
		return k.Word
	}
	return ""
}
