package main

import (
	"context"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

func runPreflight(ctx context.Context, e *env, args []string) error {
	var o backfill.PreflightOptions
	var lo logOptions
	var out string // --out and --skipped-before-cutoff are plan's: preflight writes no run folder
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
	ef := addExportFlags(fs, &o.Export, &out)
	fs.Lookup("export").Usage = "the emailed CE Data Export CSV (optional: check the column mapping and size the load)"
	for _, name := range []string{"out", "skipped-before-cutoff"} {
		fs.MarkHidden(name)
	}
	format := addOutputFlags(fs, "the report on stdout: table (the checklist) or json")
	addTargetFlags(fs, &o.Target)
	fs.BoolVar(&o.UpdateStale, "update-stale", false, "the load will also update records (then mapped fields must be updateable, not only createable)")
	addOrgFlags(fs, &o.Org)
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 0, &lo, []*sfclient.Config{&o.Org}, ef, format)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front = s.front
	rep, err := backfill.Preflight(ctx, o)
	if rep == nil {
		return err
	}
	if perr := report.PrintPreflight(e.stdout, rep, format.format); perr != nil && err == nil {
		err = perr
	}
	if err == nil && !rep.Passed {
		return &cliError{msg: "preflight failed: check " + strings.Join(rep.FailedNames(), ", "), code: exitPreflight,
			hint: "follow the fix lines of the checklist, then run backfill preflight again"}
	}
	return err
}
