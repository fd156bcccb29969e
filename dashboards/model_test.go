package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// jsonDashboard is the part of a dashboard's JSON the tests read.
type jsonDashboard struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
	Time  struct {
		From string `json:"from"`
	} `json:"time"`
	Panels     []jsonPanel `json:"panels"`
	Templating struct {
		List []jsonVariable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string    `json:"name"`
			Datasource jsonDS    `json:"datasource"`
			Target     jsonQuery `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
}

type jsonDS struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type jsonPanel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Repeat      string      `json:"repeat"`
	Datasource  jsonDS      `json:"datasource"`
	Targets     []jsonQuery `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit     string `json:"unit"`
			Decimals *int   `json:"decimals"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string `json:"id"`
				Value any    `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
}

type jsonQuery struct {
	RefID      string `json:"refId"`
	Datasource jsonDS `json:"datasource"`
	Expr       string `json:"expr"`    // Prometheus
	Query      string `json:"query"`   // Flux
	Instant    bool   `json:"instant"` // Prometheus
	Legend     string `json:"legendFormat"`
}

type jsonVariable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Datasource jsonDS `json:"datasource"`
	Query      string `json:"query"`
	Regex      string `json:"regex"`
	Multi      bool   `json:"multi"`
}

// query is one query of a dashboard, wherever it sits (panel, variable, annotation).
type query struct {
	Dashboard string
	// Where: "panel 3 A", "variable indicator", "annotation 修订 Revisions".
	Where   string
	PanelID int
	RefID   string
	// Kind is "prometheus" or "influxdb".
	Kind    string
	Text    string
	Instant bool
	Repeat  string
}

func (d jsonDashboard) queries() []query {
	var out []query
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out = append(out, query{Dashboard: d.UID, Where: "variable " + v.Name, Kind: v.Datasource.Type, Text: v.Query, Instant: true})
		}
	}
	for _, a := range d.Annotations.List {
		out = append(out, query{Dashboard: d.UID, Where: "annotation " + a.Name, Kind: a.Datasource.Type, Text: a.Target.Query + a.Target.Expr, RefID: a.Target.RefID})
	}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			q := query{Dashboard: d.UID, PanelID: p.ID, RefID: t.RefID, Kind: t.Datasource.Type, Instant: t.Instant, Repeat: p.Repeat}
			q.Where = "panel " + itoa(p.ID) + " " + t.RefID
			q.Text = t.Expr
			if q.Kind == "influxdb" {
				q.Text = t.Query
			}
			out = append(out, q)
		}
	}
	return out
}

// readGlob returns the files matching pattern, concatenated.
func readGlob(t testing.TB, pattern string) (string, []string) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("nothing matches %s: %v", pattern, err)
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return string(all), files
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// committed reads the dashboards committed in this directory.
func committed(t testing.TB) map[string]jsonDashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboard JSON here: %v", err)
	}
	out := map[string]jsonDashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d jsonDashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[d.UID] = d
	}
	return out
}

func (d jsonDashboard) panel(id int) (jsonPanel, bool) {
	i := slices.IndexFunc(d.Panels, func(p jsonPanel) bool { return p.ID == id })
	if i < 0 {
		return jsonPanel{}, false
	}
	return d.Panels[i], true
}
