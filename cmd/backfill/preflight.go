package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
)

func runPreflight(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var ef exportFlags
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("preflight", "backfill preflight [--export FILE] [flags]", `
Check that the org is ready for the backfill, reading only. The six checks follow the
reconnection guide:

  1. Login and org: the login works, the instance URL is https (plain http only for a local
     emulator on loopback), and the org is a sandbox exactly when --sandbox is given.
  2. Installed packages: Northpass 2.1 or later and Gainsight Northpass Data Connector 1.0
     or later (Setup > Installed Packages).
  3. Integration user: fails when the logged-in user's profile is System Administrator,
     warns when it has Modify All Data through its profile or a permission set.
  4. Enrollment object and fields: the object (the one labelled "Enrollment" in the Northpass
     namespace, or --object) and its External id field exist and this user can write them;
     with --export, the columns map to writable fields and every required field is mapped.
  5. API limits: enough DailyApiRequests and DailyBulkApiBatches left for the load (sized
     from --export when given); warns under 10% left.
  6. Live sync: the newest Enrollment written by the logged-in user, and whether it is on or
     after --since; warns when the sync has written nothing since (the guide's "Verify Data
     Sync" step).

Each check prints PASS, WARN, FAIL or SKIP (a check that needs a failed one), its finding and,
on WARN and FAIL, a "fix:" line. --json prints the same report as JSON. Exit code 4 when any
check fails; warnings alone exit 0. The export flags matter only with --export.`+orgHelp)
	addExportFlags(fs, &cfg, &ef)
	fs.Lookup("export").Usage = "the emailed CE Data Export CSV (optional: check the column mapping and size the load)"
	for _, name := range []string{"out", "skipped-before-cutoff"} {
		fs.MarkHidden(name) // plan's flags that preflight does not use (it writes no run folder)
	}
	addOutputFlags(fs, &out, "the report on stdout: table (the checklist) or json")
	addTargetFlags(fs, &cfg)
	fs.BoolVar(&cfg.UpdateStale, "update-stale", false, "the load will also update records (then mapped fields must be updateable, not only createable)")
	addOrgFlags(fs, &cfg)
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return backfill.UsageError("run 'backfill preflight --help'", "unexpected argument %q", fs.Arg(0))
	}
	if err := ef.apply(fs, &cfg); err != nil {
		return err
	}
	if err := out.resolve(fs); err != nil {
		return err
	}
	done, err := e.setupJob(&cfg, lo)
	if err != nil {
		return err
	}
	defer done()
	rep, err := backfill.Preflight(ctx, cfg)
	if rep != nil {
		if perr := report.PrintPreflight(e.stdout, rep, out.format); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}
