//go:build !race

package e2e

// raceEnabled: the test binary runs without the race detector.
const raceEnabled = false
