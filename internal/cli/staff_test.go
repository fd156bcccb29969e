package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/testutil/webtest"
)

// staffUser is a user of the test users file.
type staffUser struct {
	name, role, password, token string
	limits                      string // extra YAML lines
}

// staffUsers are the four roles; the editor is limited to two indicators and the
// tasks of 市商务局.
var staffUsers = []staffUser{
	{"wang.fang", "viewer", "viewer password 1", "tmk_viewer-token-0001", ""},
	{"zhang.wei", "editor", "editor password 1", "tmk_editor-token-0001",
		"    indicators: [services_trade, digital_economy_share]\n    departments: [市商务局]\n"},
	{"li.na", "approver", "approver password 1", "tmk_approver-token-01", ""},
	{"admin", "admin", "admin password 12", "tmk_admin-token-00001", ""},
}

func userByRole(role string) staffUser {
	for _, u := range staffUsers {
		if u.role == role {
			return u
		}
	}
	panic(role)
}

// usersFile writes the users file with cheap bcrypt hashes (cost 4; the format is
// the same as cost 12's).
func usersFile(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, u := range staffUsers {
		h, err := bcrypt.GenerateFromPassword([]byte(u.password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  - name: %s\n    display: %s\n    role: %s\n    password_hash: %q\n    tokens: [%q]\n%s",
			u.name, strings.ToUpper(u.name), u.role, h, auth.HashToken(u.token), u.limits)
	}
	return write(t, dir, "users.yaml", b.String())
}

// staffServer is trademon serve in-process with the test users.
type staffServer struct {
	*serving
	dir, cfg string
}

func startStaff(t *testing.T, extra string) *staffServer {
	t.Helper()
	dir := t.TempDir()
	users := usersFile(t, dir)
	cfg := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nstore:\n  path: %s\nusers: %s\n%s",
		filepath.Join(dir, "data"), users, extra))
	return &staffServer{serving: startServe(t, cfg), dir: dir, cfg: cfg}
}

// call sends a request with the user's token (none for "") and returns the status and body.
func (s *staffServer) call(t *testing.T, method, path, token, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (s *staffServer) postJSON(t *testing.T, path, token, body string) (int, map[string]any) {
	t.Helper()
	code, text := s.call(t, "POST", path, token, "application/json", body)
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("POST %s = %d, not JSON: %v\n%s", path, code, err, text)
	}
	return code, out
}

// session is a logged-in browser-like client: cookies and the session's CSRF token.
type session struct {
	c    *http.Client
	csrf string
}

var csrfRE = webtest.CSRFField

// login logs the user in through the login form.
func (s *staffServer) login(t *testing.T, u staffUser) *session {
	t.Helper()
	c, csrf := webtest.Login(t, s.url, u.name, u.password)
	return &session{c: c, csrf: csrf}
}

// form posts a form of the session, with its CSRF token unless csrf is false.
func (ss *session) form(t *testing.T, target string, v url.Values, csrf bool) (int, string, string) {
	t.Helper()
	if csrf {
		v.Set("csrf_token", ss.csrf)
	}
	res, err := ss.c.PostForm(target, v)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (ss *session) get(t *testing.T, target string) (int, string, string) {
	t.Helper()
	res, err := ss.c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}
