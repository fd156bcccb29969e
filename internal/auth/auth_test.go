package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/trademon/trademon/internal/state"
)

// A cheap hash for tests: cost 4 keeps them fast; the format is the same.
func testHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

const tok = "tmk_test-token-for-zhang"

func usersYAML(t testing.TB) string {
	return `users:
  - name: zhang.wei
    display: 张伟
    role: editor
    password_hash: "` + testHash(t, "correct horse battery") + `"
    tokens: ["` + HashToken(tok) + `"]
    indicators: [services_trade]
    departments: [市商务局]
  - name: li.na
    role: approver
    password_hash: "` + testHash(t, "another good password") + `"
  - name: bot
    role: viewer
    tokens: ["` + HashToken("tmk_viewer") + `"]
`
}

func TestParseUsers(t *testing.T) {
	us, err := ParseUsers("users.yaml", []byte(usersYAML(t)), ParseOptions{Departments: []string{"市商务局", "深圳海关"}})
	if err != nil {
		t.Fatal(err)
	}
	if us.Len() != 3 {
		t.Fatalf("%d users", us.Len())
	}
	u, ok := us.ByToken(tok)
	if !ok || u.Name != "zhang.wei" || u.Role != Editor || u.Label() != "张伟 (zhang.wei)" {
		t.Fatalf("ByToken = %+v %v", u, ok)
	}
	if !u.MayEnter("services_trade") || u.MayEnter("retail_sales") {
		t.Error("editor limits on indicators not applied")
	}
	if !u.MayUpdateTask([]string{"深圳海关", "市商务局"}) || u.MayUpdateTask([]string{"深圳海关"}) {
		t.Error("editor limits on departments not applied")
	}
	ap, _ := us.Lookup("li.na")
	if !ap.MayEnter("retail_sales") || !ap.MayUpdateTask([]string{"x"}) {
		t.Error("an approver may enter every indicator and update every task")
	}
	v, _ := us.Lookup("bot")
	if v.MayEnter("services_trade") || v.MayUpdateTask(nil) {
		t.Error("a viewer may not write")
	}
	if _, ok := us.ByToken("tmk_wrong"); ok {
		t.Error("unknown token accepted")
	}
}

