package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/webtest"
)

// hostileEnv is a serve with users of every kind: root (admin), clerk (editor of
// every indicator), svc (an editor limited to services_trade and to 市商务局's tasks),
// vera (viewer), and clerk's password login.
type hostileEnv struct {
	p    *proc.Process
	base string
	dir  string
}

const clerkPassword = "correct horse battery staple"

func newHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(clerkPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := usersYAML([2]string{"root", "admin"}, [2]string{"vera", "viewer"}) +
		fmt.Sprintf("  - name: clerk\n    role: editor\n    password_hash: %q\n    tokens: [%q]\n", hash, hashTok("clerk")) +
		fmt.Sprintf("  - name: svc\n    role: editor\n    tokens: [%q]\n    indicators: [services_trade]\n    departments: [市商务局]\n", hashTok("svc"))
	usersFile := filepath.Join(dir, "users.yaml")
	writeFile(t, usersFile, users)
	env := writeConfig(t, dir, fmt.Sprintf("listen: 127.0.0.1:0\nhistory: none\nstore: {path: %s}\nusers: %s\n", filepath.Join(dir, "data"), usersFile))
	p := proc.Serve(t, bin, env)
	return &hostileEnv{p: p, base: p.Addr(), dir: dir}
}

// session logs clerk in with the login form and returns a client holding the session
// cookie and the session's CSRF token (from the entry page).
func (e *hostileEnv) session(t *testing.T) (*http.Client, string) {
	t.Helper()
	return webtest.Login(t, e.base, "clerk", clerkPassword)
}

func hashTok(name string) string {
	return strings.TrimPrefix(usersYAML([2]string{name, "viewer"}), "users:\n  - name: "+name+"\n    role: viewer\n    tokens: [\"")[:71]
}

// stored lists every stored observation, pending approval and audit record (but
// failed logins) through the API, as comparable text.
func (e *hostileEnv) stored(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, path := range []string{"/api/v1/observations", "/api/v1/approvals", "/api/v1/audit"} {
		var v map[string][]map[string]any
		apiGet(t, e.base+path, token("root"), &v)
		for k, list := range v {
			for _, x := range list {
				// Records of refused attempts are the point of an audit trail.
				if d, _ := x["detail"].(string); x["action"] == "login_failure" || (x["action"] == "import" && strings.Contains(d, "written false")) {
					continue
				}
				b, _ := json.Marshal(x)
				out = append(out, k+" "+string(b))
			}
		}
	}
	slices.Sort(out)
	return out
}

// figure is a valid API figure with one field replaced.
func figure(field string, v any) []byte {
	f := map[string]any{"indicator": "port_container_throughput", "period": "2024-12", "basis": "ytd",
		"value": 3340, "unit": "万标箱", "source_url": "https://jtys.sz.gov.cn/a.html", "note": "ok"}
	if field != "" {
		f[field] = v
	}
	b, _ := json.Marshal(f)
	return b
}

const xss = `<script>alert(1)</script>`

// hostileRequest is one hostile request and the answer expected.
type hostileRequest struct {
	name   string
	method string
	path   string
	ctype  string
	body   []byte
	// as: a token name, "session" (with its CSRF token), "session-no-csrf",
	// "session-bad-csrf", "forged-session", "logged-out-session", or "" for nobody.
	as   string
	code int
	want string // regexp the error message must match
}

