// Package config embeds trademon's default and example config files into the binary,
// so that `trademon serve` runs with no file on disk. The files themselves are the
// documentation of every key; internal/settings decodes and validates them.
package config

import _ "embed"

// DefaultYAML is default.yaml: the built-in defaults every config file overlays.
//
//go:embed default.yaml
var DefaultYAML []byte

// ExampleYAML is trademon.example.yaml: every key, with its default and what it does.
//
//go:embed trademon.example.yaml
var ExampleYAML []byte

// TargetsYAML is targets.yaml: the plan's goals, judged by package targets.
//
//go:embed targets.yaml
var TargetsYAML []byte

// TasksYAML is tasks.yaml: the measures of the plan's task table and who leads them.
//
//go:embed tasks.yaml
var TasksYAML []byte

// HistoryCSV is history/shenzhen.csv: official figures from public reports, in the
// import format, loaded at every start (idempotently) so that a first start shows real numbers.
//
//go:embed history/shenzhen.csv
var HistoryCSV []byte
