package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

//go:embed report.html.tmpl
var reportSource string

// reportTemplate is parsed once, when a report is first written (not when a command that
// writes none starts); html/template escapes every value for its context, and no value
// reaches it as template.HTML, so nothing from the export can become markup.
var reportTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html").Funcs(template.FuncMap{"group": backfill.Group[int]}).Parse(reportSource))
})

// View is how a front end has the report name its own controls: Words for options and
// commands (nil means [Shell]), and Exit, when the front end has exit statuses, the one the
// command that wrote a summary ended with.
type View struct {
	Words backfill.Words
	Exit  func(s *backfill.Summary) int
}

func (v View) words() backfill.Words {
	if v.Words == nil {
		return Shell{}
	}
	return v.Words
}

// Render writes the report page for s to w: a self-contained page (inline CSS and SVG,
// nothing fetched). It reads s and never changes it.
func Render(w io.Writer, s *backfill.Summary, v View) error {
	if err := reportTemplate().Execute(w, newReportView(s, v)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// Renderer returns Render with v, for the job's Front.Render.
func (v View) Renderer() func(io.Writer, *backfill.Summary) error {
	return func(w io.Writer, s *backfill.Summary) error { return Render(w, s, v) }
}

// reportView is what the template shows: every number and every chart coordinate is
// computed here, so the template only places values.
type reportView struct {
	S        *backfill.Summary
	Title    string
	Started  string
	Finished string
	Took     string
	Cutoff   string
	Verdict  verdict
	Outcomes outcomeChart
	Days     dayChart
	Final    []finalRow
	Reasons  []reasonRow
	Jobs     []jobRow
	Columns  []columnRow
	Mapping  []runfolder.Mapping
	Unmapped []string
	APICalls []apiCallRow
	Files    []fileRow
	Verify   []checkView
	Undo     *checkView
	// PlanReport is the reviewed plan's report in the run folder (plan-report.html), when
	// the summary lists it.
	PlanReport string
	// Foreseen are the refusals the plan foresaw; Refusals, after an import, how
	// Salesforce's compare.
	Foreseen []foreseenRow
	Refusals string
	Misses   []string
	// Differences are the stale and to-update rows' values, by group.
	Differences []diffGroupView
	// Org names the org the run is for (OrgLine), Approval who approved its plan
	// (ApprovalLine), Next the commands a reviewer runs next, each as its words.
	Org, Approval string
	Next          [][]commandWord
	// Samples are the first rows of each planned outcome, as uploaded.
	Samples []backfill.OutcomeSample
	// Prove names, in the front end's words, how to verify and undo an import: the commands
	// and the option that runs the undo (without it, a dry run).
	Prove struct{ Verify, Undo, Yes string }
}

// diffGroupView is a group of rows that differ, for the report: one table row per
// differing field of its first rows.
type diffGroupView struct {
	Title        string
	Count, Shown int
	Rows         []diffValueRow
}

type diffValueRow struct {
	Line                     int
	Key, Field, SF, Export   string
	SFUpdated, ExportUpdated string
	First                    bool // the first field of its row: the row's line, key and times show
}

// foreseenRow is one kind of refusal foreseen, for the report.
type foreseenRow struct {
	backfill.Foreseen
	Lines, Examples string
	LeftOut         bool
}

// checkView is a verify or an undo of the import, for the report.
type checkView struct {
	At, Verdict, Tone, File string
	DryRun                  bool
	Days                    int
	Rows                    []countRow
	Examples                []string
}

type countRow struct {
	Outcome, Meaning string
	N                string
	Zero             bool
}

var checkMeanings = map[string]string{
	backfill.VerifyMatch:        "Salesforce holds every value uploaded",
	backfill.VerifyNewer:        "Salesforce holds a later Updated At than the upload (counts as a match)",
	backfill.VerifyDiffers:      "some field holds another value (verify.csv names the fields and both values)",
	backfill.VerifyMissing:      "no record with the external id",
	"delete":                    "created by the import: will be deleted",
	"restore":                   "updated by the import: will get its values back",
	"skip":                      "changed after the import, or nothing to restore: left alone",
	"gone":                      "created by the import, already deleted",
	"same":                      "updated by the import, already back to its values before it",
	backfill.UndoDeleted:        "deleted (in the Recycle Bin)",
	backfill.UndoRestored:       "its values before the import are back",
	backfill.UndoRestoreRefused: "the package refused to move Updated At back",
	backfill.UndoSkippedChanged: "changed after the import: left alone",
	backfill.UndoFailed:         "Salesforce refused (undo-ledger.csv says why)",
}

func countRows(w backfill.Words, counts map[string]int, order []string) []countRow {
	var out []countRow
	for _, o := range order {
		m := checkMeanings[o]
		switch o {
		case "skip":
			m += " (" + w.Option(backfill.OptForce, "") + " undoes changed ones)"
		case backfill.UndoRestoreRefused:
			m += " (" + w.Option(backfill.OptKeepUpdatedAt, "") + " restores the rest)"
		}
		out = append(out, countRow{Outcome: o, Meaning: m, N: backfill.Group(counts[o]), Zero: counts[o] == 0})
	}
	return out
}

func verifyViews(w backfill.Words, runs []backfill.VerifyRun) []checkView {
	var out []checkView
	for _, r := range runs {
		v := checkView{At: r.At.UTC().Format("2006-01-02 15:04 UTC"), File: r.File, Examples: r.Examples, Verdict: "every record matches", Tone: "ok",
			Rows: countRows(w, r.Outcomes, []string{backfill.VerifyMatch, backfill.VerifyNewer, backfill.VerifyDiffers, backfill.VerifyMissing})}
		if !r.OK() {
			v.Verdict, v.Tone = "some records differ or are missing", "bad"
		}
		out = append(out, v)
	}
	return out
}

func undoView(w backfill.Words, u *backfill.UndoRun) *checkView {
	if u == nil {
		return nil
	}
	v := &checkView{At: u.At.UTC().Format("2006-01-02 15:04 UTC"), File: u.File, DryRun: u.DryRun, Days: u.RecycleBinDays, Examples: u.Examples}
	switch {
	case u.DryRun:
		v.Verdict, v.Tone = "nothing changed yet", "warn"
		v.Rows = countRows(w, u.Planned, []string{"delete", "restore", "skip", "gone", "same"})
	case u.OK():
		v.Verdict, v.Tone = "everything undone", "ok"
		v.Rows = countRows(w, u.Outcomes, []string{backfill.UndoDeleted, backfill.UndoRestored, backfill.UndoRestoreRefused, backfill.UndoSkippedChanged, backfill.UndoFailed})
	default:
		v.Verdict, v.Tone = "not everything was undone", "bad"
		v.Rows = countRows(w, u.Outcomes, []string{backfill.UndoDeleted, backfill.UndoRestored, backfill.UndoRestoreRefused, backfill.UndoSkippedChanged, backfill.UndoFailed})
	}
	return v
}

// verdict is the box at the top: its colour says whether anything needs attention, and
// Attention says what.
type verdict struct {
	Tone      string // ok, warn or bad: the colour of the box
	Headline  string
	Attention []attention // what needs attention, worst first; none when Tone is ok
	Items     []verdictItem
	Next      string
	// Exit is the exit status of the command that wrote the summary (HasExit false when the
	// front end has none), ExitText how the run ended in words.
	Exit     int
	HasExit  bool
	ExitText string
}

// attention is one thing the verdict asks people to look at, with the command that deals
// with it when there is one.
type attention struct {
	Tone    string // warn or bad
	Text    string
	Command []commandWord
}

// commandWord is a word of a command: flags never break at their hyphens, other words
// (a long path) break anywhere on a narrow page.
type commandWord struct {
	Text string
	Flag bool
}

func commandWords(cmd string) []commandWord {
	var out []commandWord
	for _, w := range strings.Fields(cmd) {
		out = append(out, commandWord{Text: w, Flag: strings.HasPrefix(w, "-")})
	}
	return out
}

type verdictItem struct {
	Label, Note string
	N           int
	Share       string
	Tone        string
}

// Outcome groups: the colour of an outcome in both charts.
const (
	groupLoad    = "load"    // to_insert, to_update, created, updated
	groupPresent = "present" // exists, already_newer
	groupStale   = "stale"
	groupSkip    = "skip" // before_cutoff, duplicate
	groupBad     = "bad"  // rejected, failed
	groupUnproc  = "unproc"
)

func outcomeGroup(o runfolder.Outcome) string {
	switch o {
	case runfolder.ToInsert, runfolder.ToUpdate, runfolder.Created, runfolder.Updated:
		return groupLoad
	case runfolder.Exists, runfolder.AlreadyNewer:
		return groupPresent
	case runfolder.Stale:
		return groupStale
	case runfolder.Rejected, runfolder.Failed:
		return groupBad
	case runfolder.Unprocessed:
		return groupUnproc
	}
	return groupSkip
}

// outcomeMeaning is the outcome table of docs/CONTRACT.md §4.1, for the final outcomes.
var outcomeMeaning = map[runfolder.Outcome]string{
	runfolder.Rejected:     "the row cannot be used (ragged, bad date, missing key, bad encoding)",
	runfolder.BeforeCutoff: "every cutoff date column is before the cutoff",
	runfolder.Duplicate:    "another row of the export has the same key; the ledger names the line kept",
	runfolder.Exists:       "Salesforce already has the record and nothing to change",
	runfolder.Stale:        "Salesforce has the record but mapped values differ",
	runfolder.ToInsert:     "planned insert",
	runfolder.ToUpdate:     "planned update",
	runfolder.Created:      "loaded as a new record",
	runfolder.Updated:      "loaded over an existing record",
	runfolder.AlreadyNewer: "Salesforce refused an older version (old timestamp)",
	runfolder.Failed:       "Salesforce rejected the row (error.csv has sf__Error)",
	runfolder.Unprocessed:  "the job ended before Salesforce processed the row",
}

func newReportView(s *backfill.Summary, view View) *reportView {
	w := view.words()
	v := &reportView{
		S:        s,
		Title:    fmt.Sprintf("backfill %s report", orDash(s.Command)),
		Started:  fmtTime(s.StartedAt),
		Finished: fmtTime(s.FinishedAt),
		Cutoff:   fmtTime(s.Cutoff),
		Verdict:  newVerdict(s, view),
		Outcomes: newOutcomeChart(s),
		Days:     newDayChart(s.ByDay, s.Cutoff),
		Mapping:  s.Mapping,
		Unmapped: s.Unmapped,
		Verify:   verifyViews(w, s.Verify),
		Undo:     undoView(w, s.Undo),
	}
	v.Prove.Verify, v.Prove.Undo = w.Command(backfill.CmdVerify, s.RunFolder), w.Command(backfill.CmdUndo, s.RunFolder)
	v.Prove.Yes = w.Option(backfill.OptYes, "")
	v.Org, v.Approval, v.Samples = OrgLine(s.Org), ApprovalLine(s.Approval), s.Samples
	switch {
	case v.Approval != "":
	case s.Command == string(backfill.CmdPlan):
		v.Approval = "not yet: nobody has approved this plan"
	case s.Command == string(backfill.CmdImport):
		v.Approval = "no: the plan was loaded without an approval"
	}
	// The next commands are command lines: another front end (a page's buttons) says its
	// next steps itself.
	if _, shell := w.(Shell); shell {
		for _, c := range NextCommands(w, s) {
			v.Next = append(v.Next, commandWords(c))
		}
	}
	// An import's time is its load's, from after the review and the confirmation.
	if start := s.StartedAt; !start.IsZero() && !s.FinishedAt.IsZero() {
		if !s.LoadStartedAt.IsZero() {
			start = s.LoadStartedAt
		}
		v.Took = fmtDuration(s.FinishedAt.Sub(start))
	}
	for _, o := range runfolder.Outcomes() {
		n := s.Outcomes[o.String()]
		v.Final = append(v.Final, finalRow{Outcome: o.String(), Group: outcomeGroup(o), N: n,
			Share: percent(n, s.Rows), Meaning: outcomeMeaning[o], Zero: n == 0})
	}
	for _, r := range s.Reasons {
		v.Reasons = append(v.Reasons, newReasonRow(r))
	}
	for _, j := range s.Jobs {
		v.Jobs = append(v.Jobs, newJobRow(j))
	}
	v.Columns = newColumnRows(s)
	for _, g := range s.Foreseen {
		v.Foreseen = append(v.Foreseen, foreseenRow{Foreseen: g, Lines: joinLines(g.Lines, g.Count),
			Examples: strings.TrimPrefix(examplesText(g.Examples), ", e.g. "), LeftOut: g.Outcome == runfolder.Rejected.String()})
	}
	if c := s.Refusals; c != nil {
		v.Refusals, v.Misses = refusalText(c), c.Examples
	}
	if d := s.Differences; d != nil {
		for _, g := range d.Groups {
			gv := diffGroupView{Title: fmt.Sprintf("%s: %s", g.Outcome, laterWords(g.Later, d.UpdatedField)), Count: g.Count, Shown: len(g.Samples)}
			for _, x := range g.Samples {
				for i, f := range x.Values {
					gv.Rows = append(gv.Rows, diffValueRow{Line: x.Line, Key: x.Key, Field: f.Field, SF: f.Salesforce, Export: f.Export,
						SFUpdated: x.SalesforceUpdatedAt, ExportUpdated: x.ExportUpdatedAt, First: i == 0})
				}
			}
			v.Differences = append(v.Differences, gv)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.APICalls)) {
		v.APICalls = append(v.APICalls, apiCallRow{Name: name, N: s.APICalls[name]})
	}
	for _, f := range s.Files {
		v.Files = append(v.Files, fileRow{Name: f.Name, Desc: f.Desc})
		if f.Name == runfolder.PlanReportFile {
			v.PlanReport = f.Name
		}
	}
	return v
}

// newVerdict judges the run. It is green ("ok") only when every planned row loaded (for
// plan and clean: every row is ready) and nothing needs attention; amber ("warn") for what
// must be read but does not stop the load: stale rows, rejected rows up to the run's
// rejected-rows limit (--max-rejected), refusals foreseen, warnings (an assumed date order,
// an encoding, a skipped preflight); red ("bad") for failed or unprocessed rows, more
// rejected rows than the limit, or a plan import would refuse (preflight). already_newer rows count as accounted for: Salesforce
// holds newer data, so there was nothing to load.
func newVerdict(s *backfill.Summary, view View) verdict {
	n := s.Count
	item := func(label string, count int, tone, note string) verdictItem {
		return verdictItem{Label: label, N: count, Share: percent(count, s.Rows), Tone: tone, Note: note}
	}
	present := n(runfolder.Exists, runfolder.AlreadyNewer)
	stale := n(runfolder.Stale)
	rejected := n(runfolder.Rejected)
	failed, unproc := n(runfolder.Failed), n(runfolder.Unprocessed)
	left := n(runfolder.BeforeCutoff, runfolder.Duplicate)
	imported := s.Command == "import" || len(s.Jobs) > 0
	v := verdict{}
	if imported {
		created, updated := n(runfolder.Created), n(runfolder.Updated)
		planned := created + updated + failed + unproc + n(runfolder.AlreadyNewer)
		v.Headline = fmt.Sprintf("%s of %s loaded into Salesforce (%s created, %s updated).", backfill.Group(created+updated),
			backfill.Plural(planned, "planned row"), backfill.Group(created), backfill.Group(updated))
		v.Items = []verdictItem{
			item("created", created, groupLoad, "new records"),
			item("updated", updated, groupLoad, "existing records overwritten"),
			item("failed", failed, groupBad, "see error.csv and the reasons below"),
			item("unprocessed", unproc, groupUnproc, "see unprocessed.csv"),
			item("already present", present, groupPresent, "exists or already_newer"),
			item("stale", stale, groupStale, "in Salesforce with different values"),
			item("rejected", rejected, groupBad, "see rejects.csv"),
		}
	} else {
		load := n(runfolder.ToInsert, runfolder.ToUpdate)
		v.Headline = fmt.Sprintf("%s of %s to load into Salesforce.", backfill.Group(load), backfill.Plural(s.Rows, "row"))
		v.Items = []verdictItem{
			item("to load", load, groupLoad, fmt.Sprintf("%s to insert, %s to update: to_import.csv", backfill.Group(n(runfolder.ToInsert)), backfill.Group(n(runfolder.ToUpdate)))),
			item("already present", present, groupPresent, "in Salesforce already: left out"),
			item("stale", stale, groupStale, "in Salesforce with different values"),
			item("rejected", rejected, groupBad, "cannot be used: see rejects.csv"),
		}
		switch s.Command {
		case "clean":
			v.Next = "Review the reasons and rejects.csv, then load to_import.csv with Data Loader (Upsert matched on the external id)."
		case "plan":
			v.Next = "Nothing was written to Salesforce: to_import.csv is exactly what an import would upload."
		}
	}
	v.Items = append(v.Items, item("left out", left, groupSkip, "before the cutoff or duplicates"))
	v.Attention = attentionOf(s, imported, view.words())
	v.Tone = "ok"
	for _, a := range v.Attention {
		if v.Tone != "bad" {
			v.Tone = a.Tone
		}
	}
	v.ExitText = endText(s, v.Tone, view.words())
	if view.Exit != nil {
		v.Exit, v.HasExit = view.Exit(s), true
	}
	return v
}

// attentionOf lists what needs attention in s, worst first. The command to run next is
// shown as a command line only in the shell's words: another front end's words (the
// page's buttons and settings) are already in the sentence.
func attentionOf(s *backfill.Summary, imported bool, w backfill.Words) []attention {
	var out []attention
	_, shell := w.(Shell)
	add := func(tone, cmd, format string, args ...any) {
		text := fmt.Sprintf(format, args...)
		if !shell && cmd != "" {
			cmd = ""
			if t, colon := strings.CutSuffix(text, ":"); colon {
				text = t + "."
			}
		}
		out = append(out, attention{Tone: tone, Text: text, Command: commandWords(cmd)})
	}
	if n := s.Count(runfolder.Failed); n > 0 {
		add("bad", "", "%s failed: Salesforce refused %s; error.csv holds %s with its error (the reasons are below).",
			backfill.Plural(n, "row"), verb(n, "it", "them"), verb(n, "it", "them"))
	}
	if n := s.Count(runfolder.Unprocessed); n > 0 {
		add("bad", "", "%s left unprocessed: the job ended before Salesforce processed %s; unprocessed.csv holds %s, ready to load again.",
			backfill.Plural(n, "row"), verb(n, "it", "them"), verb(n, "it", "them"))
	}
	if n := s.Count(runfolder.Rejected); n > 0 {
		// Red only past the limit an import refuses at: rejected rows within it are to be
		// read, not a failure (the demo's two bad sample rows are amber).
		tone := "warn"
		if rejectedShare(s) > s.RejectedLimit() {
			tone = "bad"
		}
		add(tone, "", "%s of %s (%s) rejected: rejects.csv says why (the reasons are below).",
			backfill.Group(n), backfill.Plural(s.Rows, "row"), percent(n, s.Rows))
	}
	if n := foreseenToLoad(s); n > 0 && !imported {
		add("warn", w.Option(backfill.OptSkipInvalid, ""), "%s to load %s values Salesforce is expected to refuse (foreseen from describe: the refusals below, with the fix); to leave them out of the upload, plan again with",
			backfill.Plural(n, "row"), verb(n, "holds", "hold"))
	}
	if len(s.Preflight) > 0 && !imported {
		add("bad", w.Command(backfill.CmdPreflight, ""), "An import would refuse this plan: %s did not pass (the warning below says which and how to fix it).",
			backfill.Plural(len(s.Preflight), "preflight check"))
	}
	if n := s.Count(runfolder.Stale); n > 0 {
		switch {
		case s.Command == "clean":
			add("warn", "", "%s %s from the records in %s (stale): left out of to_import.csv (skipped.csv holds %s).",
				backfill.Plural(n, "row"), verb(n, "differs", "differ"), w.Option(backfill.OptExisting, ""), verb(n, "it", "them"))
		default:
			cmd := backfill.CmdPlan
			if imported {
				cmd = backfill.CmdImport
			}
			add("warn", ReplanWords(w, s, cmd, backfill.OptUpdateStale),
				"%s %s from Salesforce (stale); to load %s too, plan again with %s:", backfill.Plural(n, "row"),
				verb(n, "differs", "differ"), verb(n, "it", "them"), w.Option(backfill.OptUpdateStale, ""))
		}
	}
	warned := map[string]bool{}
	for _, w := range s.Warnings {
		warned[w.Kind] = true
	}
	for _, l := range s.DateLayouts {
		if l.Assumed && !warned["date-order"] {
			add("warn", "", "Column %q: no date told the order, so month-first (US) was assumed; check a few rows (%s if they are day-first).",
				l.Column, w.Option(backfill.OptDateFormat, "d/M/yyyy"))
		}
	}
	if k := len(s.Warnings); k > 0 {
		add("warn", "", "Read the %s below before trusting this run.", backfill.Plural(k, "warning"))
	}
	return out
}

// foreseenToLoad counts the planned rows Salesforce is foreseen to refuse.
func foreseenToLoad(s *backfill.Summary) int {
	n := 0
	for _, g := range s.Foreseen {
		if g.Outcome != runfolder.Rejected.String() {
			n += g.Count
		}
	}
	return n
}

// endText says how the run that wrote s ended, from the status the job decided.
func endText(s *backfill.Summary, tone string, w backfill.Words) string {
	switch s.Ended() {
	case backfill.StatusRowsFailed:
		return "finished, but some rows failed or were left unprocessed"
	case backfill.StatusTooManyRejected:
		limit := fmt.Sprintf("more rows were rejected than %s (%g%%) allows", w.Option(backfill.OptMaxRejected, ""), s.RejectedLimit())
		if s.Command == string(backfill.CmdClean) {
			return limit + ": review the run folder before loading to_import.csv"
		}
		return limit + ": import refuses to load this plan"
	case backfill.StatusDone:
		if tone == "ok" {
			return "done, every row accounted for"
		}
	}
	return "done, but see what needs attention above"
}

func rejectedShare(s *backfill.Summary) float64 {
	if s.Rows == 0 {
		return 0
	}
	return 100 * float64(s.Count(runfolder.Rejected)) / float64(s.Rows)
}

// verb is one when n is 1, else many: "1 row differs", "2 rows differ".
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Chart geometry, in SVG user units: each SVG scales to the width of the page (the
// outcomes chart to at most 720 px), and the CSS sets its text from 12-13 units on wide
// pages to 18 (outcomes) and 26 (per day) on phones, so labels leave room for that size.
const (
	outChartW = 640.0
	outLabelW = 150.0 // outcome names
	outBarMax = 300.0 // the longest bar; its count and share follow it
	outRowH   = 30.0
	outBarH   = 20.0
	dayChartW = 960.0
	dayAxisW  = 40.0 // the rotated "rows" and the gap before the y labels
	dayDigitW = 16.5 // a digit of a y label at 26 units
	dayCommaW = 8.0  // a comma
	dayPlotY  = 14.0
	dayPlotH  = 220.0
	// Below the plot: two lines of x labels at 26 units.
	dayH        = dayPlotY + dayPlotH + 80
	maxDayBars  = 92  // more days than this are shown by week
	maxWeekBars = 106 // more weeks than this are shown by month
	maxXLabels  = 8
)

type outcomeChart struct {
	W, H, LabelW float64
	Bars         []outcomeBar
}

type outcomeBar struct {
	Outcome, Group, Share string
	N                     int
	Y, TextY, W, CountX   float64
}

func newOutcomeChart(s *backfill.Summary) outcomeChart {
	c := outcomeChart{W: outChartW, LabelW: outLabelW}
	longest := 0 // the longest bar spans outBarMax; the others are to scale
	for _, n := range s.Outcomes {
		longest = max(longest, n)
	}
	for _, o := range runfolder.Outcomes() {
		n := s.Outcomes[o.String()]
		if n == 0 {
			continue
		}
		y := float64(len(c.Bars)) * outRowH
		w := 0.0
		if longest > 0 {
			w = math.Max(2, outBarMax*float64(n)/float64(longest))
		}
		c.Bars = append(c.Bars, outcomeBar{Outcome: o.String(), Group: outcomeGroup(o), N: n,
			Share: percent(n, s.Rows), Y: round1(y + (outRowH-outBarH)/2), TextY: round1(y + outRowH/2 + 5),
			W: round1(w), CountX: round1(outLabelW + w + 8)})
	}
	c.H = float64(len(c.Bars)) * outRowH
	return c
}

// daySeries are the stacks of the per-day chart, bottom to top. A plan's days hold to_insert
// and to_update; an import's the final outcome of each planned row instead: "loaded" is
// created and updated only, already_newer (Salesforce holds newer data) counts as already
// present, and failed and unprocessed rows are stacks of their own.
var daySeries = []struct {
	class, label string
	outcomes     []runfolder.Outcome
}{
	{groupLoad, "to load", []runfolder.Outcome{runfolder.ToInsert, runfolder.ToUpdate}},
	{groupLoad, "loaded", []runfolder.Outcome{runfolder.Created, runfolder.Updated}},
	{groupPresent, "already present", []runfolder.Outcome{runfolder.Exists, runfolder.AlreadyNewer}},
	{groupStale, "stale", []runfolder.Outcome{runfolder.Stale}},
	{groupBad, "failed", []runfolder.Outcome{runfolder.Failed}},
	{groupUnproc, "unprocessed", []runfolder.Outcome{runfolder.Unprocessed}},
}

// finalOutcomes are the outcomes an import gives the planned rows.
var finalOutcomes = []runfolder.Outcome{runfolder.Created, runfolder.Updated, runfolder.AlreadyNewer, runfolder.Failed, runfolder.Unprocessed}

// The daySeries every chart's legend shows, even at 0: a plan's, or an import's.
var (
	planLegend  = []string{"to load", "already present", "stale"}
	finalLegend = []string{"loaded", "already present", "stale"}
)

type dayChart struct {
	Unit     string // day, week or month
	From, To string
	W, H     float64
	PlotX    float64
	PlotY    float64
	PlotW    float64
	PlotH    float64
	Bottom   float64
	MidY     float64
	Bars     []dayBar // one per day (week, month) from the first to the last, empty ones too
	YTicks   []tick
	XLabels  []tick
	Legend   []legendItem
	Total    int
	Final    bool // the days hold the import's final outcomes
}

type dayBar struct {
	Label string
	Total int
	X, W  float64
	Segs  []daySeg
	Title string
}

type daySeg struct {
	Class string
	N     int
	Y, H  float64
}

type tick struct {
	Pos   float64
	Label string
	Year  string // under the first date label and where the year changes
}

type legendItem struct {
	Class, Label string
	N            int
}

func newDayChart(days []backfill.DayCount, cutoff time.Time) dayChart {
	c := dayChart{W: dayChartW, H: dayH, PlotY: dayPlotY, PlotH: dayPlotH, Bottom: dayPlotY + dayPlotH, MidY: dayPlotY + dayPlotH/2}
	parsed, first, last := parseDays(days)
	if first.IsZero() {
		return c
	}
	start := first
	if cd := cutoff.UTC().Truncate(24 * time.Hour); !cutoff.IsZero() && cd.Before(first) && months(cd, last) <= 120 {
		start = cd
	}
	var floor, next func(time.Time) time.Time
	c.Unit, floor, next = bucketing(start, last)
	var starts []time.Time
	index := map[time.Time]int{}
	for t := floor(start); !t.After(last); t = next(t) {
		index[t] = len(starts)
		starts = append(starts, t)
	}
	buckets := make([][]int, len(starts))
	for i := range buckets {
		buckets[i] = make([]int, len(daySeries))
	}
	totals := make([]int, len(daySeries))
	for i, d := range days {
		if parsed[i].IsZero() {
			continue
		}
		b := buckets[index[floor(parsed[i])]]
		for k, ser := range daySeries {
			for _, o := range ser.outcomes {
				b[k] += d.Outcomes[o.String()]
				totals[k] += d.Outcomes[o.String()]
			}
		}
		for _, o := range finalOutcomes {
			c.Final = c.Final || d.Outcomes[o.String()] > 0
		}
	}
	c.drawBars(starts, buckets)
	always := planLegend
	if c.Final {
		always = finalLegend
	}
	for k, ser := range daySeries {
		c.Total += totals[k]
		if totals[k] > 0 || slices.Contains(always, ser.label) {
			c.Legend = append(c.Legend, legendItem{Class: ser.class, Label: ser.label, N: totals[k]})
		}
	}
	c.From, c.To = start.Format(time.DateOnly), last.Format(time.DateOnly)
	return c
}

// parseDays parses the days of the per-day counts (a zero time for one that does not parse)
// and returns the first and the last.
func parseDays(days []backfill.DayCount) (parsed []time.Time, first, last time.Time) {
	parsed = make([]time.Time, len(days))
	for i, d := range days {
		t, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			continue
		}
		parsed[i] = t
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	return parsed, first, last
}

// bucketing chooses days, weeks (from Monday) or months so the chart holds a readable
// number of bars, with the functions that find a bucket's start and the next one.
func bucketing(start, last time.Time) (unit string, floor, next func(time.Time) time.Time) {
	n := int(last.Sub(start).Hours()/24) + 1
	switch {
	case n <= maxDayBars:
		return "day", func(t time.Time) time.Time { return t }, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case n/7+1 <= maxWeekBars:
		return "week", func(t time.Time) time.Time { return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)) },
			func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	}
	return "month", func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) },
		func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
}

