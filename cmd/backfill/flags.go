package main

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

// pflag is the flag parser the project chose (GNU-style long flags and -x shorthands, as the
// sf CLI and Data Loader users expect); it is used in this package only.

// newFlagSet returns a ContinueOnError flag set whose --help prints usage, description and
// the flags (flagUsages; no Flags section when there are none).
func newFlagSet(name, usage, description string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", usage, strings.TrimSpace(description))
		if flags := flagUsages(fs, aliasesOf(fs)); flags != "" {
			fmt.Fprintf(w, "\nFlags:\n%s", flags)
		}
	}
	return fs
}

// parseFlags parses args into fs. Help goes to stdout and returns errHelp. A bad flag is a
// usage error (exit 2) whose message names the flag: an unknown one (with the flags it
// may have meant in the hint), one given twice that does not repeat, a bad value.
func parseFlags(fs *pflag.FlagSet, e *env, args []string) error {
	aliases := aliasesOf(fs)
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if n, ok := aliases[name]; ok {
			return pflag.NormalizedName(n)
		}
		return pflag.NormalizedName(name)
	})
	// pflag prints the error and the whole usage on a bad flag; keep the output and show it
	// only for --help, so a typo gives one clear line instead of a screenful.
	var out bytes.Buffer
	fs.SetOutput(&out)
	given := map[string][]string{}
	err := fs.ParseAll(args, func(f *pflag.Flag, value string) error {
		if len(given[f.Name]) > 0 && !repeatable(f) {
			return &twiceError{flag: f, aliases: aliases, values: append(given[f.Name], value)}
		}
		given[f.Name] = append(given[f.Name], value)
		return fs.Set(f.Name, value)
	})
	if errors.Is(err, pflag.ErrHelp) {
		e.stdout.Write(out.Bytes())
		return errHelp
	}
	if err != nil {
		return usage(flagHint(fs, aliases, err), "%s: %v", fs.Name(), err)
	}
	return nil
}

// repeatable reports whether f may be given more than once: a list (--date-column) or a
// count (-vv).
func repeatable(f *pflag.Flag) bool {
	switch f.Value.Type() {
	case "stringArray", "stringSlice", "count":
		return true
	}
	return false
}

// twiceError is a flag that does not repeat, given twice.
type twiceError struct {
	flag    *pflag.Flag
	aliases map[string]string
	values  []string
}

func (e *twiceError) Error() string {
	name := "--" + e.flag.Name
	if other := aliasNames(e.flag, e.aliases); len(other) > 0 {
		name += " (or " + strings.Join(other, ", ") + ")"
	}
	if !takesValue(e.flag) {
		return name + " given twice"
	}
	return fmt.Sprintf("%s given twice: %q, then %q", name, e.values[0], e.values[1])
}

// flagHint is the hint of a flag error from parsing fs.
func flagHint(fs *pflag.FlagSet, aliases map[string]string, err error) string {
	help := fmt.Sprintf("run 'backfill %s --help' for its flags", fs.Name())
	var unknown *pflag.NotExistError
	var twice *twiceError
	switch {
	case errors.As(err, &unknown):
		typed := unknown.GetSpecifiedName()
		if s := unknown.GetSpecifiedShortnames(); s != "" {
			typed = s // -since: a long name after one dash
			if len(typed) < 2 {
				return help
			}
		}
		var names []string
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		names = append(names, slices.Sorted(maps.Keys(aliases))...)
		if dym := didYouMean(suggest(typed, names), quoteFlag); dym != "" {
			return dym + " (" + help + ")"
		}
	case errors.As(err, &twice):
		var rep []string
		fs.VisitAll(func(f *pflag.Flag) {
			if repeatable(f) && !f.Hidden {
				rep = append(rep, "--"+f.Name)
			}
		})
		return fmt.Sprintf("give --%s once; of the flags of backfill %s, only %s may be repeated", twice.flag.Name, fs.Name(), joinList(rep, "and"))
	}
	return help
}

