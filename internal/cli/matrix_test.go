package cli

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/api"
	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/web"
)

// matrixRequest is a valid request for one route: what an allowed user sends.
type matrixRequest struct {
	path, contentType, body string
	form                    url.Values
}

// matrixRequests holds a request for every route of api.Routes and web.Routes; the
// test fails for a route without one, so a new endpoint cannot escape the matrix.
var matrixRequests = map[string]matrixRequest{
	"GET /api/v1/whoami":       {path: "/api/v1/whoami"},
	"GET /api/v1/observations": {path: "/api/v1/observations?indicator=services_trade"},
	"GET /api/v1/revisions":    {path: "/api/v1/revisions?indicator=services_trade"},
	"POST /api/v1/observations": {path: "/api/v1/observations", contentType: "application/json",
		body: `{"indicator":"services_trade","period":"2019","basis":"year","value":"1,100","unit":"亿美元","source_url":"https://commerce.sz.gov.cn/a.html"}`},
	"POST /api/v1/import": {path: "/api/v1/import?name=m.csv&dryRun=true", contentType: "text/csv",
		body: "indicator,period,basis,value,unit,source_url,note\nservices_trade,2018,year,1000,亿美元,https://commerce.sz.gov.cn/b.html,\n"},
	"GET /api/v1/tasks":                   {path: "/api/v1/tasks"},
	"POST /api/v1/tasks":                  {path: "/api/v1/tasks", contentType: "application/json", body: `{"task":16,"status":"in_progress","note":"matrix"}`},
	"GET /api/v1/audit":                   {path: "/api/v1/audit"},
	"GET /api/v1/approvals":               {path: "/api/v1/approvals"},
	"POST /api/v1/approvals/{id}/approve": {path: "/api/v1/approvals/nosuchid/approve", contentType: "application/json", body: `{"comment":"ok"}`},
	"POST /api/v1/approvals/{id}/reject":  {path: "/api/v1/approvals/nosuchid/reject", contentType: "application/json", body: `{"reason":"no"}`},
	"GET /api/v1/locks":                   {path: "/api/v1/locks"},
	"POST /api/v1/locks/unlock":           {path: "/api/v1/locks/unlock", contentType: "application/json", body: `{"indicator":"services_trade","period":"2010","basis":"year","reason":"matrix"}`},

	"GET /login":          {path: "/login"},
	"POST /login":         {path: "/login"}, // its own test: TestLoginForm
	"POST /logout":        {path: "/logout", form: url.Values{}},
	"GET /entry":          {path: "/entry"},
	"POST /entry":         {path: "/entry", form: url.Values{"indicator": {"services_trade"}, "period": {"2017"}, "basis": {"year"}, "value": {"900"}, "source": {"https://commerce.sz.gov.cn/c.html"}}},
	"POST /entry/approve": {path: "/entry/approve", form: url.Values{"id": {"nosuchid"}}},
	"POST /entry/reject":  {path: "/entry/reject", form: url.Values{"id": {"nosuchid"}, "reason": {"no"}}},
	"POST /entry/unlock":  {path: "/entry/unlock", form: url.Values{"indicator": {"services_trade"}, "period": {"2010"}, "basis": {"year"}, "reason": {"matrix"}}},
	"GET /audit":          {path: "/audit"},
	"GET /tasks":          {path: "/tasks"},
	"POST /tasks":         {path: "/tasks", form: url.Values{"task": {"16"}, "status": {"in_progress"}, "note": {"matrix"}}},
}

var matrixRoles = []struct {
	name string
	role auth.Role
}{{"anonymous", 0}, {"viewer", auth.Viewer}, {"editor", auth.Editor}, {"approver", auth.Approver}, {"admin", auth.Admin}}

// TestRoleMatrix sends every role's request to every endpoint, API and pages, and
// checks who may and who may not: a role below the route's gets 401 (anonymous; pages
// redirect a GET to /login) or 403, a role at or above it gets past authorization
// (any answer but 401, 403 or a redirect to /login, and no 5xx).
func TestRoleMatrix(t *testing.T) {
	s := startStaff(t, "")
	type route struct {
		pattern string
		role    auth.Role
		page    bool
	}
	var routes []route
	for _, r := range api.Routes {
		routes = append(routes, route{r.Pattern, r.Role, false})
	}
	for _, r := range web.Routes {
		routes = append(routes, route{r.Pattern, r.Role, true})
	}
	sessions := map[string]*session{}
	for _, u := range staffUsers {
		sessions[u.role] = s.login(t, u)
	}
	for _, r := range routes {
		req, ok := matrixRequests[r.pattern]
		if !ok {
			t.Errorf("route %s has no request in matrixRequests", r.pattern)
			continue
		}
		if r.pattern == "POST /login" {
			continue
		}
		method, _, _ := strings.Cut(r.pattern, " ")
		for _, who := range matrixRoles {
			allowed := who.role >= r.role
			var code int
			var loc, body string
			switch {
			case !r.page:
				token := ""
				if who.role > 0 {
					token = userByRole(who.name).token
				}
				code, body = s.call(t, method, req.path, token, req.contentType, req.body)
			case who.role == 0:
				ss := &session{c: noRedirect()}
				if method == "GET" {
					code, loc, body = ss.get(t, s.url+req.path)
				} else {
					code, loc, body = ss.form(t, s.url+req.path, cloneValues(req.form), false)
				}
			default:
				ss := sessions[who.name]
				if r.pattern == "POST /logout" {
					ss = s.login(t, userByRole(who.name)) // a fresh session to end
				}
				if method == "GET" {
					code, loc, body = ss.get(t, s.url+req.path)
				} else {
					code, loc, body = ss.form(t, s.url+req.path, cloneValues(req.form), true)
				}
			}
			toLogin := code == http.StatusSeeOther && strings.HasPrefix(loc, "/login")
			denied := code == http.StatusUnauthorized || code == http.StatusForbidden || toLogin
			switch {
			case allowed && (denied || code >= 500):
				t.Errorf("%s as %s: %d %s, want it allowed\n%s", r.pattern, who.name, code, loc, snippet(body))
			case !allowed && !denied:
				t.Errorf("%s as %s: %d, want it refused\n%s", r.pattern, who.name, code, snippet(body))
			case !allowed && who.role == 0 && !r.page && code != http.StatusUnauthorized:
				t.Errorf("%s anonymous: %d, want 401", r.pattern, code)
			case !allowed && who.role == 0 && r.page && method == "GET" && !toLogin:
				t.Errorf("%s anonymous: %d, want a redirect to /login", r.pattern, code)
			case !allowed && who.role > 0 && code != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", r.pattern, who.name, code)
			}
		}
	}
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func snippet(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}
