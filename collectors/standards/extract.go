// Package standards reads Shenzhen's cumulative count of international standards
// (国际标准, 累计) from 深圳市市场监督管理局 articles, with the definition the count was
// published under (研制, 参与研制, 主导或参与制修订, 含国外先进标准 …).
package standards

import (
	"regexp"
	"strings"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/extract"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// Indicator is the id of the figure this package extracts.
const Indicator = "international_standards"

// InclForeignAdvanced is the part of a Qualifier marking a count that includes
// foreign advanced standards (国外先进标准): not the same series as the plan's target.
// The observation is kept, with this in its Qualifier, so that the evaluation can
// exclude it; use IncludesForeignAdvanced to test for it.
const InclForeignAdvanced = "含国外先进标准"

// IncludesForeignAdvanced reports whether o counts foreign advanced standards too.
func IncludesForeignAdvanced(o obs.Observation) bool {
	return strings.Contains(o.Qualifier, InclForeignAdvanced)
}

// verbs are the definitions a count is published under, longest first.
const verbs = `主导或参与制修订|主导和参与制修订|主导或参与制定|主导和参与制定|主导或参与研制|主导和参与研制|` +
	`主导制修订|主导制定|主导研制|参与制修订|参与制定|参与研制|制修订|研制|制定`

// leadRE accepts the words right before a cumulative international count:
// "全市累计研制国际标准", "国际标准(含国外先进标准)", "其中国际标准". 国内标准,
// 国际国内标准 (both together), 新增, 国际标准化组织 … do not match.
var leadRE = regexp.MustCompile(`^(?:其中)?(?:目前)?(?:深圳市|深圳|全市|我市|本市)?(?:已)?(?:累计)?(?:已)?(?:共)?` +
	`(` + verbs + `)?(?:的)?国际标准(\(含国外先进标准\))?(?:累计)?(?:已)?(?:达到|达|为|共|总数|数量)*$`)

// backRE is a cumulative figure after a flow in the same sentence:
// "全年共研制国际标准271项、累计1655项".
var backRE = regexp.MustCompile(`^(?:已)?累计(?:已)?(?:达到|达|为|共)*$`)

// cumulative words mark a level rather than the year's new standards.
var cumulative = []string{"累计", "截至", "目前", "至今", "总数", "总量", "已达", "共有"}

// verbWords find the definition named anywhere before the figure in its sentence.
var verbWords = func() *extract.Keywords {
	var pairs []string
	for _, v := range strings.Split(verbs, "|") {
		pairs = append(pairs, v, "verb")
	}
	return extract.NewKeywords(pairs...)
}()

// Extract reads the international-standards counts of an article. It returns (nil,
// nil) when the article states none, and an error wrapping extract.ErrUnreadable,
// with no observations, when a count it clearly states cannot be read. A count is
// dated by the period in its sentence or paragraph ("截至2025年9月底"), else by the
// publication month.
func Extract(a collectors.Article) ([]obs.Observation, error) {
	d := extract.NewDoc(a.Title, a.Text, a.Published)
	prov := extract.Provenance{Source: a.Source, URL: a.URL, Published: a.Published, Retrieved: a.Retrieved}
	var c extract.Collect
	// The international-standards clause last seen in the current sentence.
	var prevIntl *extract.Mention
	var prevQual string
	for m := range d.Mentions() {
		if prevIntl != nil && (prevIntl.Paragraph != m.Paragraph || prevIntl.Sentence != m.Sentence) {
			prevIntl = nil
		}
		if !strings.Contains(m.Lead, "标准") && !strings.Contains(m.Lead, "累计") {
			continue // cheap test before the regular expression
		}
		var qual string
		if sub := leadRE.FindStringSubmatch(m.Lead); sub != nil {
			qual = sub[1]
			if qual == "" {
				if k, ok := verbWords.Last(m.Before); ok {
					qual = k.Word
				}
			}
			qual += sub[2]
			prevIntl, prevQual = &m, qual
			if !isCumulative(m.Before) {
				continue // the year's new standards, not the level
			}
		} else if prevIntl != nil && backRE.MatchString(m.Lead) {
			qual = prevQual
		} else {
			continue
		}
		err, ok := extract.Unreadable(&m, units.Count)
		if !ok {
			c.Fail(err)
			continue
		}
		p, err := m.StockPeriod()
		if err != nil {
			c.Fail(m.Errorf("%w: %w", extract.ErrUnreadable, err))
			continue
		}
		o := extract.Observation(prov, &m, Indicator, obs.BasisStock, p)
		o.Qualifier = qual
		c.Add(o)
	}
	return c.Result("standards", a.URL)
}

func isCumulative(before string) bool {
	for _, w := range cumulative {
		if strings.Contains(before, w) {
			return true
		}
	}
	return false
}
