package main

import (
	"context"
	"os"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient"
)

// addOrgFlags binds the flags that say which org to talk to. Secrets never come from flags:
// they are read from the environment (SF_ACCESS_TOKEN, SF_CLIENT_ID, SF_CLIENT_SECRET,
// SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN, SF_JWT_KEY_FILE, SF_REFRESH_TOKEN).
func addOrgFlags(fs *pflag.FlagSet, cfg *backfill.Config) {
	fs.StringVarP(&cfg.Org.TargetOrg, "target-org", "o", "", "reuse a Salesforce CLI login (alias or username; runs `sf org display --json`)")
	fs.StringVar(&cfg.Org.InstanceURL, "instance-url", "", "the org's URL, e.g. https://acme.my.salesforce.com (required with SF_ACCESS_TOKEN)")
	fs.StringVar(&cfg.Org.LoginURL, "login-url", "", "OAuth login host (default https://login.salesforce.com, or https://test.salesforce.com with --sandbox)")
	fs.BoolVar(&cfg.Org.Sandbox, "sandbox", false, "the org is a sandbox (login host test.salesforce.com; preflight checks IsSandbox)")
	fs.StringVar(&cfg.Org.APIVersion, "api-version", sfclient.DefaultAPIVersion, "Salesforce API version")
}

// addTargetFlags binds the flags that override discovery.
func addTargetFlags(fs *pflag.FlagSet, cfg *backfill.Config) {
	fs.StringVar(&cfg.Object, "object", "", "the Enrollment object's API name (default: discovered: the object labelled \"Enrollment\" in the Northpass package's namespace)")
	fs.StringVar(&cfg.ExternalIDField, "external-id-field", "", "the upsert key field (default: discovered: the External ID field labelled \"External id\")")
	fs.StringVar(&cfg.MappingFile, "mapping", "", "a Data Loader .sdl mapping file (CSV Header=Field__c lines); default: match headers to API names, then labels")
}

const orgHelp = `
Authentication, in order of preference: --target-org ALIAS (a Salesforce CLI login);
SF_ACCESS_TOKEN with --instance-url; OAuth JWT bearer (SF_CLIENT_ID, SF_USERNAME,
SF_JWT_KEY_FILE); a refresh token (SF_CLIENT_ID, SF_REFRESH_TOKEN); client credentials
(SF_CLIENT_ID, SF_CLIENT_SECRET); username-password (SF_CLIENT_ID, SF_CLIENT_SECRET,
SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN). Secrets are read from the environment only.
Instance and login URLs must be https (loopback http is allowed for backfill org).`

// setupJob fills the parts of cfg every Salesforce command shares: credentials from the
// environment, the logger, and terminal I/O.
func setupJob(e *env, cfg *backfill.Config, lo logOptions) (func(), error) {
	cfg.Org.Credentials = sfclient.CredentialsFromEnv(e.getenv)
	log, err := newLogger(e.stderr, lo)
	if err != nil {
		return nil, backfill.UsageError("", "%v", err)
	}
	cfg.Logger = log
	cfg.Quiet = lo.quiet
	cfg.Stderr = e.stderr
	cfg.StderrIsTerminal = isTerminal(e.stderr) && !lo.quiet
	if f := stdinTerminal(e.stdin); f != nil {
		cfg.Stdin = f
	} else if e.stdin != nil && e.stdin != os.Stdin {
		cfg.Stdin = e.stdin // tests answer the prompt
	}
	restore := sfclient.RedirectStdLog(log)
	return func() { restore(); log.Sync() }, nil
}

func runPlan(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var ef exportFlags
	var lo logOptions
	fs := newFlagSet("plan", "backfill plan --export FILE [flags]", `
Dry run: read the export, discover the Enrollment object and its fields in Salesforce, look
up which candidate keys already exist (SOQL), and write a run folder people can review:
report.html, summary.json, ledger.csv (one line per data row with its outcome), to_import.csv
(exactly what import would upload: field API names, Bulk API value forms), skipped.csv,
rejects.csv and plan.json. Changes nothing in Salesforce; reports the API calls used.

Outcomes: rejected, before_cutoff, duplicate, exists, stale, to_insert, to_update (with
--update-stale).`+orgHelp)
	addExportFlags(fs, &cfg, &ef)
	addTargetFlags(fs, &cfg)
	fs.BoolVar(&cfg.UpdateStale, "update-stale", false, "also upsert rows Salesforce has with different values (planned as to_update)")
	addOrgFlags(fs, &cfg)
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return backfill.UsageError("run 'backfill plan --help'", "unexpected argument %q", fs.Arg(0))
	}
	if err := ef.apply(&cfg); err != nil {
		return err
	}
	done, err := setupJob(e, &cfg, lo)
	if err != nil {
		return err
	}
	defer done()
	_, err = backfill.Plan(ctx, cfg, e.stdout)
	return err
}
