package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	fixtures "github.com/northpass-tools/backfill"
	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var lo logOptions
	var jobDelay time.Duration
	fs := newFlagSet("demo", "backfill demo [flags]", `
Run the whole job against a local demo org, in this process: start the emulator seeded with
a demo Northpass org (sfclient/sftest/seeds/demo.json), run preflight, plan the sample export
(testdata/sample/export.csv) into a run folder, import exactly that reviewed plan, and print
the summary and where the report is. Nothing leaves this machine.`)
	fs.StringVar(&cfg.Export, "export", "", "an export to use instead of the sample")
	fs.StringVar(&cfg.Out, "out", "", "run folder to create (default backfill-runs/demo-<UTC timestamp>)")
	fs.DurationVar(&jobDelay, "job-delay", 300*time.Millisecond, "how long the demo org takes to process a Bulk job")
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if lo.verbose == 0 {
		lo.quiet = true // the demo prints its own story; -v shows the logs
	}
	done, err := setupJob(e, &cfg, lo)
	if err != nil {
		return err
	}
	defer done()
	cfg.Quiet = false

	srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(sftest.DemoSeed()), sftest.WithJobDelay(jobDelay))
	if err != nil {
		return fmt.Errorf("start the demo org: %w", err)
	}
	defer srv.Close()
	if _, err := os.Stat(repoSample); cfg.Export == "" && err == nil {
		cfg.Export = repoSample // run from the repository: name the file people can open
	}
	if cfg.Export == "" {
		path, cleanup, err := sampleExport()
		if err != nil {
			return err
		}
		defer cleanup()
		cfg.Export = path
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join("backfill-runs", "demo-"+time.Now().UTC().Format("20060102T150405Z"))
	}
	cfg.Org = sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: srv.AccessToken()},
		PollInterval: 100 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond}

	w := e.stdout
	fmt.Fprintf(w, "backfill demo: a demo Northpass org is running at %s (an emulator; nothing leaves this machine)\n", srv.URL)
	fmt.Fprintf(w, "\n== 1/3 preflight: is the org ready?\n\n")
	if _, err := backfill.Preflight(ctx, cfg, w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== 2/3 plan: the dry run people review (changes nothing)\n\n")
	if _, err := backfill.Plan(ctx, cfg, w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== 3/3 import: load exactly the reviewed plan (backfill import --plan %s --yes)\n\n", cfg.Out)
	imp := cfg
	imp.PlanDir, imp.Export, imp.Yes = cfg.Out, "", true
	if _, err := backfill.Import(ctx, imp, w); err != nil {
		return err
	}
	return nil
}

// repoSample is the sample export's path in the repository.
const repoSample = "testdata/sample/export.csv"

// sampleExport writes the embedded sample export to a temporary file (the engine reads
// its input twice, so it needs a file) and returns its path and a cleanup function.
func sampleExport() (string, func(), error) {
	b, err := fixtures.FS.ReadFile("testdata/sample/export.csv")
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "backfill-demo-")
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return path, func() { os.RemoveAll(dir) }, nil
}
