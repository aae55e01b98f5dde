package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to the file named by BACKFILL_CPUPROFILE, for
// performance work (make bench). It returns the function that stops it.
func startProfile(getenv func(string) string) func() {
	path := getenv("BACKFILL_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
