package backfill

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// DefaultCutoff is when Salesforce revoked the Gainsight connected apps' tokens: learning data
// from this instant on never reached Salesforce.
var DefaultCutoff = time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)

// Option names one setting of a job in the job's own vocabulary: the key a runbook column or
// a form field uses. Front ends name options their own way (the CLI as flags, a page as
// labelled controls) through [Words]; errors about an option carry its Option
// ([OptionError]).
type Option string

// The options of the jobs. Their names are snake_case, as a runbook's columns spell them.
const (
	OptExport              Option = "export"
	OptExisting            Option = "existing"
	OptExistingKeyColumn   Option = "existing_key_column"
	OptExistingIDColumn    Option = "existing_id_column"
	OptKeyColumn           Option = "key_column"
	OptDateColumn          Option = "date_column"
	OptUpdatedColumn       Option = "updated_column"
	OptSince               Option = "since"
	OptDateFormat          Option = "date_format"
	OptEncoding            Option = "encoding"
	OptOut                 Option = "out"
	OptSkippedBeforeCutoff Option = "skipped_before_cutoff"
	OptMaxRejected         Option = "max_rejected"
	OptCaseSensitiveKeys   Option = "case_sensitive_keys"
	OptObject              Option = "object"
	OptExternalIDField     Option = "external_id_field"
	OptMapping             Option = "mapping"
	OptUpdateStale         Option = "update_stale"
	OptOrderBy             Option = "order_by"
	OptPlan                Option = "plan"
	OptYes                 Option = "yes"
	OptSkipPreflight       Option = "skip_preflight"
	OptForce               Option = "force"
	OptKeepUpdatedAt       Option = "keep_updated_at"
	OptSandbox             Option = "sandbox"
	OptTargetOrg           Option = "target_org"
	OptInstanceURL         Option = "instance_url"
	OptLoginURL            Option = "login_url"
	OptFile                Option = "file" // retry: the corrected copy of error.csv
)

// The options of the reviewer's wave: refusals foreseen, approval.
const (
	OptSkipInvalid     Option = "skip_invalid"     // leave rows Salesforce would refuse out of the upload
	OptApprovedBy      Option = "by"               // who approves a plan
	OptNote            Option = "note"             // the approval's note
	OptRequireApproval Option = "require_approval" // load a plan only once approved
)

// Command names a job a person can run next, in the job's vocabulary; [Words] says how a
// front end offers it (a command line, a button).
type Command string

// The jobs.
const (
	CmdPreflight  Command = "preflight"
	CmdPlan       Command = "plan"
	CmdImport     Command = "import"
	CmdImportPlan Command = "import_plan" // load a reviewed plan
	CmdResume     Command = "resume"
	CmdVerify     Command = "verify"
	CmdUndo       Command = "undo"
	CmdRetry      Command = "retry"
	CmdClean      Command = "clean"
	CmdOrg        Command = "org"     // the local emulator
	CmdApprove    Command = "approve" // record who approved a reviewed plan
)

// Front is what every job gets from the front end that runs it (the CLI, a web page, a
// batch): how to log, where progress goes, how to ask and render, how to name its own
// controls, and the clock. The zero value is silent, cannot ask and writes no report.
type Front struct {
	// Logger is the job's logger; nil means no logging. The job adds its own fields and tees
	// it into the run folder's run.log.
	Logger *zap.Logger
	// Progress receives the job's [Event]s; nil means nobody watches.
	Progress Observer
	// Confirm is asked, with the plan's summary, before an import writes to Salesforce; nil
	// means nobody can be asked, and an import then needs its Yes option.
	Confirm func(s *Summary) (bool, error)
	// Render writes report.html for a summary; nil means the run folder gets no report.
	Render func(w io.Writer, s *Summary) error
	// Words names the front end's options and commands in the job's warnings and fixes;
	// nil means [PlainWords].
	Words Words
	// Version is the tool's version, recorded in a plan's seal.
	Version string
	// Now returns the current time; tests fix it. Nil means time.Now.
	Now func() time.Time
}

// ExportOptions say which export to read and how.
type ExportOptions struct {
	File          string   // the CE Data Export CSV
	KeyColumn     string   // the column holding the external id; "" detects it
	DateColumns   []string // the columns the cutoff applies to; none detects the enrollment date
	UpdatedColumn string   // the column that decides which duplicate wins; "" detects, "-" for none
	// Since is the cutoff: rows dated on or after it are kept.
	Since      time.Time
	DateFormat string // one date pattern for every date column; "" decides per column
	Encoding   string // utf-8 (the default when "") or windows-1252
	// SkippedBeforeCutoff also copies before_cutoff rows into skipped.csv. Off by default:
	// they are most of a full export, and ledger.csv already names each one.
	SkippedBeforeCutoff bool
	// MaxRejected is the share of rejected rows, in percent, above which plan and import
	// refuse to write to Salesforce and clean reports [StatusTooManyRejected]; nil means
	// [DefaultMaxRejectedPercent].
	MaxRejected *float64
}

