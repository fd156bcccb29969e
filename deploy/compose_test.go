// Package deploy_test checks docker-compose.yml, the Dockerfile and the files the stack
// mounts against the repository: Docker cannot run in CI, so these are static checks
// with compose-go (the loader docker compose itself uses), promtool and amtool.
package deploy_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/trademon/trademon/dashboards"
)

const root = ".."

func load(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithEnv(env), cli.WithResolvedPaths(true),
		cli.WithEnvFiles(), cli.WithDiscardEnvFile)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// exampleEnv reads .env.example as KEY=VALUE lines.
func exampleEnv(t *testing.T) (map[string]string, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	var list []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: %q is not KEY=VALUE", line)
		}
		m[k] = v
		list = append(list, line)
	}
	return m, list
}

func project(t *testing.T) (*types.Project, map[string]string) {
	t.Helper()
	env, list := exampleEnv(t)
	p, err := load(t, list...)
	if err != nil {
		t.Fatalf("docker-compose.yml with .env.example: %v", err)
	}
	return p, env
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

func envOf(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// bind returns the host path mounted at target in s.
func bind(t *testing.T, s types.ServiceConfig, target string) string {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Target == target && v.Type == types.VolumeTypeBind {
			return v.Source
		}
	}
	t.Fatalf("service %s mounts nothing at %s", s.Name, target)
	return ""
}

func TestMissingEnvIsRefused(t *testing.T) {
	_, err := load(t)
	if err == nil || !strings.Contains(err.Error(), "in .env") {
		t.Fatalf("loading without .env: %v, want a refusal naming the missing variable", err)
	}
}

func TestServicesPortsHealthAndOrder(t *testing.T) {
	p, _ := project(t)
	want := map[string]uint32{"influxdb": 8086, "trademon": 8080, "prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
	if names := p.ServiceNames(); len(names) != len(want) {
		t.Errorf("services %v, want %v", names, want)
	}
	pinned := regexp.MustCompile(`^[a-z0-9./-]+:v?[0-9]+\.[0-9]+(\.[0-9]+)?$`)
	for name, port := range want {
		s := service(t, p, name)
		if s.Build == nil && !pinned.MatchString(s.Image) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
		if len(s.Ports) != 1 || s.Ports[0].Target != port || s.Ports[0].HostIP != "127.0.0.1" {
			t.Errorf("%s: ports %+v, want %d published on 127.0.0.1 only", name, s.Ports, port)
		}
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) < 2 || s.HealthCheck.Interval == nil {
			t.Errorf("%s: no health check", name)
		}
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s depends on %s with condition %q, want service_healthy", name, dep, d.Condition)
			}
		}
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s, which does not exist in the repository: %v", name, v.Source, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s mounts %s writable; config mounts are read-only", name, v.Source)
				}
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s uses volume %s, which is not declared", name, v.Source)
				}
			}
		}
	}
	order := map[string][]string{"trademon": {"influxdb"}, "prometheus": {"trademon", "alertmanager"}, "grafana": {"prometheus", "influxdb"}}
	for s, deps := range order {
		for _, d := range deps {
			if _, ok := service(t, p, s).DependsOn[d]; !ok {
				t.Errorf("%s does not wait for %s", s, d)
			}
		}
	}
}

