package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// cache keeps, per URL, the validators (ETag, Last-Modified) and the body of the last
// 200 response that had any, so that the next request can be conditional and a 304
// answer can be served from disk. Each URL has a body file and a metadata file written
// atomically (temporary file, then rename), metadata last: a crash leaves either the old
// entry or the new one, never a half-written one that is believed.
type cache struct {
	dir string
}

// entry is one cached response.
type entry struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	ContentType  string    `json:"content_type,omitempty"`
	BodySHA256   string    `json:"body_sha256"`
	StoredAt     time.Time `json:"stored_at"`
	body         []byte
}

func newCache(dir string) (*cache, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("http cache: %w", err)
	}
	return &cache{dir: dir}, nil
}

func (c *cache) paths(url string) (meta, body string) {
	sum := sha256.Sum256([]byte(url))
	h := hex.EncodeToString(sum[:])
	base := filepath.Join(c.dir, h[:2], h)
	return base + ".json", base + ".body"
}

// load returns the cached entry for url, or nil when there is none or it is damaged
// (a damaged entry is ignored: the next 200 replaces it).
func (c *cache) load(url string) *entry {
	if c == nil {
		return nil
	}
	metaPath, bodyPath := c.paths(url)
	mb, err := os.ReadFile(metaPath)
	if err != nil {
		return nil
	}
	var e entry
	if json.Unmarshal(mb, &e) != nil || e.URL != url {
		return nil
	}
	body, err := os.ReadFile(bodyPath)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != e.BodySHA256 {
		return nil
	}
	e.body = body
	return &e
}

// store records a 200 response that carries validators.
func (c *cache) store(e entry, body []byte) error {
	if c == nil {
		return nil
	}
	metaPath, bodyPath := c.paths(e.URL)
	if err := os.MkdirAll(filepath.Dir(metaPath), 0o750); err != nil {
		return fmt.Errorf("http cache: %w", err)
	}
	sum := sha256.Sum256(body)
	e.BodySHA256 = hex.EncodeToString(sum[:])
	mb, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("http cache: %w", err)
	}
	if err := writeAtomic(bodyPath, body); err != nil {
		return err
	}
	return writeAtomic(metaPath, mb)
}

// drop forgets url (its page no longer carries validators).
func (c *cache) drop(url string) {
	if c == nil {
		return
	}
	metaPath, bodyPath := c.paths(url)
	// A file that cannot be removed stays unbelieved: load checks the body's digest.
	_ = os.Remove(metaPath)
	_ = os.Remove(bodyPath)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("http cache: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("http cache: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("http cache: %w", err)
	}
	return nil
}
