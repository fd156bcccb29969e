package extract

import (
	"regexp"
	"strconv"
	"strings"
)

// growthWindow is how many bytes after a figure its growth is looked for: enough for
// "(约合4130.8亿美元),比上年同期增长12.5%" or ", down 1.5 percent from a year earlier".
const growthWindow = 160

// growthRE reads the year-on-year growth a release states right after a figure, in
// the figure's own clause: ",同比增长9.6%", ",增长1.1%" (a bare 增长 in these releases is
// year on year), "(约合2950亿美元),同比下降3.2%", ",比上年同期增长5%", ",同比增长2.00%,环比…"
// and ",环比增长10%,同比增长2%". Anything else between the figure and the growth — another
// figure, 其中, 增速比…提高 (a change of the rate, in 百分点) — and it is not the figure's.
var growthRE = regexp.MustCompile(`^(?:\s*\([^()]{0,40}\))?\s*[,、]?\s*` +
	`(?:环比(?:增长|下降|增加|减少)\s*-?\d+(?:\.\d+)?\s*%\s*[,、]\s*)?` +
	`(?:同比|(?:比|较)(?:上年|去年)(?:同期)?)?\s*(?:分别)?\s*` +
	`(?:(增长|增加|上升|提高)|(下降|减少|回落|下滑))了?\s*(-?\d+(?:\.\d+)?)\s*%`)

// flatRE reads "同比持平" (no change on the year before).
var flatRE = regexp.MustCompile(`^(?:\s*\([^()]{0,40}\))?\s*[,、]?\s*(?:同比|与上年(?:同期)?|与去年(?:同期)?)持平`)

// growthEnRE is the English form: ", up 5.2% year on year", ", down 3% from a year earlier".
var growthEnRE = regexp.MustCompile(`(?i)^\s*,?\s*(?:(up|an?\s+increase\s+of|a\s+rise\s+of|growing|rising)|(down|a\s+decrease\s+of|a\s+decline\s+of|a\s+drop\s+of|falling))\s+` +
	`(\d+(?:\.\d+)?)\s*(?:%|percent|per\s+cent)\s*(?:year[- ]on[- ]year|from\s+a\s+year\s+(?:earlier|ago)|over\s+the\s+same\s+period\s+(?:of\s+)?last\s+year|y-o-y|yoy)`)

// YoY returns the year-on-year growth the text states right after the mention's
// figure, as a ratio (0.096 for "同比增长9.6%", −0.032 for "下降3.2%"), and whether
// one is stated there.
func (m *Mention) YoY() (float64, bool) {
	after := m.After
	// The growth follows within a few words; most figures state none.
	if len(after) > growthWindow {
		after = after[:growthWindow]
	}
	if !strings.Contains(after, "%") && !strings.Contains(after, "percent") && !strings.Contains(after, "per cent") {
		if strings.Contains(after, "持平") && flatRE.MatchString(after) {
			return 0, true
		}
		return 0, false
	}
	if flatRE.MatchString(after) {
		return 0, true
	}
	sub := growthRE.FindStringSubmatch(after)
	if sub == nil {
		sub = growthEnRE.FindStringSubmatch(after)
	}
	if sub == nil {
		return 0, false
	}
	// The number as a decimal times 10⁻², so that "9.6" gives the float nearest 0.096.
	r, err := strconv.ParseFloat(sub[3]+"e-2", 64)
	if err != nil {
		return 0, false
	}
	if sub[2] != "" {
		r = -r
	}
	return r, true
}
