package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/state"
)

// Cookie and form names (PLAN.md "Agreed names").
const (
	SessionCookie = "trademon_session"
	// LoginCookie carries the CSRF token of the login form, which has no session yet.
	LoginCookie = "trademon_login"
	CSRFField   = "csrf_token"
	CSRFHeader  = "X-CSRF-Token"
)

// How a principal proved who it is.
const (
	ViaSession = "session"
	ViaToken   = "token"
	// ViaLocal is the operator at the machine (the CLI with the store in hand).
	ViaLocal = "local"
)

// Principal is the user a request acts as.
type Principal struct {
	*User
	Via string
	// CSRF is the session's CSRF token; empty for tokens and local use.
	CSRF string
}

// Local returns the principal of an operator using the CLI on the store directly:
// an admin named name ("cli:alice").
func Local(name string) *Principal {
	return &Principal{User: &User{Name: name, Role: Admin}, Via: ViaLocal}
}

// Errors of authentication. Their messages are safe to show: they never contain
// the password, token or session id.
var (
	ErrBadCredentials = errors.New("wrong login name or password")
	ErrBadToken       = errors.New("invalid API token: check TRADEMON_TOKEN or the Authorization header (Bearer TOKEN); `trademon token NAME` makes a new one")
	ErrNoUsers        = errors.New("no users file is configured, so nobody can log in: see /entry for how to create the first admin")
)

// RateLimitedError says a login was refused for too many attempts.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many login attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

// SessionStore keeps sessions durably (package state implements it).
type SessionStore interface {
	PutSession(state.Session) error
	Session(idHash string, now time.Time) (state.Session, bool, error)
	DeleteSession(idHash string) error
}

// Failure is a failed login or token: the name tried (never the password), whether
// it is a user of the users file, the client address and why it failed.
type Failure struct {
	// Name is the name tried, as TriedName makes it safe to keep; empty for a token.
	Name string
	// Known says Name is in the users file. Anybody can try any name, so a recorder
	// keeps an unknown one as data, never as a label or a tag.
	Known  bool
	Remote string
	Reason string
}

// FailureFunc records a failed login or token (the audit trail).
type FailureFunc func(ctx context.Context, f Failure)

// MaxTriedName caps the name of a failed login as it is logged and recorded.
const MaxTriedName = 64

// TriedName returns a login name as typed, cut to MaxTriedName bytes at a character
// boundary (marked with "…"), for logs and the audit trail. A person may have typed
// their password into the name field: it is still never more than this.
func TriedName(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxTriedName {
		return s
	}
	cut := MaxTriedName - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Options configure an Authenticator.
type Options struct {
	Users    *Directory
	Sessions SessionStore
	// TTL is how long a session lasts from login.
	TTL time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP (behind a TLS proxy);
	// requests over TLS always get Secure cookies.
	SecureCookies bool
	// PerUser and PerAddress limit login attempts in Window.
	PerUser, PerAddress int
	Window              time.Duration
	OnFailure           FailureFunc
	Logger              *slog.Logger
	Now                 func() time.Time
}

// Authenticator tells who a request comes from and logs people in and out.
type Authenticator struct {
	o        Options
	byUser   *Limiter
	byAddr   *Limiter
	failures prometheus.Counter
}

// New returns an Authenticator. Register Collector() for trademon_login_failures_total.
func New(o Options) *Authenticator {
	if o.TTL <= 0 {
		o.TTL = 8 * time.Hour
	}
	if o.PerUser <= 0 {
		o.PerUser = 5
	}
	if o.PerAddress <= 0 {
		o.PerAddress = 20
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Authenticator{
		o:      o,
		byUser: NewLimiter(o.PerUser, o.Window),
		byAddr: NewLimiter(o.PerAddress, o.Window),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trademon_login_failures_total",
			Help: "Failed logins and requests with an invalid API token (rate-limited attempts included).",
		}),
	}
}

// Collector returns the authenticator's metrics.
func (a *Authenticator) Collector() prometheus.Collector { return a.failures }

// Users returns the users in force (nil: no users file).
func (a *Authenticator) Users() *Users { return a.o.Users.Users() }

// Remote returns the client address of r without the port.
func Remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// Identify returns the principal of r: from a Bearer token, else from the session
// cookie; nil for an anonymous request. A bad token is an error (ErrBadToken or a
// *RateLimitedError); a stale or unknown session cookie is simply anonymous.
func (a *Authenticator) Identify(r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return a.identifyToken(r, h)
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	s, ok, err := a.o.Sessions.Session(hashID(c.Value), a.o.Now())
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if !ok {
		return nil, nil
	}
	u, ok := a.Users().Lookup(s.User)
	if !ok {
		// Removed from the users file since: the session ends with it.
		return nil, nil
	}
	return &Principal{User: u, Via: ViaSession, CSRF: s.CSRF}, nil
}

