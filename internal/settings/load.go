package settings

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trademon/trademon/config"
)

// BuiltIn names the embedded defaults in messages.
const BuiltIn = "(built-in defaults)"

// Problem is one thing wrong with the config: where it is and what is wrong.
type Problem struct {
	File string
	Line int // 0 when unknown (environment variables, missing keys)
	Key  string
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found in one load, one per line.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

// Problems collects the problems that validating one file finds. Each is placed at the
// line of its key path in Lines (as DecodeStrict records them) or, when the file does
// not have that key (the value is a default, or the key is absent), at the line of the
// nearest enclosing key it has.
type Problems struct {
	File  string
	Lines map[string]int
	List  []Problem
}

// Addf adds a problem with key, such as "targets[2].goal", and a message.
func (p *Problems) Addf(key, format string, args ...any) {
	p.List = append(p.List, Problem{File: p.File, Line: p.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// line returns the line of key or of its nearest enclosing key in p.Lines, or 0.
func (p *Problems) line(key string) int {
	for k := key; ; {
		if l, ok := p.Lines[k]; ok {
			return l
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			return 0
		}
		k = k[:i]
	}
}

// Err returns the problems as an *Error, or nil when there are none.
func (p *Problems) Err() error {
	if len(p.List) == 0 {
		return nil
	}
	return &Error{Problems: p.List}
}

// Options tell Load what only the caller knows.
type Options struct {
	// Collectors are the names of the registered collectors; a config section for any
	// other name is an error. Nil skips the check.
	Collectors []string
	// Env holds the environment as os.Environ returns it; nil means os.Environ().
	Env []string
	// CheckSource, when set, checks what only the part that uses a source can: that
	// its selectors, title pattern and page pattern compile (collectors/fetch.CheckSource).
	// Its problems are reported under the source's key, with the file and line, like
	// every other problem. Nil checks only what this package can.
	CheckSource func(*Source) []SourceProblem
}

// SourceProblem is what a CheckSource finds wrong with one key of a source: Key is
// the key inside the source ("link_selector"), Msg what is wrong with its value.
type SourceProblem struct{ Key, Msg string }

// Load reads the config: built-in defaults, overlaid by the file at path (if path is not
// empty), overlaid by TRADEMON_* environment variables, then validated. On any problem it
// returns an *Error naming all of them — unknown keys, values of the wrong type and
// invalid values alike, in file order, then those of the environment — and, unless
// the file could not be read or is not YAML, the config as far as it was decoded (a
// value that could not be decoded keeps its default), for callers that check more
// (check-config).
func Load(path string, opts Options) (*Config, error) {
	cfg, err := decodeDefaults()
	if err != nil {
		return nil, err
	}
	lines := map[string]int{}
	cfg.File = BuiltIn
	var probs []Problem
	if path != "" {
		cfg.File = path
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, &Error{[]Problem{{File: path, Msg: fmt.Sprintf("cannot read config: %v", errors.Unwrap(err))}}}
		}
		var decoded bool
		if probs, decoded = decodeInto(cfg, path, data, lines); !decoded {
			return nil, &Error{probs}
		}
	}
	cfg.lines = lines
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	envProbs := applyEnv(cfg, env)
	bad := map[string]bool{} // keys whose value could not be decoded
	for _, p := range probs {
		bad[p.Key] = true
	}
	for _, p := range cfg.validate(lines, opts) {
		if !bad[p.Key] {
			probs = append(probs, p)
		}
	}
	probs = SortProblems(append(probs, envProbs...))
	if len(probs) > 0 {
		return cfg, &Error{probs}
	}
	return cfg, nil
}

// SortProblems orders the problems of one config in file order: those of the file by
// line (those without one after), then those of the environment.
func SortProblems(probs []Problem) []Problem {
	env := func(p Problem) int {
		if p.File == "environment" {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(probs, func(a, b Problem) int { return cmp.Compare(env(a), env(b)) })
	i := slices.IndexFunc(probs, func(p Problem) bool { return p.File == "environment" })
	if i < 0 {
		i = len(probs)
	}
	sortByLine(probs[:i])
	return probs
}

// Problemf returns a problem with the value of key, placed as Load places its own: at
// the key's line in the file, or against the TRADEMON_* variable that set it. It is
// for callers that check what Load cannot (check-config: can the listen address be
// bound, can the store directory be written).
func (c *Config) Problemf(key, format string, args ...any) Problem {
	v := &validator{probs: Problems{File: c.File, Lines: c.lines}, envSet: c.envSet}
	v.addf(key, format, args...)
	return v.probs.List[0]
}

// Default returns the validated built-in defaults, without environment overrides.
func Default() (*Config, error) {
	return Load("", Options{Env: []string{}})
}

func decodeDefaults() (*Config, error) {
	cfg := &Config{}
	if probs, _ := decodeInto(cfg, BuiltIn, config.DefaultYAML, map[string]int{}); len(probs) > 0 {
		return nil, fmt.Errorf("built-in defaults are broken: %w", &Error{probs})
	}
	return cfg, nil
}

// decodeInto strictly decodes data over cfg, recording the line of every key path in
// lines. An empty file keeps every value cfg already has. decoded is false when the
// file is not a YAML mapping (see decodeDoc).
func decodeInto(cfg *Config, file string, data []byte, lines map[string]int) ([]Problem, bool) {
	return decodeDoc(file, data, cfg, reflect.TypeOf(Config{}), lines, configMessages)
}

// syntaxProblem reports a file that is not well-formed YAML, with a hint for the most
// common cause, a tab in the indentation.
func syntaxProblem(file string, data []byte, err error) Problem {
	p := yamlProblem(file, err.Error(), nil)
	if p.Line > 0 {
		lines := strings.Split(string(data), "\n")
		if p.Line <= len(lines) {
			l := lines[p.Line-1]
			if indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]; strings.Contains(indent, "\t") {
				p.Msg = "invalid YAML: a tab in the indentation (YAML indents with spaces only)"
				return p
			}
		}
	}
	p.Msg = "invalid YAML: " + p.Msg
	return p
}

// checkKeys walks a YAML node against the Go type it decodes into, reporting keys the
// type does not have and recording the line of every key path.
func checkKeys(n *yaml.Node, t reflect.Type, path, file string, lines map[string]int, probs *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				*probs = append(*probs, Problem{File: file, Line: k.Line, Key: p,
					Msg: fmt.Sprintf("unknown key (known keys%s: %s)", ofPath(path), strings.Join(sortedKeys(fields), ", "))})
				continue
			}
			lines[p] = v.Line
			checkKeys(v, f.Type, p, file, lines, probs)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			lines[p] = k.Line
			checkKeys(v, t.Elem(), p, file, lines, probs)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = v.Line
			checkKeys(v, t.Elem(), p, file, lines, probs)
		}
	}
}

func ofPath(path string) string {
	if path == "" {
		return ""
	}
	return " of " + path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// yamlProblems turns a yaml.v3 error into Problems: one for each value a TypeError
// lists, else one for the error.
func yamlProblems(file string, err error, lines map[string]int) []Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return []Problem{yamlProblem(file, err.Error(), lines)}
	}
	out := make([]Problem, len(te.Errors))
	for i, msg := range te.Errors {
		out[i] = yamlProblem(file, msg, lines)
	}
	return out
}

