package fetch_test

import (
	"strings"
	"testing"

	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/collectors/internal/sitetest"
)

func TestDecode(t *testing.T) {
	const text = "1—8月，全市社会消费品零售总额6351.23亿元，同比增长5.0%。深圳港集装箱吞吐量"
	page := func(meta string) string {
		return "<html><head>" + meta + "<title>经济运行</title></head><body><div class=articleBox>" + text + "</div></body></html>"
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		enc         string
		wantEnc     string
	}{
		{"gbk declared in the header", sitetest.GBK(page("")), "text/html; charset=GBK", "auto", "gb18030"},
		{"gb2312 declared only in meta http-equiv", sitetest.GBK(page(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`)), "text/html", "auto", "gb18030"},
		{"gbk declared only in meta charset", sitetest.GBK(page(`<meta charset="gbk">`)), "", "auto", "gb18030"},
		{"gbk declared nowhere", sitetest.GBK(page("")), "text/html", "auto", "gb18030"},
		{"gbk served as utf-8", sitetest.GBK(page("")), "text/html; charset=utf-8", "auto", "gb18030"},
		{"gbk served as iso-8859-1, source says gbk", sitetest.GBK(page("")), "text/html; charset=iso-8859-1", "gbk", "gb18030"},
		{"gbk with a utf-8 meta, source says gbk", sitetest.GBK(page(`<meta charset="utf-8">`)), "text/html", "gbk", "gb18030"},
		{"utf-8 declared nowhere", []byte(page("")), "text/html", "auto", "utf-8"},
		{"utf-8 with a bom", append([]byte("\xef\xbb\xbf"), page("")...), "text/html", "auto", "utf-8"},
		{"utf-8 declared in meta, source says utf-8", []byte(page(`<meta charset="utf-8">`)), "", "utf-8", "utf-8"},
		{"malformed content type", []byte(page(`<meta charset="utf-8">`)), "text/html; charset", "auto", "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc, err := fetch.Decode(tt.body, tt.contentType, tt.enc)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, text) {
				t.Errorf("decoded text lacks the sentence: %q", got)
			}
			if enc != tt.wantEnc {
				t.Errorf("encoding %q, want %q", enc, tt.wantEnc)
			}
		})
	}
	if _, _, err := fetch.Decode([]byte("x"), "", "latin1"); err == nil || !strings.Contains(err.Error(), `unknown encoding "latin1"`) {
		t.Errorf("unknown encoding: err = %v", err)
	}
}

// TestDecodeGB18030Superset checks a character outside GBK (four bytes in GB18030),
// which a GBK decoder would lose.
func TestDecodeGB18030Superset(t *testing.T) {
	const s = "深圳𠀀港"
	got, _, err := fetch.Decode(sitetest.GBK(s), "", "gbk")
	if err != nil || got != s {
		t.Fatalf("Decode = %q, %v; want %q", got, err, s)
	}
}