func (a *Authenticator) identifyToken(r *http.Request, h string) (*Principal, error) {
	remote := Remote(r)
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		a.fail(r.Context(), "", remote, "Authorization header is not \"Bearer TOKEN\"")
		return nil, ErrBadToken
	}
	if ok, wait := a.byAddr.Allow("token\x00"+remote, a.o.Now()); !ok {
		a.failures.Inc()
		return nil, &RateLimitedError{RetryAfter: wait}
	}
	u, ok := a.Users().ByToken(token)
	if !ok {
		a.fail(r.Context(), "", remote, "unknown API token")
		return nil, ErrBadToken
	}
	a.byAddr.Reset("token\x00" + remote)
	return &Principal{User: u, Via: ViaToken}, nil
}

func (a *Authenticator) fail(ctx context.Context, name, remote, reason string) {
	a.failures.Inc()
	f := Failure{Name: TriedName(name), Remote: remote, Reason: reason}
	if name != "" {
		if us := a.Users(); us != nil {
			_, f.Known = us.Lookup(name)
		}
	}
	a.o.Logger.Warn("authentication failed", "user", f.Name, "known", f.Known, "remote", remote, "reason", reason)
	if a.o.OnFailure != nil {
		a.o.OnFailure(ctx, f)
	}
}

// Login checks name and password and, when they match, starts a session and sets its
// cookie on w. Attempts are limited per name and per client address.
func (a *Authenticator) Login(w http.ResponseWriter, r *http.Request, name, password string) (*Principal, error) {
	now := a.o.Now()
	remote := Remote(r)
	name = strings.TrimSpace(name)
	if a.Users() == nil {
		return nil, ErrNoUsers
	}
	if ok, wait := a.byAddr.Allow("login\x00"+remote, now); !ok {
		a.fail(r.Context(), name, remote, "rate limited: too many attempts from this address")
		return nil, &RateLimitedError{RetryAfter: wait}
	}
	if ok, wait := a.byUser.Allow(name, now); !ok {
		a.fail(r.Context(), name, remote, "rate limited: too many attempts for this name")
		return nil, &RateLimitedError{RetryAfter: wait}
	}
	u, known := a.Users().Lookup(name)
	hash := ""
	if known {
		hash = u.PasswordHash
	}
	if !checkPassword(hash, password) || !known {
		reason := "wrong password"
		switch {
		case !known:
			reason = "unknown user"
		case u.PasswordHash == "":
			reason = "user has no password (API tokens only)"
		}
		a.fail(r.Context(), name, remote, reason)
		return nil, ErrBadCredentials
	}
	a.byUser.Reset(name)
	id, err := randomString(32)
	if err != nil {
		return nil, err
	}
	csrf, err := randomString(32)
	if err != nil {
		return nil, err
	}
	s := state.Session{IDHash: hashID(id), User: u.Name, CSRF: csrf, Remote: remote, Created: now, Expires: now.Add(a.o.TTL)}
	if err := a.o.Sessions.PutSession(s); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	http.SetCookie(w, a.cookie(r, SessionCookie, id, s.Expires))
	a.o.Logger.Info("login", "user", u.Name, "remote", remote)
	return &Principal{User: u, Via: ViaSession, CSRF: csrf}, nil
}

// Logout ends the session of r, if any, and clears its cookie.
func (a *Authenticator) Logout(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, a.cookie(r, SessionCookie, "", time.Unix(1, 0)))
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	return a.o.Sessions.DeleteSession(hashID(c.Value))
}

func (a *Authenticator) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || a.o.SecureCookies,
	}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// CSRFValid reports whether a state-changing request of p carries p's CSRF token
// (form field csrf_token or header X-CSRF-Token). Requests authenticated by token or
// locally carry no cookie and need none. Call it after parsing the form.
func CSRFValid(r *http.Request, p *Principal) bool {
	if p == nil || p.Via != ViaSession {
		return true
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) == 1
}

// LoginCSRF returns the CSRF token for the login form, setting its cookie when r has
// none: the form's field must match the cookie (double submit).
func (a *Authenticator) LoginCSRF(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(LoginCookie); err == nil && len(c.Value) >= 32 {
		return c.Value, nil
	}
	v, err := randomString(32)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, a.cookie(r, LoginCookie, v, a.o.Now().Add(time.Hour)))
	return v, nil
}

// LoginCSRFValid reports whether the login form's csrf_token matches its cookie.
func LoginCSRFValid(r *http.Request) bool {
	c, err := r.Cookie(LoginCookie)
	if err != nil || c.Value == "" {
		return false
	}
	got := r.PostFormValue(CSRFField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) == 1
}
