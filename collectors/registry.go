package collectors

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/trademon/trademon/internal/settings"
)

// Factory builds a collector from its config section and the shared dependencies.
type Factory func(cfg *settings.Collector, deps Deps) (Collector, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a collector available under name, the key of its config section.
// Package builtin registers the four collectors; Register panics on an empty name, a
// nil factory or a name registered twice, which are programming errors.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	switch {
	case name == "":
		panic("collectors: Register with an empty name")
	case f == nil:
		panic("collectors: Register " + name + " with a nil factory")
	case registry[name] != nil:
		panic("collectors: Register called twice for " + name)
	}
	registry[name] = f
}

// Names returns the registered collector names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New builds the collector registered under name.
func New(name string, cfg *settings.Collector, deps Deps) (Collector, error) {
	registryMu.RLock()
	f := registry[name]
	registryMu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("unknown collector %q (registered: %s)", name, strings.Join(Names(), ", "))
	}
	c, err := f(cfg, deps)
	if err != nil {
		return nil, fmt.Errorf("collector %s: %w", name, err)
	}
	return c, nil
}

// Build builds every registered collector that has a config section, in name order.
// With only non-empty, it builds just that collector, enabled or not, and fails when
// it is unknown; otherwise it skips disabled collectors.
func Build(cfg settings.Collectors, deps Deps, only string) ([]Collector, error) {
	if only != "" {
		col := cfg[only]
		if col == nil && slices.Contains(Names(), only) {
			return nil, fmt.Errorf("collector %q has no config section", only)
		}
		c, err := New(only, col, deps) // fails for an unknown name
		if err != nil {
			return nil, err
		}
		return []Collector{c}, nil
	}
	var out []Collector
	for _, name := range Names() {
		col := cfg[name]
		if col == nil || !col.Enabled {
			continue
		}
		c, err := New(name, col, deps)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