func TestTrademonService(t *testing.T) {
	p, env := project(t)
	s := service(t, p, "trademon")
	if s.Build == nil || s.Build.Dockerfile != "Dockerfile" {
		t.Fatalf("trademon is not built from the repository's Dockerfile: %+v", s.Build)
	}
	influx := service(t, p, "influxdb")
	for k, want := range map[string]string{
		"TRADEMON_STORE_KIND":      "influxdb",
		"TRADEMON_INFLUXDB_URL":    "http://influxdb:8086",
		"TRADEMON_INFLUXDB_ORG":    envOf(influx, "DOCKER_INFLUXDB_INIT_ORG"),
		"TRADEMON_INFLUXDB_BUCKET": envOf(influx, "DOCKER_INFLUXDB_INIT_BUCKET"),
		"TRADEMON_INFLUXDB_TOKEN":  envOf(influx, "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"),
	} {
		if got := envOf(s, k); got != want || got == "" {
			t.Errorf("trademon %s = %q, want %q", k, got, want)
		}
	}
	if got := envOf(influx, "DOCKER_INFLUXDB_INIT_ORG"); got != env["INFLUXDB_ORG"] {
		t.Errorf("InfluxDB is initialised with org %q, .env.example says %q", got, env["INFLUXDB_ORG"])
	}
	// The store (spool) lives on a named volume at the store path.
	path := envOf(s, "TRADEMON_STORE_PATH")
	i := slices.IndexFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == path })
	if path == "" || i < 0 || s.Volumes[i].Type != types.VolumeTypeVolume {
		t.Errorf("trademon's store path %q is not on a named volume: %+v", path, s.Volumes)
	}
	if !strings.Contains(strings.Join(s.HealthCheck.Test, " "), "127.0.0.1:8080/readyz") || !strings.HasSuffix(envOf(s, "TRADEMON_LISTEN"), ":8080") {
		t.Errorf("trademon health check %v does not probe the port it listens on (%s)", s.HealthCheck.Test, envOf(s, "TRADEMON_LISTEN"))
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	from := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(text, -1)
	if len(from) < 2 {
		t.Errorf("Dockerfile has %d stages, want a multi-stage build", len(from))
	}
	for _, f := range from {
		if !regexp.MustCompile(`:[0-9]`).MatchString(f[1]) {
			t.Errorf("base image %s is not pinned", f[1])
		}
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(text)
	if user == nil || user[1] == "root" || strings.HasPrefix(user[1], "0") {
		t.Errorf("Dockerfile runs as %v, want a non-root user", user)
	}
	if !strings.Contains(text, "HEALTHCHECK") || !strings.Contains(text, "/readyz") {
		t.Error("Dockerfile has no health check on /readyz")
	}
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	goLine := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(gomod)
	if goLine == nil || !strings.Contains(text, "golang:"+string(goLine[1])) {
		t.Errorf("the build stage's Go is not go.mod's (%s)", goLine)
	}
}

func TestPrometheusService(t *testing.T) {
	p, _ := project(t)
	s := service(t, p, "prometheus")
	cfgPath := bind(t, s, "/etc/prometheus/prometheus.yml")
	rulesDir := bind(t, s, "/etc/prometheus/rules")
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName       string                       `yaml:"job_name"`
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, cfgPath, &cfg)
	tm := service(t, p, "trademon")
	_, port, _ := strings.Cut(envOf(tm, "TRADEMON_LISTEN"), ":")
	found := false
	for _, sc := range cfg.ScrapeConfigs {
		if sc.JobName == "trademon" {
			found = len(sc.StaticConfigs) == 1 && slices.Equal(sc.StaticConfigs[0].Targets, []string{"trademon:" + port})
		}
	}
	if !found {
		t.Errorf("Prometheus does not scrape the trademon service (job trademon, target trademon:%s): %+v", port, cfg.ScrapeConfigs)
	}
	if len(cfg.Alerting.Alertmanagers) != 1 || !slices.Equal(cfg.Alerting.Alertmanagers[0].StaticConfigs[0].Targets, []string{"alertmanager:9093"}) {
		t.Errorf("Prometheus does not alert to the alertmanager service: %+v", cfg.Alerting)
	}
	if !slices.Equal(cfg.RuleFiles, []string{"/etc/prometheus/rules/*.yml"}) {
		t.Errorf("rule_files %v, want the mounted rules directory", cfg.RuleFiles)
	}
	if rules, _ := filepath.Glob(filepath.Join(rulesDir, "*.yml")); len(rules) == 0 {
		t.Errorf("no rule files in the mounted %s", rulesDir)
	}
	// promtool accepts the config with the rules where the container sees them.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		b, _ := os.ReadFile(cfgPath)
		tmp := filepath.Join(t.TempDir(), "prometheus.yml")
		_ = os.WriteFile(tmp, []byte(strings.ReplaceAll(string(b), "/etc/prometheus/rules", rulesDir)), 0o644)
		if out, err := exec.Command(promtool, "check", "config", tmp).CombinedOutput(); err != nil {
			t.Errorf("promtool check config: %v\n%s", err, out)
		}
	}
}