// yamlProblem turns a yaml.v3 message into a Problem with the line and, when known,
// the key.
func yamlProblem(file, msg string, lines map[string]int) Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	p := Problem{File: file, Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
		for k, l := range lines {
			if l == p.Line && (p.Key == "" || len(k) > len(p.Key)) {
				p.Key = k
			}
		}
	}
	p.Msg = strings.Replace(p.Msg, "cannot unmarshal !!", "cannot decode YAML ", 1)
	return p
}

// UnmarshalYAML overlays each named collector's keys on its existing (default) config,
// so that a user file saying only `retail: {enabled: false}` keeps the default sources.
func (c *Collectors) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: collectors must be a mapping of collector names to settings", n.Line)
	}
	if *c == nil {
		*c = Collectors{}
	}
	// Every collector is decoded, and every value of the wrong type in any of them
	// reported (a field that cannot be decoded keeps its default).
	var typeErrs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		col := &Collector{}
		if prev := (*c)[name]; prev != nil {
			cp := *prev
			col = &cp
		}
		if err := n.Content[i+1].Decode(col); err != nil {
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				return err
			}
			typeErrs = append(typeErrs, te.Errors...)
		}
		(*c)[name] = col
	}
	if len(typeErrs) > 0 {
		return &yaml.TypeError{Errors: typeErrs}
	}
	return nil
}