func TestParseUsersProblems(t *testing.T) {
	h := testHash(t, "some password")
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "users:\n  - name: a\n    role: admin\n    pasword_hash: x\n",
			[]string{`users.yaml:4: users[0].pasword_hash: unknown key`}},
		{"missing name and role", "users:\n  - display: x\n    password_hash: \"" + h + "\"\n",
			[]string{"users.yaml:2: users[0].name: missing: every user needs a login name",
				"users.yaml:2: users[0].role: missing: give viewer, editor, approver or admin"}},
		{"bad role", "users:\n  - name: a\n    role: root\n    password_hash: \"" + h + "\"\n",
			[]string{`users.yaml:3: users[0].role: unknown role "root" (want viewer, editor, approver or admin)`}},
		{"plain password", "users:\n  - name: a\n    role: admin\n    password_hash: hunter2\n",
			[]string{"users.yaml:4: users[0].password_hash: not a bcrypt hash: make one with `trademon hash-password` (the password on stdin)"}},
		{"plain token", "users:\n  - name: a\n    role: admin\n    tokens: [tmk_abc]\n",
			[]string{`users.yaml:4: users[0].tokens[0]: not a token hash: want "sha256:" and 64 lowercase hex digits, as ` + "`trademon token NAME`" + ` prints (never the token itself)`}},
		{"no credentials", "users:\n  - name: a\n    role: admin\n",
			[]string{`users.yaml:2: users[0]: user "a" can neither log in nor use the API: add password_hash or tokens`}},
		{"duplicate", "users:\n  - name: a\n    role: admin\n    tokens: [\"" + HashToken("x") + "\"]\n  - name: a\n    role: viewer\n    tokens: [\"" + HashToken("x") + "\"]\n",
			[]string{`users.yaml:5: users[1].name: duplicate user "a" (first at users[0])`,
				`users.yaml:7: users[1].tokens[0]: this token hash is already listed at users[0].tokens[0]; every token belongs to one user`}},
		{"limits on an approver", "users:\n  - name: a\n    role: approver\n    password_hash: \"" + h + "\"\n    indicators: [services_trade]\n",
			[]string{"users.yaml:5: users[0].indicators: limits only an editor (an approver acts on every indicator and task); remove it, or make the user an editor"}},
		{"unknown indicator and department", "users:\n  - name: a\n    role: editor\n    password_hash: \"" + h + "\"\n    indicators: [servics_trade]\n    departments: [市商物局]\n",
			[]string{`users.yaml:5: users[0].indicators[0]: unknown indicator "servics_trade"`,
				`users.yaml:6: users[0].departments[0]: unknown department "市商物局": use a lead or supporting department of the tasks file, e.g. 市商务局`}},
		{"bad name", "users:\n  - name: \"a b\"\n    role: admin\n    password_hash: \"" + h + "\"\n",
			[]string{`users.yaml:2: users[0].name: invalid login name "a b"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseUsers("users.yaml", []byte(tc.yaml), ParseOptions{Departments: []string{"市商务局"}})
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			lines := strings.Split(msg, "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(tc.want), msg)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\n got  %s\n want %s", i, lines[i], w)
				}
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	if _, err := HashPassword("short"); err == nil || err.Error() != "the password has 5 characters; use at least 10" {
		t.Errorf("short password: %v", err)
	}
	if _, err := HashPassword(strings.Repeat("密", 25)); err == nil || !strings.Contains(err.Error(), "bcrypt uses at most 72") {
		t.Errorf("long password: %v", err)
	}
	h, err := HashPassword("a good long password")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c != BcryptCost || !checkPassword(h, "a good long password") {
		t.Errorf("hash %q cost %d does not check", h, c)
	}
}

func TestDummyHash(t *testing.T) {
	if c, err := bcrypt.Cost([]byte(dummyHash)); err != nil || c != BcryptCost {
		t.Errorf("the dummy hash has cost %d (%v), want %d like real ones", c, err, BcryptCost)
	}
}

func TestNewToken(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := NewToken()
	if a == b || !strings.HasPrefix(a, TokenLabel) || len(a) < 40 || ha != HashToken(a) || !tokenRE.MatchString(ha) {
		t.Errorf("tokens %q %q hash %q", a, b, ha)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := l.Allow("k", t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := l.Allow("k", t0.Add(10*time.Second))
	if ok || wait != 50*time.Second {
		t.Errorf("4th attempt: %v, wait %v; want refused, 50s", ok, wait)
	}
	if ok, _ := l.Allow("other", t0); !ok {
		t.Error("another key is limited too")
	}
	if ok, _ := l.Allow("k", t0.Add(time.Minute)); !ok {
		t.Error("next window still refused")
	}
}

// fixture is an authenticator over a real state file.
type fixture struct {
	a    *Authenticator
	logs *bytes.Buffer
	mu   sync.Mutex
	fail []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := state.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	us, err := ParseUsers("users.yaml", []byte(usersYAML(t)), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{logs: &bytes.Buffer{}}
	f.a = New(Options{
		Users: NewDirectory(us), Sessions: db, TTL: time.Hour, PerUser: 3, PerAddress: 100,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnFailure: func(_ context.Context, fl Failure) {
			f.mu.Lock()
			f.fail = append(f.fail, fmt.Sprintf("%s|%v|%s|%s", fl.Name, fl.Known, fl.Remote, fl.Reason))
			f.mu.Unlock()
		},
	})
	return f
}

func loginRequest(name, pw string) *http.Request {
	r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"name": {name}, "password": {pw}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "192.0.2.7:5555"
	return r
}

func TestLoginSessionLogout(t *testing.T) {
	f := newFixture(t)
	w := httptest.NewRecorder()
	p, err := f.a.Login(w, loginRequest("zhang.wei", "correct horse battery"), "zhang.wei", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	c := cookies[0]
	if c.Name != SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
		t.Errorf("cookie %+v: want trademon_session, HttpOnly, SameSite=Strict, not Secure on plain HTTP", c)
	}
	r := httptest.NewRequest("GET", "/entry", nil)
	r.AddCookie(c)
	got, err := f.a.Identify(r)
	if err != nil || got == nil || got.Name != "zhang.wei" || got.Via != ViaSession || got.CSRF != p.CSRF {
		t.Fatalf("Identify = %+v, %v", got, err)
	}

	// CSRF: a POST needs the session's token.
	post := httptest.NewRequest("POST", "/entry", strings.NewReader("csrf_token=wrong"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if CSRFValid(post, got) {
		t.Error("wrong CSRF token accepted")
	}
	post = httptest.NewRequest("POST", "/entry", strings.NewReader("csrf_token="+url.QueryEscape(got.CSRF)))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !CSRFValid(post, got) {
		t.Error("right CSRF token refused")
	}
	hdr := httptest.NewRequest("POST", "/api/v1/observations", nil)
	hdr.Header.Set(CSRFHeader, got.CSRF)
	if !CSRFValid(hdr, got) {
		t.Error("CSRF header refused")
	}

	// Logout ends the session in the store, not only the cookie.
	w = httptest.NewRecorder()
	if err := f.a.Logout(w, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.a.Identify(r); got != nil {
		t.Error("session still valid after logout")
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("logout cookie %+v", c)
	}
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	f.a.o.Now = func() time.Time { return now }
	w := httptest.NewRecorder()
	if _, err := f.a.Login(w, loginRequest("li.na", "another good password"), "li.na", "another good password"); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(w.Result().Cookies()[0])
	now = now.Add(59 * time.Minute)
	if p, _ := f.a.Identify(r); p == nil {
		t.Fatal("session expired early")
	}
	now = now.Add(time.Minute)
	if p, _ := f.a.Identify(r); p != nil {
		t.Fatal("session valid after its TTL")
	}
}

func TestSecureCookie(t *testing.T) {
	f := newFixture(t)
	f.a.o.SecureCookies = true
	w := httptest.NewRecorder()
	if _, err := f.a.Login(w, loginRequest("li.na", "another good password"), "li.na", "another good password"); err != nil {
		t.Fatal(err)
	}
	if c := w.Result().Cookies()[0]; !c.Secure {
		t.Error("secure_cookies: cookie not Secure")
	}
}

func TestLoginFailuresAndRateLimit(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		_, err := f.a.Login(httptest.NewRecorder(), loginRequest("zhang.wei", "nope"), "zhang.wei", "nope")
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// The 4th attempt in the window is refused even with the right password.
	_, err := f.a.Login(httptest.NewRecorder(), loginRequest("zhang.wei", "correct horse battery"), "zhang.wei", "correct horse battery")
	var rl *RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("4th attempt: %v, want rate limited", err)
	}
	if _, err := f.a.Login(httptest.NewRecorder(), loginRequest("nobody", "x"), "nobody", "x"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}
	// A name typed far too long (perhaps a password in the wrong field) is cut.
	long := strings.Repeat("p", 500)
	if _, err := f.a.Login(httptest.NewRecorder(), loginRequest(long, "x"), long, "x"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("long unknown name: %v", err)
	}
	want := []string{
		"zhang.wei|true|192.0.2.7|wrong password", "zhang.wei|true|192.0.2.7|wrong password", "zhang.wei|true|192.0.2.7|wrong password",
		"zhang.wei|true|192.0.2.7|rate limited: too many attempts for this name", "nobody|false|192.0.2.7|unknown user",
		strings.Repeat("p", MaxTriedName-len("…")) + "…|false|192.0.2.7|unknown user",
	}
	if strings.Join(f.fail, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures recorded:\n%s\nwant:\n%s", strings.Join(f.fail, "\n"), strings.Join(want, "\n"))
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		header, user string
		err          error
	}{
		{"Bearer " + tok, "zhang.wei", nil},
		{"bearer  " + tok, "zhang.wei", nil},
		{"Bearer tmk_wrong", "", ErrBadToken},
		{"Basic " + tok, "", ErrBadToken},
		{"Bearer", "", ErrBadToken},
	} {
		r := httptest.NewRequest("GET", "/api/v1/audit", nil)
		r.Header.Set("Authorization", tc.header)
		p, err := f.a.Identify(r)
		if !errors.Is(err, tc.err) || (tc.user != "" && (p == nil || p.Name != tc.user || p.Via != ViaToken)) {
			t.Errorf("%q: %+v %v", tc.header, p, err)
		}
	}
}

// TestSecretsNeverLogged captures the logs of logins (good and bad), token requests
// (good and bad) and a logout, and checks that no password, token or session id is in
// them.
func TestSecretsNeverLogged(t *testing.T) {
	f := newFixture(t)
	w := httptest.NewRecorder()
	if _, err := f.a.Login(w, loginRequest("zhang.wei", "correct horse battery"), "zhang.wei", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	sid := w.Result().Cookies()[0].Value
	_, _ = f.a.Login(httptest.NewRecorder(), loginRequest("li.na", "wrong password 123"), "li.na", "wrong password 123")
	for _, h := range []string{"Bearer " + tok, "Bearer tmk_guessed-secret"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		_, _ = f.a.Identify(r)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: sid})
	_ = f.a.Logout(httptest.NewRecorder(), r)
	logs := f.logs.String() + strings.Join(f.fail, "\n")
	if !strings.Contains(logs, "zhang.wei") || !strings.Contains(logs, "authentication failed") {
		t.Fatalf("logs lack the events:\n%s", logs)
	}
	for _, secret := range []string{"correct horse battery", "wrong password 123", tok, "tmk_guessed-secret", sid, hashID(sid)} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret %q:\n%s", secret, logs)
		}
	}
}
