//go:build race

package dashboards

// raceEnabled: the test binary runs with -race, so the trademon binary the live test
// builds shares the race build cache.
const raceEnabled = true
