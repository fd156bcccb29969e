package collectors_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/collectors/retail"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store/embedded"
)

// The failure cases run the retail collector against the fixture copy of
// tjj.sz.gov.cn, the fixture site shared by the retail and trade tests, with one page
// broken at a time.
var siteDir = sitetest.Shared("tjj")

const (
	listPath = "/zwgk/zfxxgkml/tjsj/tjfx/index.html"
	post9    = "/zwgk/zfxxgkml/tjsj/tjfx/content/post_12009.html"
	post8    = "/zwgk/zfxxgkml/tjsj/tjfx/content/post_12008.html"
	post7    = "/zwgk/zfxxgkml/tjsj/tjfx/content/post_12007.html"
	post6    = "/zwgk/zfxxgkml/tjsj/tjfx/content/post_12006.html"
)

const retailYAML = `
store: {path: "{{DIR}}"}
fetch: {retries: 2, timeout: %TIMEOUT%}
collectors:
  retail:
    enabled: true
    schedule: "%SCHEDULE%"
    timeout: %RUNTIMEOUT%
    sources:
      - name: tjj-monthly
        list_urls: ["{{BASE}}/zwgk/zfxxgkml/tjsj/tjfx/index.html"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        delay: 1ms
`

type envOpts struct {
	site                      sitetest.Options
	timeout, runTimeout, cron string
}

func newEnv(t *testing.T, o envOpts) (*sitetest.Site, *sitetest.Env) {
	t.Helper()
	site := sitetest.New(t, siteDir, o.site)
	y := strings.NewReplacer("%TIMEOUT%", or(o.timeout, "2s"), "%RUNTIMEOUT%", or(o.runTimeout, "1m"),
		"%SCHEDULE%", or(o.cron, "CRON_TZ=Asia/Shanghai 0 30 9 * * *")).Replace(retailYAML)
	cfg := sitetest.Config(t, y, site.URL)
	return site, sitetest.Setup(t, cfg, map[string]collectors.Factory{retail.Name: retail.New}, nil)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func metric(t *testing.T, env *sitetest.Env, name string, labels ...string) float64 {
	t.Helper()
	l := map[string]string{"collector": "retail"}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return sitetest.Metric(t, env.Registry, name, l)
}

func stageErr(err error, stage collectors.Stage) bool {
	var found bool
	var walk func(error)
	walk = func(e error) {
		var se *collectors.StageError
		if errors.As(e, &se) && se.Stage == stage {
			found = true
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return found
}

// TestRunFailures checks that every way a source can break is an error for the
// collector — result "error", an errors_total stage, nothing silently successful —
// while what could be read is still stored.
func TestRunFailures(t *testing.T) {
	tests := []struct {
		name    string
		opts    envOpts
		breakIt func(*sitetest.Site)
		stage   collectors.Stage
		msg     string
		// stored is how many observations are still stored despite the failure.
		stored int
		check  func(t *testing.T, site *sitetest.Site, env *sitetest.Env)
	}{
		{
			name: "an article answers 500 every time: retried, then counted",
			breakIt: func(s *sitetest.Site) {
				s.Hook(post8, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) })
			},
			stage: collectors.StageArticle, msg: "HTTP 500", stored: 2,
			check: func(t *testing.T, site *sitetest.Site, env *sitetest.Env) {
				if n := site.Count(post8, http.StatusInternalServerError); n != 3 {
					t.Errorf("the failing article was asked %d times, want 3 (2 retries)", n)
				}
			},
		},
		{
			name: "an article stalls past the request timeout",
			opts: envOpts{timeout: "100ms"},
			breakIt: func(s *sitetest.Site) {
				s.Hook(post7, func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				})
			},
			stage: collectors.StageArticle, msg: "no answer within fetch.timeout (100ms)", stored: 2,
		},
		{
			name: "the run outlives the collector's timeout: what was read is kept",
			opts: envOpts{runTimeout: "300ms"},
			breakIt: func(s *sitetest.Site) {
				s.Hook(post8, func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				})
			},
			stage: collectors.StageTimeout, msg: "deadline exceeded", stored: 1,
		},
		{
			name: "the list page changed layout: the link selector matches nothing",
			breakIt: func(s *sitetest.Site) {
				s.Replace(`class="list-article"`, `class="news-list"`)
			},
			stage: collectors.StageList, msg: "matched no link", stored: 0,
		},
		{
			name: "the articles changed layout: the body selector matches nothing",
			breakIt: func(s *sitetest.Site) {
				s.Replace(`class="articleBox"`, `class="TRS_Editor"`)
			},
			stage: collectors.StageArticle, msg: "body_selector", stored: 0,
		},
		{
			name: "truncated HTML: the pages end before the figures",
			breakIt: func(s *sitetest.Site) {
				s.Replace("消费品市场稳步增长。", "</div></body></html><!--")
				s.Replace("1—7月，全市社会消费品零售总额", "</div></body></html><!--")
			},
			stage: collectors.StageExtract, msg: "none yields a retail_sales figure", stored: 0,
		},
		{
			name:  "robots.txt disallows the column: the list page is not fetched",
			opts:  envOpts{site: sitetest.Options{Robots: "User-agent: *\nDisallow: /zwgk/zfxxgkml/tjsj/\n"}},
			stage: collectors.StageList, msg: "robots.txt", stored: 0,
			check: func(t *testing.T, site *sitetest.Site, env *sitetest.Env) {
				if n := site.Count(listPath, 0); n != 0 {
					t.Errorf("the disallowed list page was requested %d times", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site, env := newEnv(t, tt.opts)
			if tt.breakIt != nil {
				tt.breakIt(site)
			}
			run, err := env.Runner.RunOnce(context.Background(), retail.Name, collectors.RunOptions{})
			if err == nil || run.Result() != collectors.ResultError {
				t.Fatalf("run succeeded (%+v); want an error", run.Sources)
			}
			if !stageErr(err, tt.stage) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v; want stage %s mentioning %q", err, tt.stage, tt.msg)
			}
			if n := len(env.Stored(t)); n != tt.stored {
				t.Errorf("%d observations stored, want %d", n, tt.stored)
			}
			if v := metric(t, env, "trademon_collector_runs_total", "result", "error"); v != 1 {
				t.Errorf("runs_total{result=error} = %v, want 1", v)
			}
			if v := metric(t, env, "trademon_collector_runs_total", "result", "success"); v != 0 {
				t.Errorf("runs_total{result=success} = %v, want 0", v)
			}
			if v := metric(t, env, "trademon_collector_errors_total", "stage", string(tt.stage)); v < 1 {
				t.Errorf("errors_total{stage=%s} = %v, want at least 1", tt.stage, v)
			}
			if v := metric(t, env, "trademon_collector_last_success_timestamp_seconds"); v != 0 {
				t.Errorf("last_success = %v after a failed run, want 0", v)
			}
			if tt.check != nil {
				tt.check(t, site, env)
			}
		})
	}
}