func hostileRequests() []hostileRequest {
	api, js := "/api/v1/observations", "application/json"
	r := func(name string, body []byte, code int, want string) hostileRequest {
		return hostileRequest{name, "POST", api, js, body, "clerk", code, want}
	}
	big := bytes.Repeat([]byte(" "), 2<<20)
	return []hostileRequest{
		r("script as indicator", figure("indicator", xss), 422, `indicator`),
		r("script as period", figure("period", xss), 422, `period`),
		r("script as basis", figure("basis", xss), 422, `basis`),
		r("script as value", figure("value", xss), 422, `value`),
		r("script as unit", figure("unit", xss), 422, `unit`),
		r("javascript URL", figure("source_url", "javascript:alert(1)"), 422, `source_url|URL`),
		r("script as note", figure("note", xss), 422, `note`),
		r("script as quote", figure("quote", xss), 422, `quote`),
		r("script as reason", figure("reason", xss), 422, `reason`),
		r("huge number", figure("value", 1e308), 422, `value: .*not a number|range`),
		r("number beyond float64", []byte(strings.Replace(string(figure("", nil)), `"value":3340`, `"value":1e400`, 1)), 422, `value: .*not a number`),
		r("NaN", figure("value", "NaN"), 422, `value`),
		r("Inf", figure("value", "Inf"), 422, `value`),
		r("negative", figure("value", -3340), 422, `value`),
		r("share above 100%", []byte(`{"indicator":"digital_economy_share","period":"2024","basis":"year","value":131,"unit":"%","source_url":"https://a.gov.cn/x"}`), 422, `value: 131% is above 100%`),
		r("fractional count", []byte(`{"indicator":"trade_hq_enterprises","period":"2024-12","basis":"stock","value":12.5,"unit":"家","source_url":"https://a.gov.cn/x"}`), 422, `value: .*whole number`),
		r("unit of another kind", figure("unit", "亿美元"), 422, `unit`),
		r("period 2025-13", figure("period", "2025-13"), 422, `period`),
		r("future period", figure("period", "2199-12"), 422, `period`),
		r("empty body", nil, 400, `JSON|empty|body`),
		r("empty array", []byte(`[]`), 422, `.`),
		r("oversized body", append(figure("", nil), big...), 413, `larger than`),
		r("unknown field", []byte(`{"indicator":"port_container_throughput","evil":1}`), 400, `unknown field`),
		r("broken UTF-8", []byte("{\"indicator\":\"port_container_throughput\",\"period\":\"2024-12\",\"basis\":\"ytd\",\"value\":3340,\"unit\":\"万标箱\",\"source_url\":\"https://a.gov.cn/x\",\"note\":\"\xff\xfe\"}"), 400, `not valid UTF-8`),
		r("not JSON", []byte(`indicator=port_container_throughput`), 400, `JSON`),
		{"wrong content type", "POST", api, "text/plain", figure("", nil), "clerk", 415, `application/json`},
		{"no content type", "POST", api, "", figure("", nil), "clerk", 415, `application/json`},
		{"nobody", "POST", api, js, figure("", nil), "", 401, `authentication required`},
		{"bad token", "POST", api, js, figure("", nil), "mallory", 401, `invalid API token`},
		{"viewer writes", "POST", api, js, figure("", nil), "vera", 403, `viewer`},
		{"editor of another indicator", "POST", api, js, figure("", nil), "svc", 403, `port_container_throughput|indicator`},
		{"editor of another department", "POST", "/api/v1/tasks", js, []byte(`{"task":1,"status":"completed","note":"x"}`), "svc", 403, `department|task`},
		{"session without CSRF", "POST", api, js, figure("", nil), "session-no-csrf", 403, `CSRF`},
		{"session with forged CSRF", "POST", api, js, figure("", nil), "session-bad-csrf", 403, `CSRF`},
		{"forged session id", "POST", api, js, figure("", nil), "forged-session", 401, `session|authentication`},
		{"session after logout", "POST", api, js, figure("", nil), "logged-out-session", 401, `session|authentication`},
		{"form: script as value", "POST", "/entry", "application/x-www-form-urlencoded", []byte(url.Values{"indicator": {"port_container_throughput"}, "period": {"2024-12"}, "basis": {"ytd"}, "value": {xss}, "unit": {"万标箱"}}.Encode()), "session", 422, `value`},
		{"form: period 2025-13", "POST", "/entry", "application/x-www-form-urlencoded", []byte(url.Values{"indicator": {"port_container_throughput"}, "period": {"2025-13"}, "basis": {"ytd"}, "value": {"3340"}, "unit": {"万标箱"}}.Encode()), "session", 422, `period`},
		{"form: script as note", "POST", "/entry", "application/x-www-form-urlencoded", []byte(url.Values{"indicator": {"port_container_throughput"}, "period": {"2024-12"}, "basis": {"ytd"}, "value": {"3340"}, "unit": {"万标箱"}, "note": {xss}}.Encode()), "session", 422, `note`},
		{"form: forged CSRF", "POST", "/entry", "application/x-www-form-urlencoded", []byte(url.Values{"indicator": {"port_container_throughput"}, "period": {"2024-12"}, "basis": {"ytd"}, "value": {"3340"}, "unit": {"万标箱"}, "csrf_token": {"forged"}}.Encode()), "session-raw", 403, `CSRF`},
		{"form: JSON body", "POST", "/entry", "application/json", figure("", nil), "session", 415, `form`},
		{"import: script in a row", "POST", "/api/v1/import", "text/csv", []byte(importHeader + "port_container_throughput,2024-12,ytd," + xss + ",万标箱,,\n"), "clerk", 200, `value: "<script>alert\(1\)</script>" is not a number`},
		{"import: script as note", "POST", "/api/v1/import", "text/csv", []byte(importHeader + "port_container_throughput,2024-12,ytd,3340,万标箱,https://a.gov.cn/x," + xss + "\n"), "clerk", 200, `note: contains markup`},
		{"import: empty file", "POST", "/api/v1/import", "text/csv", nil, "clerk", 422, `header|empty`},
		{"import: zip bomb name", "POST", "/api/v1/import?name=x.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []byte("PK\x03\x04garbage"), "clerk", 422, `XLSX|workbook`},
	}
}

// TestHostileRequests sends every hostile request of the table to a real serve: each
// gets its 4xx and a message naming what is wrong, pages answer HTML and the API JSON,
// and nothing is stored — no figure, no pending approval, no audit record but failed
// logins.
func TestHostileRequests(t *testing.T) {
	e := newHostileEnv(t)
	sess, csrf := e.session(t)
	// A second session, logged out at once: its cookie must no longer work.
	gone, goneCSRF := e.session(t)
	req, _ := http.NewRequest(http.MethodPost, e.base+"/logout", strings.NewReader(url.Values{"csrf_token": {goneCSRF}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := gone.Do(req); err != nil || resp.StatusCode >= 400 {
		t.Fatalf("logout: %v %v", resp, err)
	}
	before := e.stored(t)
	for _, tc := range hostileRequests() {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			body := tc.body
			if tc.as == "session" && tc.ctype == "application/x-www-form-urlencoded" {
				body = append(append([]byte{}, body...), []byte("&csrf_token="+url.QueryEscape(csrf))...)
			}
			req, _ := http.NewRequest(tc.method, e.base+tc.path, bytes.NewReader(body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			client := http.DefaultClient
			switch tc.as {
			case "":
			case "session":
				client = sess
				req.Header.Set("X-CSRF-Token", csrf)
			case "session-raw", "session-no-csrf":
				client = sess
			case "session-bad-csrf":
				client = sess
				req.Header.Set("X-CSRF-Token", "forged-"+csrf)
			case "forged-session":
				req.AddCookie(&http.Cookie{Name: "trademon_session", Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
			case "logged-out-session":
				client = gone
				req.Header.Set("X-CSRF-Token", goneCSRF)
			default:
				req.Header.Set("Authorization", "Bearer "+token(tc.as))
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			msg := string(b)
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				var v struct {
					Error      string `json:"error"`
					Field      string `json:"field"`
					Written    bool   `json:"written"`
					Rejections []struct {
						Reason string `json:"reason"`
					} `json:"rejections"`
				}
				if json.Unmarshal(b, &v) != nil {
					t.Errorf("not JSON: %s", b)
				}
				switch {
				case tc.path == "/api/v1/import" && resp.StatusCode == 200:
					// An import whose rows are all refused is a summary of refusals.
					if v.Written || len(v.Rejections) == 0 {
						t.Errorf("import written %v with %d rejections", v.Written, len(v.Rejections))
					}
					for _, rj := range v.Rejections {
						v.Error += rj.Reason + "; "
					}
				case v.Error == "":
					t.Errorf("JSON answer without an error message: %s", b)
				}
				msg = v.Error
				if v.Field != "" {
					msg = v.Field + ": " + v.Error
				}
			}
			if resp.StatusCode != tc.code || !regexp.MustCompile(tc.want).MatchString(msg) {
				t.Errorf("%d %q, want %d with a message matching %q", resp.StatusCode, cut(msg, 300), tc.code, tc.want)
			}
			if strings.Contains(string(b), xss) {
				t.Errorf("the answer echoes the script unescaped")
			}
		})
	}
	if after := e.stored(t); !slices.Equal(after, before) {
		t.Errorf("hostile requests stored something:\n%s", diff(before, after))
	}
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
