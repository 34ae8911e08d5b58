// Package e2e proves the quickstart scenarios end to end: the real
// cmd/server binary runs as a process, as a user would run it, against the
// fake workspace (cmd/fakeworkspace as a process, or in-process where a test
// needs more users than the demo has), and every request goes over real TCP.
//
// TestMain builds both binaries once into a temporary directory; with the
// race detector on, the binaries are built with it too, so that the server's
// own goroutines are checked while the scenarios run.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Paths of the binaries TestMain builds.
var (
	serverBin string
	fakeBin   string
)

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "onbehalf-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	serverBin = filepath.Join(dir, "server")
	fakeBin = filepath.Join(dir, "fakeworkspace")
	for bin, pkg := range map[string]string{serverBin: "../../cmd/server", fakeBin: "../../cmd/fakeworkspace"} {
		args := []string{"build", "-o", bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			return 1
		}
	}
	return m.Run()
}
