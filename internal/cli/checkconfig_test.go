package cli

import (
	"bytes"
	"context"
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
		{"main config problems, all of them",
			"listen: nowhere\nstore:\n  kind: postgres\nrefresh_interval: 0s\n", nil,
			"CONFIG:1: listen: invalid address \"nowhere\": want host:port, e.g. 127.0.0.1:8080\n" +
				"CONFIG:4: refresh_interval: must be a positive duration such as 1m, got 0s\n" +
				"CONFIG:3: store.kind: unknown store kind \"postgres\" (want embedded or influxdb)\n" +
				"trademon: config has 3 problems\n"},
		{"unknown environment variable",
			"", []string{"TRADEMON_INFLUX_TOKEN=x"},
			"environment: TRADEMON_INFLUX_TOKEN: unknown variable (known: TRADEMON_HISTORY, TRADEMON_INFLUXDB_BUCKET, TRADEMON_INFLUXDB_ORG, TRADEMON_INFLUXDB_TOKEN, TRADEMON_INFLUXDB_URL, TRADEMON_LISTEN, TRADEMON_STORE_KIND, TRADEMON_STORE_PATH, TRADEMON_TARGETS, TRADEMON_TASKS, TRADEMON_USERS)\n" +
				"trademon: config has 1 problem\n"},
		{"targets file with an unknown key, missing tasks file, bad history rows",
			"targets: " + badTargets + "\ntasks: " + filepath.Join(dir, "nope.yaml") + "\nhistory: " + badHistory + "\n", nil,
			badTargets + ":3: targets[0].colour: unknown key (known keys of targets[0]: baseline, baseline_year, direction, goal, goal_year, id, indicator, mode, name, path, tolerance)\n" +
				filepath.Join(dir, "nope.yaml") + ": cannot read: no such file or directory\n" +
				badHistory + ":3: value: invalid number \"12,5OO\": unexpected 'O'\n" +
				badHistory + ":4: indicator: unknown indicator \"gdp\" (known: airport_international_routes, digital_economy_share, goods_exports_cny, goods_imports_cny, goods_trade, goods_trade_cny, international_standards, new_trade_formats_share, port_container_throughput, retail_sales, services_trade, trade_hq_enterprises, usd_cny_rate)\n" +
				"trademon: config has 4 problems\n"},
		{"history without a header",
			"history: " + noHeader + "\n", nil,
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
