package backfill

import (
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Summary is summary.json: the run's counts and choices. Rows always equals the sum of
// Outcomes. Package backfill/report prints it and renders it as report.html.
type Summary struct {
	Command string `json:"command"`
	// Status is how the run ended, decided by the job (front ends map it to exit codes and
	// verdicts; they never work it out again from the counts).
	Status   Status         `json:"status"`
	Rows     int            `json:"rows"`
	Outcomes map[string]int `json:"outcomes"`
	// MaxRejected is the rejected-rows limit the run was held to, in percent.
	MaxRejected     float64   `json:"max_rejected_percent"`
	Cutoff          time.Time `json:"cutoff"`
	Object          string    `json:"object,omitempty"`
	ExternalIDField string    `json:"external_id_field,omitempty"`
	KeyColumn       string    `json:"key_column"`
	DateColumns     []string  `json:"date_columns"`
	UpdatedColumn   string    `json:"updated_column,omitempty"`
	// DateLayouts says how each date column was read (day-first, month-first, assumed).
	DateLayouts []DateLayout `json:"date_layouts,omitempty"`
	// Keys says how keys were compared: "case-insensitively" (Salesforce's default for
	// External ID fields) or "case-sensitively".
	Keys string `json:"keys"`
	// OrderBy names the column each Bulk job's rows are ordered by ("" when in the export's
	// order): one learner's enrollments share a batch, so they do not lock each other.
	OrderBy  string              `json:"order_by,omitempty"`
	Mapping  []runfolder.Mapping `json:"mapping,omitempty"`
	Unmapped []string            `json:"unmapped_columns,omitempty"`
	Export   InputInfo           `json:"export"`
	Existing *ExistingInfo       `json:"existing,omitempty"`
	APICalls map[string]int      `json:"api_calls"`
	Jobs     []JobSummary        `json:"jobs"`
	ByDay    []DayCount          `json:"by_day"`
	Reasons  []Reason            `json:"reasons"`
	Files    []RunFile           `json:"files"`
	// Warnings are what people must read before trusting the run: many rejected rows, a
	// guessed date order, a wrong-looking encoding, a cutoff in the future, skipped checks.
	Warnings []Warning `json:"warnings,omitempty"`
	// Preflight holds the blocking preflight checks that did not pass (plan shows what an
	// import would refuse on).
	Preflight []Check `json:"preflight,omitempty"`
	// Org is the org a plan was made for and how it was logged in to (plan and import).
	Org *OrgInfo `json:"org,omitempty"`
	// Verify lists the `backfill verify` runs of an import, oldest first.
	Verify []VerifyRun `json:"verify,omitempty"`
	// Undo is the last `backfill undo` of an import (its dry run, or the undo itself).
	Undo       *UndoRun  `json:"undo,omitempty"`
	RunFolder  string    `json:"run_folder"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`

	// Foreseen are the refusals the plan foresaw from describe, by code and field; with
	// SkipInvalid their rows are rejected and never sent.
	Foreseen    []Foreseen `json:"foreseen,omitempty"`
	SkipInvalid bool       `json:"skip_invalid,omitempty"`
	// Refusals compares, after an import, the refusals foreseen with Salesforce's.
	Refusals *RefusalCheck `json:"refusals,omitempty"`
	// Differences are the values of the stale and to-update rows (differences.csv).
	Differences *Differences `json:"differences,omitempty"`
	// Options are the options that shaped the plan, those not at their default, by name
	// (update_stale, since, ...): what makes the plan again.
	Options map[string]string `json:"options,omitempty"`
	// Samples are the first rows of each planned outcome, their values as uploaded.
	Samples []OutcomeSample `json:"samples,omitempty"`
	// Approval is who approved the plan (backfill/approve.go), once someone did.
	Approval *runfolder.Approval `json:"approval,omitempty"`
	// LoadStartedAt is when the load began (after the review and the confirmation), for
	// how long it took.
	LoadStartedAt time.Time `json:"load_started_at,omitzero"`
}

// OutcomeSample is the first rows of one planned outcome, as to_import.csv holds them.
type OutcomeSample struct {
	Outcome string      `json:"outcome"`
	Count   int         `json:"count"`  // rows of the outcome, of which Rows are the first
	Fields  []string    `json:"fields"` // to_import.csv's header
	Rows    []SampleRow `json:"rows"`
}

// SampleRow is one row of a sample: its line in the export and its values as uploaded.
type SampleRow struct {
	Line   int      `json:"line"`
	Values []string `json:"values"`
}

// Status is how a run ended.
type Status string

// The statuses of a run.
const (
	// StatusDone: every row is accounted for and none failed.
	StatusDone Status = "done"
	// StatusRowsFailed: the import finished, but some rows failed or were left unprocessed
	// (error.csv and unprocessed.csv hold them).
	StatusRowsFailed Status = "rows_failed"
	// StatusTooManyRejected: the run folder is written, but more rows were rejected than
	// the limit allows: an import refuses to load it.
	StatusTooManyRejected Status = "too_many_rejected"
)

// Ended returns how the run ended: its Status, or for a summary written before statuses were
// recorded, the status its counts give (under its limit, or the default one).
func (s *Summary) Ended() Status {
	if s.Status != "" {
		return s.Status
	}
	c := *s
	c.MaxRejected = s.RejectedLimit()
	c.decide(c.Command == string(CmdImport) || len(c.Jobs) > 0)
	return c.Status
}

// RejectedLimit is the rejected-rows limit the run was held to: MaxRejected, or the default
// for a summary written before the limit was recorded.
func (s *Summary) RejectedLimit() float64 {
	if s.Status == "" && s.MaxRejected == 0 {
		return DefaultMaxRejectedPercent
	}
	return s.MaxRejected
}

// decide sets the status from the counts and the limit (which a load, once loaded, has
// passed): it is decided once, here.
func (s *Summary) decide(loaded bool) {
	switch {
	case s.Count(runfolder.Failed, runfolder.Unprocessed) > 0:
		s.Status = StatusRowsFailed
	case !loaded && percentOf(s.Count(runfolder.Rejected), s.Rows) > s.MaxRejected:
		s.Status = StatusTooManyRejected
	default:
		s.Status = StatusDone
	}
}

// Count returns the rows of the given outcomes.
func (s *Summary) Count(outcomes ...runfolder.Outcome) int {
	n := 0
	for _, o := range outcomes {
		n += s.Outcomes[o.String()]
	}
	return n
}

// OrgInfo names the org a run is for, as every person who decides is shown it.
type OrgInfo struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	InstanceURL string `json:"instance_url"`
	Sandbox     bool   `json:"sandbox"`
	User        string `json:"user"` // the user the run logged in as
	// Login is how the login was given (an alias, or an instance URL and the kind of
	// credential); commands on the folder reuse it.
	Login *runfolder.Login `json:"login,omitempty"`
}

