// Package webtest logs a user in to a running trademon through its login form, as a
// browser does, for tests of the staff pages and their protections.
//
// It is test support: only _test.go files import it.
package webtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// CSRFField finds a form's CSRF token in a page.
var CSRFField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Login logs name in at base (the server's URL) with the login form and returns a
// client holding the session cookie, which follows no redirects, and the session's
// CSRF token, read from the entry page. It fails tb unless the login is answered with
// a redirect to /entry.
func Login(tb testing.TB, base, name, password string) (*http.Client, string) {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := func(path string) string {
		tb.Helper()
		res, err := c.Get(base + path)
		if err != nil {
			tb.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := CSRFField.FindSubmatch(page)
		if m == nil {
			tb.Fatalf("%s (%d) has no CSRF token:\n%s", path, res.StatusCode, page)
		}
		return string(m[1])
	}
	res, err := c.PostForm(base+"/login", url.Values{"name": {name}, "password": {password}, "csrf_token": {token("/login")}, "next": {"/entry"}})
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/entry" {
		tb.Fatalf("login %s: %d %s", name, res.StatusCode, res.Header.Get("Location"))
	}
	return c, token("/entry")
}
