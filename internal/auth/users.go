// Package auth knows who may do what: the users file (DESIGN.md "HTTP": names, roles,
// bcrypt password hashes, hashed API tokens, an editor's indicators and departments),
// password and token checks, login sessions with CSRF tokens, and a limiter on login
// attempts. It never logs a password, a token or a session id.
package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

// Role is what a user may do. Roles are ordered: each may do what the ones below it may.
type Role int

// Roles, from least to most allowed.
const (
	// Viewer reads pages, figures, tasks and the audit trail.
	Viewer Role = iota + 1
	// Editor also enters figures and updates the plan's tasks, within its limits.
	Editor
	// Approver also approves or rejects pending figures, which locks their period.
	Approver
	// Admin also unlocks approved periods and sees every audit entry.
	Admin
)

var roleNames = map[Role]string{Viewer: "viewer", Editor: "editor", Approver: "approver", Admin: "admin"}

// String returns the role's name as the users file writes it.
func (r Role) String() string {
	if s, ok := roleNames[r]; ok {
		return s
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole parses viewer, editor, approver or admin.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if s == name {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q (want viewer, editor, approver or admin)", s)
}

// TokenPrefix starts every hashed token in the users file.
const TokenPrefix = "sha256:"

// User is one entry of the users file.
type User struct {
	Name    string
	Display string
	Role    Role
	// PasswordHash is a bcrypt hash; empty means the user cannot log in (API only).
	PasswordHash string
	// Tokens are "sha256:<hex>" hashes of the user's API tokens.
	Tokens []string
	// Indicators limits what an editor may enter; empty means every indicator.
	Indicators []string
	// Departments limits whose tasks an editor may update; empty means every task.
	Departments []string
}

// MayEnter reports whether u may enter figures of the indicator.
func (u *User) MayEnter(indicator string) bool {
	if u.Role < Editor {
		return false
	}
	return len(u.Indicators) == 0 || slices.Contains(u.Indicators, indicator)
}

// MayUpdateTask reports whether u may record the status of a task led by lead.
func (u *User) MayUpdateTask(lead []string) bool {
	if u.Role < Editor {
		return false
	}
	if len(u.Departments) == 0 {
		return true
	}
	for _, d := range lead {
		if slices.Contains(u.Departments, d) {
			return true
		}
	}
	return false
}

// Label is how pages name the user: "张伟 (zhang.wei)", or the login name alone.
func (u *User) Label() string {
	if u.Display == "" || u.Display == u.Name {
		return u.Name
	}
	return u.Display + " (" + u.Name + ")"
}

// Users is a parsed users file. It is immutable once parsed.
type Users struct {
	// File is where it was read from.
	File    string
	list    []*User
	byName  map[string]*User
	byToken map[string]*User
}

// Lookup returns the user with the login name.
func (us *Users) Lookup(name string) (*User, bool) {
	if us == nil {
		return nil, false
	}
	u, ok := us.byName[name]
	return u, ok
}

// ByToken returns the user holding the API token (the token itself, not its hash).
func (us *Users) ByToken(token string) (*User, bool) {
	if us == nil || token == "" {
		return nil, false
	}
	u, ok := us.byToken[HashToken(token)]
	return u, ok
}

// List returns the users in file order.
func (us *Users) List() []*User {
	if us == nil {
		return nil
	}
	return slices.Clone(us.list)
}

// Len returns how many users there are.
func (us *Users) Len() int {
	if us == nil {
		return 0
	}
	return len(us.list)
}

// HashToken returns the users-file form of an API token: "sha256:" and the hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return TokenPrefix + hex.EncodeToString(sum[:])
}

type usersFile struct {
	Users []rawUser `yaml:"users"`
}

type rawUser struct {
	Name         string   `yaml:"name"`
	Display      string   `yaml:"display"`
	Role         string   `yaml:"role"`
	PasswordHash string   `yaml:"password_hash"`
	Tokens       []string `yaml:"tokens"`
	Indicators   []string `yaml:"indicators"`
	Departments  []string `yaml:"departments"`
}

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
	tokenRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// ValidName reports why name cannot be a login name, or nil.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid login name %q: use 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit", name)
	}
	return nil
}

// ParseOptions tell ParseUsers what it checks departments against.
type ParseOptions struct {
	// Departments are the departments of the tasks file; a user's department outside
	// them is a problem. Nil skips the check.
	Departments []string
}

