package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trademon/trademon/internal/settings"
)

func loader(t *testing.T, text *string) func() (*settings.Config, error) {
	file := filepath.Join(t.TempDir(), "trademon.yaml")
	return func() (*settings.Config, error) {
		if err := os.WriteFile(file, []byte(*text), 0o600); err != nil {
			t.Fatal(err)
		}
		return settings.Load(file, settings.Options{Env: []string{}})
	}
}

// TestAllOrNothing checks that a part refusing the new config keeps every part on the
// old one, that the metrics say so, and that a later good reload applies all parts.
func TestAllOrNothing(t *testing.T) {
	text := "listen: 127.0.0.1:8080\ntargets: a.yaml\n"
	load := loader(t, &text)
	start, err := load()
	if err != nil {
		t.Fatal(err)
	}
	var applied []string
	refuse := true
	parts := []Part{
		{Name: "first", Prepare: func(_ context.Context, _, next *settings.Config) (func(), error) {
			return func() { applied = append(applied, "first "+next.Targets) }, nil
		}},
		{Name: "second", Prepare: func(_ context.Context, _, next *settings.Config) (func(), error) {
			if refuse {
				return nil, errors.New("broken on purpose")
			}
			return func() { applied = append(applied, "second "+next.Targets) }, nil
		}},
	}
	reg := prometheus.NewRegistry()
	now := time.Unix(1000, 0)
	r, err := New(Options{Load: load, Current: start, Parts: parts, Registerer: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	text = "listen: 127.0.0.1:9090\ntargets: b.yaml\n"
	now = time.Unix(2000, 0)
	if _, err := r.Reload(context.Background(), "test"); err == nil || !strings.Contains(err.Error(), "second: broken on purpose") {
		t.Fatalf("reload = %v, want the second part's error", err)
	}
	if len(applied) != 0 || r.Current().Targets != "a.yaml" {
		t.Fatalf("a refused reload applied %v, current targets %q", applied, r.Current().Targets)
	}
	if v := testutil.ToFloat64(r.success); v != 0 {
		t.Errorf("successful = %v after a failure", v)
	}
	if v := testutil.ToFloat64(r.timestamp); v != 1000 {
		t.Errorf("timestamp = %v, want the start's 1000", v)
	}
	refuse = false
	res, err := r.Reload(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(applied, ",") != "first b.yaml,second b.yaml" || strings.Join(res.RestartNeeded, ",") != "listen" {
		t.Errorf("applied %v, restart needed %v", applied, res.RestartNeeded)
	}
	if c := r.Current(); c.Targets != "b.yaml" || c.Listen != "127.0.0.1:8080" {
		t.Errorf("current targets %q listen %q: want the new targets and the running listen address", c.Targets, c.Listen)
	}
	if testutil.ToFloat64(r.success) != 1 || testutil.ToFloat64(r.timestamp) != 2000 {
		t.Errorf("metrics after success: %v %v", testutil.ToFloat64(r.success), testutil.ToFloat64(r.timestamp))
	}
	if n := testutil.ToFloat64(r.total.WithLabelValues("failure")); n != 1 {
		t.Errorf("failures = %v", n)
	}
}
