package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/trademon/trademon/internal/settings"
)

// preflight checks what serve would refuse at once although the config is well
// formed, without starting anything: that the listen address can be bound (one in use
// now is a warning: it may be this trademon, already running), and that the store
// path and the HTTP cache directory are directories trademon can write, or can
// create. Keys already reported are not checked again.
func preflight(cfg *settings.Config, reported []settings.Problem) (probs, warnings []settings.Problem) {
	skip := map[string]bool{}
	for _, p := range reported {
		skip[p.Key] = true
	}
	if !skip["listen"] {
		if msg, inUse := listenProblem(cfg.Listen); inUse {
			warnings = append(warnings, cfg.Problemf("listen", "warning: %s", msg))
		} else if msg != "" {
			probs = append(probs, cfg.Problemf("listen", "%s", msg))
		}
	}
	dirs := []struct{ key, path string }{{"store.path", cfg.Store.Path}, {"fetch.cache_dir", cfg.Fetch.CacheDir}}
	for _, d := range dirs {
		if d.path == "" || skip[d.key] {
			continue
		}
		if msg := dirProblem(d.path); msg != "" {
			probs = append(probs, cfg.Problemf(d.key, "%s", msg))
		}
	}
	return probs, warnings
}

// listenProblem binds addr for a moment and says why serve could not, and whether
// only because the address is in use now.
func listenProblem(addr string) (msg string, inUse bool) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		_ = ln.Close()
		return "", false
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Sprintf("%s is in use now: serve cannot listen there while it is (unless that is this trademon, already running)", addr), true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return fmt.Sprintf("cannot listen on %s: %v", addr, err), false
}

// dirProblem says why path is not a directory trademon can write, or create (serve
// creates it, with its parents), or returns "". It creates nothing but a temporary
// file, removed at once.
func dirProblem(path string) string {
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Sprintf("%s is not a directory", path)
	case err == nil:
		return writable(path)
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return fmt.Sprintf("cannot use %s: %v", path, errors.Unwrap(err))
	}
	// Serve would create it in the nearest directory that exists.
	for dir := filepath.Dir(filepath.Clean(path)); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Sprintf("cannot create %s: %s is not a directory", path, dir)
		case err == nil:
			if msg := writable(dir); msg != "" {
				return fmt.Sprintf("cannot create %s: %s", path, msg)
			}
			return ""
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// writable says why no file can be created in dir, or returns "".
func writable(dir string) string {
	f, err := os.CreateTemp(dir, ".trademon-check-*")
	if err != nil {
		return fmt.Sprintf("%s is not writable: %v", dir, errors.Unwrap(err))
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return ""
}
