package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient"
)

func runResume(ctx context.Context, e *env, args []string) error {
	var o backfill.ResumeOptions
	var lo logOptions
	fs := newFlagSet("resume", "backfill resume DIR [flags]", `
Finish an import that was interrupted (network loss, Ctrl-C, kill -9, a closed laptop) from its
run folder. The journal says which Bulk job holds each part of to_import.csv and how far it
got; resume checks the plan's seal, asks Salesforce for each job's state (Open,
UploadComplete, InProgress, JobComplete, Failed, Aborted or gone after Salesforce's 7-day
retention), never sends a part again into a job that may hold it, waits for the jobs,
collects their results and writes the final ledger, summary and report. Where a job is gone
(or the journal was lost), it asks Salesforce which of the part's rows hold the planned
values and loads only the rest. Resuming a finished import sends nothing.`+orgHelp)
	out := addFolderFlags(fs, &o.FolderOptions, "the summary on stdout: table or json")
	fs.BoolVar(&o.SkipPreflight, "skip-preflight", false, "finish without running preflight's blocking checks first")
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 1, &lo, []*sfclient.Config{&o.Org}, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front, o.Dir = s.front, s.args[0]
	res, err := backfill.Resume(ctx, o)
	return e.printLoad(o.Dir, res, out.format, err)
}