// TargetOptions override discovery of where the export goes.
type TargetOptions struct {
	Object          string // the Enrollment object's API name; "" discovers it
	ExternalIDField string // the upsert key; "" discovers it
	Mapping         string // a Data Loader .sdl mapping file; "" maps by API names and labels
	// OrderBy is the export column each part's rows are ordered by: "" for the learner
	// email column, [OrderNone] for the export's order.
	OrderBy string
}

// CleanOptions are the options of [Clean].
type CleanOptions struct {
	Front
	Export ExportOptions
	// Existing is a CSV of the records already in Salesforce; its key column ("" detects
	// it) and its Salesforce Id column ("" detects an "Id" column, "-" for none).
	Existing, ExistingKeyColumn, ExistingIDColumn string
	// CaseSensitiveKeys compares keys case-sensitively (Salesforce's default is not to).
	CaseSensitiveKeys bool
	Out               string // the run folder to create; "" for backfill-runs/<UTC time>
}

// PlanOptions are the options of [Plan]; [Import] takes them too.
type PlanOptions struct {
	Front
	Export ExportOptions
	Target TargetOptions
	Org    sfclient.Config // the login: instance, credentials, API version, --sandbox
	// UpdateStale also plans rows Salesforce holds with other values (to_update).
	UpdateStale bool
	Out         string // the run folder to create; "" for backfill-runs/<UTC time>
	// SkipInvalid rejects the rows Salesforce is foreseen to refuse (docs/CONTRACT.md
	// §11.4) instead of planning them: they are never sent.
	SkipInvalid bool
}

// ImportOptions are the options of [Import]: a plan, then its load.
type ImportOptions struct {
	PlanOptions
	Load LoadOptions
}

// LoadOptions say how a load goes, whoever planned it.
type LoadOptions struct {
	// Yes loads without asking Front.Confirm.
	Yes bool
	// SkipPreflight loads without running preflight's blocking checks first; the summary
	// says what was skipped.
	SkipPreflight bool
}

// FolderOptions are what every job on an existing run folder takes: the folder and the
// login (by default, the plan's instance URL).
type FolderOptions struct {
	Front
	Dir string
	Org sfclient.Config
}

// ImportPlanOptions are the options of [ImportPlan]: load exactly the plan reviewed in Dir.
type ImportPlanOptions struct {
	FolderOptions
	Load LoadOptions
	// MaxRejected is the limit the plan's rejected rows are checked against again; nil
	// means [DefaultMaxRejectedPercent].
	MaxRejected *float64
	// Shaping are the options the caller was given that would shape a plan (by name, with
	// their values): a reviewed plan is loaded as it is, so any is refused with a
	// [*ShapingError] naming the plan's own value.
	Shaping map[Option]string
	// RequireApproval refuses a plan nobody approved ([Approve]) with an [*ApprovalError].
	RequireApproval bool
}

// ResumeOptions are the options of [Resume].
type ResumeOptions struct {
	FolderOptions
	SkipPreflight bool
}

// VerifyOptions are the options of [Verify].
type VerifyOptions struct {
	FolderOptions
}

// RetryOptions are the options of [Retry].
type RetryOptions struct {
	FolderOptions
	// File is the user's corrected copy of error.csv (or unprocessed.csv) to load instead
	// of the rows as they were uploaded; "" loads those.
	File string
	Load LoadOptions
}

// UndoOptions are the options of [Undo].
type UndoOptions struct {
	FolderOptions
	// Yes runs the undo; without it Undo writes its plan only (a dry run, nobody asked).
	Yes bool
	// Expect, with Yes, runs the undo only when the plan it makes now has these planned
	// actions (undo-plan.csv's counts, zeros ignored): what a person confirmed after a dry
	// run. Records changed since make another plan, and the undo stays a dry run.
	Expect map[string]int
	// Force also undoes records changed in Salesforce after the import.
	Force bool
	// KeepUpdatedAt restores records without moving their Updated At back, which the
	// Northpass package refuses.
	KeepUpdatedAt bool
	SkipPreflight bool
}

// PreflightOptions are the options of [Preflight]. Export.File is optional: with it, check
// 4 verifies the column mapping and check 5 sizes the load.
type PreflightOptions struct {
	Front
	Export      ExportOptions
	Target      TargetOptions
	Org         sfclient.Config
	UpdateStale bool // the load will also update records: mapped fields must be updateable
}

