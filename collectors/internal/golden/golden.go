// Package golden compares test output with golden files under testdata/ and rewrites
// them when tests run with -update:
//
//	go test ./collectors/... -update
//
// Every test package under collectors/ that uses golden files imports this package,
// directly or through package sitetest or extracttest, so the flag is declared once; a
// package there with tests that imports none of them should import it too (a blank
// import is enough), or -update fails for it.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// JSON compares v, marshalled as indented JSON, with the golden file at path; with
// -update it writes the file instead.
func JSON(t testing.TB, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal %s: %v", path, err)
	}
	Bytes(t, path, append(got, '\n'))
}

// Bytes compares got with the golden file at path; with -update it writes the file
// instead.
func Bytes(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update to accept it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
