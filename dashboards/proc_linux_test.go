package dashboards

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill the child if the test binary dies without running
// its cleanups (a panic or a timeout), so that no server is left behind.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
