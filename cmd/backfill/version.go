package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is stamped at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("version", "backfill version", "Print the version and build information.")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backfill %s\n", version)
	fmt.Fprintf(e.stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified":
				fmt.Fprintf(e.stdout, "%s: %s\n", s.Key, s.Value)
			}
		}
	}
	return nil
}
