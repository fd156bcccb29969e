//go:build !linux

package dashboards

import "os/exec"

func dieWithTest(*exec.Cmd) {}