// addLogFlags binds the logging flags every command shares.
func addLogFlags(fs *pflag.FlagSet, o *logOptions) {
	fs.StringVar(&o.format, "log-format", "", "log format on stderr: console or json (default console on a terminal, json otherwise)")
	fs.CountVarP(&o.verbose, "verbose", "v", "log more (debug level)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "log only warnings and errors; no progress")
}

// group is a set of flags that is checked and turned into options once parsed.
type group interface {
	apply(fs *pflag.FlagSet) error
}

// exportFlags bind the flags that describe how to read the export; clean, plan, import and
// preflight share them.
type exportFlags struct {
	o           *backfill.ExportOptions
	since       string
	maxRejected float64
}

// addExportFlags binds them into o (from its defaults) and --out into out.
func addExportFlags(fs *pflag.FlagSet, o *backfill.ExportOptions, out *string) *exportFlags {
	*o = backfill.NewExportOptions()
	ef := &exportFlags{o: o}
	fs.StringVarP(&o.File, "export", "f", "", "the emailed CE Data Export CSV")
	fs.StringVar(&ef.since, "since", o.Since.Format("2006-01-02T15:04:05Z07:00"), "cutoff: rows dated on or after it are kept; a bare date means midnight UTC")
	fs.StringArrayVar(&o.DateColumns, "date-column", nil, "column the cutoff applies to (repeatable; a row is kept when any is on or after --since) (default: the \"Enrollment Date\" column)")
	fs.StringVar(&o.KeyColumn, "key-column", "", "export column holding the external id (default: the \"External Id\" column)")
	fs.StringVar(&o.UpdatedColumn, "updated-column", "", "column that decides which duplicate wins, latest first; \"-\" for none (default: \"Updated At\" when present)")
	fs.StringVar(&o.DateFormat, "date-format", "", "force one date pattern, as in Data Loader (\"d/M/yyyy H:mm\", \"MM/dd/yyyy hh:mm a\"; numbers padded or not) or a Go layout (default: ISO 8601, and N/N/YYYY dates whose day/month order is decided per column from all its values)")
	fs.StringVar(&o.Encoding, "encoding", "utf-8", "input encoding: utf-8 or windows-1252")
	fs.StringVar(out, "out", "", "run folder to create; never overwritten (default backfill-runs/<UTC timestamp>)")
	fs.BoolVar(&o.SkippedBeforeCutoff, "skipped-before-cutoff", false, "also copy before_cutoff rows into skipped.csv (they are always in ledger.csv)")
	return ef
}

// addMaxRejected binds --max-rejected (clean, plan, import).
func addMaxRejected(fs *pflag.FlagSet, ef *exportFlags) {
	fs.Float64Var(&ef.maxRejected, "max-rejected", backfill.DefaultMaxRejectedPercent,
		"share of rejected rows (percent) above which plan and import refuse to load and clean exits 3")
}

func (ef *exportFlags) apply(fs *pflag.FlagSet) error {
	t, err := backfill.ParseSince(ef.since, ef.o.DateFormat)
	if err != nil {
		return usage("use the form the export's dates take, or YYYY-MM-DD", "--since %v", err)
	}
	ef.o.Since = t
	max, err := maxRejectedFlag(fs, ef.maxRejected)
	ef.o.MaxRejected = max
	return err
}

// maxRejectedFlag is --max-rejected when it was given, else nil (the default).
func maxRejectedFlag(fs *pflag.FlagSet, v float64) (*float64, error) {
	if f := fs.Lookup("max-rejected"); f == nil || !f.Changed {
		return nil, nil
	}
	if !(v >= 0 && v <= 100) { // NaN too
		return nil, usage("pass a percentage from 0 to 100", "--max-rejected %g: not a percentage", v)
	}
	return &v, nil
}

// outputFlags are --format and --json, the form of what a command prints on stdout.
type outputFlags struct {
	format string
	json   bool
}

// addOutputFlags binds --format (usage says what it formats) and --json.
func addOutputFlags(fs *pflag.FlagSet, usage string) *outputFlags {
	o := &outputFlags{}
	fs.StringVar(&o.format, "format", "table", usage)
	fs.BoolVar(&o.json, "json", false, "the same as --format json")
	return o
}

// apply checks the flags once parsed and leaves the format asked for in o.format: --json is
// --format json.
func (o *outputFlags) apply(fs *pflag.FlagSet) error {
	if o.json {
		if fs.Lookup("format").Changed && o.format != "json" {
			return usage("give --json or --format, not both", "--json and --format %s disagree", o.format)
		}
		o.format = "json"
	}
	switch o.format {
	case "table", "json":
		return nil
	}
	return usage("use --format table or --format json", "--format %q is not known", o.format)
}

// addOrgFlags binds the flags that say which org to talk to. Secrets never come from flags:
// they are read from the environment (SF_ACCESS_TOKEN, SF_CLIENT_ID, SF_CLIENT_SECRET,
// SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN, SF_JWT_KEY_FILE, SF_REFRESH_TOKEN).
func addOrgFlags(fs *pflag.FlagSet, org *sfclient.Config) {
	fs.StringVarP(&org.TargetOrg, "target-org", "o", "", "reuse a Salesforce CLI login: its alias or username (runs sf org display and sf org auth show-access-token)")
	fs.StringVar(&org.InstanceURL, "instance-url", "", "the org's URL, e.g. https://acme.my.salesforce.com (required with SF_ACCESS_TOKEN)")
	fs.StringVar(&org.LoginURL, "login-url", "", "OAuth login host (default https://login.salesforce.com, or https://test.salesforce.com with --sandbox)")
	fs.BoolVar(&org.Sandbox, "sandbox", false, "the org is a sandbox (login host test.salesforce.com; preflight checks IsSandbox)")
	fs.StringVar(&org.APIVersion, "api-version", sfclient.DefaultAPIVersion, "Salesforce API version")
	fs.StringVar(&org.JWTAudience, "jwt-audience", "", "the aud of the JWT bearer assertion, for an Experience Cloud site (default https://login.salesforce.com, or https://test.salesforce.com for a sandbox)")
}

// addTargetFlags binds the flags that override discovery.
func addTargetFlags(fs *pflag.FlagSet, t *backfill.TargetOptions) {
	fs.StringVar(&t.Object, "object", "", "the Enrollment object's API name (default: discovered: the object labelled \"Enrollment\" in the Northpass package's namespace)")
	fs.StringVar(&t.ExternalIDField, "external-id-field", "", "the upsert key field (default: discovered: the External ID field labelled \"External id\")")
	fs.StringVar(&t.Mapping, "mapping", "", "a Data Loader .sdl mapping file (CSV Header=Field__c lines); default: match headers to API names, then labels")
	fs.StringVar(&t.OrderBy, "order-by", "", "order each Bulk job's rows by this column, so one learner's rows share a batch (fewer UNABLE_TO_LOCK_ROW); \"none\" keeps the export's order (default: the learner email column)")
}

// addFolderFlags binds what every command on an existing run folder takes: the login
// flags and the output flags (usage says what is printed).
func addFolderFlags(fs *pflag.FlagSet, o *backfill.FolderOptions, usage string) *outputFlags {
	addOrgFlags(fs, &o.Org)
	return addOutputFlags(fs, usage)
}

// shaping returns the flags fs was given that would shape a plan, with their values.
func shaping(fs *pflag.FlagSet) map[backfill.Option]string {
	out := map[backfill.Option]string{}
	for _, o := range backfill.ShapingOptions() {
		if f := fs.Lookup(strings.TrimPrefix(report.Flag(o), "--")); f != nil && f.Changed {
			out[o] = f.Value.String()
		}
	}
	return out
}

// session is a command once its flags are parsed and checked: the job's front end, the
// login's credentials and the positional arguments; done ends it.
type session struct {
	front backfill.Front
	args  []string
	done  func()
}

// start parses args into fs, checks that there are nargs positional arguments (0 for
// none), applies the flag groups (each checks and converts what was parsed), reads the
// login's credentials into the orgs and sets up the job's front end (log options lo).
func (e *env) start(fs *pflag.FlagSet, args []string, nargs int, lo *logOptions, orgs []*sfclient.Config, groups ...group) (*session, error) {
	if err := parseFlags(fs, e, args); err != nil {
		return nil, err
	}
	switch {
	case nargs == 0 && fs.NArg() > 0:
		return nil, usage(fmt.Sprintf("run 'backfill %s --help'", fs.Name()), "unexpected argument %q", fs.Arg(0))
	case nargs == 1 && fs.NArg() != 1:
		return nil, usage(fmt.Sprintf("run 'backfill %s --help'", fs.Name()), "%s takes one run folder", fs.Name())
	}
	for _, g := range groups {
		if err := g.apply(fs); err != nil {
			return nil, err
		}
	}
	for _, org := range orgs {
		e.login(org)
	}
	front, done, err := e.front(*lo)
	if err != nil {
		return nil, err
	}
	return &session{front: front, args: fs.Args(), done: done}, nil
}

const orgHelp = `

Authentication, in order of preference: --target-org ALIAS (a Salesforce CLI login);
SF_ACCESS_TOKEN with --instance-url; OAuth JWT bearer (SF_CLIENT_ID, SF_USERNAME,
SF_JWT_KEY_FILE); a refresh token (SF_CLIENT_ID, SF_REFRESH_TOKEN); client credentials
(SF_CLIENT_ID, SF_CLIENT_SECRET); username-password (SF_CLIENT_ID, SF_CLIENT_SECRET,
SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN). SF_CLIENT_ID is the consumer key of an External
Client App installed in the org (new connected apps cannot be created since Spring '26; the
README shows the set-up for a non-admin integration user). Secrets are read from the
environment only. Instance and login URLs must be https (loopback http is allowed for
backfill org).`
