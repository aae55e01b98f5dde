// Package demo is `backfill demo` (and `make demo`): the whole job against a local demo
// org, in process. It starts the emulator of package sfclient/sftest seeded with the demo
// Northpass org, runs preflight, plans the sample export into a run folder, imports exactly
// that reviewed plan and prints what each step found. Nothing leaves the machine.
//
// The sample export and the records the demo org already holds live here, embedded, so the
// demo runs from any directory; tests across the repository read the same files.
package demo

import (
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// Sample holds sample/export.csv (a CE Data Export) and sample/existing.csv (the
// Enrollment records the demo org holds, as a report export would list them).
//
//go:embed sample/*.csv
var Sample embed.FS

// SamplePath is the sample export's path in the repository, shown when the demo runs from
// there so people can open the file.
const SamplePath = "backfill/demo/sample/export.csv"

// Options configure [Run].
type Options struct {
	// Export is the export to load; "" means the sample.
	Export string
	// Out is the run folder; "" means backfill-runs/demo-<UTC timestamp>.
	Out string
	// JobDelay is how long the demo org takes to process a Bulk job.
	JobDelay time.Duration
}

// Run runs the demo, printing its story to w. cfg carries the logger and hooks; its org,
// export and run folder are the demo's.
func Run(ctx context.Context, cfg backfill.Config, opts Options, w io.Writer) error {
	if opts.Export != "" { // checked before the org starts: a wrong path is a usage error
		if st, err := os.Stat(opts.Export); err != nil || st.IsDir() {
			return backfill.UsageError("pass an export CSV file, or leave --export out for the sample", "--export %s: not a readable file", opts.Export)
		}
	}
	export, cleanup, err := exportPath(opts.Export)
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(sftest.DemoSeed()), sftest.WithJobDelay(opts.JobDelay))
	if err != nil {
		return fmt.Errorf("start the demo org: %w", err)
	}
	defer srv.Close()
	cfg.Export, cfg.Out = export, opts.Out
	if cfg.Out == "" {
		cfg.Out = filepath.Join("backfill-runs", "demo-"+time.Now().UTC().Format("20060102T150405Z"))
	}
	cfg.Org = sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: srv.AccessToken()},
		PollInterval: 100 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond}

	fmt.Fprintf(w, "backfill demo: a demo Northpass org is running at %s (an emulator; nothing leaves this machine)\n", srv.URL)
	fmt.Fprintf(w, "\n== 1/4 preflight: is the org ready?\n\n")
	rep, err := backfill.Preflight(ctx, cfg)
	if rep != nil {
		if perr := report.PrintPreflight(w, rep, "table"); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== 2/4 plan: the dry run people review (changes nothing)\n\n")
	sum, err := backfill.Plan(ctx, cfg)
	if err := show(w, sum, err); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== 3/4 import: load exactly the reviewed plan (backfill import --plan %s --yes)\n\n", cfg.Out)
	imp := cfg
	imp.PlanDir, imp.Export, imp.Yes = cfg.Out, "", true
	sum, err = backfill.Import(ctx, imp)
	if err := show(w, sum, err); err != nil && backfill.ExitCode(err) != backfill.ExitRowsFailed {
		return err
	}
	fmt.Fprintf(w, "\n== 4/4 verify: read every loaded record back and compare it with the upload (backfill verify %s)\n\n", cfg.Out)
	ver := cfg
	ver.Export = ""
	_, run, err := backfill.Verify(ctx, ver, cfg.Out)
	if run != nil {
		if perr := report.PrintVerify(w, cfg.Out, run, "table"); perr != nil && err == nil {
			err = perr
		}
		fmt.Fprintf(w, "\nto take it back: backfill undo %s (a dry run; --yes to do it)\n", cfg.Out)
	}
	return err
}

func show(w io.Writer, sum *backfill.Summary, err error) error {
	if sum != nil {
		if perr := report.PrintSummary(w, sum, "table"); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// exportPath returns the export to use: the given one, the sample in the repository when
// run from there, or the embedded sample written to a temporary file (the engine reads its
// input twice, so it needs a file).
func exportPath(export string) (string, func(), error) {
	if export != "" {
		return export, func() {}, nil
	}
	if _, err := os.Stat(SamplePath); err == nil {
		return SamplePath, func() {}, nil
	}
	b, err := Sample.ReadFile("sample/export.csv")
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
