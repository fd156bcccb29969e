// Package influxtest gives tests a real InfluxDB: an external server named by
// TRADEMON_TEST_INFLUXDB_URL, or else a local influxd 1.8 started in a temporary
// directory on a free loopback port. Each test gets a fresh, uniquely named database
// (bucket). Outage tests get a Process they can stop, kill and start again on the
// same data directory and port.
//
// When no server can be had the test is skipped with the reason, except when CI is
// set or TRADEMON_TEST_REQUIRE_INFLUXDB=1: then it fails, so that the InfluxDB tests
// never silently skip in CI.
//
// Environment:
//
//	TRADEMON_TEST_INFLUXDB_URL      use this server instead of starting one
//	TRADEMON_TEST_INFLUXDB_TOKEN    its token (1.8: "user:password"; empty without auth)
//	TRADEMON_TEST_INFLUXDB_ORG      its organization (needed by 2.x; default "trademon")
//	TRADEMON_TEST_INFLUXD           the influxd 1.8 binary to start (default:
//	                                <module root>/.tools/bin/influxd, then PATH)
//	TRADEMON_TEST_REQUIRE_INFLUXDB  1: fail instead of skipping when there is no server
package influxtest

import (
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Environment variables read by this package.
const (
	EnvURL     = "TRADEMON_TEST_INFLUXDB_URL"
	EnvToken   = "TRADEMON_TEST_INFLUXDB_TOKEN"
	EnvOrg     = "TRADEMON_TEST_INFLUXDB_ORG"
	EnvInfluxd = "TRADEMON_TEST_INFLUXD"
	EnvRequire = "TRADEMON_TEST_REQUIRE_INFLUXDB"
)

// Required reports whether InfluxDB tests must run rather than skip: in CI, or when
// TRADEMON_TEST_REQUIRE_INFLUXDB=1.
func Required() bool { return os.Getenv("CI") != "" || os.Getenv(EnvRequire) == "1" }

// unavailable skips t, or fails it when InfluxDB is required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("InfluxDB is required here (CI or %s=1) but: %s", EnvRequire, msg)
	}
	t.Skipf("skipping InfluxDB test: %s (set %s to use a running server)", msg, EnvURL)
}

// Server is an InfluxDB server a test can use.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:34567.
	URL string
	// Token authorizes requests ("" when the server has no authentication).
	Token string
	// Org is the organization (ignored by 1.8, required by 2.x).
	Org string
	// Version is the server's version from its /ping answer (may be "unknown").
	Version string

	proc   *Process
	client *http.Client
}

// Start returns a server for t: the one named by TRADEMON_TEST_INFLUXDB_URL, or a local
// influxd started for t and stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if u := strings.TrimSpace(os.Getenv(EnvURL)); u != "" {
		s := &Server{URL: strings.TrimRight(u, "/"), Token: os.Getenv(EnvToken), Org: orgFromEnv(), client: &http.Client{Timeout: 30 * time.Second}}
		v, err := s.ping()
		if err != nil {
			unavailable(t, "%s=%s does not answer /ping: %v", EnvURL, u, err)
		}
		s.Version = v
		return s
	}
	p := StartProcess(t)
	return p.Server()
}

func orgFromEnv() string {
	if o := os.Getenv(EnvOrg); o != "" {
		return o
	}
	return "trademon"
}

// Process returns the local influxd behind s, or nil for an external server.
func (s *Server) Process() *Process { return s.proc }

// IsV2 reports whether the server is InfluxDB 2.x.
func (s *Server) IsV2() bool { return strings.HasPrefix(strings.TrimPrefix(s.Version, "v"), "2.") }

func (s *Server) ping() (string, error) {
	resp, err := s.client.Get(s.URL + "/ping")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("/ping answered %s", resp.Status)
	}
	return resp.Header.Get("X-Influxdb-Version"), nil
}

func (s *Server) do(method, path string, query url.Values, contentType string, body io.Reader) ([]byte, error) {
	u := s.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Token "+s.Token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(data))
		if h := resp.Header.Get("X-Influxdb-Error"); h != "" {
			msg = h
		}
		return data, &HTTPError{Status: resp.StatusCode, Message: msg}
	}
	return data, nil
}

