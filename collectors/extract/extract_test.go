package extract

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/trademon/trademon/collectors/internal/golden" // declares -update for go test ./collectors/... -update
	"github.com/trademon/trademon/internal/obs"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"１－８月，全市社会消费品零售总额６０００．００亿元", "1-8月,全市社会消费品零售总额6000.00亿元"},
		{"增长３．２％（初步）", "增长3.2%(初步)"},
		{"2024年全市進出口總額達4.51萬億元", "2024年全市进出口总额达4.51万亿元"},
		{"集裝箱吞吐量3338萬標(biāo)箱", "集装箱吞吐量3338万标箱"},
		{"标(biāo)箱、進(jìn)出(chū)口", "标箱、进出口"},
		{"标（biao）箱", "标箱"},     // full-width brackets, no tone mark
		{"附件(a)说明", "附件(a)说明"}, // one letter without tone: kept
		{"万(TEU)", "万(TEU)"},   // upper case: a unit, kept
		{"国际标准(含国外先进标准)", "国际标准(含国外先进标准)"}, // Chinese in brackets: kept
		{"深圳 港 集装箱", "深圳港集装箱"},
		{"19 278.1亿元", "19 278.1亿元"},
		{"Shenzhen   Port\t reached", "Shenzhen Port reached"},
		{"第一段\r\n\r\n\n  第二段  \n", "第一段\n第二段"},
		{"貨櫃吞吐量", "集装箱吞吐量"},
		{"累計研製國際標準2363項", "累计研制国际标准2363项"},
		{"a\u00a0b\u3000c", "a b c"},
		{"bad\xffbyte", "badbyte"},
		{"", ""},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSentences(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"前7个月,进出口2.1万亿元。其中,出口1.3万亿元!进口呢?", []string{"前7个月,进出口2.1万亿元。", "其中,出口1.3万亿元!", "进口呢?"}},
		{"他说:“增长了。”然后", []string{"他说:“增长了。”", "然后"}},
		{"It reached 7.21 million TEUs. Yantian handled 3.2 million.", []string{"It reached 7.21 million TEUs.", "Yantian handled 3.2 million."}},
		{"up 5%.截至目前", []string{"up 5%.", "截至目前"}},
		{"截断的句子没有句号", []string{"截断的句子没有句号"}},
		{"", nil},
	} {
		var got []string
		for _, s := range Sentences(tc.in) {
			got = append(got, s.Text)
			if tc.in[s.Start:s.End] != s.Text {
				t.Errorf("span %d:%d of %q is not %q", s.Start, s.End, tc.in, s.Text)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Sentences(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParagraphs(t *testing.T) {
	got := Paragraphs("一\n\n二\n三")
	if len(got) != 3 || got[0].Text != "一" || got[2].Text != "三" || got[2].Start != len("一\n\n二\n") {
		t.Errorf("Paragraphs = %+v", got)
	}
}

func TestParsePeriod(t *testing.T) {
	type want struct {
		kind       PeriodKind
		month      int
		year       int
		rel        int
		hasRel     bool
		english    bool
		comparison bool
	}
	for _, tc := range []struct {
		in   string
		want want
	}{
		{"1-8月", want{kind: PeriodYTD, month: 8}},
		{"1—8月", want{kind: PeriodYTD, month: 8}},
		{"1–8月", want{kind: PeriodYTD, month: 8}},
		{"1～8月", want{kind: PeriodYTD, month: 8}},
		{"1~8月", want{kind: PeriodYTD, month: 8}},
		{"1〜8月", want{kind: PeriodYTD, month: 8}},
		{"1至8月", want{kind: PeriodYTD, month: 8}},
		{"1月至8月", want{kind: PeriodYTD, month: 8}},
		{"1月-8月份", want{kind: PeriodYTD, month: 8}},
		{"１－８月", want{kind: PeriodYTD, month: 8}},
		{"1一8月", want{kind: PeriodYTD, month: 8}},
		{"1-2月", want{kind: PeriodYTD, month: 2}},
		{"1-12月", want{kind: PeriodYTD, month: 12}},
		{"7-8月", want{kind: PeriodOther, month: 8}},
		{"前7个月", want{kind: PeriodYTD, month: 7}},
		{"前十一个月", want{kind: PeriodYTD, month: 11}},
		{"前两个月", want{kind: PeriodYTD, month: 2}},
		{"前三季度", want{kind: PeriodYTD, month: 9}},
		{"前3季度", want{kind: PeriodYTD, month: 9}},
		{"上半年", want{kind: PeriodYTD, month: 6}},
		{"下半年", want{kind: PeriodOther, month: 12}},
		{"一季度", want{kind: PeriodYTD, month: 3}},
		{"第一季度", want{kind: PeriodYTD, month: 3}},
		{"首季度", want{kind: PeriodYTD, month: 3}},
		{"三季度", want{kind: PeriodOther, month: 9}},
		{"全年", want{kind: PeriodYear, month: 12}},
		{"7月单月", want{kind: PeriodMonth, month: 7}},
		{"7月份", want{kind: PeriodMonth, month: 7}},
		{"1月份", want{kind: PeriodMonth, month: 1}},
		{"12月", want{kind: PeriodMonth, month: 12}},
		{"十二月份", want{kind: PeriodMonth, month: 12}},
		{"当月", want{kind: PeriodMonth}},
		{"单月", want{kind: PeriodMonth}},
		{"2025年1-8月", want{kind: PeriodYTD, month: 8, year: 2025}},
		{"2025年 前三季度", want{kind: PeriodYTD, month: 9, year: 2025}},
		{"2024年全年", want{kind: PeriodYear, month: 12, year: 2024}},
		{"2024年", want{kind: PeriodYear, month: 12, year: 2024}},
		{"2024年度", want{kind: PeriodYear, month: 12, year: 2024}},
		{"今年前7个月", want{kind: PeriodYTD, month: 7, hasRel: true}},
		{"去年全年", want{kind: PeriodYear, month: 12, hasRel: true, rel: -1}},
		{"截至2025年9月底", want{kind: PeriodThrough, month: 9, year: 2025}},
		{"截至8月末", want{kind: PeriodThrough, month: 8}},
		{"截止到2024年底", want{kind: PeriodThrough, month: 12, year: 2024}},
		{"2024年底", want{kind: PeriodThrough, month: 12, year: 2024}},
		{"截至目前", want{kind: PeriodNow}},
		{"目前", want{kind: PeriodNow}},
		{"至今", want{kind: PeriodNow}},
		{"10月14日", want{kind: PeriodDate, month: 10}},
		{"2025年10月14日", want{kind: PeriodDate, month: 10, year: 2025}},
		{"first quarter", want{kind: PeriodYTD, month: 3, english: true}},
		{"first half", want{kind: PeriodYTD, month: 6, english: true}},
		{"first three quarters", want{kind: PeriodYTD, month: 9, english: true}},
		{"first 11 months", want{kind: PeriodYTD, month: 11, english: true}},
		{"first eight months", want{kind: PeriodYTD, month: 8, english: true}},
		{"January-October", want{kind: PeriodYTD, month: 10, english: true}},
		{"January to May 2021", want{kind: PeriodYTD, month: 5, year: 2021, english: true}},
		{"between January and August", want{kind: PeriodYTD, month: 8, english: true}},
		{"November", want{kind: PeriodMonth, month: 11, english: true}},
		{"in 2021", want{kind: PeriodYear, month: 12, year: 2021, english: true}},
	} {
		p, err := ParsePeriod(tc.in)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", tc.in, err)
			continue
		}
		got := want{p.Kind, p.Month, p.Year, p.RelYear, p.HasRelYear, p.English, p.Comparison}
		if got != tc.want {
			t.Errorf("ParsePeriod(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParsePeriodRejects(t *testing.T) {
	for _, in := range []string{
		"", "8月底前", "2025年以来", "2024年同期", "连续7个月", "前13个月", "13月", "0月", "今年", "去年同期",
		"比上年", "1-8", "may", "一般贸易", "五季度", "8-1月", "2025", "前个月", "十四五",
	} {
		if p, err := ParsePeriod(in); !errors.Is(err, ErrNotPeriod) {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want ErrNotPeriod", in, p, err)
		}
	}
}

func TestFindPeriodsComparison(t *testing.T) {
	ps := FindPeriods(Normalize("1—8月,全市社会消费品零售总额6376.52亿元,增速比1—7月提高0.3个百分点,较上半年回落。"))
	var got []string
	for _, p := range ps {
		got = append(got, p.Text+map[bool]string{true: "(cmp)", false: ""}[p.Comparison])
	}
	want := []string{"1—8月", "1—7月(cmp)", "上半年(cmp)"}
	if !slices.Equal(got, want) {
		t.Errorf("FindPeriods = %q, want %q", got, want)
	}
}

func TestInferYear(t *testing.T) {
	d := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02", s, obs.Shanghai)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, tc := range []struct {
		month     int
		kind      PeriodKind
		published time.Time
		want      int
		ok        bool
	}{
		{12, PeriodYTD, d("2026-01-20"), 2025, true},
		{12, PeriodYear, d("2026-01-06"), 2025, true},
		{8, PeriodYTD, d("2025-09-25"), 2025, true},
		{9, PeriodYTD, d("2025-09-30"), 2024, true}, // a flow cannot be published in its own month
		{9, PeriodThrough, d("2025-09-30"), 2025, true},
		{10, PeriodDate, d("2025-10-14"), 2025, true},
		{11, PeriodThrough, d("2025-10-14"), 2024, true},
		{8, PeriodYTD, time.Time{}, 0, false},
		{0, PeriodYTD, d("2025-09-25"), 0, false},
		{13, PeriodYTD, d("2025-09-25"), 0, false},
	} {
		got, ok := InferYear(tc.month, tc.kind, tc.published)
		if got != tc.want || ok != tc.ok {
			t.Errorf("InferYear(%d, %s, %v) = %d, %v; want %d, %v", tc.month, tc.kind, tc.published, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTitleYear(t *testing.T) {
	for in, want := range map[string]int{
		"2025年1-8月深圳经济运行情况":     2025,
		"深圳市2024年国民经济和社会发展统计公报": 2024,
		"前7个月深圳市进出口2.58万亿元":     0,
		"12025年": 0,
		"2025 年": 2025,
	} {
		if got := TitleYear(Normalize(in)); got != want {
			t.Errorf("TitleYear(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFindQuantities(t *testing.T) {
	type q struct {
		text, unitText string
		value          float64
		unit           string
		resolution     float64
	}
	for _, tc := range []struct {
		in   string
		want []q
	}{
		{"进出口2.1万亿元,增长3.2%", []q{{"2.1万亿元", "元", 2.1e12, "CNY", 1e11}, {"3.2%", "%", 0, "ratio", 0}}},
		{"进口7731亿6200万元", []q{{"7731亿6200万元", "元", 7.73162e11, "CNY", 1e4}}},
		{"总额12,500亿元", []q{{"12,500亿元", "元", 1.25e12, "CNY", 1e8}}},
		{"总额19 278.1亿元", []q{{"19 278.1亿元", "元", 1.92781e12, "CNY", 1e7}}},
		{"总额6000 亿元", []q{{"6000亿元", "元", 6e11, "CNY", 1e8}}}, // the space goes in Normalize
		{"约合2950亿美元", []q{{"2950亿美元", "美元", 2.95e11, "USD", 1e8}}},
		{"吞吐量230.00万标箱", []q{{"230.00万标箱", "标箱", 2.3e6, "TEU", 100}}},
		{"吞吐量285.60万标准箱", []q{{"285.60万标准箱", "标准箱", 2.856e6, "TEU", 100}}},
		{"吞吐量3003.56万TEU", []q{{"3003.56万TEU", "TEU", 3.00356e7, "TEU", 100}}},
		{"吞吐量2520万8700TEU", []q{{"2520万8700TEU", "TEU", 25208700, "TEU", 1}}},
		{"reached 7.21 million TEUs in", []q{{"7.21 million TEUs", "million TEUs", 7.21e6, "TEU", 1e4}}},
		{"吞吐量100万个标准箱", []q{{"100万个标准箱", "个标准箱", 1e6, "TEU", 1e4}}},
		{"国际标准2000项、国内标准5000项", []q{{"2000项", "项", 2000, "count", 1}, {"5000项", "项", 5000, "count", 1}}},
		{"2.1万亿人民币", []q{{"2.1万亿人民币", "人民币", 2.1e12, "CNY", 1e11}}},
	} {
		got := FindQuantities(Normalize(tc.in))
		var gotQ []q
		for _, g := range got {
			if g.HasUnit() {
				gotQ = append(gotQ, q{g.Text, g.UnitText, g.Value, g.Unit, g.Resolution})
			}
		}
		if !slices.Equal(gotQ, tc.want) {
			t.Errorf("FindQuantities(%q) = %+v, want %+v", tc.in, gotQ, tc.want)
		}
	}
}

func TestFindQuantitiesWithoutUnit(t *testing.T) {
	for _, tc := range []struct {
		in     string
		number string
		next   rune
	}{
		{"2025年", "2025", '年'},
		{"总额28000.12亿", "28000.12亿", 0},
		{"10亿港元", "10亿", '港'},
		{"0.5个百分点", "0.5", '个'},
		{"1000余项", "1000", '余'},
		{"总额2.5.", "2.5", '.'},
	} {
		got := FindQuantities(tc.in)
		if len(got) != 1 || got[0].HasUnit() || got[0].Number != tc.number || got[0].Next != tc.next {
			t.Errorf("FindQuantities(%q) = %+v, want one number %q without unit, next %q", tc.in, got, tc.number, tc.next)
		}
	}
	// A digit glued to a Latin name is no number; a malformed number with a unit
	// carries its error.
	if got := FindQuantities("A320客机和5G基站"); len(got) != 0 {
		t.Errorf("names: got %+v, want none", got)
	}
	got := FindQuantities("1.2.3亿元")
	if len(got) != 1 || got[0].Err == nil {
		t.Errorf("malformed: got %+v, want one quantity with an error", got)
	}
}

func TestKeywords(t *testing.T) {
	k := NewKeywords("深圳", "city", "深圳海关关区", "district", "关区", "district", "深圳海关", "neutral", "全省", "other")
	var got []string
	for _, m := range k.All("深圳海关关区与深圳海关及深圳") {
		got = append(got, m.Word+"/"+m.Class)
	}
	if want := []string{"深圳海关关区/district", "深圳海关/neutral", "深圳/city"}; !slices.Equal(got, want) {
		t.Errorf("All = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"前7个月,深圳进出口2.58万亿元,占同期全省的45%。其中,", "深圳", true},
		{"深圳海关关区进出口5万亿元。其中,", "深圳海关关区", true},
		{"今年前7个月,关区进出口5万亿元。其中,", "关区", true},
		{"外贸规模连续5年保持全省首位。", "", false},
		{"", "", false},
	} {
		m, ok := k.LastSubjectExcept(Normalize(tc.in), "neutral")
		if ok != tc.ok || m.Word != tc.want {
			t.Errorf("LastSubjectExcept(%q) = %q, %v; want %q, %v", tc.in, m.Word, ok, tc.want, tc.ok)
		}
	}
}

func TestMentions(t *testing.T) {
	d := NewDoc("2025年前三季度深圳经济运行情况", `前三季度,全市进出口总额28000.12亿元,同比增长5.0%。其中,出口17000.00亿元;9月当月,全市进出口3391.2亿元。
2024年全年,社零预计1.05万亿元,比1-7月高。
The container throughput of Shenzhen Port reached 7.21 million TEUs in the first quarter.
截至目前,累计研制国际标准2000项。`, time.Date(2025, 10, 24, 10, 0, 0, 0, obs.Shanghai))
	type row struct {
		text, lead, basis, period string
		estimate                  bool
	}
	var got []row
	for m := range d.Mentions() {
		if !m.HasUnit() || m.Unit == "ratio" {
			continue
		}
		r := row{text: m.Text, lead: m.Lead, estimate: m.Estimate}
		if m.Unit == "count" {
			p, err := m.StockPeriod()
			if err != nil {
				t.Fatal(err)
			}
			r.basis, r.period = "stock", p.String()
		} else if b, p, err := m.FlowPeriod(); err == nil {
			r.basis, r.period = string(b), p.String()
		} else {
			r.basis = err.Error()
		}
		if !strings.Contains(d.Text[m.Start:m.End], m.Text) {
			t.Errorf("offsets %d:%d do not hold %q", m.Start, m.End, m.Text)
		}
		got = append(got, r)
	}
	want := []row{
		{"28000.12亿元", "全市进出口总额", "ytd", "2025-09", false},
		{"17000.00亿元", "出口", "ytd", "2025-09", false},
		{"3391.2亿元", "全市进出口", "month", "2025-09", false},
		{"1.05万亿元", "社零预计", "year", "2024", true},
		{"7.21 million TEUs", "The container throughput of Shenzhen Port reached", "ytd", "2025-03", false},
		{"2000项", "累计研制国际标准", "stock", "2025-10", false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Mentions:\n got %+v\nwant %+v", got, want)
	}
}

func TestFlowPeriodErrors(t *testing.T) {
	for _, tc := range []struct {
		title, text string
		published   time.Time
		want        error
	}{
		{"", "全市进出口总额28000.12亿元。", time.Time{}, ErrNoPeriod},
		{"", "1-8月,全市进出口总额28000.12亿元。", time.Time{}, ErrNoYear},
		{"", "三季度,全市进出口总额9000亿元。", time.Now(), ErrUnsupportedPeriod},
		{"", "10月14日,全市进出口总额9000亿元。", time.Now(), ErrUnsupportedPeriod},
	} {
		d := NewDoc(tc.title, tc.text, tc.published)
		for m := range d.Mentions() {
			if _, _, err := m.FlowPeriod(); !errors.Is(err, tc.want) {
				t.Errorf("%q: FlowPeriod error %v, want %v", tc.text, err, tc.want)
			}
		}
	}
}

// FuzzNormalize checks that Normalize never panics, returns valid UTF-8 and is
// idempotent.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"１－８月，全市", "標(biāo)箱", "(", "标(", "标(a", "\r\n\n", "貨櫃", "\xff", "a (bb) c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("Normalize is not idempotent: %q → %q → %q", s, n, n2)
		}
	})
}

// FuzzSentences checks that spans always index the input.
func FuzzSentences(f *testing.F) {
	for _, s := range []string{"a。b!c?", "7.21 million. Next", "。。", "”。”", ". ."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sp := range Sentences(s) {
			if sp.Start < 0 || sp.End > len(s) || sp.Start >= sp.End || s[sp.Start:sp.End] != sp.Text {
				t.Fatalf("bad span %+v of %q", sp, s)
			}
		}
	})
}

// FuzzParsePeriod checks that period parsing never panics and stays in range.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"1-8月", "前三季度", "截至2025年9月底", "2025年", "first 11 months", "January-October 2021", "10月14日", "截至今", "前十二个月", "1一", "截至截至"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParsePeriod(s); err == nil && (p.Month < 0 || p.Month > 12) {
			t.Fatalf("ParsePeriod(%q) month %d", s, p.Month)
		}
		for _, p := range FindPeriods(s) {
			if p.Start < 0 || p.End > len(s) || p.Start >= p.End || s[p.Start:p.End] != p.Text || p.Month < 0 || p.Month > 12 {
				t.Fatalf("bad period %+v in %q", p, s)
			}
		}
	})
}

// FuzzFindQuantities checks that quantities index the input and parse consistently.
func FuzzFindQuantities(f *testing.F) {
	for _, s := range []string{"7731亿6200万元", "12,500亿元", "19 278.1亿元", "2.73 million TEU", "1..2亿元", "100万个标准箱", "9,99", "1 2 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, q := range FindQuantities(s) {
			if q.Start < 0 || q.End > len(s) || q.Start >= q.End || s[q.Start:q.End] != q.Text {
				t.Fatalf("bad quantity %+v in %q", q, s)
			}
			if q.HasUnit() && q.Err == nil && q.Unit == "" {
				t.Fatalf("quantity %+v has a unit but no base unit", q)
			}
		}
	})
}

// FuzzMentions runs the whole scanner on arbitrary text.
func FuzzMentions(f *testing.F) {
	for _, s := range []string{
		"前7个月,深圳累计进出口2.1万亿元。其中,7月单月,深圳进出口3100.5亿元。",
		"当月,进出口1亿元", "截至目前,累计研制国际标准2000项", "The throughput reached 7 million TEU in the first quarter.",
		"1-8月\n\n2025年", "(biāo)", "比1-7月5亿元",
	} {
		f.Add("2025年1-8月深圳经济运行情况", s, int64(1756000000))
	}
	f.Fuzz(func(t *testing.T, title, text string, unix int64) {
		var pub time.Time
		if unix > 0 && unix < 1<<40 {
			pub = time.Unix(unix, 0)
		}
		d := NewDoc(title, text, pub)
		for m := range d.Mentions() {
			if m.Start < 0 || m.End > len(d.Text) || d.Text[m.Start:m.End] != m.Text {
				t.Fatalf("mention %q at %d:%d does not index the text", m.Text, m.Start, m.End)
			}
			if b, p, err := m.FlowPeriod(); err == nil {
				o := obs.Observation{Indicator: "goods_trade_cny", Period: p, Basis: b, Value: 1, SourceKind: obs.KindCollector, Source: "x"}
				o.Normalize()
				if err := o.Validate(time.Time{}); err != nil {
					t.Fatalf("FlowPeriod gave %s %s that does not validate: %v", b, p, err)
				}
			}
			_, _ = m.StockPeriod()
		}
	})
}

// TestStockPeriodNotAfterPublication: a year in force that ends after the article was
// published ("2024年世界标准日" in an October title) dates a level by publication.
func TestStockPeriodNotAfterPublication(t *testing.T) {
	for _, tc := range []struct {
		title, text string
		published   time.Time
		want        string
	}{
		{"深圳举办2024年世界标准日活动", "据介绍,深圳累计研制国际标准1850项。", time.Date(2024, 10, 14, 9, 0, 0, 0, obs.Shanghai), "2024-10"},
		{"2024年深圳标准化工作总结", "截至2024年底,全市累计研制国际标准1900项。", time.Date(2025, 1, 20, 9, 0, 0, 0, obs.Shanghai), "2024-12"},
		{"深圳标准化新闻", "截至2025年9月底,全市累计研制国际标准2000项。", time.Date(2025, 10, 14, 9, 0, 0, 0, obs.Shanghai), "2025-09"},
	} {
		d := NewDoc(tc.title, tc.text, tc.published)
		var got []string
		for m := range d.Mentions() {
			if m.Unit != "count" {
				continue
			}
			p, err := m.StockPeriod()
			if err != nil {
				t.Fatalf("%q: %v", tc.text, err)
			}
			got = append(got, p.String())
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%q / %q published %s: stock periods %q, want [%s]", tc.title, tc.text, tc.published.Format(time.DateOnly), got, tc.want)
		}
	}
}
