package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// run runs trademon with args and returns the exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// write creates a file under dir and returns its path.
func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfigDefaults(t *testing.T) {
	code, out, errOut := run(t, "check-config")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, re := range []string{
		`^config OK\n`,
		`\n  config      \(built-in defaults\)\n`,
		`\n  listen      127\.0\.0\.1:8080\n`,
		`\n  store       embedded in \./data\n`,
		`\n  targets     9 in config/targets\.yaml \(built-in\): `,
		`\n  tasks       46 in config/tasks\.yaml \(built-in\)\n`,
		`\n  history     \d+ rows in config/history/shenzhen\.csv \(built-in\); loaded into an empty store at the first serve\n`,
		`\n  collector   retail     enabled, next run \d{4}-\d\d-\d\d 09:30 CST; sources: tjj-monthly\n`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("stdout does not match %s:\n%s", re, out)
		}
	}
}

func TestCheckConfigProblems(t *testing.T) {
	dir := t.TempDir()
	badTargets := write(t, dir, "targets.yaml", "targets:\n  - id: retail\n    colour: red\n")
	badHistory := write(t, dir, "history.csv", "indicator,period,basis,value,unit,source_url,note\n"+
		"retail_sales,2024,year,10500,亿元,,\n"+
		"retail_sales,2024,year,\"12,5OO\",亿元,,\n"+
		"gdp,2024,year,1,亿元,,\n")
	noHeader := write(t, dir, "noheader.csv", "retail_sales,2024,year,10500,亿元,,\n")
	tests := []struct {
		name   string
		config string
		env    []string
		stderr string
	}{
		{"main config problems, all of them, in file order",
			"listen: nowhere\nstore:\n  kind: postgres\nrefresh_interval: 0s\n", nil,
			"CONFIG:1: listen: invalid address \"nowhere\": want host:port, e.g. 127.0.0.1:8080\n" +
				"CONFIG:3: store.kind: unknown store kind \"postgres\" (want embedded or influxdb)\n" +
				"CONFIG:4: refresh_interval: must be a positive duration such as 1m, got 0s\n" +
				"trademon: config has 3 problems\n"},
		{"four problems: two type errors, an unknown key and a bad value, all reported",
			"listen: 127.0.0.1:http\nrefresh_interval: soon\nfetch:\n  retries: many\n  user_agnt: trademon\n", nil,
			"CONFIG:1: listen: invalid port \"http\" in \"127.0.0.1:http\"\n" +
				"CONFIG:2: refresh_interval: cannot decode YAML str `soon` into time.Duration\n" +
				"CONFIG:4: fetch.retries: cannot decode YAML str `many` into int\n" +
				"CONFIG:5: fetch.user_agnt: unknown key (known keys of fetch: cache_dir, max_body_bytes, respect_robots, retries, timeout, user_agent)\n" +
				"trademon: config has 4 problems\n"},
		{"unknown environment variable",
			"listen: 127.0.0.1:0\n", []string{"TRADEMON_INFLUX_TOKEN=x"},
			"environment: TRADEMON_INFLUX_TOKEN: unknown variable (known: TRADEMON_HISTORY, TRADEMON_INFLUXDB_BUCKET, TRADEMON_INFLUXDB_ORG, TRADEMON_INFLUXDB_TOKEN, TRADEMON_INFLUXDB_URL, TRADEMON_LISTEN, TRADEMON_STORE_KIND, TRADEMON_STORE_PATH, TRADEMON_TARGETS, TRADEMON_TASKS, TRADEMON_USERS)\n" +
				"trademon: config has 1 problem\n"},
		{"targets file with an unknown key, missing tasks file, bad history rows",
			"listen: 127.0.0.1:0\ntargets: " + badTargets + "\ntasks: " + filepath.Join(dir, "nope.yaml") + "\nhistory: " + badHistory + "\n", nil,
			badTargets + ":3: targets[0].colour: unknown key (known keys of targets[0]: baseline, baseline_year, direction, goal, goal_year, id, indicator, mode, name, path, tolerance)\n" +
				filepath.Join(dir, "nope.yaml") + ": cannot read: no such file or directory\n" +
				badHistory + ":3: value: \"12,5OO\" is not a number: type digits such as 1,300.7 or １３００.７, or with a magnitude such as 1.25万亿 (invalid number \"12,5OO\": unexpected 'O')\n" +
				badHistory + ":4: indicator: unknown indicator \"gdp\": use one of airport_international_routes, digital_economy_share, goods_exports_cny, goods_imports_cny, goods_trade, goods_trade_cny, international_standards, new_trade_formats_share, port_container_throughput, retail_sales, services_trade, trade_hq_enterprises, usd_cny_rate\n" +
				"trademon: config has 4 problems\n"},
		{"history without a header",
			"listen: 127.0.0.1:0\nhistory: " + noHeader + "\n", nil,
			noHeader + ":1: header: unknown column \"retail_sales\" (known: indicator, period, basis, value, unit, source_url, note, quote, estimate, published_at, qualifier, yoy)\n" +
				"trademon: config has 1 problem\n"},
		{"missing config file",
			"MISSING", nil,
			"MISSING: cannot read config: no such file or directory\ntrademon: config has 1 problem\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			cfgPath := filepath.Join(t.TempDir(), "missing.yaml")
			if tt.config != "MISSING" {
				cfgPath = write(t, t.TempDir(), "trademon.yaml", tt.config)
			}
			code, out, errOut := run(t, "--config", cfgPath, "check-config")
			want := strings.ReplaceAll(strings.ReplaceAll(tt.stderr, "CONFIG", cfgPath), "MISSING", cfgPath)
			if code != 1 || out != "" || errOut != want {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", code, out, errOut, want)
			}
		})
	}
}