// HTTPError is a non-2xx answer of the server.
type HTTPError struct {
	Status  int
	Message string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// CreateDatabase creates a fresh database (1.8) or bucket (2.x) with a unique name
// derived from the test's name and returns the name to use as the bucket. It is
// dropped when t ends if the server is external (a local server's directory goes
// away anyway).
func (s *Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	base := unsafeName.ReplaceAllString(t.Name(), "_")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	name := "tm_" + strings.Trim(base, "_") + "_" + hex.EncodeToString(rnd[:])
	if s.IsV2() {
		id := s.createBucketV2(t, name)
		t.Cleanup(func() { _, _ = s.do(http.MethodDelete, "/api/v2/buckets/"+id, nil, "", nil) })
		return name
	}
	if _, err := s.do(http.MethodPost, "/query", url.Values{"q": {`CREATE DATABASE "` + name + `"`}}, "", nil); err != nil {
		t.Fatalf("influxtest: create database %s: %v", name, err)
	}
	if s.proc == nil {
		t.Cleanup(func() {
			_, _ = s.do(http.MethodPost, "/query", url.Values{"q": {`DROP DATABASE "` + name + `"`}}, "", nil)
		})
	}
	return name
}

// DropDatabase drops a database (1.8) made by CreateDatabase, freeing the server's
// memory for its series, e.g. between benchmark iterations. On 2.x it does nothing
// (the bucket goes when the test ends).
func (s *Server) DropDatabase(t testing.TB, name string) {
	t.Helper()
	if s.IsV2() {
		return
	}
	if _, err := s.do(http.MethodPost, "/query", url.Values{"q": {`DROP DATABASE "` + name + `"`}}, "", nil); err != nil {
		t.Fatalf("influxtest: drop database %s: %v", name, err)
	}
}

// createBucketV2 creates a bucket through the 2.x API and returns its id.
func (s *Server) createBucketV2(t testing.TB, name string) string {
	t.Helper()
	data, err := s.do(http.MethodGet, "/api/v2/orgs", url.Values{"org": {s.Org}}, "", nil)
	if err != nil {
		t.Fatalf("influxtest: look up org %s: %v", s.Org, err)
	}
	var orgs struct {
		Orgs []struct{ ID string } `json:"orgs"`
	}
	if err := json.Unmarshal(data, &orgs); err != nil || len(orgs.Orgs) == 0 {
		t.Fatalf("influxtest: org %s not found (%v): %s", s.Org, err, data)
	}
	body, _ := json.Marshal(map[string]any{"orgID": orgs.Orgs[0].ID, "name": name, "retentionRules": []any{}})
	data, err = s.do(http.MethodPost, "/api/v2/buckets", nil, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("influxtest: create bucket %s: %v", name, err)
	}
	var b struct{ ID string }
	if err := json.Unmarshal(data, &b); err != nil || b.ID == "" {
		t.Fatalf("influxtest: create bucket %s: unexpected answer %s", name, data)
	}
	return b.ID
}

// Write posts line protocol to the bucket through /api/v2/write (nanosecond
// precision) and returns the server's error, if any, as *HTTPError.
func (s *Server) Write(bucket, lines string) error {
	_, err := s.do(http.MethodPost, "/api/v2/write",
		url.Values{"bucket": {bucket}, "org": {s.Org}, "precision": {"ns"}}, "text/plain; charset=utf-8", strings.NewReader(lines))
	return err
}

// MustWrite is Write failing t on error.
func (s *Server) MustWrite(t testing.TB, bucket, lines string) {
	t.Helper()
	if err := s.Write(bucket, lines); err != nil {
		t.Fatalf("influxtest: write to %s: %v", bucket, err)
	}
}

// Row is one record of a Flux result: column name → value as the CSV gives it.
type Row map[string]string

// Flux runs a Flux query and returns its records.
func (s *Server) Flux(t testing.TB, query string) []Row {
	t.Helper()
	rows, err := s.FluxErr(query)
	if err != nil {
		t.Fatalf("influxtest: flux query failed: %v\n%s", err, query)
	}
	return rows
}

// FluxErr runs a Flux query and returns its records or the error.
func (s *Server) FluxErr(query string) ([]Row, error) {
	body, _ := json.Marshal(map[string]any{
		"query": query, "type": "flux",
		"dialect": map[string]any{"header": true, "annotations": []string{"datatype", "group", "default"}},
	})
	data, err := s.do(http.MethodPost, "/api/v2/query", url.Values{"org": {s.Org}}, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return parseCSV(data)
}

// parseCSV reads an annotated Flux CSV answer, which may hold several tables with
// their own headers.
func parseCSV(data []byte) ([]Row, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var header []string
	var rows []Row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse flux csv: %w", err)
		}
		switch {
		case len(rec) == 0 || strings.HasPrefix(rec[0], "#"):
			header = nil
		case header == nil:
			header = rec
			if slices.Contains(header, "error") && !slices.Contains(header, "table") {
				next, _ := r.Read()
				return nil, fmt.Errorf("flux error: %v", next)
			}
		default:
			row := make(Row, len(header))
			for i, h := range header {
				if i < len(rec) && h != "" {
					row[h] = rec[i]
				}
			}
			rows = append(rows, row)
		}
	}
}

// AllTime is a Flux range covering every time InfluxDB can store.
const AllTime = `range(start: 1677-09-21T00:12:43.145224194Z, stop: 2262-04-11T23:47:16.854775806Z)`

// CountPoints counts the points of measurement in bucket that carry field, per
// series: the key is the series' tags as "k=v,k=v" in key order.
func (s *Server) CountPoints(t testing.TB, bucket, measurement, field string) map[string]int {
	t.Helper()
	q := fmt.Sprintf(`from(bucket: %q) |> %s |> filter(fn: (r) => r._measurement == %q and r._field == %q) |> count()`,
		bucket, AllTime, measurement, field)
	out := map[string]int{}
	for _, row := range s.Flux(t, q) {
		var tags []string
		for k, v := range row {
			if !strings.HasPrefix(k, "_") && k != "result" && k != "table" {
				tags = append(tags, k+"="+v)
			}
		}
		slices.Sort(tags)
		var n int
		if _, err := fmt.Sscan(row["_value"], &n); err != nil {
			t.Fatalf("influxtest: count %q: %v", row["_value"], err)
		}
		out[strings.Join(tags, ",")] += n
	}
	return out
}

// moduleRoot returns the directory of the nearest go.mod above the working directory.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
