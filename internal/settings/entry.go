package settings

import (
	"slices"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Entry configures staff data entry: the form, the write API and imports.
type Entry struct {
	// Approval lists the indicators whose figures, entered by an editor, wait for an
	// approver before they count; an approved period is locked.
	Approval []string `yaml:"approval"`
	// OutlierChange is the largest change from the comparable figure (the year before,
	// the same month a year earlier) that is not flagged as an outlier, as a ratio:
	// 0.5 flags more than 1.5 times or less than 1/1.5 of it.
	OutlierChange float64 `yaml:"outlier_change"`
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// SecureCookies marks session cookies Secure on plain HTTP too, for a server behind
	// a TLS-terminating proxy (over TLS they always are).
	SecureCookies bool `yaml:"secure_cookies"`
	// MaxBodyBytes caps a JSON or form body (413 beyond); MaxUploadBytes an import file.
	MaxBodyBytes   int64 `yaml:"max_body_bytes"`
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// LoginAttempts limits logins per login name and per client address.
	LoginAttempts LoginAttempts `yaml:"login_attempts"`
}

// LoginAttempts caps login attempts in a fixed window.
type LoginAttempts struct {
	PerUser    int           `yaml:"per_user"`
	PerAddress int           `yaml:"per_address"`
	Window     time.Duration `yaml:"window"`
}

// EnvToken is the API token the CLI sends to a running server (never a config key).
const EnvToken = "TRADEMON_TOKEN"

func (c *Config) validateEntry(v *validator) {
	e := &c.Entry
	for i, id := range e.Approval {
		if _, ok := obs.Lookup(strings.TrimSpace(id)); !ok {
			v.addf("entry.approval", "item %d: %v", i, obs.UnknownIndicatorError(id))
		} else if slices.Index(e.Approval, id) != i {
			v.addf("entry.approval", "item %d: %s is listed twice", i, id)
		}
	}
	if e.OutlierChange <= 0 || e.OutlierChange > 100 {
		v.addf("entry.outlier_change", "must be a ratio above 0 (0.5 flags a change beyond ×1.5 or ÷1.5), got %v", e.OutlierChange)
	}
	if e.SessionTTL < time.Minute || e.SessionTTL > 30*24*time.Hour {
		v.addf("entry.session_ttl", "must be between 1m and 720h, got %s", e.SessionTTL)
	}
	if e.MaxBodyBytes < 1024 || e.MaxBodyBytes > 64<<20 {
		v.addf("entry.max_body_bytes", "must be between 1024 and 67108864, got %d", e.MaxBodyBytes)
	}
	if e.MaxUploadBytes < 1024 || e.MaxUploadBytes > 256<<20 {
		v.addf("entry.max_upload_bytes", "must be between 1024 and 268435456, got %d", e.MaxUploadBytes)
	}
	la := e.LoginAttempts
	if la.PerUser < 1 {
		v.addf("entry.login_attempts.per_user", "must be at least 1, got %d", la.PerUser)
	}
	if la.PerAddress < 1 {
		v.addf("entry.login_attempts.per_address", "must be at least 1, got %d", la.PerAddress)
	}
	if la.Window <= 0 {
		v.addf("entry.login_attempts.window", "must be a positive duration such as 15m, got %s", la.Window)
	}
}
