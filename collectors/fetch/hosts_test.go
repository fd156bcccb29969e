package fetch_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/fetch"
)

// serveOn serves h on a loopback address other than 127.0.0.1 (Linux routes all of
// 127/8 to the loopback interface), so that a test has a second host.
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

// TestCrawlStaysOnTheSourcesHosts is issue 10, hole 1: a list link or a redirect to
// another host (127.0.0.2, localhost, the cloud metadata address) is not followed; a
// redirect on the source's own host is, robots.txt is asked again for where it
// leads, and the article carries the final URL.
func TestCrawlStaysOnTheSourcesHosts(t *testing.T) {
	other := &pages{html: map[string]string{
		"/content/post_9.html": articlePage("", "1-9月，全市社会消费品零售总额7110.66亿元。"),
		"/content/post_8.html": articlePage("", "1-8月，全市社会消费品零售总额6351.23亿元。"),
		"/content/post_5.html": articlePage("", "1-5月，全市社会消费品零售总额4155.23亿元。"),
	}}
	otherSrv := serveOn(t, "127.0.0.2", other)
	site := newSite()
	srv := httptest.NewServer(site)
	defer srv.Close()
	// localhost is 127.0.0.1, the source's own address, but not its host name.
	localhost := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	site.html["/tjfx/index.html"] = listPage(
		li(otherSrv.URL+"/content/post_9.html", "2025年1-9月深圳经济运行情况", "2025-10-28"),
		li("./content/post_8.html", "2025年1-8月深圳经济运行情况", "2025-09-26"),
		li("./content/post_7.html", "2025年1-7月深圳经济运行情况", "2025-08-26"),
		li("./content/post_6.html", "2025年上半年深圳经济运行情况", "2025-07-25"),
		li(localhost+"/tjfx/content/post_5.html", "2025年1-5月深圳经济运行情况", "2025-06-25"),
		li("./content/post_4.html", "2025年1-4月深圳经济运行情况", "2025-05-25"),
	)
	site.redirects = map[string]string{
		"/tjfx/content/post_8.html": otherSrv.URL + "/content/post_8.html",
		"/tjfx/content/post_7.html": "http://169.254.169.254/latest/meta-data/",
		"/tjfx/content/post_6.html": "/tjfx/content/post_6b.html",
		"/tjfx/content/post_4.html": "/private/post_4.html",
	}
	site.html["/tjfx/content/post_6b.html"] = site.html["/tjfx/content/post_6.html"]
	site.html["/private/post_4.html"] = articlePage("", "1-4月，全市社会消费品零售总额3300.52亿元。")
	site.html["/robots.txt"] = "User-agent: *\nDisallow: /private/\n"

	st, got := crawl(t, newFetcher(t, fetchConfig(), nil, false), crawlSource(t, srv.URL, "20", nil), collectors.CrawlOptions{Source: "retail/tjj"})
	if asked := other.requested(); len(asked) != 0 {
		t.Errorf("the other host was asked for %v", asked)
	}
	if asked := site.requested(); slices.Contains(asked, "/private/post_4.html") {
		t.Errorf("a redirect into a path robots.txt disallows was followed")
	}
	if want := []string{"/tjfx/content/post_6b.html"}; !slices.Equal(urls(got, srv.URL), want) {
		t.Errorf("articles %v, want %v (the redirect's target on the source's own host)", urls(got, srv.URL), want)
	}
	if len(st.ArticleErrors) != 5 {
		t.Fatalf("%d article errors, want 5: %v", len(st.ArticleErrors), st.ArticleErrors)
	}
	for i, want := range []string{"127.0.0.2", "127.0.0.2", "169.254.169.254", "localhost", "robots.txt"} {
		if msg := st.ArticleErrors[i].Error(); !strings.Contains(msg, want) {
			t.Errorf("article error %d = %q, want it to name %s", i, msg, want)
		}
	}
}

// fakeDNS answers the names it knows and asks the system for the rest.
type fakeDNS map[string]string

func (d fakeDNS) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if ip, ok := d[host]; ok {
		return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
	}
	return net.DefaultResolver.LookupIPAddr(ctx, host)
}