func TestCheckConfigHistoryNoneAndConfigFromEnv(t *testing.T) {
	cfg := write(t, t.TempDir(), "trademon.yaml", "history: none\nlisten: 0.0.0.0:9999\n")
	t.Setenv("TRADEMON_CONFIG", cfg)
	code, out, errOut := run(t, "check-config")
	if code != 0 || !strings.Contains(out, "\n  history     none\n") || !strings.Contains(out, "\n  config      "+cfg+"\n") ||
		!strings.Contains(out, "\n  listen      0.0.0.0:9999\n") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestGlobalFlags(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--log-level", "loud", "check-config"}, 1, `trademon: --log-level: slog: level string "loud": unknown name` + "\n"},
		{[]string{"--log-format", "xml", "check-config"}, 1, `trademon: --log-format: want text or json, got "xml"` + "\n"},
		{[]string{"--log-format", "json", "--log-level", "debug", "check-config"}, 0, ""},
		{[]string{"no-such-command"}, 1, `trademon: unknown command "no-such-command" for "trademon"` + "\n"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || errOut != tt.stderr {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tt.args, code, errOut, tt.code, tt.stderr)
		}
	}
}

// TestCheckConfigWhatServeWouldRefuse checks that check-config looks at what serve
// would refuse at once although the file is well formed: a listen address that cannot
// be bound (and, as a warning, one in use now), and a store path or cache directory
// that is not a directory it can write or create.
func TestCheckConfigWhatServeWouldRefuse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	inUse := busy.Addr().String()
	dir := t.TempDir()
	file := write(t, dir, "a-file", "not a directory")
	tests := []struct {
		name   string
		config string
		env    []string
		code   int
		stderr string
	}{
		{"listen address in use: a warning, not a problem",
			"history: none\nlisten: " + inUse + "\n", nil, 0,
			"CONFIG:2: listen: warning: " + inUse + " is in use now: serve cannot listen there while it is (unless that is this trademon, already running)\n"},
		{"listen address not on this machine",
			"history: none\nlisten: 192.0.2.1:8080\n", nil, 1,
			"CONFIG:2: listen: cannot listen on 192.0.2.1:8080: bind: cannot assign requested address\n" +
				"trademon: config has 1 problem\n"},
		{"store path is a file",
			"history: none\nlisten: 127.0.0.1:0\nstore:\n  path: " + file + "\n", nil, 1,
			"CONFIG:4: store.path: " + file + " is not a directory\n" +
				"trademon: config has 1 problem\n"},
		{"store path cannot be created",
			"history: none\nlisten: 127.0.0.1:0\nstore:\n  path: " + file + "/data\n", nil, 1,
			"CONFIG:4: store.path: cannot create " + file + "/data: " + file + " is not a directory\n" +
				"trademon: config has 1 problem\n"},
		{"store path from the environment, cache dir from the file",
			"history: none\nlisten: 127.0.0.1:0\nfetch:\n  cache_dir: " + file + "\n", []string{"TRADEMON_STORE_PATH=" + file}, 1,
			"CONFIG:4: fetch.cache_dir: " + file + " is not a directory\n" +
				"environment: TRADEMON_STORE_PATH (store.path): " + file + " is not a directory\n" +
				"trademon: config has 2 problems\n"},
		{"a type error and a store path serve would refuse: both reported",
			"history: none\nlisten: 127.0.0.1:0\nrefresh_interval: soon\nstore:\n  path: " + file + "\n", nil, 1,
			"CONFIG:3: refresh_interval: cannot decode YAML str `soon` into time.Duration\n" +
				"CONFIG:5: store.path: " + file + " is not a directory\n" +
				"trademon: config has 2 problems\n"},
		{"a store directory to be created in a writable one is fine",
			"history: none\nlisten: 127.0.0.1:0\nstore:\n  path: " + dir + "/new/data\n", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			cfgPath := write(t, t.TempDir(), "trademon.yaml", tt.config)
			code, out, errOut := run(t, "--config", cfgPath, "check-config")
			want := strings.ReplaceAll(tt.stderr, "CONFIG", cfgPath)
			if code != tt.code || errOut != want || (code == 0) != strings.HasPrefix(out, "config OK\n") {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stderr:\n%s", code, out, errOut, tt.code, want)
			}
		})
	}
	if _, err := os.Stat(dir + "/new"); !os.IsNotExist(err) {
		t.Errorf("check-config created the store directory (%v); it only checks", err)
	}
}