func TestAlertmanagerService(t *testing.T) {
	p, _ := project(t)
	s := service(t, p, "alertmanager")
	cfg := bind(t, s, "/etc/alertmanager/alertmanager.yml")
	if !slices.Contains(s.Command, "--config.file=/etc/alertmanager/alertmanager.yml") {
		t.Errorf("alertmanager does not read the mounted config: %v", s.Command)
	}
	amtool, err := exec.LookPath("amtool")
	if err != nil {
		t.Skip("amtool not installed")
	}
	if out, err := exec.Command(amtool, "check-config", cfg).CombinedOutput(); err != nil {
		t.Errorf("amtool check-config: %v\n%s", err, out)
	}
	// Every audience the rules use has a route.
	b, _ := os.ReadFile(cfg)
	for _, a := range []string{"analysts", "statistics", "operators"} {
		if !strings.Contains(string(b), `audience="`+a+`"`) {
			t.Errorf("no route for audience %s", a)
		}
	}
}

func TestGrafanaService(t *testing.T) {
	p, _ := project(t)
	s := service(t, p, "grafana")
	dsDir := bind(t, s, "/etc/grafana/provisioning/datasources")
	provDir := bind(t, s, "/etc/grafana/provisioning/dashboards")
	dashDir := bind(t, s, dashboards.GrafanaDashboardsPath)
	var ds struct {
		Datasources []struct {
			UID, Type, URL string
			JSONData       map[string]any    `yaml:"jsonData"`
			Secure         map[string]string `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(dsDir, "trademon.yaml"), &ds)
	hosts := map[string]string{dashboards.PrometheusUID: "prometheus:9090", dashboards.InfluxDBUID: "influxdb:8086"}
	for _, d := range ds.Datasources {
		want, ok := hosts[d.UID]
		if !ok {
			t.Errorf("provisioned data source %s is not one the dashboards use", d.UID)
			continue
		}
		delete(hosts, d.UID)
		if u, err := url.Parse(d.URL); err != nil || u.Host != want {
			t.Errorf("data source %s points at %s, want the %s service", d.UID, d.URL, want)
		}
	}
	if len(hosts) > 0 {
		t.Errorf("data sources the dashboards use but Grafana does not get: %v", hosts)
	}
	// ${VAR}s of the provisioning file are in Grafana's environment.
	b, _ := os.ReadFile(filepath.Join(dsDir, "trademon.yaml"))
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)\}`).FindAllStringSubmatch(string(b), -1) {
		if envOf(s, m[1]) == "" {
			t.Errorf("datasource provisioning needs %s, which the grafana service does not set", m[1])
		}
	}
	var prov struct {
		Providers []struct{ Options struct{ Path string } } `yaml:"providers"`
	}
	readYAML(t, filepath.Join(provDir, "trademon.yaml"), &prov)
	if len(prov.Providers) != 1 || prov.Providers[0].Options.Path != dashboards.GrafanaDashboardsPath {
		t.Errorf("dashboard provider reads %+v, the JSON is mounted at %s", prov.Providers, dashboards.GrafanaDashboardsPath)
	}
	in, err := dashboards.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	files, err := dashboards.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dashDir, f.Name)); err != nil {
			t.Errorf("dashboard %s is not in the mounted %s", f.Name, dashDir)
		}
	}
	home := envOf(s, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
	rel, ok := strings.CutPrefix(home, dashboards.GrafanaDashboardsPath+"/")
	if _, err := os.Stat(filepath.Join(dashDir, rel)); !ok || err != nil {
		t.Errorf("home dashboard %s is not a mounted dashboard", home)
	}
}

// Every ${VAR} docker-compose.yml reads is documented in .env.example.
func TestEnvExampleCoversCompose(t *testing.T) {
	env, _ := exampleEnv(t)
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)`).FindAllStringSubmatch(string(b), -1) {
		if _, ok := env[m[1]]; !ok {
			t.Errorf("docker-compose.yml reads %s, which .env.example does not set", m[1])
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
