package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Stamped at build time by GoReleaser and make build:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<RFC 3339>"
//
// A binary built without them (go install github.com/northpass-tools/backfill/cmd/backfill@v1.2.3,
// go build in a checkout) takes what the go command recorded in it (runtime/debug).
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// The version named everywhere (backfill version, the plan's seal) is the stamped one, or
// the module's.
func init() { version = readBuild().version }

// build is what a binary says about how it was built.
type build struct {
	version  string // v1.2.3, v1.2.4-0.20261207180000-abcdef123456 (a pseudo-version) or "dev"
	commit   string // the git commit, "" when unknown
	date     string // the commit's time (RFC 3339), "" when unknown
	modified bool   // built from a checkout with uncommitted changes
}

func readBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return buildOf(version, commit, date, bi)
}

// buildOf prefers the stamped values, then the build info: the main module's version (set
// by go install of a version, "(devel)" in a checkout) and the vcs.revision, vcs.time and
// vcs.modified settings (in a checkout, unless -buildvcs=false).
func buildOf(version, commit, date string, bi *debug.BuildInfo) build {
	b := build{version: version, commit: commit, date: date}
	if bi == nil {
		return b
	}
	if (b.version == "" || b.version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.commit == "" {
				b.commit = s.Value
			}
		case "vcs.time":
			if b.date == "" {
				b.date = s.Value
			}
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	if b.version == "" {
		b.version = "dev"
	}
	return b
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("version", "backfill version", "Print the version and build information.")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	b := readBuild()
	fmt.Fprintf(e.stdout, "backfill %s\n", b.version)
	switch {
	case b.commit != "" && b.modified:
		fmt.Fprintf(e.stdout, "commit: %s (with uncommitted changes)\n", b.commit)
	case b.commit != "":
		fmt.Fprintf(e.stdout, "commit: %s\n", b.commit)
	default:
		fmt.Fprintln(e.stdout, "commit: unknown")
	}
	if b.date != "" {
		fmt.Fprintf(e.stdout, "date: %s\n", b.date)
	}
	fmt.Fprintf(e.stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