// NewExportOptions returns the defaults: the cutoff [DefaultCutoff], UTF-8.
func NewExportOptions() ExportOptions {
	return ExportOptions{Since: DefaultCutoff, Encoding: "utf-8"}
}

// ParseSince parses a cutoff in any form the export's dates may take: RFC 3339 (with Z or an
// offset), "2025-11-20 00:00", a bare date (midnight UTC), 11/20/2025 or 20.11.2025, or the
// dateFormat pattern ("" for none). A slash date that reads both ways (02/12/2025) is refused
// rather than guessed.
func ParseSince(s, dateFormat string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	if dateFormat != "" {
		if p, err := csvdiff.NewDateParser(dateFormat); err == nil {
			if ns, ok := p.Parse([]byte(s)); ok {
				return time.Unix(0, ns).UTC(), nil
			}
		}
	}
	var p csvdiff.DateParser
	month, mok := p.Parse([]byte(s))
	day, dok := p.WithOrder(csvdiff.DayFirst).Parse([]byte(s))
	switch {
	case mok && dok && month != day:
		return time.Time{}, fmt.Errorf("%q could be read month-first or day-first: write it as %s or %s",
			s, time.Unix(0, month).UTC().Format(time.DateOnly), time.Unix(0, day).UTC().Format(time.DateOnly))
	case mok:
		return time.Unix(0, month).UTC(), nil
	case dok:
		return time.Unix(0, day).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q: want a date like 2025-11-20, 11/20/2025 or an instant like 2025-11-20T00:00:00Z", s)
}

// shapingOptions are the options that shape a plan, each with the value a plan's options
// give it: plan.json records them, and a reviewed plan is loaded without any of them.
var shapingOptions = []struct {
	opt Option
	get func(o *PlanOptions) string
}{
	{OptExport, func(o *PlanOptions) string { return o.Export.File }},
	{OptSince, func(o *PlanOptions) string { return o.Export.Since.Format(time.RFC3339) }},
	{OptDateColumn, func(o *PlanOptions) string { return strings.Join(o.Export.DateColumns, ", ") }},
	{OptKeyColumn, func(o *PlanOptions) string { return o.Export.KeyColumn }},
	{OptUpdatedColumn, func(o *PlanOptions) string { return o.Export.UpdatedColumn }},
	{OptDateFormat, func(o *PlanOptions) string { return o.Export.DateFormat }},
	{OptEncoding, func(o *PlanOptions) string { return o.Export.Encoding }},
	{OptObject, func(o *PlanOptions) string { return o.Target.Object }},
	{OptExternalIDField, func(o *PlanOptions) string { return o.Target.ExternalIDField }},
	{OptMapping, func(o *PlanOptions) string { return o.Target.Mapping }},
	{OptUpdateStale, func(o *PlanOptions) string { return strconv.FormatBool(o.UpdateStale) }},
	{OptSkippedBeforeCutoff, func(o *PlanOptions) string { return strconv.FormatBool(o.Export.SkippedBeforeCutoff) }},
	{OptOut, func(o *PlanOptions) string { return o.Out }},
	{OptOrderBy, func(o *PlanOptions) string { return o.Target.OrderBy }},
	{OptSkipInvalid, func(o *PlanOptions) string { return strconv.FormatBool(o.SkipInvalid) }},
}

// ShapingOptions are the options that shape a plan, in the order plans list them: a front
// end that loads a reviewed plan passes those it was given in ImportPlanOptions.Shaping.
func ShapingOptions() []Option {
	out := make([]Option, len(shapingOptions))
	for i, s := range shapingOptions {
		out[i] = s.opt
	}
	return out
}

// given returns the shaping options given other values than their defaults, by option
// name (the run folder aside): the options a plan was made with, for the command that
// makes it again.
func (o *PlanOptions) given() map[string]string {
	out := map[string]string{}
	for _, s := range shapingOptions {
		v := s.get(o)
		switch {
		case s.opt == OptOut, v == "", v == "false",
			s.opt == OptSince && v == DefaultCutoff.Format(time.RFC3339),
			s.opt == OptEncoding && v == "utf-8":
			continue
		}
		out[string(s.opt)] = v
	}
	return out
}

// shaping returns the shaping options' values, as plan.json records them (by the names
// plan.json has always used: the options' with "-" for "_").
func (o *PlanOptions) shaping() map[string]string {
	out := make(map[string]string, len(shapingOptions))
	for _, s := range shapingOptions {
		out[s.opt.planKey()] = s.get(o)
	}
	return out
}

// planKey is the option's key in plan.json's "flags".
func (o Option) planKey() string { return strings.ReplaceAll(string(o), "_", "-") }

// maxRejected is the limit given, or the default.
func maxRejected(p *float64) float64 {
	if p == nil {
		return DefaultMaxRejectedPercent
	}
	return *p
}