// ParseUsers decodes and validates a users file strictly. Every problem is reported,
// each naming the file, line, key and what is wrong, in one *settings.Error.
func ParseUsers(file string, data []byte, opts ParseOptions) (*Users, error) {
	var f usersFile
	lines, probs := settings.DecodeStrict(file, data, &f)
	if len(probs) > 0 {
		return nil, &settings.Error{Problems: probs}
	}
	p := &settings.Problems{File: file, Lines: lines}
	us := &Users{File: file, byName: map[string]*User{}, byToken: map[string]*User{}}
	firstName := map[string]string{}
	firstToken := map[string]string{}
	for i, r := range f.Users {
		key := fmt.Sprintf("users[%d]", i)
		n := len(p.List)
		u := parseUser(p, key, r)
		if u.Name != "" {
			if prev, dup := firstName[u.Name]; dup {
				p.Addf(key+".name", "duplicate user %q (first at %s)", u.Name, prev)
			} else {
				firstName[u.Name] = key
			}
		}
		for j, t := range u.Tokens {
			if prev, dup := firstToken[t]; dup {
				p.Addf(fmt.Sprintf("%s.tokens[%d]", key, j), "this token hash is already listed at %s; every token belongs to one user", prev)
			} else {
				firstToken[t] = fmt.Sprintf("%s.tokens[%d]", key, j)
			}
		}
		for j, d := range u.Departments {
			if opts.Departments != nil && !slices.Contains(opts.Departments, d) {
				p.Addf(fmt.Sprintf("%s.departments[%d]", key, j), "unknown department %q: use a lead or supporting department of the tasks file, e.g. %s", d, opts.Departments[0])
			}
		}
		if len(p.List) == n {
			us.list = append(us.list, u)
			us.byName[u.Name] = u
			for _, t := range u.Tokens {
				us.byToken[t] = u
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return us, nil
}

func parseUser(p *settings.Problems, key string, r rawUser) *User {
	u := &User{
		Name: strings.TrimSpace(r.Name), Display: strings.TrimSpace(r.Display), PasswordHash: strings.TrimSpace(r.PasswordHash),
		Tokens: r.Tokens, Indicators: trimAll(r.Indicators), Departments: trimAll(r.Departments),
	}
	switch {
	case u.Name == "":
		p.Addf(key+".name", "missing: every user needs a login name")
	default:
		if err := ValidName(u.Name); err != nil {
			p.Addf(key+".name", "%v", err)
		}
	}
	switch role, err := ParseRole(strings.TrimSpace(r.Role)); {
	case strings.TrimSpace(r.Role) == "":
		p.Addf(key+".role", "missing: give viewer, editor, approver or admin")
	case err != nil:
		p.Addf(key+".role", "%v", err)
	default:
		u.Role = role
	}
	if u.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || !strings.HasPrefix(u.PasswordHash, "$2") {
			p.Addf(key+".password_hash", "not a bcrypt hash: make one with `trademon hash-password` (the password on stdin)")
		}
	}
	for j, t := range u.Tokens {
		if !tokenRE.MatchString(t) {
			p.Addf(fmt.Sprintf("%s.tokens[%d]", key, j), "not a token hash: want \"sha256:\" and 64 lowercase hex digits, as `trademon token NAME` prints (never the token itself)")
		}
	}
	if u.PasswordHash == "" && len(u.Tokens) == 0 {
		p.Addf(key, "user %q can neither log in nor use the API: add password_hash or tokens", u.Name)
	}
	if u.Role != Editor && u.Role != 0 {
		if len(u.Indicators) > 0 {
			p.Addf(key+".indicators", "limits only an editor (%s); remove it, or make the user an editor", roleScope(u.Role))
		}
		if len(u.Departments) > 0 {
			p.Addf(key+".departments", "limits only an editor (%s); remove it, or make the user an editor", roleScope(u.Role))
		}
	}
	for j, id := range u.Indicators {
		if _, ok := obs.Lookup(id); !ok {
			p.Addf(fmt.Sprintf("%s.indicators[%d]", key, j), "%v", obs.UnknownIndicatorError(id))
		}
	}
	for j, d := range u.Departments {
		if d == "" {
			p.Addf(fmt.Sprintf("%s.departments[%d]", key, j), "empty department name")
		}
	}
	return u
}

// roleScope says what a role other than editor may change, for messages.
func roleScope(r Role) string {
	if r == Viewer {
		return "a viewer changes nothing"
	}
	return "an " + r.String() + " acts on every indicator and task"
}

func trimAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}
