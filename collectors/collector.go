package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

// Collector fetches the figures of one domain (trade, retail, port, standards) from the
// public sources its config names. It reads and extracts; it does not store: the Runner
// checks every observation and writes it.
type Collector interface {
	// Name is the registered name, which is also the config key under collectors.
	Name() string
	// Indicators are the ids of the indicators the collector is responsible for; it
	// drops any other figure its extraction finds.
	Indicators() []string
	// Collect runs once over every source, handing the observations of each article
	// to plan.Emit as it goes. The report says what each source did; Collect returns
	// an error only when it could not go on (the context ended, Emit failed).
	Collect(ctx context.Context, plan Plan) (Report, error)
}

// Plan tells a collector what one run should do.
type Plan struct {
	// Backfill walks older list pages (next_selector or page_pattern) until articles
	// are older than From; a regular run reads only the configured list pages.
	Backfill bool
	// From bounds a backfill: articles listed before it are not fetched. Zero means no bound.
	From time.Time
	// MaxPages, when positive, replaces every source's max_pages for this run.
	MaxPages int
	// Want reports whether an article listed on the given date (zero when the list
	// shows none) is worth fetching; nil wants every article. The Runner decides it
	// from the periods already in the store.
	Want func(listed time.Time) bool
	// Emit receives the observations read from one article, already restricted to
	// the collector's indicators and stamped with their provenance. An error stops the run.
	Emit func(ctx context.Context, a Article, os []obs.Observation) error
}

// Fetcher walks a source's list pages and fetches the articles whose titles match,
// calling visit for each. Failures of single pages land in the stats and the crawl goes
// on; Crawl returns an error only when the context ends or visit fails. Package fetch
// implements it with colly.
type Fetcher interface {
	Crawl(ctx context.Context, src *settings.Source, opts CrawlOptions, visit func(Article) error) (CrawlStats, error)
}

// CrawlOptions bound one crawl of one source.
type CrawlOptions struct {
	// Source names the collector and source, e.g. "retail/tjj-monthly"; it is copied
	// into every Article.
	Source string
	// Backfill, From and MaxPages are as in Plan.
	Backfill bool
	From     time.Time
	MaxPages int
	// Want is as in Plan.
	Want func(listed time.Time) bool
}

// CrawlStats counts what one crawl of one source did.
type CrawlStats struct {
	// ListPages is the number of list pages fetched.
	ListPages int
	// Links is the number of links the link selector matched on those pages.
	Links int
	// Matched is the number of distinct articles whose title matched the title pattern.
	Matched int
	// Skipped is the number of matched articles not fetched: older than From, or not wanted.
	Skipped int
	// Fetched is the number of article pages fetched (including those answered 304).
	Fetched int
	// NotModified is the number of pages (list or article) answered 304 Not Modified.
	NotModified int
	// Truncated reports that the page cap (max_pages) stopped the crawl.
	Truncated bool
	// FetchTime is the time spent fetching and parsing pages, politeness delays included.
	FetchTime time.Duration
	// ListErrors are list pages that could not be fetched or parsed.
	ListErrors []error
	// ArticleErrors are article pages that could not be fetched or parsed.
	ArticleErrors []error
}

// Stage names where in a run something failed; it labels trademon_collector_errors_total.
type Stage string

// Stages of a run.
const (
	StageList    Stage = "list"    // list pages: fetch failed, or no article found
	StageArticle Stage = "article" // an article page could not be fetched
	StageExtract Stage = "extract" // extraction failed or found nothing
	StageStore   Stage = "store"   // reading or writing the store failed
	StagePanic   Stage = "panic"   // the run panicked
	StageTimeout Stage = "timeout" // the run hit its timeout
)

// StageError is a failure of one source at one stage.
type StageError struct {
	Source string
	Stage  Stage
	Err    error
}

// Error names the source, the stage and the failure.
func (e *StageError) Error() string {
	return fmt.Sprintf("source %s: %s: %v", e.Source, e.Stage, e.Err)
}

// Unwrap returns the underlying failure.
func (e *StageError) Unwrap() error { return e.Err }

// SourceReport says what one source did in one run.
type SourceReport struct {
	// Source is "collector/source".
	Source string `json:"source"`
	CrawlStats
	// Observations is the number of observations extracted (before the safety checks).
	Observations int `json:"observations"`
	// ExtractTime is the time spent in Extract.
	ExtractTime time.Duration `json:"extract_time"`
	// Failures are this source's errors, each with its stage.
	Failures []*StageError `json:"-"`
}

// Report says what every source of a collector did in one run.
type Report struct {
	Sources []SourceReport
}

// Err joins the failures of every source, or returns nil when none failed.
func (r Report) Err() error {
	var errs []error
	for _, s := range r.Sources {
		for _, f := range s.Failures {
			errs = append(errs, f)
		}
	}
	return errors.Join(errs...)
}

// FetchTime sums the fetch time of every source.
func (r Report) FetchTime() time.Duration {
	var d time.Duration
	for _, s := range r.Sources {
		d += s.FetchTime
	}
	return d
}

// ExtractTime sums the extraction time of every source.
func (r Report) ExtractTime() time.Duration {
	var d time.Duration
	for _, s := range r.Sources {
		d += s.ExtractTime
	}
	return d
}

// Deps are what a Factory may use besides the collector's own config.
type Deps struct {
	// Fetcher is the shared fetcher (one per process, so that politeness delays hold
	// across collectors that read the same host).
	Fetcher Fetcher
	// Logger receives the collector's logs; nil discards them.
	Logger *slog.Logger
}

