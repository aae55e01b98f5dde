package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

// setupJob fills the parts of cfg every command shares: credentials from the environment,
// the logger, and the hooks that show the job to people (report.html, progress on a
// terminal, the question before an import).
func (e *env) setupJob(cfg *backfill.Config, lo logOptions) (func(), error) {
	cfg.Org.Credentials = sfclient.CredentialsFromEnv(e.getenv)
	cfg.Version = version
	if e.pollInterval > 0 {
		cfg.Org.PollInterval, cfg.Org.MaxPollInterval = e.pollInterval, e.pollInterval
	}
	// Progress bars and log lines share stderr: on a terminal the log writes through the
	// progress, which clears its bar first.
	prog := report.NewProgress(e.stderr, e.stderrTerminal)
	logOut := e.stderr
	if !lo.quiet && e.stderrTerminal {
		logOut = prog.Writer()
	}
	log, err := newLogger(logOut, lo, e.stderrTerminal)
	if err != nil {
		return nil, backfill.UsageError("", "%v", err)
	}
	cfg.Logger = log
	cfg.Hooks.Render = report.Render
	if !lo.quiet {
		prog.SetLogger(log) // without a terminal, long steps log their progress
		cfg.Hooks.Progress = prog
	}
	if e.stdinTerminal && e.stdin != nil {
		cfg.Hooks.Confirm = report.Confirm(e.stdin, e.stdout)
	}
	restore := sfclient.RedirectStdLog(log)
	return func() { restore(); log.Sync() }, nil
}

func runPlan(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var ef exportFlags
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("plan", "backfill plan --export FILE [flags]", `
Dry run: read the export, discover the Enrollment object and its fields in Salesforce, look
up which candidate keys already exist (SOQL), and write a run folder people can review:
report.html, summary.json, ledger.csv (one line per data row with its outcome), to_import.csv
(exactly what import would upload: field API names, Bulk API value forms), skipped.csv,
rejects.csv and plan.json. Changes nothing in Salesforce; reports the API calls used.

Outcomes: rejected, before_cutoff, duplicate, exists, stale, to_insert, to_update (with
--update-stale).`+orgHelp)
	addExportFlags(fs, &cfg, &ef)
	markRequired(fs, "export", "(required)")
	addOutputFlags(fs, &out, "the summary on stdout: table or json")
	addTargetFlags(fs, &cfg)
	fs.BoolVar(&cfg.UpdateStale, "update-stale", false, "also upsert rows Salesforce has with different values (planned as to_update)")
	addMaxRejected(fs, &ef)
	addOrgFlags(fs, &cfg)
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return backfill.UsageError("run 'backfill plan --help'", "unexpected argument %q", fs.Arg(0))
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
	sum, err := backfill.Plan(ctx, cfg)
	return e.printSummary(sum, out.format, err)
}
