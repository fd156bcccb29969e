//go:build !linux

package proc

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death signal.
func setParentDeathSignal(*exec.Cmd) {}
