// Package faults holds trademon's fault suite (`make faults`, also run by CI): tests
// that run the real trademon binary, a real influxd 1.8.3 and fixture sites on
// loopback, break one of them on purpose — InfluxDB killed during a backfill,
// trademon killed during a burst of entries, a full disk, sources that fail in every
// way, a broken config reloaded — and check that nothing acknowledged is lost, nothing
// wrong is stored, and the failure is reported. Every test is bounded and stops by
// itself. The package has no code outside its tests.
package faults
