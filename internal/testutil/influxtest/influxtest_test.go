package influxtest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/testutil/influxtest"
)

func TestServerDatabaseWriteCount(t *testing.T) {
	srv := influxtest.Start(t)
	db := srv.CreateDatabase(t)
	other := srv.CreateDatabase(t)
	if db == other {
		t.Fatalf("two databases share the name %s", db)
	}
	srv.MustWrite(t, db, "m,a=1 value=1 1000\nm,a=1 value=2 2000\nm,a=2 value=3 1000\nm,a=1 value=9 1000\n")
	got := srv.CountPoints(t, db, "m", "value")
	if len(got) != 2 || got["a=1"] != 2 || got["a=2"] != 1 {
		t.Fatalf("CountPoints = %v, want a=1:2 a=2:1", got)
	}
	if n := srv.CountPoints(t, other, "m", "value"); len(n) != 0 {
		t.Fatalf("fresh database holds %v", n)
	}
	err := srv.Write(db, "m,a=1 value=\"text\" 1000\n")
	var he *influxtest.HTTPError
	if !errors.As(err, &he) || he.Status != 400 || !strings.Contains(he.Message, "field type conflict") {
		t.Fatalf("conflicting write: %v, want HTTP 400 field type conflict", err)
	}
}

func TestProcessStopStart(t *testing.T) {
	p := influxtest.StartProcess(t)
	srv := p.Server()
	db := srv.CreateDatabase(t)
	srv.MustWrite(t, db, "m,a=1 value=1 1000\n")
	p.Kill(t)
	if p.Running() {
		t.Fatal("influxd still running after Kill")
	}
	if err := srv.Write(db, "m,a=1 value=2 2000\n"); err == nil {
		t.Fatal("write to a stopped influxd succeeded")
	}
	p.Start(t)
	srv.MustWrite(t, db, "m,a=1 value=2 2000\n")
	p.Restart(t)
	if got := srv.CountPoints(t, db, "m", "value"); got["a=1"] != 2 {
		t.Fatalf("after kill and restart: %v, want 2 points (acknowledged writes survive)", got)
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		ci, require string
		want        bool
	}{
		{"", "", false},
		{"true", "", true},
		{"", "1", true},
		{"", "0", false},
	}
	for _, tc := range tests {
		t.Setenv("CI", tc.ci)
		t.Setenv(influxtest.EnvRequire, tc.require)
		if got := influxtest.Required(); got != tc.want {
			t.Errorf("CI=%q %s=%q: Required() = %v, want %v", tc.ci, influxtest.EnvRequire, tc.require, got, tc.want)
		}
	}
}

func TestExternalServer(t *testing.T) {
	p := influxtest.StartProcess(t)
	t.Setenv(influxtest.EnvURL, p.URL()+"/")
	var name string
	t.Run("uses the named server", func(t *testing.T) {
		srv := influxtest.Start(t)
		if srv.Process() != nil || srv.URL != p.URL() {
			t.Fatalf("Start with %s set: process %v, URL %s", influxtest.EnvURL, srv.Process(), srv.URL)
		}
		name = srv.CreateDatabase(t)
		srv.MustWrite(t, name, "m value=1 1\n")
	})
	// An external server's database is dropped when its test ends.
	rows, err := p.Server().FluxErr(`from(bucket: "` + name + `") |> range(start: -1m) |> limit(n: 1)`)
	if err == nil {
		t.Fatalf("database %s still answers after its test ended: %v", name, rows)
	}
}
