package proc

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill trademon if the test binary dies without
// running its cleanups (a panic or a timeout), so no process is left behind.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
