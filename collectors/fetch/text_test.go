package fetch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/trademon/trademon/collectors/fetch"
)

func TestText(t *testing.T) {
	tests := []struct{ html, want string }{
		{`<div><p>1-8月，全市社会消费品零售总额6351.23亿元，</p><p>同比增长5.0%。</p></div>`,
			"1-8月，全市社会消费品零售总额6351.23亿元，\n同比增长5.0%。"},
		{`<div>深圳港<br>完成&nbsp;集装箱   吞吐量<script>var x = "241.17万标箱";</script><style>p{}</style></div>`,
			"深圳港\n完成 集装箱 吞吐量"},
		{`<div><table><tr><td>指标</td><td>1-9月</td></tr><tr><td>进出口</td><td>32100.50</td></tr></table></div>`,
			"指标\t1-9月\n进出口\t32100.50"},
		{`<div><span>前7个月</span><span>，深圳</span>进出口<!-- 2.58 -->2.58万亿元</div>`,
			"前7个月，深圳进出口2.58万亿元"},
	}
	for _, tt := range tests {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(tt.html))
		if err != nil {
			t.Fatal(err)
		}
		if got := fetch.Text(doc.Find("div").First()); got != tt.want {
			t.Errorf("Text(%s) =\n%q, want\n%q", tt.html, got, tt.want)
		}
	}
}

// TestDamagedCacheIsNotBelieved checks that a cache entry whose body no longer matches
// its digest is ignored: the next request is unconditional and replaces it.
func TestDamagedCacheIsNotBelieved(t *testing.T) {
	var conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") != "" {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte("<html>fresh</html>"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := fetchConfig()
	cfg.RespectRobots = false
	f, err := fetch.New(cfg, fetch.Options{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.Get(ctx, srv.URL+"/a.html", 0); err != nil {
		t.Fatal(err)
	}
	bodies, _ := filepath.Glob(filepath.Join(dir, "*", "*.body"))
	if len(bodies) != 1 {
		t.Fatalf("%d cached bodies, want 1", len(bodies))
	}
	if err := os.WriteFile(bodies[0], []byte("<html>tampered</html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := f.Get(ctx, srv.URL+"/a.html", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.NotModified || string(p.Body) != "<html>fresh</html>" || conditional.Load() != 0 {
		t.Errorf("got %q (not modified %v, %d conditional requests); want a fresh unconditional fetch", p.Body, p.NotModified, conditional.Load())
	}
}
