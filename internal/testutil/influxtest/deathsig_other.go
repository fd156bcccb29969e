//go:build !linux

package influxtest

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death signal.
func setParentDeathSignal(*exec.Cmd) {}
