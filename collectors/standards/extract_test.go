package standards

import (
	"testing"

	"github.com/trademon/trademon/collectors/internal/extracttest"
	"github.com/trademon/trademon/internal/obs"
)

const stock = obs.BasisStock

var cases = []extracttest.Case{
	{
		// Traditional characters: the international count only, not 國內標準.
		File: "hkcd_2021_10.txt", Title: "深圳累計研製國際標準2363項", Published: "2021-10-18",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: stock, Period: "2021-10", Value: 2363, Qualifier: "研制", Quote: "全市累计研制国际标准2363项"},
		},
	},
	{
		// 含国外先进标准: kept with the qualifier so that the evaluation can exclude it;
		// 国内标准 and 合计 skipped; "目前" dates it by publication.
		File: "dutenews_2023_10.txt", Title: "深圳标准化工作成效显著", Published: "2023-10-14",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: stock, Period: "2023-10", Value: 2915, Qualifier: "参与研制(含国外先进标准)"},
		},
	},
	{
		// The year's new standards (全年共研制271项) are not the level; 累计1655项 is.
		File: "bulletin_2017.txt", Title: "深圳市2017年国民经济和社会发展统计公报", Published: "2018-03-21",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: stock, Period: "2017-12", Value: 1655, Qualifier: "研制", Quote: "累计1655项"},
		},
	},
	{
		// 国际国内标准 together skipped; 其中国际标准 after a cumulative total.
		File: "cri_2017_08.txt", Title: "深圳标准化建设成效", Published: "2017-08-18",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: stock, Period: "2017-08", Value: 1384, Qualifier: "研制"},
		},
	},
	{
		// 截至2025年9月底 dates the level; 新增 and 国际标准化组织 skipped.
		File: "amr_2025_10.txt", Title: "深圳市市场监督管理局举办2025年世界标准日主题活动", Published: "2025-10-14",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: stock, Period: "2025-09", Value: 3120, Qualifier: "主导或参与制修订"},
		},
	},
	{File: "no_figures.txt", Title: "深圳市市场监督管理局关于征集2026年度深圳市标准化项目的通知", Published: "2025-11-03"},
	{File: "truncated.txt", Title: "深圳标准化", Published: "2025-10-14", WantErr: `number "2000" has no unit`},
	{
		File: "amr_page.html", Selector: ".articleBox", Published: "2021-10-18",
		Want: []extracttest.Want{
			{Indicator: Indicator, Basis: stock, Period: "2021-10", Value: 2363, Qualifier: "研制"},
		},
	},
}

func TestExtract(t *testing.T) {
	extracttest.Run(t, "standards", Extract, cases)
}

func TestIncludesForeignAdvanced(t *testing.T) {
	for _, tc := range []struct {
		qualifier string
		want      bool
	}{
		{"参与研制(含国外先进标准)", true},
		{"研制", false},
		{"", false},
	} {
		if got := IncludesForeignAdvanced(obs.Observation{Qualifier: tc.qualifier}); got != tc.want {
			t.Errorf("IncludesForeignAdvanced(%q) = %v, want %v", tc.qualifier, got, tc.want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	extracttest.Fuzz(f, Extract, cases)
}
