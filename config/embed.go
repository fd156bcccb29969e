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
