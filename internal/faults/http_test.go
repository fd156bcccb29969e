package faults

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// call sends a request to a running trademon with the bearer token tok ("" for none)
// and body as JSON (nil for none), and returns the status and the body of the answer.
func call(t *testing.T, method, url, tok string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// apiGet GETs url with the bearer token tok and decodes the JSON answer into out; it
// fails t unless the answer is a 200 that decodes.
func apiGet(t *testing.T, url, tok string, out any) {
	t.Helper()
	code, body := call(t, http.MethodGet, url, tok, nil)
	if err := json.Unmarshal([]byte(body), out); err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %v %.300s", url, code, err, body)
	}
}
