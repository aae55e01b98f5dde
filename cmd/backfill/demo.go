package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill/demo"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	var lo logOptions
	var opts demo.Options
	fs := newFlagSet("demo", "backfill demo [flags]", `
Run the whole job against a local demo org, in this process: start the emulator seeded with
a demo Northpass org, run preflight, plan the sample export (backfill/demo/sample/export.csv)
into a run folder, approve it as a reviewer would (backfill approve), import exactly that
approved plan, verify every loaded record against the upload, and print the summaries and
where the report is. Nothing leaves this machine.`)
	fs.StringVarP(&opts.Export, "export", "f", "", "an export to use instead of the sample")
	fs.StringVar(&opts.Out, "out", "", "run folder to create (default backfill-runs/demo-<UTC timestamp>)")
	fs.DurationVar(&opts.JobDelay, "job-delay", 300*time.Millisecond, "how long the demo org takes to process a Bulk job")
	addLogFlags(fs, &lo)
	quiet := &quietDemo{lo: &lo}
	s, err := e.start(fs, args, 0, &lo, nil, quiet)
	if err != nil {
		return err
	}
	defer s.done()
	dir, run, err := demo.Run(ctx, s.front, opts, e.stdout)
	if err != nil || run == nil {
		return err
	}
	return verifyEnd(dir, run)
}

// quietDemo quiets the log unless -v: the demo prints its own story.
type quietDemo struct{ lo *logOptions }

func (q *quietDemo) apply(*pflag.FlagSet) error {
	if q.lo.verbose == 0 {
		q.lo.quiet = true
	}
	return nil
}
