package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trademon/trademon/internal/testutil/entryenv"
)

// FuzzPostObservations sends arbitrary bodies to POST /api/v1/observations of a real
// entry service over a real embedded store: it never panics or answers 5xx, a refusal
// is a 4xx JSON error, and a 201 stores only figures trademon can justify (finite,
// plausible, base unit, a URL or a quote, plain UTF-8 text, who entered it).
func FuzzPostObservations(f *testing.F) {
	for _, s := range []string{
		`{"indicator":"port_container_throughput","period":"2024-12","basis":"ytd","value":3340,"unit":"万标箱","source_url":"https://jtys.sz.gov.cn/a.html"}`,
		`[{"indicator":"services_trade","period":"2024","basis":"year","value":"1,300.7","unit":"亿美元","quote":"表1"},{"indicator":"retail_sales","period":"2024","basis":"year","value":"1.06万亿","unit":"元","quote":"公报"}]`,
		`{"indicator":"digital_economy_share","period":"2024","basis":"year","value":"31%","unit":"%","quote":"x","confirm":"checked"}`,
		`{"indicator":"trade_hq_enterprises","period":"2024-12","basis":"stock","value":12.5,"unit":"家","quote":"x"}`,
		`{"indicator":"usd_cny_rate","period":"2024","basis":"year","value":7.1217,"quote":"x","note":"<b>x</b>"}`,
		`{"indicator":"port_container_throughput","period":"2025-13","basis":"ytd","value":1e400,"unit":"万标箱"}`,
		`{"value":NaN}`, `[]`, `null`, `{}`, "",
	} {
		f.Add([]byte(s))
	}
	e := entryenv.New(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/observations", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+entryenv.Token)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		out, _ := io.ReadAll(rec.Result().Body)
		switch code := rec.Code; {
		case code == http.StatusCreated:
			e.CheckAnswer(t, out)
		case code >= 400 && code < 500:
			if !bytes.Contains(out, []byte(`"error"`)) {
				t.Fatalf("%d without a JSON error: %s", code, out)
			}
		default:
			t.Fatalf("answer %d to %q: %s", code, body, out)
		}
	})
}
