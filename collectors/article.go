// Package collectors holds what every collector shares: the Article a source yields,
// the Collector interface and its registry, the runner that schedules collectors, and
// shared fetching. One subpackage per domain (trade, retail, port, standards) turns
// articles into observations.
package collectors

import "time"

// Article is one release page as fetched: where it came from and its text.
type Article struct {
	// Source names the collector and source, e.g. "retail/tjj-monthly".
	Source string
	// URL is the article's address.
	URL string
	// Title is the link text on the list page, or the page title.
	Title string
	// Published is the release date from the list page or the article; zero if unknown.
	Published time.Time
	// Retrieved is when the page was fetched.
	Retrieved time.Time
	// Text is the text of the body selector, decoded to UTF-8.
	Text string
}
