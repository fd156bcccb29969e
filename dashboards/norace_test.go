//go:build !race

package dashboards

const raceEnabled = false