// drawBars lays out one stacked bar per bucket, the y ticks and the x labels. The plot starts
// right of the longest y label, so thousands separators fit at any width of the page.
func (c *dayChart) drawBars(starts []time.Time, buckets [][]int) {
	maxTotal := 0
	for _, b := range buckets {
		t := 0
		for _, n := range b {
			t += n
		}
		maxTotal = max(maxTotal, t)
	}
	top, step := niceScale(maxTotal)
	label := backfill.Group(top)
	commas := strings.Count(label, ",")
	c.PlotX = round1(dayAxisW + dayDigitW*float64(len(label)-commas) + dayCommaW*float64(commas))
	c.PlotW = c.W - c.PlotX - 16
	for v := 0; v <= top; v += step {
		c.YTicks = append(c.YTicks, tick{Pos: round1(c.Bottom - c.PlotH*float64(v)/float64(top)), Label: backfill.Group(v)})
	}
	slot := c.PlotW / float64(len(starts))
	barW := math.Min(48, math.Max(1, slot*0.78))
	labelEvery := (len(starts) + maxXLabels - 1) / maxXLabels
	year := 0
	for i, t := range starts {
		b := buckets[i]
		bar := dayBar{Label: bucketLabel(t, c.Unit), X: round1(c.PlotX + slot*float64(i) + (slot-barW)/2), W: round1(barW)}
		y := c.Bottom
		var parts []string
		for k, ser := range daySeries {
			if b[k] == 0 {
				continue
			}
			h := c.PlotH * float64(b[k]) / float64(top)
			y -= h
			bar.Segs = append(bar.Segs, daySeg{Class: ser.class, N: b[k], Y: round1(y), H: round1(h)})
			bar.Total += b[k]
			parts = append(parts, backfill.Group(b[k])+" "+ser.label)
		}
		if len(parts) == 0 {
			parts = []string{"no rows"}
		}
		bar.Title = bar.Label + ": " + strings.Join(parts, ", ")
		c.Bars = append(c.Bars, bar)
		if i%labelEvery == 0 {
			l := tick{Pos: round1(c.PlotX + slot*(float64(i)+0.5)), Label: axisLabel(t, c.Unit)}
			if c.Unit != "month" && (len(c.XLabels) == 0 || t.Year() != year) {
				l.Year = strconv.Itoa(t.Year())
			}
			year = t.Year()
			c.XLabels = append(c.XLabels, l)
		}
	}
}

