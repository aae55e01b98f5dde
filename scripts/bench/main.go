// Bench measures the reference job of docs/CONTRACT.md §17 (csvdifftest.ReferenceJob: a
// 1,000,000-row export, about 266 MB, against 900,000 existing keys) three ways, in one run
// on the same files:
//
//   - backfill clean, built from this tree;
//   - DuckDB doing the same job as SQL (duckdb.mjs) in each of its formulations, the
//     fastest being the anchor the others are compared with, through the npm package
//     @duckdb/node-api pinned in package.json and installed into node_modules (git-ignored)
//     on first use; skipped when npm is absent;
//   - a plain Go program with encoding/csv and a map (naive/).
//
// Each tool runs once to warm up and then -runs times, the tools alternating run by run, as a
// whole process; the figures are medians: wall time, peak RSS (/usr/bin/time -f %M, or
// /proc/PID/status VmHWM polled), MB/s of export and the ratio of each to DuckDB. The three
// must agree on every count and on the rows of to_import.csv. The files are generated once
// per machine in os.TempDir (csvdifftest.CachedFiles).
//
// Usage, from the repository's root (make bench runs both):
//
//	go run ./scripts/bench run [-runs 5] [-out docs/bench.json] [-rows N -existing N]
//	go run ./scripts/bench readme [-in docs/bench.json] [-readme README.md]
//
// run prints a table and writes the figures, with the machine they were taken on, to -out;
// readme rewrites the part of the README between the bench markers from that file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

func main() {
	args := os.Args[1:]
	cmd := "run"
	if len(args) > 0 && (args[0] == "run" || args[0] == "readme") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("bench "+cmd, flag.ExitOnError)
	var err error
	switch cmd {
	case "run":
		o := runOptions{cfg: csvdifftest.ReferenceJob}
		fs.IntVar(&o.runs, "runs", 5, "measured runs of each tool, after one warm-up run")
		fs.StringVar(&o.out, "out", "docs/bench.json", "the figures file to write (\"\" for none)")
		fs.IntVar(&o.cfg.Rows, "rows", o.cfg.Rows, "export rows (default: the reference job's)")
		fs.IntVar(&o.cfg.Existing, "existing", o.cfg.Existing, "existing keys (default: the reference job's)")
		fs.BoolVar(&o.variants, "variants", true, "also measure the other CE-shaped exports (variants.go) against the anchor")
		fs.StringVar(&o.forms, "forms", "", "the DuckDB formulations to measure, comma-separated (default: all; duckdb.go)")
		fs.StringVar(&o.goCmd, "go", envOr("GO", "go"), "the go command that builds backfill and the naive program")
		fs.Parse(args)
		err = run(o)
	case "readme":
		in := fs.String("in", "docs/bench.json", "the figures file")
		readme := fs.String("readme", "README.md", "the README to rewrite between "+beginMarker+" and "+endMarker)
		fs.Parse(args)
		err = rewriteReadme(*readme, *in)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// repoRoot returns the folder of the go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
}