// TestCrawlAllowedHostsAndAddresses checks allowed_hosts and the address check made
// when connecting: a name the source allows that resolves to the source's own
// address is fetched; one that resolves to the metadata address or to another
// loopback address is refused whatever its name (no DNS trick passes); an address
// the config names itself (127.0.0.3) is allowed, and its robots.txt is asked, also
// after a redirect to it.
func TestCrawlAllowedHostsAndAddresses(t *testing.T) {
	second := &pages{}
	secondSrv := serveOn(t, "127.0.0.2", second)
	other := &pages{html: map[string]string{
		"/content/post_8.html": articlePage("", "1-8月，全市社会消费品零售总额6351.23亿元。"),
		"/content/post_6.html": articlePage("", "上半年，全市社会消费品零售总额5010.08亿元。"),
		"/robots.txt":          "User-agent: *\nDisallow: /private/\n",
	}}
	otherSrv := serveOn(t, "127.0.0.3", other)
	site := newSite()
	srv := httptest.NewServer(site)
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	secondPort := secondSrv.URL[strings.LastIndexByte(secondSrv.URL, ':'):]
	site.html["/tjfx/index.html"] = listPage(
		li("http://mirror.test"+port+"/tjfx/content/post_9.html", "2025年1-9月深圳经济运行情况", "2025-10-28"),
		li("http://second.test"+secondPort+"/content/post_8.html", "2025年1-8月深圳经济运行情况", "2025-09-26"),
		li("http://meta.test/latest/meta-data/", "2025年1-7月深圳经济运行情况", "2025-08-26"),
		li("./content/post_6.html", "2025年上半年深圳经济运行情况", "2025-07-25"),
		li(otherSrv.URL+"/content/post_8.html", "2025年1-8月深圳经济运行情况(2)", "2025-09-26"),
	)
	site.redirects = map[string]string{"/tjfx/content/post_6.html": otherSrv.URL + "/content/post_6.html"}
	src := crawlSource(t, srv.URL, "20", func(y string) string {
		return strings.Replace(y, "        delay: 1ms", "        delay: 1ms\n        allowed_hosts: [mirror.test, second.test, meta.test, 127.0.0.3]", 1)
	})
	f, err := fetch.New(fetchConfig(), fetch.Options{Backoff: time.Millisecond,
		Resolver: fakeDNS{"mirror.test": "127.0.0.1", "second.test": "127.0.0.2", "meta.test": "169.254.169.254"}})
	if err != nil {
		t.Fatal(err)
	}
	st, got := crawl(t, f, src, collectors.CrawlOptions{Source: "retail/tjj"})
	var gotURLs []string
	for _, a := range got {
		gotURLs = append(gotURLs, a.URL)
	}
	want := []string{"http://mirror.test" + port + "/tjfx/content/post_9.html", otherSrv.URL + "/content/post_6.html", otherSrv.URL + "/content/post_8.html"}
	if !slices.Equal(gotURLs, want) {
		t.Errorf("articles %v, want %v", gotURLs, want)
	}
	if asked := other.requested(); !slices.Equal(asked, []string{"/robots.txt", "/content/post_6.html", "/content/post_8.html"}) {
		t.Errorf("the allowed address was asked for %v, want its robots.txt first", asked)
	}
	if asked := second.requested(); len(asked) != 0 {
		t.Errorf("second.test (127.0.0.2) was asked for %v", asked)
	}
	if len(st.ArticleErrors) != 2 {
		t.Fatalf("%d article errors, want 2: %v", len(st.ArticleErrors), st.ArticleErrors)
	}
	for i, want := range []string{"127.0.0.2 is a loopback address, and the source is not on it", "169.254.169.254 is a link-local address"} {
		if err := st.ArticleErrors[i]; !errors.Is(err, fetch.ErrAddressNotAllowed) || !strings.Contains(err.Error(), want) {
			t.Errorf("article error %d = %v, want ErrAddressNotAllowed saying %q", i, err, want)
		}
	}
}
