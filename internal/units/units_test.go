package units

import (
	"math"
	"strings"
	"testing"
)

func TestParseUnit(t *testing.T) {
	tests := []struct {
		in     string
		base   string
		factor float64
	}{
		{"亿元", CNY, 1e8},
		{"万元", CNY, 1e4},
		{"万亿元", CNY, 1e12},
		{"元", CNY, 1},
		{"亿美元", USD, 1e8},
		{"美元", USD, 1},
		{"万标箱", TEU, 1e4},
		{"万标准箱", TEU, 1e4},
		{"萬標準箱", TEU, 1e4},
		{"万TEU", TEU, 1e4},
		{"万teu", TEU, 1e4},
		{"million TEU", TEU, 1e6},
		{"Million TEUs", TEU, 1e6},
		{"trillion CNY", CNY, 1e12},
		{"billion USD", USD, 1e9},
		{"%", Ratio, 0.01},
		{"％", Ratio, 0.01}, // full-width
		{"percent", Ratio, 0.01},
		{"项", Count, 1},
		{"家", Count, 1},
		{"条", Count, 1},
		{"個", Count, 1},
		{"元/美元", CNYPerUSD, 1},
		{" 亿元 ", CNY, 1e8},
		// Base unit names are units of themselves.
		{"CNY", CNY, 1},
		{"USD", USD, 1},
		{"TEU", TEU, 1},
		{"count", Count, 1},
		{"ratio", Ratio, 1},
		{"CNY/USD", CNYPerUSD, 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseUnit(tt.in)
			if err != nil {
				t.Fatalf("ParseUnit(%q): %v", tt.in, err)
			}
			if u.Base != tt.base || u.Factor != tt.factor {
				t.Errorf("ParseUnit(%q) = %s × %g, want %s × %g", tt.in, u.Base, u.Factor, tt.base, tt.factor)
			}
			if u.Name != strings.TrimSpace(tt.in) {
				t.Errorf("Name = %q", u.Name)
			}
		})
	}
}

func TestParseUnitErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "missing unit"},
		{"   ", "missing unit"},
		{"亿", `unknown unit "亿"`},
		{"万", `unknown unit "万"`},
		{"公斤", `unknown unit "公斤"`},
		{"亿欧元", `unknown unit "亿欧元"`},
		{"million", `unknown unit "million"`},
	}
	for _, tt := range tests {
		_, err := ParseUnit(tt.in)
		if err == nil || err.Error() != tt.msg {
			t.Errorf("ParseUnit(%q) error = %v, want %q", tt.in, err, tt.msg)
		}
	}
}

func TestToBaseFromBase(t *testing.T) {
	tests := []struct {
		value float64
		unit  string
		base  float64
		bunit string
	}{
		{12500, "亿元", 1.25e12, CNY},
		{5000, "亿美元", 5e11, USD},
		{1.25, "万亿元", 1.25e12, CNY},
		{7731.62, "亿元", 7.73162e11, CNY},
		{19278.1, "亿元", 1.92781e12, CNY},
		{300, "万元", 3e6, CNY},
		{3300, "万标箱", 3.3e7, TEU},
		{3300, "万标准箱", 3.3e7, TEU},
		{3300, "万TEU", 3.3e7, TEU},
		{33, "million TEU", 3.3e7, TEU},
		{31, "%", 0.31, Ratio},
		{30.5, "%", 0.305, Ratio},
		{1000, "项", 1000, Count},
		{120, "家", 120, Count},
		{60, "条", 60, Count},
		{7.1884, "元/美元", 7.1884, CNYPerUSD},
	}
	for _, tt := range tests {
		got, base, err := ToBase(tt.value, tt.unit)
		if err != nil {
			t.Errorf("ToBase(%g, %q): %v", tt.value, tt.unit, err)
			continue
		}
		if got != tt.base || base != tt.bunit {
			t.Errorf("ToBase(%g, %q) = %v %s, want %v %s", tt.value, tt.unit, got, base, tt.base, tt.bunit)
		}
		back, err := FromBase(got, tt.unit)
		if err != nil || back != tt.value {
			t.Errorf("FromBase(%v, %q) = %v, %v, want %v", got, tt.unit, back, err, tt.value)
		}
	}
	if _, _, err := ToBase(1, "斤"); err == nil || err.Error() != `unknown unit "斤"` {
		t.Errorf("ToBase with unknown unit: %v", err)
	}
	if _, err := FromBase(1, ""); err == nil || err.Error() != "missing unit" {
		t.Errorf("FromBase with empty unit: %v", err)
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in         string
		want       float64
		resolution float64
	}{
		{"12500", 12500, 1},
		{"１２５００", 12500, 1},  // full-width digits
		{"１２，５００", 12500, 1}, // full-width comma
		{"12,500", 12500, 1},
		{"1,234,567.5", 1234567.5, 0.1},
		{"19 278.1", 19278.1, 0.1},
		{"19\u00a0278.1", 19278.1, 0.1}, // no-break space from PDF text
		{"1.25万亿", 1.25e12, 1e10},
		{"1.25萬億", 1.25e12, 1e10},
		{"2.1万亿", 2.1e12, 1e11},
		{"3.3兆", 3.3e12, 1e11},
		{"7731亿6200万", 7.73162e11, 1e4},
		{"2520万8700", 25208700, 1},
		{"3300万", 3.3e7, 1e4},
		{"28000.12", 28000.12, 0.01},
		{"0.5", 0.5, 0.1},
		{"3.05 trillion", 3.05e12, 1e10},
		{"424 billion", 4.24e11, 1e9},
		{"1.2 million", 1.2e6, 1e5},
		{"-5", -5, 1},
		{"+5", 5, 1},
		{"−3.2", -3.2, 0.1}, // U+2212 minus sign
		{" 42 ", 42, 1},
		{"3100.5 亿", 3.1005e11, 1e7}, // space before the magnitude
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, res, err := ParseNumberResolution(tt.in)
			if err != nil {
				t.Fatalf("ParseNumberResolution(%q): %v", tt.in, err)
			}
			if got != tt.want || res != tt.resolution {
				t.Errorf("ParseNumberResolution(%q) = %v ± %v, want %v ± %v", tt.in, got, res, tt.want, tt.resolution)
			}
			if v, err := ParseNumber(tt.in); err != nil || v != tt.want {
				t.Errorf("ParseNumber(%q) = %v, %v", tt.in, v, err)
			}
		})
	}
}

func TestParseNumberErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "empty number"},
		{"  ", "empty number"},
		{"-", `invalid number "-": no digits`},
		{"12,5OO", `invalid number "12,5OO": unexpected 'O'`},
		{"12,5", `invalid number "12,5": a thousands separator must be followed by three digits`},
		{"1,2345", `invalid number "1,2345": a thousands separator must be followed by three digits`},
		{"12 5", `invalid number "12 5": a thousands separator must be followed by three digits`},
		{",500", `invalid number ",500": misplaced separator`},
		{"12,", `invalid number "12,": misplaced separator`},
		{"12,,500", `invalid number "12,,500": misplaced separator`},
		{"1.2.3", `invalid number "1.2.3": malformed digits "1.2.3"`},
		{".5", `invalid number ".5": malformed digits ".5"`},
		{"5.", `invalid number "5.": malformed digits "5."`},
		{"亿", `invalid number "亿": magnitude '亿' without digits`},
		{"5万3亿", `invalid number "5万3亿": magnitudes must decrease (1e+08 after 10000)`},
		{"1万1万", `invalid number "1万1万": magnitudes must decrease (10000 after 10000)`},
		{"1e5", `invalid number "1e5": unexpected 'e'`},
		{"NaN", `invalid number "NaN": unexpected 'N'`},
		{"abc", `invalid number "abc": unexpected 'a'`},
		{"12500亿元", `invalid number "12500亿元": unexpected '元'`},
		{"1" + strings.Repeat("0", 400), `invalid number "1` + strings.Repeat("0", 400) + `": out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseNumber(tt.in)
			if err == nil {
				t.Fatalf("ParseNumber(%q) = %v, want error", tt.in, v)
			}
			if err.Error() != tt.msg {
				t.Errorf("error = %q\n  want %q", err, tt.msg)
			}
		})
	}
}

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in         string
		value      float64
		base       string
		resolution float64
	}{
		{"12500亿元", 1.25e12, CNY, 1e8},
		{"１２５００亿元", 1.25e12, CNY, 1e8},
		{"1.25万亿元", 1.25e12, CNY, 1e10},
		{"2.1万亿元", 2.1e12, CNY, 1e11},
		{"7731亿6200万元", 7.73162e11, CNY, 1e4},
		{"3100.5亿元", 3.1005e11, CNY, 1e7},
		{"3100.5 亿元", 3.1005e11, CNY, 1e7},
		{"300万元", 3e6, CNY, 1e4},
		{"5000亿美元", 5e11, USD, 1e8},
		{"3300万标箱", 3.3e7, TEU, 1e4},
		{"3300万标准箱", 3.3e7, TEU, 1e4},
		{"3300万TEU", 3.3e7, TEU, 1e4},
		{"230.00万标箱", 2.3e6, TEU, 100},
		{"33 million TEU", 3.3e7, TEU, 1e6},
		{"3.05 trillion yuan", 3.05e12, CNY, 1e10},
		{"31%", 0.31, Ratio, 0.01},
		{"30.5％", 0.305, Ratio, 0.001},
		{"２３６３项", 2363, Count, 1},
		{"1000项", 1000, Count, 1},
		{"120家", 120, Count, 1},
		{"60条", 60, Count, 1},
		{"19 278.1亿元", 1.92781e12, CNY, 1e7},
		{"12,500亿元", 1.25e12, CNY, 1e8},
		{"7.1884元/美元", 7.1884, CNYPerUSD, 0.0001},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, base, res, err := ParseQuantity(tt.in)
			if err != nil {
				t.Fatalf("ParseQuantity(%q): %v", tt.in, err)
			}
			if v != tt.value || base != tt.base || res != tt.resolution {
				t.Errorf("ParseQuantity(%q) = %v %s ± %v, want %v %s ± %v", tt.in, v, base, res, tt.value, tt.base, tt.resolution)
			}
		})
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", `no number in ""`},
		{"亿元", `invalid number "亿": magnitude '亿' without digits`},
		{"约3300万标箱", `no number in "约3300万标箱"`},
		{"3300万", `"3300万": missing unit`},
		{"3300万斤", `"3300万斤": unknown unit "斤"`},
		{"12,5OO亿元", `invalid number "12,5": a thousands separator must be followed by three digits`},
		{"12,5亿元", `invalid number "12,5亿": a thousands separator must be followed by three digits`},
		{"1.2.3亿元", `invalid number "1.2.3亿": malformed digits "1.2.3"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, _, _, err := ParseQuantity(tt.in)
			if err == nil || err.Error() != tt.msg {
				t.Errorf("ParseQuantity(%q) error = %v\n  want %q", tt.in, err, tt.msg)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		value float64
		unit  string
		want  string
	}{
		{1.25e12, "亿元", "12500亿元"},
		{1.92781e12, "亿元", "19278.1亿元"},
		{7.73162e11, "亿元", "7731.62亿元"},
		{7.731626e11, "亿元", "7731.63亿元"}, // two decimals at most, rounded
		{1.25e12, "万亿元", "1.25万亿元"},
		{5e11, "亿美元", "5000亿美元"},
		{3.3e7, "万标箱", "3300万标箱"},
		{2.9876e7, "万TEU", "2987.6万TEU"},
		{0.31, "%", "31%"},
		{0.305, "%", "30.5%"},
		{1000, "项", "1000项"},
		{0, "家", "0家"},
		{7.1884, "元/美元", "7.19元/美元"},
		{1.25e12, "斤", "1.25e+12"}, // unknown unit: bare value
	}
	for _, tt := range tests {
		if got := Format(tt.value, tt.unit); got != tt.want {
			t.Errorf("Format(%v, %q) = %q, want %q", tt.value, tt.unit, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"  １２５００亿元 ": "12500亿元",
		"３０．５％":      "30.5%",
		"（预计）":       "(预计)",
		"1～8月":       "1~8月",
	}
	for in, want := range tests {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanKeepsFifteenDigits(t *testing.T) {
	// 19278.1 × 1e8 is 1.9278099999999998e12 in plain float arithmetic.
	if got := clean(19278.1 * 1e8); got != 1.92781e12 {
		t.Errorf("clean = %v", got)
	}
	if got := clean(math.Inf(1)); !math.IsInf(got, 1) {
		t.Errorf("clean(+Inf) = %v", got)
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"12500", "1.25万亿", "7731亿6200万", "12,500", "19 278.1", "１２５００", "3.05 trillion", "-", "亿", "1,2,3", "\xff", "−"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, res, err := ParseNumberResolution(s)
		if err != nil {
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(res) || res < 0 {
			t.Errorf("ParseNumberResolution(%q) = %v ± %v without error", s, v, res)
		}
	})
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"12500亿元", "3300万标箱", "31%", "２３６３项", "33 million TEU", "7731亿6200万元", "万", "1万万", "\x00", "1 ,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, base, _, err := ParseQuantity(s)
		if err != nil {
			return
		}
		if base == "" || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("ParseQuantity(%q) = %v %q without error", s, v, base)
		}
		_, _ = ParseUnit(s)
		_ = Format(v, s)
	})
}
