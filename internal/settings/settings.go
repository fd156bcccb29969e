// Package settings loads trademon's main config file: built-in defaults (embedded from
// config/default.yaml), overlaid by the user's file, overlaid by TRADEMON_* environment
// variables. Decoding is strict (unknown keys are errors) and everything is validated
// at load, with messages that name the file, the line, the key and the problem. The
// package holds the decoded config and its problems only: the parts that use a value
// compile it (collectors/fetch a source's selectors and patterns, through
// Options.CheckSource at load; the collectors runner the cron schedules).
package settings

import "time"

// Config is the whole main config. Key names are contracts (DESIGN.md);
// config/trademon.example.yaml documents every key.
type Config struct {
	// Listen is the HTTP listen address, host:port.
	Listen string `yaml:"listen"`
	Store  Store  `yaml:"store"`
	// Targets, Tasks and Users are paths to those files; empty means the built-in copy
	// (Users: no users, so writes are refused).
	Targets string `yaml:"targets"`
	Tasks   string `yaml:"tasks"`
	Users   string `yaml:"users"`
	// History is the reference history imported (idempotently) at every start:
	// empty for the built-in config/history/shenzhen.csv, "none" to import nothing,
	// or a path to a CSV in the import format.
	History string `yaml:"history"`
	// RefreshInterval is how often the target evaluation is recomputed from the store
	// besides after every write.
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	Fetch           Fetch         `yaml:"fetch"`
	Collectors      Collectors    `yaml:"collectors"`
	Entry           Entry         `yaml:"entry"`

	// File is where the config was read from, or "(built-in defaults)".
	File string `yaml:"-"`
	// envSet records which TRADEMON_* variables were applied, and lines the line of
	// every key path in File, for messages (Problemf).
	envSet map[string]bool
	lines  map[string]int
}

// Store selects and configures the observation store.
type Store struct {
	// Kind is "embedded" (bbolt file under Path) or "influxdb".
	Kind string `yaml:"kind"`
	// Path is the directory of the embedded store file and, in influxdb mode, of the spool.
	Path     string   `yaml:"path"`
	InfluxDB InfluxDB `yaml:"influxdb"`
	Spool    Spool    `yaml:"spool"`
}

// Store kinds.
const (
	StoreEmbedded = "embedded"
	StoreInfluxDB = "influxdb"
)

// InfluxDB locates the InfluxDB server. Token may come from TRADEMON_INFLUXDB_TOKEN.
type InfluxDB struct {
	URL     string        `yaml:"url"`
	Org     string        `yaml:"org"`
	Bucket  string        `yaml:"bucket"`
	Token   string        `yaml:"token"`
	Timeout time.Duration `yaml:"timeout"`
}

// Spool tunes the durable outbox in front of InfluxDB.
type Spool struct {
	// BatchSize is the most points sent to InfluxDB in one request.
	BatchSize int `yaml:"batch_size"`
	// RetryMin and RetryMax bound the exponential backoff (with jitter) between
	// attempts to deliver spooled points while InfluxDB fails.
	RetryMin time.Duration `yaml:"retry_min"`
	RetryMax time.Duration `yaml:"retry_max"`
}

// Fetch holds settings shared by every collector's HTTP fetching.
type Fetch struct {
	// UserAgent names trademon to the sites it visits.
	UserAgent string `yaml:"user_agent"`
	// Timeout bounds one HTTP request.
	Timeout time.Duration `yaml:"timeout"`
	// MaxBodyBytes caps the size of one response body.
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// Retries is how many times a request failing with a 5xx or a timeout is retried,
	// with exponential backoff.
	Retries int `yaml:"retries"`
	// RespectRobots obeys robots.txt.
	RespectRobots bool `yaml:"respect_robots"`
	// CacheDir stores validators (ETag, Last-Modified) and bodies for conditional
	// requests; empty means <store.path>/http-cache.
	CacheDir string `yaml:"cache_dir"`
}

// Collectors maps a collector name (trade, retail, port, standards) to its config.
// A user file overlays the defaults per collector: keys it leaves out keep their
// default values, and a sources list replaces the default list as a whole.
type Collectors map[string]*Collector

// Collector configures one collector.
type Collector struct {
	Enabled bool `yaml:"enabled"`
	// Schedule is a cron spec with seconds, e.g. "CRON_TZ=Asia/Shanghai 0 30 9 * * *".
	Schedule string `yaml:"schedule"`
	// Timeout bounds one run.
	Timeout time.Duration `yaml:"timeout"`
	Sources []Source      `yaml:"sources"`
}

// Source is one public site a collector reads: where its release lists are and how to
// find the articles and their text. Navigation is configuration; extraction is code.
type Source struct {
	Name string `yaml:"name"`
	// ListURLs are the release list pages to start from. Their hosts are the
	// source's own: list pages, articles and redirects must stay on them.
	ListURLs []string `yaml:"list_urls"`
	// AllowedHosts names further hosts the source's pages may come from (a site that
	// serves its articles from a second host); host names or addresses, without
	// scheme, port or path. A name must resolve to public addresses.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// LinkSelector selects the article links (<a>) on a list page.
	LinkSelector string `yaml:"link_selector"`
	// TitlePattern is a regular expression a link's title must match to be followed.
	TitlePattern string `yaml:"title_pattern"`
	// DateSelector, relative to a matched link's list item, selects its date; optional.
	DateSelector string `yaml:"date_selector"`
	// BodySelector selects the article text on an article page.
	BodySelector string `yaml:"body_selector"`
	// NextSelector selects the link to the next (older) list page; used by backfill.
	NextSelector string `yaml:"next_selector"`
	// PagePattern names the older list pages by number, for sites whose pager is drawn
	// by JavaScript (the sz.gov.cn CMS: index.html, index_2.html, index_3.html …): a URL
	// relative to each list URL in which {n} stands for the page number (2, 3, …) and
	// {i} for the page number minus one (1, 2, …), e.g. "index_{n}.html". Backfill uses
	// it when next_selector is empty or finds no link, and stops at the first page
	// answered 404. Empty: no numbered pages.
	PagePattern string `yaml:"page_pattern"`
	// Encoding of the pages: auto, utf-8 or gbk.
	Encoding string `yaml:"encoding"`
	// Delay is the least time between two requests to the same host.
	Delay time.Duration `yaml:"delay"`
	// MaxPages caps the pages (list and article) fetched per run.
	MaxPages int `yaml:"max_pages"`
}

// Encodings a source may declare.
const (
	EncodingAuto = "auto"
	EncodingUTF8 = "utf-8"
	EncodingGBK  = "gbk"
)
