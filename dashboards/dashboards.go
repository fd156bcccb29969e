// Package dashboards generates trademon's Grafana dashboards as code, with
// grafana-foundation-sdk: Targets overview (目标总览), Indicator detail (指标详情),
// Data health (数据健康) and Measures (任务进展). `trademon dashboards --out DIR` writes
// them; the JSON committed in this directory is always what Generate produces (a test
// fails otherwise), and Grafana loads it through the provisioning files under
// provisioning/. The queries use the data sources by fixed UIDs (PrometheusUID,
// InfluxDBUID), never __inputs, and only metric, measurement and field names of the
// contracts in DESIGN.md; every query is tested against real servers (live_test.go).
package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/trademon/trademon/targets"
)

// Input is what the dashboards are generated from: the targets and tasks files.
type Input struct {
	Targets []targets.Target
	Tasks   []targets.Task
}

// Builtin returns the Input of the files built into trademon.
func Builtin() (Input, error) {
	ts, err := targets.Builtin()
	if err != nil {
		return Input{}, err
	}
	tasks, err := targets.BuiltinTasks()
	if err != nil {
		return Input{}, err
	}
	return Input{Targets: ts, Tasks: tasks}, nil
}

// File is one generated dashboard.
type File struct {
	// Name is the file name, e.g. "trademon-overview.json".
	Name string
	UID  string
	JSON []byte
}

// Generate builds every dashboard.
func Generate(in Input) ([]File, error) {
	if len(in.Targets) == 0 {
		return nil, errors.New("dashboards: no targets")
	}
	builders := []*dashboard.DashboardBuilder{
		overview(),
		indicatorDetail(in.Targets),
		dataHealth(),
		measures(in.Tasks),
	}
	out := make([]File, 0, len(builders))
	for _, b := range builders {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboards: build: %w", err)
		}
		data, err := marshal(d)
		if err != nil {
			return nil, fmt.Errorf("dashboards: %s: %w", deref(d.Uid), err)
		}
		uid := deref(d.Uid)
		out = append(out, File{Name: uid + ".json", UID: uid, JSON: data})
	}
	return out, nil
}

// marshal writes d as indented JSON without HTML escaping (queries keep their < and >).
func marshal(d dashboard.Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the files into dir (created if missing), each through a temporary file
// renamed into place, so that Grafana never reads half a dashboard.
func Write(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dashboards: %w", err)
	}
	for _, f := range files {
		tmp, err := os.CreateTemp(dir, "."+f.Name+".*")
		if err != nil {
			return fmt.Errorf("dashboards: %w", err)
		}
		_, werr := tmp.Write(f.JSON)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("dashboards: write %s: %w", f.Name, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("dashboards: %w", err)
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, f.Name)); err != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("dashboards: %w", err)
		}
	}
	return nil
}

// GrafanaDashboardsPath is where the Grafana container sees the dashboard JSON
// (provisioning/dashboards/trademon.yaml; docker-compose.yml mounts it).
const GrafanaDashboardsPath = "/var/lib/grafana/dashboards/trademon"
