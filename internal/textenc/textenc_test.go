package textenc

import (
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func TestDecode(t *testing.T) {
	const text = "社会消费品零售总额10530.99亿元，同比增长2.0%"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(text)
	gb18030, _ := simplifiedchinese.GB18030.NewEncoder().String(text + "㐀") // outside GBK
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(text)
	tests := []struct {
		name, in, want, enc string
	}{
		{"utf-8", text, text, UTF8},
		{"utf-8 with BOM", "\xef\xbb\xbf" + text, text, UTF8},
		{"gbk", gbk, text, GB18030},
		{"gb18030 beyond gbk", gb18030, text + "㐀", GB18030},
		{"utf-16le with BOM", utf16le, text, UTF16},
		{"utf-16be with BOM", utf16be, text, UTF16},
		{"empty", "", "", UTF8},
	}
	for _, tt := range tests {
		got, enc, err := Decode([]byte(tt.in))
		if err != nil || got != tt.want || enc != tt.enc {
			t.Errorf("%s: %q, %s, %v; want %q, %s", tt.name, got, enc, err, tt.want, tt.enc)
		}
	}
}