// ExtractFunc reads the observations an article states. It is the code half of a
// collector: every domain package has one, named Extract.
type ExtractFunc func(a Article) ([]obs.Observation, error)

// Spec describes a collector built on configured sources: its name, the indicators it
// is responsible for, and its extraction.
type Spec struct {
	Name       string
	Indicators []string
	Extract    ExtractFunc
}

// NewSourced returns a Collector that crawls the sources in cfg with deps.Fetcher, runs
// spec.Extract on every article and keeps the observations of spec.Indicators. The
// domain packages' factories are one call to it.
func NewSourced(spec Spec, cfg *settings.Collector, deps Deps) (Collector, error) {
	switch {
	case spec.Name == "":
		return nil, errors.New("collector spec: empty name")
	case len(spec.Indicators) == 0:
		return nil, fmt.Errorf("collector %s: no indicators", spec.Name)
	case spec.Extract == nil:
		return nil, fmt.Errorf("collector %s: no extract function", spec.Name)
	case cfg == nil:
		return nil, fmt.Errorf("collector %s: no config", spec.Name)
	case deps.Fetcher == nil:
		return nil, fmt.Errorf("collector %s: no fetcher", spec.Name)
	}
	for _, id := range spec.Indicators {
		if _, ok := obs.Lookup(id); !ok {
			return nil, fmt.Errorf("collector %s: %w", spec.Name, obs.UnknownIndicatorError(id))
		}
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &sourced{spec: spec, cfg: cfg, fetcher: deps.Fetcher, logger: logger.With("collector", spec.Name)}, nil
}

type sourced struct {
	spec    Spec
	cfg     *settings.Collector
	fetcher Fetcher
	logger  *slog.Logger
}

func (c *sourced) Name() string         { return c.spec.Name }
func (c *sourced) Indicators() []string { return slices.Clone(c.spec.Indicators) }

// Collect crawls the sources in config order.
func (c *sourced) Collect(ctx context.Context, plan Plan) (Report, error) {
	var rep Report
	for i := range c.cfg.Sources {
		src := &c.cfg.Sources[i]
		sr, err := c.collectSource(ctx, src, plan)
		rep.Sources = append(rep.Sources, sr)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// collectSource crawls one source. It returns an error only for what must stop the
// whole run; everything else lands in the report's failures.
func (c *sourced) collectSource(ctx context.Context, src *settings.Source, plan Plan) (SourceReport, error) {
	name := c.spec.Name + "/" + src.Name
	sr := SourceReport{Source: name}
	fail := func(stage Stage, err error) {
		sr.Failures = append(sr.Failures, &StageError{Source: name, Stage: stage, Err: err})
	}
	var emitErr error
	readable := 0 // articles extracted without an error
	visit := func(a Article) error {
		start := time.Now()
		found, err := c.spec.Extract(a)
		sr.ExtractTime += time.Since(start)
		if err != nil {
			if !strings.Contains(err.Error(), a.URL) {
				// The domain extractors name the URL themselves; name it once.
				err = fmt.Errorf("%s: %w", a.URL, err)
			}
			fail(StageExtract, err)
			return nil
		}
		readable++
		kept := c.responsible(a, found)
		sr.Observations += len(kept)
		if len(kept) == 0 {
			c.logger.Debug("article yields no observations", "source", name, "url", a.URL, "title", a.Title)
			return nil
		}
		if plan.Emit != nil {
			if err := plan.Emit(ctx, a, kept); err != nil {
				emitErr = err
				return err
			}
		}
		return nil
	}
	stats, err := c.fetcher.Crawl(ctx, src, CrawlOptions{
		Source: name, Backfill: plan.Backfill, From: plan.From, MaxPages: plan.MaxPages, Want: plan.Want,
	}, visit)
	sr.CrawlStats = stats
	for _, e := range stats.ListErrors {
		fail(StageList, e)
	}
	for _, e := range stats.ArticleErrors {
		fail(StageArticle, e)
	}
	switch {
	case emitErr != nil:
		return sr, emitErr
	case ctx.Err() != nil:
		// The Runner, whose timeout it is, records it.
		return sr, ctx.Err()
	case err != nil:
		return sr, err
	case len(stats.ListErrors) > 0 && stats.ListPages == 0:
		// Nothing could be read; the list errors say why.
	case stats.Links == 0:
		fail(StageList, fmt.Errorf("link_selector %q matched no link on %d list page(s): has the layout changed?", src.LinkSelector, stats.ListPages))
	case stats.Matched == 0:
		fail(StageList, fmt.Errorf("none of %d links has a title matching title_pattern %q", stats.Links, src.TitlePattern))
	case readable > 0 && sr.Observations == 0:
		// Articles that could not be read are failures of their own, above.
		fail(StageExtract, fmt.Errorf("%d article(s) fetched and read but none yields a %s figure: has the body_selector %q or the wording changed?",
			readable, strings.Join(c.spec.Indicators, "/"), src.BodySelector))
	}
	return sr, nil
}

// responsible keeps the observations of the collector's indicators and stamps them
// with the article's provenance.
func (c *sourced) responsible(a Article, found []obs.Observation) []obs.Observation {
	kept := found[:0:0]
	for _, o := range found {
		if !slices.Contains(c.spec.Indicators, o.Indicator) {
			continue
		}
		o.Source = a.Source
		o.SourceKind = obs.KindCollector
		if o.URL == "" {
			o.URL = a.URL
		}
		if o.PublishedAt.IsZero() {
			o.PublishedAt = a.Published
		}
		if o.RetrievedAt.IsZero() {
			o.RetrievedAt = a.Retrieved
		}
		o.Normalize()
		kept = append(kept, o)
	}
	return kept
}
