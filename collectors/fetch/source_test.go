package fetch_test

import (
	"path/filepath"
	"testing"

	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/internal/settings"
)

// TestCheckSourceAtLoad checks that a source whose selectors or patterns do not
// compile is a problem when the config is loaded, with the file, the line and the key,
// as trademon loads it (settings.Load with fetch.CheckSource).
func TestCheckSourceAtLoad(t *testing.T) {
	tests := map[string]string{
		"invalid-selector.yaml":     `testdata/invalid-selector.yaml:6: collectors.retail.sources[0].link_selector: invalid CSS selector "ul li a[": expected identifier, found EOF instead`,
		"invalid-regexp.yaml":       "testdata/invalid-regexp.yaml:7: collectors.retail.sources[0].title_pattern: invalid regular expression \"经济(运行\": error parsing regexp: missing closing ): `经济(运行`",
		"invalid-page-pattern.yaml": `testdata/invalid-page-pattern.yaml:9: collectors.retail.sources[0].page_pattern: "index_2.html" has no {n} or {i}: write the page number as {n} (2, 3, …) or {i} (1, 2, …), e.g. "index_{n}.html"`,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := settings.Load(filepath.Join("testdata", name), settings.Options{Env: []string{}, CheckSource: fetch.CheckSource})
			if err == nil || err.Error() != want {
				t.Errorf("error:\n%v\nwant:\n%s", err, want)
			}
		})
	}
	if _, err := settings.Load("", settings.Options{Env: []string{}, CheckSource: fetch.CheckSource}); err != nil {
		t.Errorf("the built-in sources do not compile: %v", err)
	}
}
