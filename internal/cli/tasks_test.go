package cli

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTaskStatuses: staff record a measure's status within their departments; /tasks
// shows it by lead department with the latest note; trademon_task_status follows; the
// change is audited.
func TestTaskStatuses(t *testing.T) {
	s := startStaff(t, "")
	editor := userByRole("editor").token // departments: 市商务局
	// The first evaluation may still be running when serve starts answering.
	waitUntil(t, "task 16 to start unknown", func() bool {
		v, ok := s.lookupMetric(t, `trademon_task_status{status="unknown",task="16"}`)
		return ok && v == 1
	})
	// Task 16 is led by 市商务局; task 5 by 深圳海关.
	code, out := s.postJSON(t, "/api/v1/tasks", editor, `{"task":16,"status":"delayed","note":"配套细则待市政府审议","date":"2025-11-20","evidence":"https://commerce.sz.gov.cn/notice/16.html"}`)
	if code != http.StatusCreated {
		t.Fatalf("update task 16: %d %v", code, out)
	}
	if code, out := s.postJSON(t, "/api/v1/tasks", editor, `{"task":5,"status":"completed","note":"x"}`); code != http.StatusForbidden ||
		!strings.Contains(out["error"].(string), "task 5 is led by 深圳海关; zhang.wei may update tasks of 市商务局 only") {
		t.Errorf("another department's task: %d %v", code, out)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"task":99,"status":"completed","note":"x"}`, "task"},
		{`{"task":16,"status":"done","note":"x"}`, "status"},
		{`{"task":16,"status":"completed","note":"x","date":"2099-01-01"}`, "date"},
		{`{"task":16,"status":"completed"}`, "note"},
		{`{"task":16,"status":"completed","note":"x","evidence":"ftp://x"}`, "evidence"},
	} {
		if code, out := s.postJSON(t, "/api/v1/tasks", editor, tc.body); code != http.StatusUnprocessableEntity || out["field"] != tc.field {
			t.Errorf("%s: %d %v, want 422 on %s", tc.body, code, out, tc.field)
		}
	}
	waitUntil(t, "trademon_task_status to follow", func() bool {
		return s.metric(t, `trademon_task_status{status="delayed",task="16"}`) == 1 && s.metric(t, `trademon_task_status{status="unknown",task="16"}`) == 0
	})
	code, page := getBody(t, s.url+"/tasks")
	if code != 200 {
		t.Fatalf("/tasks: %d", code)
	}
	row := page[strings.Index(page, `id="task-16"`):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{`data-status="delayed"`, "滞后 · delayed", "配套细则待市政府审议", "2025-11-20 · zhang.wei", `href="https://commerce.sz.gov.cn/notice/16.html"`} {
		if !strings.Contains(row, want) {
			t.Errorf("/tasks row of task 16 lacks %q:\n%s", want, row)
		}
	}
	if !strings.Contains(page, "<h2>市商务局 <span class=\"en\">lead department</span> (") || !strings.Contains(page, "<h2>深圳海关 <span class=\"en\">lead department</span> (") {
		t.Errorf("/tasks does not group by lead department")
	}
	_, trail := s.call(t, "GET", "/api/v1/audit?action=task_update", editor, "", "")
	if !strings.Contains(trail, `"detail":"task 16: unknown → delayed (as of 2025-11-20); evidence https://commerce.sz.gov.cn/notice/16.html"`) {
		t.Errorf("task audit: %s", trail)
	}
	// The overview links to /tasks.
	if _, home := getBody(t, s.url+"/"); !strings.Contains(home, `href="/tasks"`) {
		t.Error("the overview does not link to /tasks")
	}
}

// TestLoginForm: failures are refused, limited, audited for admins only, counted, and
// no password, token or session id appears in the server's log.
func TestLoginForm(t *testing.T) {
	s := startStaff(t, "entry:\n  login_attempts: {per_user: 3, per_address: 50, window: 15m}\n")
	editor := userByRole("editor")
	for i := range 4 {
		ss := &session{c: noRedirect()}
		code, _, page := ss.get(t, s.url+"/login")
		m := csrfRE.FindStringSubmatch(page)
		if code != 200 || m == nil {
			t.Fatalf("login page: %d", code)
		}
		jarless := url.Values{"name": {editor.name}, "password": {"wrong password " + string(rune('a'+i))}, "csrf_token": {m[1]}}
		req, _ := http.NewRequest("POST", s.url+"/login", strings.NewReader(jarless.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "trademon_login", Value: m[1]})
		res, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if res.StatusCode != want {
			t.Errorf("attempt %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	// Without the login form's CSRF cookie the form is refused.
	if code, _, _ := (&session{c: noRedirect()}).form(t, s.url+"/login", url.Values{"name": {editor.name}, "password": {editor.password}, "csrf_token": {"x"}}, false); code != http.StatusForbidden {
		t.Errorf("login without CSRF: %d", code)
	}
	// A good login of another user, a token request, a bad token.
	ss := s.login(t, userByRole("approver"))
	s.call(t, "GET", "/api/v1/whoami", editor.token, "", "")
	s.call(t, "GET", "/api/v1/whoami", "tmk_not-a-real-token", "", "")
	if code, body := s.call(t, "GET", "/api/v1/audit?action=login_failure", userByRole("viewer").token, "", ""); code != http.StatusForbidden {
		t.Errorf("viewer reads failed logins: %d %s", code, body)
	}
	_, trail := s.call(t, "GET", "/api/v1/audit?action=login_failure", userByRole("admin").token, "", "")
	if n := strings.Count(trail, `"action":"login_failure"`); n != 5 || !strings.Contains(trail, `"detail":"unknown API token"`) || !strings.Contains(trail, `"user":"zhang.wei","remote":"127.0.0.1"`) {
		t.Errorf("failed logins in the audit (%d): %s", n, trail)
	}
	if v := s.metric(t, "trademon_login_failures_total"); v != 5 {
		t.Errorf("trademon_login_failures_total = %v, want 5", v)
	}
	var sid string
	u, _ := url.Parse(s.url)
	for _, c := range ss.c.Jar.Cookies(u) {
		if c.Name == "trademon_session" {
			sid = c.Value
		}
	}
	logs := s.logsFn()
	for _, secret := range []string{editor.password, "wrong password a", userByRole("approver").password, editor.token, "tmk_not-a-real-token", sid, ss.csrf} {
		if secret == "" || strings.Contains(logs, secret) {
			t.Errorf("the server log contains a secret %q", secret)
		}
	}
}