func TestRunRecoversFromTransient500s(t *testing.T) {
	site, env := newEnv(t, envOpts{})
	var n atomic.Int32
	site.Hook(post9, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		body, _ := os.ReadFile(siteDir + post9)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(strings.ReplaceAll(string(body), "{{CHARSET}}", "utf-8")))
	})
	run, err := env.Runner.RunOnce(context.Background(), retail.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if run.Created != 3 {
		t.Errorf("created %d, want 3", run.Created)
	}
	if v := metric(t, env, "trademon_collector_last_success_timestamp_seconds"); v < float64(run.Started.Unix()) {
		t.Errorf("last_success = %v, want the run's end", v)
	}
	host := strings.TrimPrefix(site.URL, "http://")
	if v := sitetest.Metric(t, env.Registry, "trademon_fetch_retries_total", map[string]string{"host": host}); v != 2 {
		t.Errorf("fetch retries = %v, want 2", v)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	_, env := newEnv(t, envOpts{})
	run, err := env.Runner.RunOnce(context.Background(), retail.Name, collectors.RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Records) != 3 || run.Created != 0 {
		t.Errorf("dry run: %d records, %d created; want 3 and 0", len(run.Records), run.Created)
	}
	for _, r := range run.Records {
		if r.Outcome != "" {
			t.Errorf("dry-run record has outcome %q", r.Outcome)
		}
	}
	if n := len(env.Stored(t)); n != 0 {
		t.Errorf("dry run stored %d observations", n)
	}
}

// TestRunDecidesFromTheStore checks that a fresh runner (a restarted trademon) over
// the same store skips the articles whose periods are stored, and fetches one listed
// after the newest stored period.
func TestRunDecidesFromTheStore(t *testing.T) {
	site, env := newEnv(t, envOpts{})
	ctx := context.Background()
	if _, err := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Delete what the store says about September: the 1-9月 article is wanted again.
	st := env.Store
	all := env.Stored(t)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	dir := env.Config.Store.Path
	if err := os.Remove(dir + "/" + embedded.FileName); err != nil {
		t.Fatal(err)
	}
	st2, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	var keep []obs.Observation
	for _, o := range all {
		if o.Period.String() != "2025-09" {
			keep = append(keep, o)
		}
	}
	if _, err := st2.Put(ctx, keep); err != nil {
		t.Fatal(err)
	}
	env2 := sitetest.SetupWithStore(t, env.Config, st2, map[string]collectors.Factory{retail.Name: retail.New}, nil)
	before := site.Count(post9, 0)
	run, err := env2.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Articles() != 1 || run.Created != 1 || site.Count(post9, 0) != before+1 || run.Sources[0].Skipped != 2 {
		t.Errorf("restarted run fetched %d articles (%d of 1-9月), created %d, skipped %d; want 1, 1, 1, 2",
			run.Articles(), site.Count(post9, 0)-before, run.Created, run.Sources[0].Skipped)
	}
}

func TestStatusPage(t *testing.T) {
	site, env := newEnv(t, envOpts{})
	ctx := context.Background()
	if _, err := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	site.Replace(`class="list-article"`, `class="news-list"`)
	if _, err := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{}); err == nil {
		t.Fatal("the broken run succeeded")
	}
	srv := httptest.NewServer(env.Runner.StatusHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"采集器状态", "Collectors", "社会消费品零售总额", "retail_sales", "2025-08", "6351.23亿元",
		`href="` + site.URL + post8 + `"`, "2025年1-8月深圳经济运行情况", "最近错误 Last error", "matched no link",
		"成功 success", "错误 error",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	for _, asset := range []string{"<link", "<script", "src=", "@import"} {
		if strings.Contains(page, asset) {
			t.Errorf("status page loads an asset (%s)", asset)
		}
	}
	resp, err = http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

// blocking is a collector whose runs wait until released (or panic when told to).
type blocking struct {
	calls   atomic.Int32
	release chan struct{}
	panicky bool
}

func (b *blocking) Name() string         { return "retail" }
func (b *blocking) Indicators() []string { return []string{"retail_sales"} }
func (b *blocking) Collect(ctx context.Context, _ collectors.Plan) (collectors.Report, error) {
	b.calls.Add(1)
	if b.panicky {
		panic("boom")
	}
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return collectors.Report{Sources: []collectors.SourceReport{{Source: "retail/x", CrawlStats: collectors.CrawlStats{Links: 1}}}}, nil
}

// logWatch is a slog handler that signals when a message is logged.
type logWatch struct {
	mu   sync.Mutex
	want string
	seen chan struct{}
	once sync.Once
}

func (l *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l *logWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Message == l.want {
		l.once.Do(func() { close(l.seen) })
	}
	return nil
}
func (l *logWatch) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logWatch) WithGroup(string) slog.Handler      { return l }

func schedulerEnv(t *testing.T, c collectors.Collector, logger *slog.Logger) *collectors.Runner {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r, err := collectors.NewRunner(collectors.RunnerOptions{
		Collectors: []collectors.Collector{c}, Store: st, Logger: logger,
		Config: settings.Collectors{"retail": {Enabled: true, Schedule: "CRON_TZ=Asia/Shanghai * * * * * *", Timeout: time.Minute}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSchedulerCatchesUpAndNeverOverlaps starts the runner with an every-second
// schedule and a collector whose first run (the start-up catch-up) blocks: the ticks
// that fall due meanwhile are skipped, not run alongside.
func TestSchedulerCatchesUpAndNeverOverlaps(t *testing.T) {
	b := &blocking{release: make(chan struct{})}
	watch := &logWatch{want: "skip", seen: make(chan struct{})}
	r := schedulerEnv(t, b, slog.New(watch))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch.seen:
	case <-time.After(30 * time.Second):
		t.Fatal("no scheduled run was skipped while the catch-up run was still running")
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("collector ran %d times concurrently, want 1", n)
	}
	close(b.release)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	runs := r.Runs("retail")
	if len(runs) == 0 || runs[len(runs)-1].Trigger != collectors.TriggerStartup {
		t.Errorf("runs %v: the first should be the start-up catch-up", runs)
	}
}

func TestRunRecoversPanics(t *testing.T) {
	b := &blocking{panicky: true}
	r := schedulerEnv(t, b, nil)
	run, err := r.RunOnce(context.Background(), "retail", collectors.RunOptions{})
	if err == nil || !stageErr(err, collectors.StagePanic) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want a panic stage error", err)
	}
	if run.Result() != collectors.ResultError {
		t.Errorf("result %s", run.Result())
	}
	// The runner is still usable.
	if _, err := r.RunOnce(context.Background(), "retail", collectors.RunOptions{}); err == nil {
		t.Error("second panicking run succeeded")
	}
}

// planSpy is a collector that records the Want its run was planned with.
type planSpy struct {
	indicators []string
	want       func(time.Time) bool
}

func (p *planSpy) Name() string         { return "retail" }
func (p *planSpy) Indicators() []string { return p.indicators }
func (p *planSpy) Collect(_ context.Context, plan collectors.Plan) (collectors.Report, error) {
	p.want = plan.Want
	return collectors.Report{Sources: []collectors.SourceReport{{Source: "retail/x", CrawlStats: collectors.CrawlStats{Links: 1, Matched: 1}}}}, nil
}

func TestWantFollowsTheStore(t *testing.T) {
	day := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02", s, obs.Shanghai)
		return tm
	}
	stored := func(ind, period string, v float64) obs.Observation {
		o := obs.Observation{Indicator: ind, Period: obs.MustParsePeriod(period), Basis: obs.BasisYTD, Value: v,
			SourceKind: obs.KindCollector, Source: "retail/x"}
		o.Normalize()
		return o
	}
	tests := []struct {
		name   string
		stored []obs.Observation
		want   map[string]bool // list date → wanted
	}{
		{"empty store: everything", nil, map[string]bool{"2025-09-26": true, "": true}},
		{"1-8月 stored", []obs.Observation{stored("retail_sales", "2025-08", 6.35e11)},
			map[string]bool{"2025-09-26": false, "2025-08-27": false, "2025-10-28": true, "": true}},
		{"a series a year behind does not count", []obs.Observation{stored("retail_sales", "2025-08", 6.35e11), stored("goods_trade_cny", "2023-05", 1.2e12)},
			map[string]bool{"2025-09-26": false, "2025-10-28": true}},
		{"a series within the year does", []obs.Observation{stored("retail_sales", "2025-08", 6.35e11), stored("goods_trade_cny", "2025-01", 3e11)},
			map[string]bool{"2025-09-26": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := embedded.Open(t.TempDir(), embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if len(tt.stored) > 0 {
				if _, err := st.Put(context.Background(), tt.stored); err != nil {
					t.Fatal(err)
				}
			}
			spy := &planSpy{indicators: []string{"retail_sales", "goods_trade_cny"}}
			r, err := collectors.NewRunner(collectors.RunnerOptions{Collectors: []collectors.Collector{spy}, Store: st})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.RunOnce(context.Background(), "retail", collectors.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			for date, want := range tt.want {
				got := spy.want == nil || spy.want(day(date))
				if date == "" {
					got = spy.want == nil || spy.want(time.Time{})
				}
				if got != want {
					t.Errorf("Want(%q) = %v, want %v", date, got, want)
				}
			}
		})
	}
}

// TestRunWithRejectionsIsPartial checks that a run which stored figures but rejected
// one (a unit slip on one article) is neither a plain success nor an error: result
// "partial" in the metrics, the run's record and a line on the status page.
func TestRunWithRejectionsIsPartial(t *testing.T) {
	site, env := newEnv(t, envOpts{})
	site.Replace("6351.23亿元", "635.123亿元")
	run, err := env.Runner.RunOnce(context.Background(), retail.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if run.Result() != collectors.ResultPartial || len(run.Rejected) != 1 || run.Created != 2 {
		t.Errorf("result %s, %d rejected, %d created; want partial, 1, 2", run.Result(), len(run.Rejected), run.Created)
	}
	for result, want := range map[string]float64{"partial": 1, "success": 0, "error": 0} {
		if v := metric(t, env, "trademon_collector_runs_total", "result", result); v != want {
			t.Errorf("runs_total{result=%s} = %v, want %v", result, v, want)
		}
	}
	if v := metric(t, env, "trademon_collector_rejected_total", "reason", "out_of_range"); v != 1 {
		t.Errorf("rejected_total{reason=out_of_range} = %v, want 1", v)
	}
	if v := metric(t, env, "trademon_collector_last_success_timestamp_seconds"); v < float64(run.Started.Unix()) {
		t.Errorf("last_success = %v: a partial run ran to its end and stored what it could", v)
	}
	if n := len(env.Stored(t)); n != 2 {
		t.Errorf("%d stored, want 2 (the slipped 1-8月 figure not among them)", n)
	}
	rec := httptest.NewRecorder()
	env.Runner.StatusHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/collectors", nil))
	page := rec.Body.String()
	for _, want := range []string{"部分成功 partial", "最近拒绝 Last rejected", "1 个数值被拒绝 1 figure rejected",
		"retail_sales ytd 2025-08 = 635.12亿元, with no figure known near it"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q:\n%s", want, page)
		}
	}
}

// TestUnreadableArticleReportedOnce checks that an article whose figure cannot be read
// is one extract failure naming its URL once, and that no second, misleading "has the
// body_selector changed?" failure is added when every article was unreadable.
func TestUnreadableArticleReportedOnce(t *testing.T) {
	site, env := newEnv(t, envOpts{})
	site.Replace("亿元，同比增长", "，同比增长") // the unit is gone: "7110.66，同比增长5.0%"
	_, err := env.Runner.RunOnce(context.Background(), retail.Name, collectors.RunOptions{})
	if err == nil {
		t.Fatal("the run succeeded")
	}
	var extractErrs []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var se *collectors.StageError
		if errors.As(e, &se) && se.Stage == collectors.StageExtract {
			extractErrs = append(extractErrs, se.Error())
		}
	}
	walk(err)
	if len(extractErrs) != 3 {
		t.Fatalf("%d extract failures, want 3 (one per article):\n%v", len(extractErrs), err)
	}
	for i, p := range []string{post9, post8, post7} {
		if n := strings.Count(extractErrs[i], site.URL+p); n != 1 {
			t.Errorf("failure names its URL %d times, want once: %s", n, extractErrs[i])
		}
		if !strings.Contains(extractErrs[i], "figure cannot be read") {
			t.Errorf("failure does not say what is wrong: %s", extractErrs[i])
		}
	}
	if strings.Contains(err.Error(), "body_selector") {
		t.Errorf("a misleading body_selector failure was added:\n%v", err)
	}
}

// TestFaultySourceKeepsWhatIsStored runs a good backfill, breaks the source one way at
// a time, and runs again: every fault is reported (result error or partial, with its
// counter), and what the good run stored is still there, unchanged — nothing wrong is
// stored, nothing right is lost.
func TestFaultySourceKeepsWhatIsStored(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	reset := func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
	huge := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		chunk := []byte(strings.Repeat("<p>全市社会消费品零售总额</p>", 1000))
		for sent := 0; sent < 50<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	garbage := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		b := make([]byte, 64<<10)
		for i := range b {
			b[i] = byte(i*7919 + i/13)
		}
		w.Write(b)
	}
	elsewhere := serveOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other host was asked for %s", r.URL.Path)
	}))
	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
	}
	fails := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", code) }
	}
	tests := []struct {
		name    string
		opts    envOpts
		breakIt func(*sitetest.Site)
		result  string
		counter []string // metric name and labels that must have counted the fault
	}{
		{"the list page answers 500", envOpts{}, func(s *sitetest.Site) { s.Hook(listPath, fails(500)) },
			collectors.ResultError, []string{"trademon_collector_errors_total", "stage", "list"}},
		{"the list page hangs", envOpts{timeout: "150ms"}, func(s *sitetest.Site) { s.Hook(listPath, hang) },
			collectors.ResultError, []string{"trademon_fetch_requests_total", "result", "timeout"}},
		{"every article resets the connection", envOpts{}, func(s *sitetest.Site) {
			for _, p := range []string{post9, post8, post7, post6} {
				s.Hook(p, reset)
			}
		}, collectors.ResultError, []string{"trademon_collector_errors_total", "stage", "article"}},
		{"an article sends 50 MB", envOpts{}, func(s *sitetest.Site) { s.Hook(post8, huge) },
			collectors.ResultError, []string{"trademon_fetch_requests_total", "result", "too_large"}},
		{"the list page is garbage", envOpts{}, func(s *sitetest.Site) { s.Hook(listPath, garbage) },
			collectors.ResultError, []string{"trademon_collector_errors_total", "stage", "list"}},
		{"the articles changed layout", envOpts{}, func(s *sitetest.Site) { s.Replace(`class="articleBox"`, `class="TRS_Editor"`) },
			collectors.ResultError, []string{"trademon_collector_errors_total", "stage", "article"}},
		{"an article now prints its figure ten times too large", envOpts{}, func(s *sitetest.Site) { s.Replace("6351.23亿元", "63512.3亿元") },
			collectors.ResultPartial, []string{"trademon_collector_rejected_total", "reason", "out_of_range"}},
		{"an article now prints a tenth of its figure", envOpts{}, func(s *sitetest.Site) { s.Replace("6351.23亿元", "635.123亿元") },
			collectors.ResultPartial, []string{"trademon_collector_rejected_total", "reason", "unit_slip"}},
		{"the list page redirects to another host", envOpts{}, func(s *sitetest.Site) { s.Hook(listPath, redirect(elsewhere.URL+listPath)) },
			collectors.ResultError, []string{"trademon_fetch_requests_total", "result", "refused"}},
		{"an article redirects to the metadata address", envOpts{}, func(s *sitetest.Site) {
			s.Hook(post9, redirect("http://169.254.169.254/latest/meta-data/"))
		}, collectors.ResultError, []string{"trademon_collector_errors_total", "stage", "article"}},
	}
	backfill := collectors.RunOptions{Backfill: true, From: obs.MustParsePeriod("2025-07"), Trigger: collectors.TriggerBackfill}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site, env := newEnv(t, tt.opts)
			ctx := context.Background()
			if _, err := env.Runner.RunOnce(ctx, retail.Name, backfill); err != nil {
				t.Fatalf("good run: %v", err)
			}
			before := env.Stored(t)
			if len(before) != 4 { // 1-9月, 1-8月, 1—7月, and 上半年 listed in July
				t.Fatalf("good run stored %d, want 4", len(before))
			}
			tt.breakIt(site)
			run, err := env.Runner.RunOnce(ctx, retail.Name, backfill)
			if run.Result() != tt.result || (tt.result == collectors.ResultError) != (err != nil) {
				t.Errorf("result %s (err %v), want %s", run.Result(), err, tt.result)
			}
			if v := metric(t, env, "trademon_collector_runs_total", "result", tt.result); v != 1 {
				t.Errorf("runs_total{result=%s} = %v, want 1", tt.result, v)
			}
			labels := map[string]string{tt.counter[1]: tt.counter[2]}
			if tt.counter[0] != "trademon_fetch_requests_total" {
				labels["collector"] = "retail"
			}
			if v := sitetest.Metric(t, env.Registry, tt.counter[0], labels); v < 1 {
				t.Errorf("%s%v = %v, want at least 1", tt.counter[0], labels, v)
			}
			after := env.Stored(t)
			if len(after) != len(before) {
				t.Fatalf("%d stored after the faulty run, want the %d of the good run", len(after), len(before))
			}
			for i := range before {
				b, a := before[i], after[i]
				if a.Key() != b.Key() || !a.SameRecord(b) {
					t.Errorf("stored %s = %g from %s, want it unchanged: %g from %s", a.Key(), a.Value, a.URL, b.Value, b.URL)
				}
			}
		})
	}
}

// serveOn serves h on another loopback address (Linux routes all of 127/8 to the
// loopback interface), a second host for the tests.
func serveOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
