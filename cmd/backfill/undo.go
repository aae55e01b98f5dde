package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

func runUndo(ctx context.Context, e *env, args []string) error {
	var o backfill.UndoOptions
	var lo logOptions
	fs := newFlagSet("undo", "backfill undo DIR [flags]", `
Take an import back. The records the import in DIR created are deleted (a Bulk API 2.0
delete job: they go to the Recycle Bin, restorable for 15 days; hard delete is not offered);
the records it updated are restored to their before-image (an update job) from
before-import.csv (written by import --plan just before loading) or before.csv (written by
plan). A record changed in Salesforce after the import (LastModifiedDate after it, or a
field no longer holding the uploaded value) is left alone unless --force.

Without --yes it writes the undo plan (undo-plan.csv: key, action, id, detail) and prints it,
changing nothing (exit 0), and never asks. With --yes it runs the jobs, journaled like
an import (backfill resume DIR finishes an interrupted undo), and writes undo-ledger.csv
(key, outcome, detail): deleted, restored, restore_refused (the Northpass package refuses to
move Updated At back: --keep-updated-at restores the other fields), skipped_changed, failed.
The retry rounds of the import (DIR/retry-N, written by backfill retry) are undone first,
newest first, each in its own folder with the same flags. Exit code 0 when everything was
undone, 3 otherwise.`+orgHelp)
	addOrgFlags(fs, &o.Org)
	fs.BoolVarP(&o.Yes, "yes", "y", false, "run the undo (without it: a dry run that changes nothing)")
	fs.BoolVar(&o.Force, "force", false, "also undo records changed in Salesforce after the import")
	fs.BoolVar(&o.KeepUpdatedAt, "keep-updated-at", false, "restore records without moving their Updated At back (the package refuses that)")
	fs.BoolVar(&o.SkipPreflight, "skip-preflight", false, "undo without checking the login and the limits first")
	out := addOutputFlags(fs, "the undo plan or run on stdout: table or json")
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 1, &lo, []*sfclient.Config{&o.Org}, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front, o.Dir = s.front, s.args[0]
	_, run, err := backfill.Undo(ctx, o)
	return e.printUndo(o.Dir, run, out.format, err)
}

// printUndo prints an undo, when there is one, and returns how the command ends: exit 3 when
// something was not undone.
func (e *env) printUndo(dir string, run *backfill.UndoRun, format string, err error) error {
	if run == nil {
		return err
	}
	if perr := report.PrintUndo(e.stdout, dir, run, format); perr != nil && err == nil {
		err = perr
	}
	if err != nil || run.DryRun || run.OK() {
		return err
	}
	var what, fix []string
	outcomes := map[string]int{}
	for _, u := range append([]*backfill.UndoRun{run}, roundUndos(run)...) {
		for k, n := range u.Outcomes {
			outcomes[k] += n
		}
	}
	if n := outcomes[backfill.UndoSkippedChanged]; n > 0 {
		what = append(what, backfill.Plural(n, "record")+" changed after the import, left alone")
		if run.Force {
			// --force undoes every record the import wrote: what it leaves is a record the
			// import did not write (another one under the key), or one deleted since.
			fix = append(fix, "with --force, a record left alone is not the one the import wrote (the detail names it): undo never touches it")
		} else {
			fix = append(fix, "--force undoes those too")
		}
	}
	if n := outcomes[backfill.UndoRestoreRefused]; n > 0 {
		what = append(what, backfill.Plural(n, "restore")+" refused (the package does not let Updated At move back)")
		fix = append(fix, "--keep-updated-at restores the other fields")
	}
	if n := outcomes[backfill.UndoFailed]; n > 0 {
		what = append(what, backfill.Plural(n, "record")+" failed")
	}
	return &cliError{msg: "not everything was undone: " + strings.Join(what, "; "), code: exitRowsFailed,
		hint: fmt.Sprintf("%s says why for each record; %s", strings.Join(undoFilesNotOK(dir, run), ", "), strings.Join(append(fix, "a new undo plans the rest"), "; "))}
}

// roundUndos are the undos of the retry rounds run carried out with it.
func roundUndos(run *backfill.UndoRun) []*backfill.UndoRun {
	var out []*backfill.UndoRun
	for _, r := range run.Rounds {
		if r.Undo != nil {
			out = append(out, r.Undo)
		}
	}
	return out
}

// undoFilesNotOK are the undo ledgers of run (in dir) and of its retry rounds that hold a
// record not undone.
func undoFilesNotOK(dir string, run *backfill.UndoRun) []string {
	var out []string
	own := *run
	own.Rounds = nil
	if !own.OK() {
		out = append(out, filepath.Join(dir, run.File))
	}
	for _, r := range run.Rounds {
		if r.Undo != nil && !r.Undo.OK() {
			out = append(out, filepath.Join(r.Dir, r.Undo.File))
		}
	}
	return out
}
