// Package apiclient is the CLI's way into a running trademon serve: when serve holds
// the embedded store, `trademon import` and `trademon targets` go through its API with
// the token in TRADEMON_TOKEN.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Client talks to one server.
type Client struct {
	// Base is the server's URL, e.g. http://127.0.0.1:8080.
	Base  string
	Token string
	HTTP  *http.Client
}

// ErrNoToken says the CLI has no token to send.
var ErrNoToken = errors.New("no API token")

// BaseURL returns the URL of the server listening on addr (the config's listen): a
// wildcard host means this machine.
func BaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// New returns a client of the server at base with the token; an empty token is
// ErrNoToken.
func New(base, token string) (*Client, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, ErrNoToken
	}
	return &Client{Base: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// Error is a 4xx or 5xx answer.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("server answered %d: %s", e.Status, e.Msg) }

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("reach the running server at %s: %w", c.Base, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", c.Base, err)
	}
	if res.StatusCode >= 400 {
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
			if e.Field != "" {
				msg = e.Field + ": " + msg
			}
		}
		return &Error{Status: res.StatusCode, Msg: msg}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the answer of %s%s: %w", c.Base, path, err)
	}
	return nil
}

// Import posts the file to /api/v1/import and decodes the summary into out.
func (c *Client) Import(ctx context.Context, name string, data []byte, dryRun, atomic bool, reason, confirm string, out any) error {
	q := url.Values{"name": {filepath.Base(name)}}
	if dryRun {
		q.Set("dryRun", "true")
	}
	if atomic {
		q.Set("atomic", "true")
	}
	if reason != "" {
		q.Set("reason", reason)
	}
	if confirm != "" {
		q.Set("confirm", confirm)
	}
	ct := "text/csv"
	if strings.EqualFold(filepath.Ext(name), ".xlsx") {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return c.do(ctx, http.MethodPost, "/api/v1/import?"+q.Encode(), bytes.NewReader(data), ct, out)
}

// Observations returns every stored observation, as GET /api/v1/observations lists them.
func (c *Client) Observations(ctx context.Context) ([]obs.Observation, error) {
	var out struct {
		Observations []obs.Observation `json:"observations"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/observations", nil, "", &out); err != nil {
		return nil, err
	}
	return out.Observations, nil
}

// Revisions returns every recorded revision, as GET /api/v1/revisions lists them.
func (c *Client) Revisions(ctx context.Context) ([]obs.Revision, error) {
	var out struct {
		Revisions []obs.Revision `json:"revisions"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/revisions", nil, "", &out); err != nil {
		return nil, err
	}
	for i := range out.Revisions {
		out.Revisions[i].Key = out.Revisions[i].Observation.Key()
	}
	return out.Revisions, nil
}
