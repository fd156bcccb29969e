// Package perf holds process-level benchmarks of trademon: start-up time and idle
// memory of `trademon serve`, each beside a baseline measured in the same run. The
// package has no code outside its tests.
package perf
