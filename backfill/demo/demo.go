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

// Run runs the demo, printing its story to w, and returns its run folder and the verify of
// its import. front carries the logger and hooks; the demo's org, export and run folder are
// its own.
func Run(ctx context.Context, front backfill.Front, opts Options, w io.Writer) (string, *backfill.VerifyRun, error) {
	if opts.Export != "" { // checked before the org starts: a wrong path is a usage error
		if st, err := os.Stat(opts.Export); err != nil || st.IsDir() {
			if err == nil {
				err = backfill.ErrNotAFile
			}
			return "", nil, &backfill.OptionError{Option: backfill.OptExport, Value: opts.Export, Err: err}
		}
	}
	export, cleanup, err := exportPath(opts.Export)
	if err != nil {
		return "", nil, err
	}
	defer cleanup()
	srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(sftest.DemoSeed()), sftest.WithJobDelay(opts.JobDelay))
	if err != nil {
		return "", nil, fmt.Errorf("start the demo org: %w", err)
	}
	defer srv.Close()
	out := opts.Out
	if out == "" {
		out = filepath.Join("backfill-runs", "demo-"+time.Now().UTC().Format("20060102T150405Z"))
	}
	org := sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: srv.AccessToken()},
		PollInterval: 100 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond}
	exp := backfill.NewExportOptions()
	exp.File = export
	sh := report.Shell{}

	fmt.Fprintf(w, "backfill demo: a demo Northpass org is running at %s (an emulator; nothing leaves this machine)\n", srv.URL)
	fmt.Fprintf(w, "\n== 1/4 preflight: is the org ready?\n\n")
	rep, err := backfill.Preflight(ctx, backfill.PreflightOptions{Front: front, Export: exp, Org: org})
	if rep != nil {
		if perr := report.PrintPreflight(w, rep, "table"); perr != nil {
			return "", nil, perr
		}
	}
	if err != nil {
		return "", nil, err
	}
	if !rep.Passed {
		return "", nil, &backfill.PreflightError{Report: rep}
	}
	fmt.Fprintf(w, "\n== 2/4 plan: the dry run people review (changes nothing)\n\n")
	sum, err := backfill.Plan(ctx, backfill.PlanOptions{Front: front, Export: exp, Org: org, Out: out})
	if err := show(w, sum, err); err != nil {
		return "", nil, err
	}
	fmt.Fprintf(w, "\n== 3/4 import: the reviewer approves the plan (%s %s), then it is loaded exactly as reviewed (%s %s %s)\n\n",
		sh.Command(backfill.CmdApprove, out), sh.Option(backfill.OptApprovedBy, demoReviewer),
		sh.Command(backfill.CmdImportPlan, out), sh.Option(backfill.OptRequireApproval, ""), sh.Option(backfill.OptYes, ""))
	folder := backfill.FolderOptions{Front: front, Dir: out, Org: org}
	if _, err := backfill.Approve(ctx, backfill.ApproveOptions{FolderOptions: folder, By: demoReviewer, Note: "the demo approves its own plan"}); err != nil {
		return "", nil, err
	}
	res, err := backfill.ImportPlan(ctx, backfill.ImportPlanOptions{FolderOptions: folder, Load: backfill.LoadOptions{Yes: true}, RequireApproval: true})
	if res != nil {
		sum = res.Summary
	}
	if err := show(w, sum, err); err != nil {
		return "", nil, err
	}
	fmt.Fprintf(w, "\n== 4/4 verify: read every loaded record back and compare it with the upload (%s)\n\n", sh.Command(backfill.CmdVerify, out))
	_, run, err := backfill.Verify(ctx, backfill.VerifyOptions{FolderOptions: folder})
	if run != nil {
		if perr := report.PrintVerify(w, out, run, "table"); perr != nil && err == nil {
			err = perr
		}
		// No command line to copy: the demo org stops with the demo, and a folder command
		// on out would find no org at the plan's address.
		fmt.Fprintf(w, "\nthe demo org stops now; against a real org, %s takes an import back (a dry run; %s to do it)\n",
			sh.Command(backfill.CmdUndo, "DIR"), sh.Option(backfill.OptYes, ""))
	}
	return out, run, err
}

// demoReviewer is who approves the demo's plan.
const demoReviewer = "Demo Reviewer"

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