func months(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// niceScale returns the top of the y axis and its tick step: 1, 2 or 5 times a power of
// ten, with four or five steps.
func niceScale(maxV int) (top, step int) {
	if maxV <= 0 {
		return 1, 1
	}
	raw := float64(maxV) / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	s := 10 * p
	for _, m := range []float64{1, 2, 5} {
		if m*p >= raw {
			s = m * p
			break
		}
	}
	step = max(1, int(s))
	top = (maxV + step - 1) / step * step
	return top, step
}

func bucketLabel(t time.Time, unit string) string {
	switch unit {
	case "week":
		return "week of " + t.Format(time.DateOnly)
	case "month":
		return t.Format("2006-01")
	}
	return t.Format(time.DateOnly)
}

func axisLabel(t time.Time, unit string) string {
	if unit == "month" {
		return t.Format("Jan 2006")
	}
	return t.Format("Jan 2")
}

type finalRow struct {
	Outcome, Group, Share, Meaning string
	N                              int
	Zero                           bool
}

// reasonRow is a row of the reasons table. Lines are the example lines as plain numbers
// (not grouped): people look them up in an editor or in ledger.csv, which write them so.
type reasonRow struct {
	Outcome, Group, Reason, Example, Lines string
	N                                      int
}

func newReasonRow(r backfill.Reason) reasonRow {
	lines := make([]string, len(r.Examples))
	for i, l := range r.Examples {
		lines[i] = strconv.Itoa(l)
	}
	s := strings.Join(lines, ", ")
	if r.Count > len(r.Examples) {
		s += ", …"
	}
	o, _ := runfolder.ParseOutcome(r.Outcome)
	return reasonRow{Outcome: r.Outcome, Group: outcomeGroup(o), Reason: r.Reason, Example: r.Example, Lines: s, N: r.Count}
}

type jobRow struct {
	backfill.JobSummary
	Size, Started, Done, Took string
	Tone                      string
}

func newJobRow(j backfill.JobSummary) jobRow {
	r := jobRow{JobSummary: j, Size: fmtBytes(j.Bytes), Started: fmtTime(j.CreatedAt), Done: fmtTime(j.FinishedAt), Tone: "ok"}
	if !j.CreatedAt.IsZero() && !j.FinishedAt.IsZero() {
		r.Took = fmtDuration(j.FinishedAt.Sub(j.CreatedAt))
	}
	if j.Refused()+j.Unprocessed > 0 {
		r.Tone = "warn"
	}
	if j.State != "" && j.State != "JobComplete" {
		r.Tone = "bad"
	}
	return r
}

type columnRow struct {
	Name  string
	Roles []string
}

func newColumnRows(s *backfill.Summary) []columnRow {
	mapped := map[string]string{}
	for _, m := range s.Mapping {
		mapped[m.Column] = m.Field
	}
	unmapped := map[string]bool{}
	for _, c := range s.Unmapped {
		unmapped[c] = true
	}
	dates := map[string]bool{}
	for _, c := range s.DateColumns {
		dates[c] = true
	}
	var rows []columnRow
	for _, c := range s.Export.Columns {
		r := columnRow{Name: c}
		if c == s.KeyColumn {
			r.Roles = append(r.Roles, "key")
		}
		if dates[c] {
			r.Roles = append(r.Roles, "cutoff date")
		}
		if c == s.UpdatedColumn {
			r.Roles = append(r.Roles, "updated at (dedup)")
		}
		if f, ok := mapped[c]; ok {
			r.Roles = append(r.Roles, "→ "+f)
		}
		if unmapped[c] {
			r.Roles = append(r.Roles, "left out")
		}
		rows = append(rows, r)
	}
	return rows
}

type apiCallRow struct {
	Name string
	N    int
}

type fileRow struct{ Name, Desc string }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
