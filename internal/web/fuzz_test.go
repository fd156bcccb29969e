package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/testutil/entryenv"
)

// FuzzEntryForm posts arbitrary field values to the entry form (POST /entry) of a real
// entry service over a real embedded store: it never panics or answers 5xx, the page
// escapes what it shows back, and what it stores is a figure trademon can justify.
func FuzzEntryForm(f *testing.F) {
	f.Add("port_container_throughput", "2024-12", "ytd", "3340", "万标箱", "https://jtys.sz.gov.cn/a.html", "ok", "")
	f.Add("services_trade", "2024", "year", "１３００.７", "亿美元", "统计年鉴 表3", "", "")
	f.Add("digital_economy_share", "2024", "year", "31", "%", "公报", "<script>alert(1)</script>", "checked")
	f.Add("retail_sales", "2025-13", "ytd", "NaN", "亿元", "javascript:alert(1)", "", "")
	f.Add("trade_hq_enterprises", "2024-12", "stock", "1e400", "家", "x", "\xff", "")
	e := entryenv.New(f)
	f.Fuzz(func(t *testing.T, indicator, period, basis, value, unit, source, note, comment string) {
		form := url.Values{"indicator": {indicator}, "period": {period}, "basis": {basis}, "value": {value},
			"unit": {unit}, "source": {source}, "note": {note}}
		if comment != "" {
			form.Set("confirm", "1")
			form.Set("comment", comment)
		}
		req := httptest.NewRequest(http.MethodPost, "/entry", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+entryenv.Token)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		page := rec.Body.String()
		switch code := rec.Code; {
		case code == http.StatusCreated || code == http.StatusOK:
			e.CheckAnswer(t, nil)
		case code >= 400 && code < 500:
		default:
			t.Fatalf("answer %d: %s", code, page)
		}
		for _, s := range []string{note, source, comment, value} {
			if strings.Contains(s, "<script") && strings.Contains(page, s) {
				t.Fatalf("the page shows %q unescaped", s)
			}
		}
	})
}
