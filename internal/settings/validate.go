package settings

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser accepts six-field specs (with seconds), an optional CRON_TZ= or TZ= prefix,
// and descriptors such as @daily.
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule compiles a collector schedule the way Load does.
func ParseSchedule(spec string) (cron.Schedule, error) { return cronParser.Parse(spec) }

var sourceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// hostNameRE accepts a DNS name or an IPv4 address, or an IPv6 address in brackets.
var hostNameRE = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$`)

// validator collects the problems of the main config. A value set by an environment
// variable is reported against that variable rather than a line of the file.
type validator struct {
	probs  Problems
	envSet map[string]bool // the TRADEMON_* variables applied (Config.envSet)
	// checkSource is Options.CheckSource.
	checkSource func(*Source) []SourceProblem
}

func (v *validator) addf(key, format string, args ...any) {
	for name, ev := range envVars {
		if ev.key == key && v.envSet[name] {
			v.probs.List = append(v.probs.List, Problem{File: "environment", Key: name + " (" + key + ")", Msg: fmt.Sprintf(format, args...)})
			return
		}
	}
	v.probs.Addf(key, format, args...)
}

func (c *Config) validate(lines map[string]int, opts Options) []Problem {
	collectors := opts.Collectors
	v := &validator{probs: Problems{File: c.File, Lines: lines}, envSet: c.envSet, checkSource: opts.CheckSource}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		v.addf("listen", "invalid address %q: want host:port, e.g. 127.0.0.1:8080", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.addf("listen", "invalid port %q in %q", port, c.Listen)
	}
	if c.RefreshInterval <= 0 {
		v.addf("refresh_interval", "must be a positive duration such as 1m, got %s", c.RefreshInterval)
	}
	c.validateStore(v)
	c.validateFetch(v)
	c.validateEntry(v)
	names := sortedKeys(c.Collectors)
	for _, name := range names {
		col := c.Collectors[name]
		key := "collectors." + name
		if collectors != nil && !slices.Contains(collectors, name) {
			known := slices.Clone(collectors)
			sort.Strings(known)
			v.addf(key, "unknown collector (known: %s)", strings.Join(known, ", "))
			continue
		}
		col.validate(v, key)
	}
	return v.probs.List
}

func (c *Config) validateStore(v *validator) {
	s := &c.Store
	switch s.Kind {
	case StoreEmbedded, StoreInfluxDB:
	default:
		v.addf("store.kind", "unknown store kind %q (want %s or %s)", s.Kind, StoreEmbedded, StoreInfluxDB)
	}
	if strings.TrimSpace(s.Path) == "" {
		v.addf("store.path", "must name a directory")
	}
	if s.Kind != StoreInfluxDB {
		return
	}
	if u, err := url.Parse(s.InfluxDB.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.addf("store.influxdb.url", "invalid URL %q: want http(s)://host:port", s.InfluxDB.URL)
	}
	if s.InfluxDB.Org == "" {
		v.addf("store.influxdb.org", "must not be empty")
	}
	if s.InfluxDB.Bucket == "" {
		v.addf("store.influxdb.bucket", "must not be empty")
	}
	if s.InfluxDB.Timeout <= 0 {
		v.addf("store.influxdb.timeout", "must be a positive duration, got %s", s.InfluxDB.Timeout)
	}
	if s.Spool.BatchSize < 1 || s.Spool.BatchSize > 100000 {
		v.addf("store.spool.batch_size", "must be between 1 and 100000, got %d", s.Spool.BatchSize)
	}
	if s.Spool.RetryMin <= 0 {
		v.addf("store.spool.retry_min", "must be a positive duration, got %s", s.Spool.RetryMin)
	}
	if s.Spool.RetryMax < s.Spool.RetryMin {
		v.addf("store.spool.retry_max", "must be at least retry_min (%s), got %s", s.Spool.RetryMin, s.Spool.RetryMax)
	}
}

func (c *Config) validateFetch(v *validator) {
	f := &c.Fetch
	if strings.TrimSpace(f.UserAgent) == "" {
		v.addf("fetch.user_agent", "must not be empty: sites should see who is asking")
	}
	if f.Timeout <= 0 {
		v.addf("fetch.timeout", "must be a positive duration, got %s", f.Timeout)
	}
	if f.MaxBodyBytes < 1024 {
		v.addf("fetch.max_body_bytes", "must be at least 1024, got %d", f.MaxBodyBytes)
	}
	if f.Retries < 0 || f.Retries > 10 {
		v.addf("fetch.retries", "must be between 0 and 10, got %d", f.Retries)
	}
}

func (col *Collector) validate(v *validator, key string) {
	if _, err := cronParser.Parse(col.Schedule); err != nil {
		v.addf(key+".schedule", "invalid cron spec %q: %v (want six fields with seconds, e.g. \"CRON_TZ=Asia/Shanghai 0 30 9 * * *\")", col.Schedule, err)
	}
	if col.Timeout <= 0 {
		v.addf(key+".timeout", "must be a positive duration, got %s", col.Timeout)
	}
	if col.Enabled && len(col.Sources) == 0 {
		v.addf(key+".sources", "an enabled collector needs at least one source")
	}
	seen := map[string]bool{}
	for i := range col.Sources {
		s := &col.Sources[i]
		sk := fmt.Sprintf("%s.sources[%d]", key, i)
		if !sourceNameRE.MatchString(s.Name) {
			v.addf(sk+".name", "invalid source name %q: use lower-case letters, digits and '-'", s.Name)
		} else if seen[s.Name] {
			v.addf(sk+".name", "duplicate source name %q", s.Name)
		}
		seen[s.Name] = true
		s.validate(v, sk)
	}
}

// Per-source defaults for keys a user's sources list leaves out.
const (
	DefaultDelay    = 2 * time.Second
	DefaultMaxPages = 20
)

func (s *Source) validate(v *validator, key string) {
	if s.Encoding == "" {
		s.Encoding = EncodingAuto
	}
	if s.Delay == 0 {
		s.Delay = DefaultDelay
	}
	if s.MaxPages == 0 {
		s.MaxPages = DefaultMaxPages
	}
	if len(s.ListURLs) == 0 {
		v.addf(key+".list_urls", "needs at least one list page URL")
	}
	for i, raw := range s.ListURLs {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.addf(fmt.Sprintf("%s.list_urls[%d]", key, i), "invalid URL %q: want an absolute http(s) URL", raw)
		}
	}
	for i, h := range s.AllowedHosts {
		if !hostNameRE.MatchString(h) {
			v.addf(fmt.Sprintf("%s.allowed_hosts[%d]", key, i), "invalid host %q: want a host name or address such as files.example.gov.cn, without scheme, port or path", h)
		}
	}
	if s.LinkSelector == "" {
		v.addf(key+".link_selector", "must not be empty")
	}
	if s.BodySelector == "" {
		v.addf(key+".body_selector", "must not be empty")
	}
	if v.checkSource != nil {
		for _, p := range v.checkSource(s) {
			v.addf(key+"."+p.Key, "%s", p.Msg)
		}
	}
	switch s.Encoding {
	case EncodingAuto, EncodingUTF8, EncodingGBK:
	default:
		v.addf(key+".encoding", "unknown encoding %q (want %s, %s or %s)", s.Encoding, EncodingAuto, EncodingUTF8, EncodingGBK)
	}
	if s.Delay < 0 {
		v.addf(key+".delay", "must not be negative, got %s", s.Delay)
	}
	if s.MaxPages < 1 {
		v.addf(key+".max_pages", "must be at least 1, got %d", s.MaxPages)
	}
}