// envVars are the TRADEMON_* variables that override config keys.
var envVars = map[string]struct {
	key string
	set func(*Config, string) error
}{
	"TRADEMON_LISTEN":          {"listen", func(c *Config, v string) error { c.Listen = v; return nil }},
	"TRADEMON_STORE_KIND":      {"store.kind", func(c *Config, v string) error { c.Store.Kind = v; return nil }},
	"TRADEMON_STORE_PATH":      {"store.path", func(c *Config, v string) error { c.Store.Path = v; return nil }},
	"TRADEMON_INFLUXDB_URL":    {"store.influxdb.url", func(c *Config, v string) error { c.Store.InfluxDB.URL = v; return nil }},
	"TRADEMON_INFLUXDB_ORG":    {"store.influxdb.org", func(c *Config, v string) error { c.Store.InfluxDB.Org = v; return nil }},
	"TRADEMON_INFLUXDB_BUCKET": {"store.influxdb.bucket", func(c *Config, v string) error { c.Store.InfluxDB.Bucket = v; return nil }},
	"TRADEMON_INFLUXDB_TOKEN":  {"store.influxdb.token", func(c *Config, v string) error { c.Store.InfluxDB.Token = v; return nil }},
	"TRADEMON_TARGETS":         {"targets", func(c *Config, v string) error { c.Targets = v; return nil }},
	"TRADEMON_TASKS":           {"tasks", func(c *Config, v string) error { c.Tasks = v; return nil }},
	"TRADEMON_USERS":           {"users", func(c *Config, v string) error { c.Users = v; return nil }},
	"TRADEMON_HISTORY":         {"history", func(c *Config, v string) error { c.History = v; return nil }},
}

// EnvConfigFile names the config file when --config is not given.
const EnvConfigFile = "TRADEMON_CONFIG"

// envIgnoredPrefixes are TRADEMON_* variables that are not config overrides.
var envIgnoredPrefixes = []string{"TRADEMON_TEST_", EnvConfigFile, EnvToken}

// EnvVarNames returns the names of the TRADEMON_* variables that override config keys.
func EnvVarNames() []string {
	return sortedKeys(envVars)
}

func applyEnv(cfg *Config, env []string) []Problem {
	var probs []Problem
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "TRADEMON_") {
			continue
		}
		ignored := false
		for _, p := range envIgnoredPrefixes {
			ignored = ignored || strings.HasPrefix(name, p)
		}
		if ignored {
			continue
		}
		ev, ok := envVars[name]
		if !ok {
			probs = append(probs, Problem{File: "environment", Key: name,
				Msg: fmt.Sprintf("unknown variable (known: %s)", strings.Join(EnvVarNames(), ", "))})
			continue
		}
		if err := ev.set(cfg, val); err != nil {
			probs = append(probs, Problem{File: "environment", Key: name, Msg: err.Error()})
			continue
		}
		if cfg.envSet == nil {
			cfg.envSet = map[string]bool{}
		}
		cfg.envSet[name] = true
	}
	return probs
}
