package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
)

func runVerify(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("verify", "backfill verify DIR [flags]", `
Prove an import: read back from Salesforce every record the import in DIR created or updated
(batched IN queries on the external id, or one scan when cheaper) and compare every mapped
field with the value uploaded in to_import.csv, as plan compares (dates as instants, numbers
as numbers). Writes verify.csv (key, outcome, detail; a second verify writes verify-2.csv,
never overwriting): match; differs (the field API names and both values); missing (no record
with the key); newer (Salesforce holds a later Updated At than the upload: counts as a
match). The run is added to summary.json and report.html. Reads only. Exit code 0 when every
record matches, 3 otherwise.`+orgHelp)
	addOrgFlags(fs, &cfg)
	addOutputFlags(fs, &out, "the verify run on stdout: table or json")
	addLogFlags(fs, &lo)
	dir, done, err := e.folderCommand(fs, args, &cfg, &lo, &out)
	if err != nil {
		return err
	}
	defer done()
	_, run, err := backfill.Verify(ctx, cfg, dir)
	if run != nil {
		if perr := report.PrintVerify(e.stdout, dir, run, out.format); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func runUndo(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("undo", "backfill undo DIR [flags]", `
Take an import back. The records the import in DIR created are deleted (a Bulk API 2.0
delete job: they go to the Recycle Bin, restorable for 15 days; hard delete is not offered);
the records it updated are restored to their before-image (an update job) from
before-import.csv (written by import --plan just before loading) or before.csv (written by
plan). A record changed in Salesforce after the import (LastModifiedDate after it, or a
field no longer holding the uploaded value) is left alone unless --force.

Without --yes it writes the undo plan (undo-plan.csv: key, action, id, detail) and prints it,
changing nothing (exit 0); on a terminal it asks. With --yes it runs the jobs, journaled like
an import (backfill resume DIR finishes an interrupted undo), and writes undo-ledger.csv
(key, outcome, detail): deleted, restored, restore_refused (the Northpass package refuses to
move Updated At back: --keep-updated-at restores the other fields), skipped_changed, failed.
Exit code 0 when everything was undone, 3 otherwise.`+orgHelp)
	addOrgFlags(fs, &cfg)
	fs.BoolVarP(&cfg.Yes, "yes", "y", false, "undo without asking (without it: a dry run, unless a terminal can be asked)")
	fs.BoolVar(&cfg.Force, "force", false, "also undo records changed in Salesforce after the import")
	fs.BoolVar(&cfg.KeepUpdatedAt, "keep-updated-at", false, "restore records without moving their Updated At back (the package refuses that)")
	fs.BoolVar(&cfg.SkipPreflight, "skip-preflight", false, "undo without checking the login and the limits first")
	addOutputFlags(fs, &out, "the undo plan or run on stdout: table or json")
	addLogFlags(fs, &lo)
	dir, done, err := e.folderCommand(fs, args, &cfg, &lo, &out)
	if err != nil {
		return err
	}
	defer done()
	_, run, err := backfill.Undo(ctx, cfg, dir)
	return e.printUndo(dir, run, out.format, err)
}

// printUndo prints an undo, when there is one, and returns err.
func (e *env) printUndo(dir string, run *backfill.UndoRun, format string, err error) error {
	if run != nil {
		if perr := report.PrintUndo(e.stdout, dir, run, format); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// folderCommand parses the flags of a command that takes one run folder (resume, verify,
// undo), checks them and sets the job up; done ends it.
// lo and out are read after the flags are parsed into them.
func (e *env) folderCommand(fs *pflag.FlagSet, args []string, cfg *backfill.Config, lo *logOptions, out *outputFlags) (string, func(), error) {
	if err := parseFlags(fs, e, args); err != nil {
		return "", nil, err
	}
	if fs.NArg() != 1 {
		return "", nil, backfill.UsageError(fmt.Sprintf("run 'backfill %s --help'", fs.Name()), "%s takes one run folder", fs.Name())
	}
	if err := out.resolve(fs); err != nil {
		return "", nil, err
	}
	done, err := e.setupJob(cfg, *lo)
	if err != nil {
		return "", nil, err
	}
	return fs.Arg(0), done, nil
}
