// Package entryenv builds trademon's staff entry in process — a real embedded store, the
// state file, the entry service, the authenticator, the API and the pages on one mux —
// for fuzzing the JSON API and the form handlers, and checks that what they stored is a
// figure trademon can justify.
//
// It is test support: only _test.go files import it.
package entryenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trademon/trademon/internal/api"
	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/web"
)

// Now is the clock of the entry service: figures for periods after it are refused.
var Now = time.Date(2025, 11, 20, 12, 0, 0, 0, obs.Shanghai)

// Token is the API token of the editor "fuzz", who may enter every indicator.
const Token = "fuzz-editor-token-0123456789abcdef"

// Env is staff entry on an http.Handler.
type Env struct {
	Handler http.Handler
	Store   *embedded.Store
}

// New builds an Env under a temporary directory of tb, closed when tb ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	dir := tb.TempDir()
	log := slog.New(slog.DiscardHandler)
	st, err := embedded.Open(dir, embedded.Options{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	db, err := state.Open(dir, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close(); _ = st.Close() })
	users, err := auth.ParseUsers("users.yaml", []byte(fmt.Sprintf("users:\n  - name: fuzz\n    role: editor\n    tokens: [%q]\n", auth.HashToken(Token))), auth.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return Now }
	svc := entry.New(entry.Options{Store: st, State: db, Logger: log, Now: now})
	au := auth.New(auth.Options{Users: auth.NewDirectory(users), Sessions: db, TTL: time.Hour, PerUser: 1000, PerAddress: 1000, Window: time.Minute, Logger: log, Now: now})
	mux := http.NewServeMux()
	(&api.API{Entry: svc, Auth: au, Store: st, State: db, Logger: log, Now: now}).Mount(mux)
	(&web.Web{Entry: svc, Auth: au, Logger: log}).Mount(mux)
	return &Env{Handler: mux, Store: st}
}

// Justified returns why o is a figure trademon should not have stored from a person:
// not valid or not finite, outside its indicator's plausible range, not in its base
// unit, for a period that had not begun, without a URL or a quote to check it by,
// with text that is not valid UTF-8 or holds markup, or not naming who entered it.
func Justified(o obs.Observation) error {
	ind, ok := obs.Lookup(o.Indicator)
	switch {
	case !ok:
		return fmt.Errorf("unknown indicator %q", o.Indicator)
	case math.IsNaN(o.Value) || math.IsInf(o.Value, 0):
		return fmt.Errorf("value %v is not finite", o.Value)
	case o.Unit != ind.BaseUnit:
		return fmt.Errorf("unit %q is not the base unit %s", o.Unit, ind.BaseUnit)
	case ind.CheckRange(o.Value) != nil:
		return ind.CheckRange(o.Value)
	case o.Period.Start().After(Now):
		return fmt.Errorf("period %s had not begun", o.Period)
	case o.URL == "" && strings.TrimSpace(o.Quote) == "":
		return errors.New("neither a URL nor a quote")
	case o.URL != "" && !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://"):
		return fmt.Errorf("URL %q is not http(s)", o.URL)
	case o.SourceKind != obs.KindManual || o.EnteredBy != "fuzz":
		return fmt.Errorf("kind %q entered by %q", o.SourceKind, o.EnteredBy)
	}
	for _, s := range []string{o.URL, o.Quote, o.Note} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("text %q is not UTF-8", s)
		}
	}
	for _, s := range []string{o.Quote, o.Note} {
		if m := obs.Markup(s); m != "" {
			return fmt.Errorf("text %q holds markup", s)
		}
	}
	return o.Validate(Now)
}

// CheckStore fails tb for every stored observation that is not Justified.
func (e *Env) CheckStore(tb testing.TB) int {
	tb.Helper()
	all, err := e.Store.Query(context.Background(), store.Filter{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, o := range all {
		if err := Justified(o); err != nil {
			tb.Fatalf("stored %s = %v (%q, %q): %v", o.Key(), o.Value, o.URL, o.Quote, err)
		}
	}
	return len(all)
}

// CheckAnswer checks a 201 answer of the API or the form: every figure it reports is
// stored and Justified. body is the API's {"observations": [...]}; for the form, pass
// nil and the store is checked whole.
func (e *Env) CheckAnswer(tb testing.TB, body []byte) {
	tb.Helper()
	if body == nil {
		e.CheckStore(tb)
		return
	}
	var ans struct {
		Observations []obs.Observation `json:"observations"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		tb.Fatalf("201 answer is not the documented JSON: %v\n%s", err, body)
	}
	for _, a := range ans.Observations {
		got, err := e.Store.Query(context.Background(), store.Filter{Indicators: []string{a.Indicator}, Bases: []obs.Basis{a.Basis}})
		if err != nil {
			tb.Fatal(err)
		}
		found := false
		for _, o := range got {
			if o.Key() == a.Key() {
				found = true
				if err := Justified(o); err != nil {
					tb.Fatalf("stored %s = %v (%q, %q): %v", o.Key(), o.Value, o.URL, o.Quote, err)
				}
			}
		}
		if !found {
			tb.Fatalf("answered 201 for %s but it is not stored", a.Key())
		}
	}
}
