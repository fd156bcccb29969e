package settings

import (
	"errors"
	"github.com/trademon/trademon/internal/obs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trademon/trademon/config"
)

var collectorNames = []string{"port", "retail", "standards", "trade"}

// load is Load with the registered collectors and a clean environment plus env.
func load(path string, env ...string) (*Config, error) {
	return Load(path, Options{Collectors: collectorNames, Env: append([]string{"HOME=/root", "PATH=/bin"}, env...)})
}

// invalidFiles maps every testdata/invalid-*.yaml to the exact message Load gives.
var invalidFiles = map[string]string{
	"invalid-unknown-key.yaml":        "testdata/invalid-unknown-key.yaml:2: listn: unknown key (known keys: collectors, entry, fetch, history, listen, refresh_interval, store, targets, tasks, users)",
	"invalid-unknown-nested-key.yaml": "testdata/invalid-unknown-nested-key.yaml:5: store.influxdb.tokn: unknown key (known keys of store.influxdb: bucket, org, timeout, token, url)",
	// Every problem: the misspelt key, and what the source lacks for want of it.
	"invalid-unknown-source-key.yaml": "testdata/invalid-unknown-source-key.yaml:4: collectors.retail.sources[0].list_urls: needs at least one list page URL\n" +
		"testdata/invalid-unknown-source-key.yaml:4: collectors.retail.sources[0].link_selector: must not be empty\n" +
		"testdata/invalid-unknown-source-key.yaml:4: collectors.retail.sources[0].body_selector: must not be empty\n" +
		"testdata/invalid-unknown-source-key.yaml:5: collectors.retail.sources[0].list_url: unknown key (known keys of collectors.retail.sources[0]: allowed_hosts, body_selector, date_selector, delay, encoding, link_selector, list_urls, max_pages, name, next_selector, page_pattern, title_pattern)",
	"invalid-listen.yaml":                 `testdata/invalid-listen.yaml:1: listen: invalid address "localhost": want host:port, e.g. 127.0.0.1:8080`,
	"invalid-listen-port.yaml":            `testdata/invalid-listen-port.yaml:1: listen: invalid port "99999" in "127.0.0.1:99999"`,
	"invalid-store-kind.yaml":             `testdata/invalid-store-kind.yaml:2: store.kind: unknown store kind "postgres" (want embedded or influxdb)`,
	"invalid-store-path.yaml":             "testdata/invalid-store-path.yaml:2: store.path: must name a directory",
	"invalid-influxdb-url.yaml":           `testdata/invalid-influxdb-url.yaml:4: store.influxdb.url: invalid URL "127.0.0.1:8086": want http(s)://host:port`,
	"invalid-influxdb-bucket.yaml":        "testdata/invalid-influxdb-bucket.yaml:4: store.influxdb.org: must not be empty\ntestdata/invalid-influxdb-bucket.yaml:5: store.influxdb.bucket: must not be empty",
	"invalid-spool.yaml":                  "testdata/invalid-spool.yaml:4: store.spool.batch_size: must be between 1 and 100000, got 0\ntestdata/invalid-spool.yaml:6: store.spool.retry_max: must be at least retry_min (10s), got 1s",
	"invalid-duration.yaml":               "testdata/invalid-duration.yaml:1: refresh_interval: cannot decode YAML str `soon` into time.Duration",
	"invalid-refresh-interval.yaml":       "testdata/invalid-refresh-interval.yaml:1: refresh_interval: must be a positive duration such as 1m, got -1m0s",
	"invalid-type.yaml":                   "testdata/invalid-type.yaml:2: fetch.retries: cannot decode YAML str `many` into int",
	"invalid-fetch.yaml":                  "testdata/invalid-fetch.yaml:2: fetch.user_agent: must not be empty: sites should see who is asking\ntestdata/invalid-fetch.yaml:3: fetch.timeout: must be a positive duration, got 0s\ntestdata/invalid-fetch.yaml:4: fetch.max_body_bytes: must be at least 1024, got 100\ntestdata/invalid-fetch.yaml:5: fetch.retries: must be between 0 and 10, got 11",
	"invalid-syntax.yaml":                 "testdata/invalid-syntax.yaml:4: invalid YAML: mapping values are not allowed in this context",
	"invalid-tab.yaml":                    "testdata/invalid-tab.yaml:2: invalid YAML: a tab in the indentation (YAML indents with spaces only)",
	"invalid-two-documents.yaml":          "testdata/invalid-two-documents.yaml:2: more than one YAML document; a config file holds one",
	"invalid-not-mapping.yaml":            "testdata/invalid-not-mapping.yaml:1: the config must be a mapping of keys to values",
	"invalid-collectors-not-mapping.yaml": "testdata/invalid-collectors-not-mapping.yaml:1: collectors: collectors must be a mapping of collector names to settings",
	"invalid-unknown-collector.yaml":      "testdata/invalid-unknown-collector.yaml:2: collectors.gdp: unknown collector (known: port, retail, standards, trade)",
	"invalid-cron.yaml":                   `testdata/invalid-cron.yaml:3: collectors.retail.schedule: invalid cron spec "30 9 * * *": expected exactly 6 fields, found 5: [30 9 * * *] (want six fields with seconds, e.g. "CRON_TZ=Asia/Shanghai 0 30 9 * * *")`,
	"invalid-timeout.yaml":                "testdata/invalid-timeout.yaml:3: collectors.port.timeout: must be a positive duration, got 0s",
	"invalid-no-sources.yaml":             "testdata/invalid-no-sources.yaml:4: collectors.standards.sources: an enabled collector needs at least one source",
	"invalid-allowed-hosts.yaml": "testdata/invalid-allowed-hosts.yaml:6: collectors.trade.sources[0].allowed_hosts[1]: invalid host \"https://files2.customs.gov.cn/\": want a host name or address such as files.example.gov.cn, without scheme, port or path\n" +
		"testdata/invalid-allowed-hosts.yaml:6: collectors.trade.sources[0].allowed_hosts[2]: invalid host \"files3.customs.gov.cn:8080\": want a host name or address such as files.example.gov.cn, without scheme, port or path",
	"invalid-duplicate-source.yaml": `testdata/invalid-duplicate-source.yaml:8: collectors.trade.sources[1].name: duplicate source name "customs-news"`,
	"invalid-source.yaml": strings.Join([]string{
		`testdata/invalid-source.yaml:4: collectors.port.sources[0].name: invalid source name "Jtys News": use lower-case letters, digits and '-'`,
		`testdata/invalid-source.yaml:5: collectors.port.sources[0].list_urls[0]: invalid URL "jtys.sz.gov.cn/index.html": want an absolute http(s) URL`,
		`testdata/invalid-source.yaml:6: collectors.port.sources[0].link_selector: must not be empty`,
		`testdata/invalid-source.yaml:8: collectors.port.sources[0].body_selector: must not be empty`,
		`testdata/invalid-source.yaml:9: collectors.port.sources[0].encoding: unknown encoding "big5" (want auto, utf-8 or gbk)`,
		`testdata/invalid-source.yaml:10: collectors.port.sources[0].delay: must not be negative, got -1s`,
		`testdata/invalid-source.yaml:11: collectors.port.sources[0].max_pages: must be at least 1, got -2`,
	}, "\n"),
	"invalid-entry.yaml": strings.Join([]string{
		`testdata/invalid-entry.yaml:2: entry.approval: item 1: unknown indicator "servics_trade" (known: ` + strings.Join(obs.IndicatorIDs(), ", ") + `)`,
		`testdata/invalid-entry.yaml:2: entry.approval: item 2: services_trade is listed twice`,
		`testdata/invalid-entry.yaml:3: entry.outlier_change: must be a ratio above 0 (0.5 flags a change beyond ×1.5 or ÷1.5), got 0`,
		`testdata/invalid-entry.yaml:4: entry.session_ttl: must be between 1m and 720h, got 10s`,
		`testdata/invalid-entry.yaml:5: entry.max_body_bytes: must be between 1024 and 67108864, got 10`,
		`testdata/invalid-entry.yaml:6: entry.max_upload_bytes: must be between 1024 and 268435456, got 1073741824`,
		`testdata/invalid-entry.yaml:8: entry.login_attempts.per_user: must be at least 1, got 0`,
		`testdata/invalid-entry.yaml:9: entry.login_attempts.per_address: must be at least 1, got 0`,
		`testdata/invalid-entry.yaml:10: entry.login_attempts.window: must be a positive duration such as 15m, got 0s`,
	}, "\n"),
	"invalid-many.yaml": strings.Join([]string{
		`testdata/invalid-many.yaml:2: listen: invalid port "http" in ":http"`,
		`testdata/invalid-many.yaml:3: refresh_interval: must be a positive duration such as 1m, got 0s`,
		`testdata/invalid-many.yaml:8: collectors.retail.schedule: invalid cron spec "@sometimes": unrecognized descriptor: @sometimes (want six fields with seconds, e.g. "CRON_TZ=Asia/Shanghai 0 30 9 * * *")`,
	}, "\n"),
}

func TestInvalidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := invalidFiles[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected message in invalidFiles", f)
		}
	}
	for name, want := range invalidFiles {
		t.Run(name, func(t *testing.T) {
			cfg, err := load(filepath.Join("testdata", name))
			if err == nil {
				t.Fatalf("Load accepted it: %+v", cfg)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, want *settings.Error: %v", err, err)
			}
			if err.Error() != want {
				t.Errorf("error:\n%s\nwant:\n%s", err, want)
			}
			for _, p := range se.Problems {
				if p.File != filepath.Join("testdata", name) || p.Line == 0 {
					t.Errorf("problem without file and line: %+v", p)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := load("testdata/no-such-file.yaml")
	if err == nil || err.Error() != "testdata/no-such-file.yaml: cannot read config: no such file or directory" {
		t.Errorf("error = %v", err)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if cfg.File != BuiltIn || cfg.Listen != "127.0.0.1:8080" || cfg.Store.Kind != StoreEmbedded || cfg.Store.Path != "./data" {
		t.Errorf("defaults: file %q listen %q store %+v", cfg.File, cfg.Listen, cfg.Store)
	}
	if cfg.RefreshInterval != time.Minute || cfg.History != "" || cfg.Targets != "" {
		t.Errorf("defaults: refresh %s history %q targets %q", cfg.RefreshInterval, cfg.History, cfg.Targets)
	}
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range cfg.Collectors {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, collectorNames) {
		t.Errorf("default collectors %v, want %v", got, collectorNames)
	}
	for name, col := range cfg.Collectors {
		if len(col.Sources) == 0 {
			t.Errorf("collector %s: no sources", name)
		}
	}
	// The retail schedule runs at 09:30 Shanghai time.
	sched, err := ParseSchedule(cfg.Collectors["retail"].Schedule)
	if err != nil {
		t.Fatal(err)
	}
	next := sched.Next(time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2025, 10, 1, 1, 30, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("retail next run %s, want %s", next.UTC(), want)
	}
	// With no file, an empty path and the same environment give the same config.
	cfg2, err := load("")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := marshal(t, cfg), marshal(t, cfg2); a != b {
		t.Errorf("Load(\"\") differs from Default()")
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "~\n"} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := load(path)
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		def, _ := Default()
		if marshal(t, cfg) != marshal(t, def) || cfg.File != path {
			t.Errorf("%q: config differs from the defaults", content)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		check func(*Config) string
		err   string
	}{
		{"token", []string{"TRADEMON_INFLUXDB_TOKEN=s3cret"}, func(c *Config) string { return c.Store.InfluxDB.Token }, ""},
		{"influxdb mode", []string{"TRADEMON_STORE_KIND=influxdb", "TRADEMON_INFLUXDB_URL=http://10.0.0.5:8086", "TRADEMON_INFLUXDB_BUCKET=db/rp", "TRADEMON_INFLUXDB_ORG=sz"},
			func(c *Config) string {
				return c.Store.Kind + " " + c.Store.InfluxDB.URL + " " + c.Store.InfluxDB.Bucket + " " + c.Store.InfluxDB.Org
			}, ""},
		{"listen and paths", []string{"TRADEMON_LISTEN=0.0.0.0:9000", "TRADEMON_STORE_PATH=/var/lib/trademon", "TRADEMON_TARGETS=t.yaml", "TRADEMON_TASKS=k.yaml", "TRADEMON_USERS=u.yaml", "TRADEMON_HISTORY=none"},
			func(c *Config) string {
				return strings.Join([]string{c.Listen, c.Store.Path, c.Targets, c.Tasks, c.Users, c.History}, " ")
			}, ""},
		{"test and config variables are not overrides", []string{"TRADEMON_TEST_INFLUXDB_URL=http://x", "TRADEMON_TEST_REQUIRE_INFLUXDB=1", "TRADEMON_CONFIG=/etc/trademon.yaml"},
			func(c *Config) string { return c.Listen }, ""},
		{"unknown variable", []string{"TRADEMON_INFLUX_TOKEN=x"}, nil,
			"environment: TRADEMON_INFLUX_TOKEN: unknown variable (known: " + strings.Join(EnvVarNames(), ", ") + ")"},
		{"invalid value names the variable", []string{"TRADEMON_STORE_KIND=postgres"}, nil,
			`environment: TRADEMON_STORE_KIND (store.kind): unknown store kind "postgres" (want embedded or influxdb)`},
		{"invalid listen from env", []string{"TRADEMON_LISTEN=nowhere"}, nil,
			`environment: TRADEMON_LISTEN (listen): invalid address "nowhere": want host:port, e.g. 127.0.0.1:8080`},
		{"empty URL from env in influxdb mode", []string{"TRADEMON_STORE_KIND=influxdb", "TRADEMON_INFLUXDB_URL="}, nil,
			`environment: TRADEMON_INFLUXDB_URL (store.influxdb.url): invalid URL "": want http(s)://host:port`},
	}
	want := map[string]string{
		"token":            "s3cret",
		"influxdb mode":    "influxdb http://10.0.0.5:8086 db/rp sz",
		"listen and paths": "0.0.0.0:9000 /var/lib/trademon t.yaml k.yaml u.yaml none",
		"test and config variables are not overrides": "127.0.0.1:8080",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load("", tt.env...)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("error = %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(cfg); got != want[tt.name] {
				t.Errorf("got %q, want %q", got, want[tt.name])
			}
		})
	}
	// The environment beats the file.
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("store:\n  influxdb:\n    token: from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(path, "TRADEMON_INFLUXDB_TOKEN=from-env")
	if err != nil || cfg.Store.InfluxDB.Token != "from-env" {
		t.Errorf("token = %q, %v", cfg.Store.InfluxDB.Token, err)
	}
	// A nil Env reads the process environment.
	t.Setenv("TRADEMON_INFLUXDB_TOKEN", "process-env")
	cfg, err = Load("", Options{Collectors: collectorNames})
	if err != nil || cfg.Store.InfluxDB.Token != "process-env" {
		t.Errorf("token from process env = %q, %v", cfg.Store.InfluxDB.Token, err)
	}
}

func TestUserFileOverlaysCollectorDefaults(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	err = os.WriteFile(path, []byte(`
listen: 0.0.0.0:9090
collectors:
  retail:
    enabled: false
  port:
    schedule: "CRON_TZ=Asia/Shanghai 0 15 8 * * *"
    sources:
      - name: mirror
        list_urls: ["https://mirror.example.org/port/"]
        link_selector: "li a"
        body_selector: "article"
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "0.0.0.0:9090" || cfg.Store.Path != "./data" || cfg.Fetch.Retries != 3 {
		t.Errorf("top level not overlaid: listen %q path %q retries %d", cfg.Listen, cfg.Store.Path, cfg.Fetch.Retries)
	}
	retail := cfg.Collectors["retail"]
	if retail.Enabled || retail.Schedule != def.Collectors["retail"].Schedule || len(retail.Sources) != len(def.Collectors["retail"].Sources) ||
		retail.Sources[0].Name != "tjj-monthly" || retail.Timeout != 10*time.Minute {
		t.Errorf("retail: %+v", retail)
	}
	port := cfg.Collectors["port"]
	if !port.Enabled || port.Schedule != "CRON_TZ=Asia/Shanghai 0 15 8 * * *" || port.Timeout != 10*time.Minute {
		t.Errorf("port: enabled %v schedule %q timeout %s", port.Enabled, port.Schedule, port.Timeout)
	}
	if len(port.Sources) != 1 || port.Sources[0].Name != "mirror" {
		t.Fatalf("port sources not replaced: %+v", port.Sources)
	}
	// Keys a user source leaves out get the per-source defaults.
	if s := port.Sources[0]; s.Delay != DefaultDelay || s.MaxPages != DefaultMaxPages || s.Encoding != EncodingAuto {
		t.Errorf("source defaults: delay %s max_pages %d encoding %q", s.Delay, s.MaxPages, s.Encoding)
	}
	// Collectors the file does not name keep their defaults entirely.
	if a, b := marshal(t, cfg.Collectors["trade"]), marshal(t, def.Collectors["trade"]); a != b {
		t.Errorf("trade changed:\n%s\nwant\n%s", a, b)
	}
	// The defaults themselves are untouched by the overlay.
	def2, _ := Default()
	if marshal(t, def2) != marshal(t, def) {
		t.Error("loading a file changed the built-in defaults")
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExampleEqualsDefaults keeps config/trademon.example.yaml honest: it must decode
// to exactly the built-in defaults.
func TestExampleEqualsDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trademon.example.yaml")
	if err := os.WriteFile(path, config.ExampleYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	ex, err := load(path)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := marshal(t, ex), marshal(t, def); a != b {
		t.Errorf("config/trademon.example.yaml does not decode to the built-in defaults:\n--- example\n%s\n--- defaults\n%s", a, b)
	}
	// Strictly as decoded, before validation fills per-source defaults.
	var rawEx, rawDef Config
	if probs, _ := decodeInto(&rawEx, "example", config.ExampleYAML, map[string]int{}); len(probs) > 0 {
		t.Fatal(probs)
	}
	if probs, _ := decodeInto(&rawDef, "default", config.DefaultYAML, map[string]int{}); len(probs) > 0 {
		t.Fatal(probs)
	}
	if a, b := marshal(t, rawEx), marshal(t, rawDef); a != b {
		t.Errorf("the example and default.yaml differ before validation:\n--- example\n%s\n--- defaults\n%s", a, b)
	}
}

// TestExampleDocumentsEveryKey walks the Config struct's yaml tags and checks that every
// key appears in config/trademon.example.yaml with a comment on it or just above it.
func TestExampleDocumentsEveryKey(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(config.ExampleYAML, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{} // key patterns with a comment somewhere
	seen := map[string]bool{}
	var walk func(n *yaml.Node, typ reflect.Type, pattern string)
	walk = func(n *yaml.Node, typ reflect.Type, pattern string) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.Struct:
			if typ == reflect.TypeOf(time.Duration(0)) {
				return
			}
			if n.Kind != yaml.MappingNode {
				t.Errorf("%s: want a mapping in the example", pattern)
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				f, ok := yamlFields(typ)[k.Value]
				if !ok {
					t.Errorf("%s.%s: not a config key", pattern, k.Value)
					continue
				}
				p := join(pattern, k.Value)
				seen[p] = true
				if strings.TrimSpace(k.HeadComment+k.LineComment+v.LineComment) != "" {
					documented[p] = true
				}
				walk(v, f.Type, p)
			}
		case reflect.Map:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if strings.TrimSpace(k.HeadComment+k.LineComment) != "" {
					documented[pattern+".*"] = true
				}
				walk(v, typ.Elem(), pattern+".*")
			}
		case reflect.Slice:
			if typ.Elem().Kind() == reflect.String {
				return
			}
			for _, item := range n.Content {
				// The comment above the first key of a sequence item sits on the item.
				if item.Kind == yaml.MappingNode && len(item.Content) > 0 && strings.TrimSpace(item.HeadComment) != "" {
					documented[pattern+"[]."+item.Content[0].Value] = true
				}
				walk(item, typ.Elem(), pattern+"[]")
			}
		}
	}
	root := doc.Content[0]
	walk(root, reflect.TypeOf(Config{}), "")

	// Every key of the struct, as a pattern.
	var want []string
	var keys func(typ reflect.Type, pattern string)
	keys = func(typ reflect.Type, pattern string) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case typ == reflect.TypeOf(time.Duration(0)):
		case typ.Kind() == reflect.Struct:
			for name, f := range yamlFields(typ) {
				p := join(pattern, name)
				want = append(want, p)
				keys(f.Type, p)
			}
		case typ.Kind() == reflect.Map:
			keys(typ.Elem(), pattern+".*")
		case typ.Kind() == reflect.Slice && typ.Elem().Kind() != reflect.String:
			keys(typ.Elem(), pattern+"[]")
		}
	}
	keys(reflect.TypeOf(Config{}), "")
	slices.Sort(want)
	if len(want) < 30 {
		t.Fatalf("only %d keys found in Config; the walk is broken", len(want))
	}
	for _, k := range want {
		if !seen[k] {
			t.Errorf("config/trademon.example.yaml lacks key %s", k)
		} else if !documented[k] {
			t.Errorf("config/trademon.example.yaml has no comment for key %s", k)
		}
	}
	if !documented["collectors.*"] {
		t.Error("config/trademon.example.yaml has no comment on the collectors")
	}
}

func TestEnvVarNamesCoverDocumentedVariables(t *testing.T) {
	for _, name := range EnvVarNames() {
		if !strings.Contains(string(config.ExampleYAML), name) {
			t.Errorf("%s is not mentioned in config/trademon.example.yaml", name)
		}
	}
}