// DateLayout is how one date column of the export was read.
type DateLayout struct {
	Column  string `json:"column"`
	Layout  string `json:"layout"`            // in words
	Order   string `json:"order"`             // "day-first" or "month-first"
	Assumed bool   `json:"assumed,omitempty"` // month-first was assumed: no value told
}

// Warning is one thing people must read before trusting the run, with how to fix it.
type Warning struct {
	Kind    string   `json:"kind"` // rejected, date-order, encoding, cutoff, preflight
	Message string   `json:"message"`
	Count   int      `json:"count,omitempty"`
	Reasons []string `json:"reasons,omitempty"` // the top reasons, with counts
	Fix     string   `json:"fix,omitempty"`
}

// RunFile is one file of the run folder, as the summary lists it.
type RunFile struct {
	Name string `json:"name"`
	Desc string `json:"desc"`
}

// InputInfo describes the export as read.
type InputInfo struct {
	File      string   `json:"file"`
	Columns   []string `json:"columns"`
	Delimiter string   `json:"delimiter"`
	Encoding  string   `json:"encoding"`
	BOM       bool     `json:"bom"`
	// LineEnding is "CR" for a file whose lines end with CR alone (Excel for Mac).
	LineEnding string `json:"line_ending,omitempty"`
}

// ExistingInfo describes the --existing file of `backfill clean`.
type ExistingInfo struct {
	File      string `json:"file"`
	KeyColumn string `json:"key_column"`
	IDColumn  string `json:"id_column,omitempty"`
	Rows      int    `json:"rows"`
	Matching  int    `json:"matching"` // keys that are also candidates of the export
	Skipped   int    `json:"skipped"`
}

// JobSummary is one Bulk API 2.0 job of an import.
type JobSummary struct {
	ID           string `json:"id"`
	Part         int    `json:"part"`           // 1-based: the plan's parts of to_import.csv, then those the load added
	Note         string `json:"note,omitempty"` // why the load added the part (a split, a follow-up)
	Rows         int    `json:"rows"`           // rows uploaded in this job
	Bytes        int64  `json:"bytes"`          // CSV bytes uploaded
	State        string `json:"state"`          // JobComplete, Failed, Aborted, ...
	ErrorMessage string `json:"error_message,omitempty"`
	Processed    int    `json:"processed"`
	Failed       int    `json:"failed"`
	Created      int    `json:"created"`
	Updated      int    `json:"updated"`
	AlreadyNewer int    `json:"already_newer"`
	Unprocessed  int    `json:"unprocessed"`
	// SentAgain are the rows Salesforce failed for a lock (UNABLE_TO_LOCK_ROW) that the
	// load sent again in a follow-up job.
	SentAgain  int       `json:"sent_again,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at"`
	SetupURL   string    `json:"setup_url,omitempty"` // where to find it in Setup
}

// Refused is how many of the job's rows ended failed in it: Salesforce's failed count
// (Failed) less the rows already newer (an outcome of their own) and those sent again.
func (j JobSummary) Refused() int {
	return max(0, j.Failed-j.AlreadyNewer-j.SentAgain)
}

func newSummary(command string, h *csvdiff.Header, e *ExportOptions, counts runfolder.Counts, started time.Time) *Summary {
	return &Summary{
		Command:       command,
		Rows:          counts.Total(),
		Outcomes:      counts.Map(),
		MaxRejected:   maxRejected(e.MaxRejected),
		Cutoff:        e.Since.UTC(),
		KeyColumn:     h.KeyName(),
		DateColumns:   h.DateNames(),
		UpdatedColumn: h.UpdatedName(),
		Export: InputInfo{File: e.File, Columns: h.Names, Delimiter: h.DelimiterName(),
			Encoding: h.Encoding, BOM: h.BOM, LineEnding: h.LineEnding},
		APICalls:  map[string]int{},
		Jobs:      []JobSummary{},
		StartedAt: started,
	}
}

// files lists run-folder files with their standard descriptions.
func files(names ...string) []RunFile {
	out := make([]RunFile, len(names))
	for i, n := range names {
		out[i] = RunFile{Name: n, Desc: runfolder.Describe(n)}
	}
	return out
}
