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
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

//go:embed report.html.tmpl
var reportSource string

// reportTemplate is parsed once; html/template escapes every value for its context, and no
// value reaches it as template.HTML, so nothing from the export can become markup.
var reportTemplate = template.Must(template.New("report.html").Parse(reportSource))

// Render writes the report page for s to w: the self-contained page of DESIGN.md section 7
// (inline CSS and SVG, nothing fetched). It reads s and never changes it. It is the job's
// Hooks.Render.
func Render(w io.Writer, s *backfill.Summary) error {
	if err := reportTemplate.Execute(w, newReportView(s)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
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
	"skip":                      "changed after the import, or nothing to restore: left alone (--force undoes changed ones)",
	"gone":                      "created by the import, already deleted",
	"same":                      "updated by the import, already back to its values before it",
	backfill.UndoDeleted:        "deleted (in the Recycle Bin)",
	backfill.UndoRestored:       "its values before the import are back",
	backfill.UndoRestoreRefused: "the package refused to move Updated At back (--keep-updated-at restores the rest)",
	backfill.UndoSkippedChanged: "changed after the import: left alone",
	backfill.UndoFailed:         "Salesforce refused (undo-ledger.csv says why)",
}

func countRows(counts map[string]int, order []string) []countRow {
	var out []countRow
	for _, o := range order {
		out = append(out, countRow{Outcome: o, Meaning: checkMeanings[o], N: backfill.Group(counts[o]), Zero: counts[o] == 0})
	}
	return out
}

func verifyViews(runs []backfill.VerifyRun) []checkView {
	var out []checkView
	for _, r := range runs {
		v := checkView{At: r.At.UTC().Format("2006-01-02 15:04 UTC"), File: r.File, Examples: r.Examples, Verdict: "every record matches", Tone: "ok",
			Rows: countRows(r.Outcomes, []string{backfill.VerifyMatch, backfill.VerifyNewer, backfill.VerifyDiffers, backfill.VerifyMissing})}
		if !r.OK() {
			v.Verdict, v.Tone = "some records differ or are missing", "bad"
		}
		out = append(out, v)
	}
	return out
}

func undoView(u *backfill.UndoRun) *checkView {
	if u == nil {
		return nil
	}
	v := &checkView{At: u.At.UTC().Format("2006-01-02 15:04 UTC"), File: u.File, DryRun: u.DryRun, Days: u.RecycleBinDays, Examples: u.Examples}
	switch {
	case u.DryRun:
		v.Verdict, v.Tone = "nothing changed yet", "warn"
		v.Rows = countRows(u.Planned, []string{"delete", "restore", "skip", "gone", "same"})
	case u.OK():
		v.Verdict, v.Tone = "everything undone", "ok"
		v.Rows = countRows(u.Outcomes, []string{backfill.UndoDeleted, backfill.UndoRestored, backfill.UndoRestoreRefused, backfill.UndoSkippedChanged, backfill.UndoFailed})
	default:
		v.Verdict, v.Tone = "not everything was undone", "bad"
		v.Rows = countRows(u.Outcomes, []string{backfill.UndoDeleted, backfill.UndoRestored, backfill.UndoRestoreRefused, backfill.UndoSkippedChanged, backfill.UndoFailed})
	}
	return v
}

type verdict struct {
	Tone     string // ok, warn or bad: the colour of the box
	Headline string
	Items    []verdictItem
	Next     string
	Exit     int
	ExitText string
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

// outcomeMeaning is DESIGN.md section 3's table, for the final outcomes.
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

func newReportView(s *backfill.Summary) *reportView {
	v := &reportView{
		S:        s,
		Title:    fmt.Sprintf("backfill %s report", orDash(s.Command)),
		Started:  fmtTime(s.StartedAt),
		Finished: fmtTime(s.FinishedAt),
		Cutoff:   fmtTime(s.Cutoff),
		Verdict:  newVerdict(s),
		Outcomes: newOutcomeChart(s),
		Days:     newDayChart(s.ByDay, s.Cutoff),
		Mapping:  s.Mapping,
		Unmapped: s.Unmapped,
		Verify:   verifyViews(s.Verify),
		Undo:     undoView(s.Undo),
	}
	if !s.StartedAt.IsZero() && !s.FinishedAt.IsZero() {
		v.Took = fmtDuration(s.FinishedAt.Sub(s.StartedAt))
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
	for _, name := range slices.Sorted(maps.Keys(s.APICalls)) {
		v.APICalls = append(v.APICalls, apiCallRow{Name: name, N: s.APICalls[name]})
	}
	for _, f := range s.Files {
		v.Files = append(v.Files, fileRow{Name: f.Name, Desc: f.Desc})
	}
	return v
}

func newVerdict(s *backfill.Summary) verdict {
	n := func(os ...runfolder.Outcome) int {
		t := 0
		for _, o := range os {
			t += s.Outcomes[o.String()]
		}
		return t
	}
	item := func(label string, count int, tone, note string) verdictItem {
		return verdictItem{Label: label, N: count, Share: percent(count, s.Rows), Tone: tone, Note: note}
	}
	present := n(runfolder.Exists, runfolder.AlreadyNewer)
	stale := n(runfolder.Stale)
	rejected := n(runfolder.Rejected)
	failed, unproc := n(runfolder.Failed), n(runfolder.Unprocessed)
	left := n(runfolder.BeforeCutoff, runfolder.Duplicate)
	v := verdict{Tone: "ok"}
	if s.Command == "import" || len(s.Jobs) > 0 {
		created, updated := n(runfolder.Created), n(runfolder.Updated)
		v.Headline = fmt.Sprintf("%d of %d rows loaded into Salesforce (%d created, %d updated).", created+updated, s.Rows, created, updated)
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
		v.Headline = fmt.Sprintf("%d of %d rows to load into Salesforce.", load, s.Rows)
		v.Items = []verdictItem{
			item("to load", load, groupLoad, fmt.Sprintf("%d to insert, %d to update: to_import.csv", n(runfolder.ToInsert), n(runfolder.ToUpdate))),
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
	if rejected > 0 || stale > 0 {
		v.Tone = "warn"
	}
	if len(s.Warnings) > 0 {
		v.Tone = "bad" // something must be read before the run can be trusted
	}
	if failed+unproc > 0 {
		v.Tone = "bad"
		v.Exit = backfill.ExitRowsFailed
		v.ExitText = "finished, but some rows failed or were left unprocessed"
	} else {
		v.Exit = backfill.ExitOK
		v.ExitText = "done, every row accounted for"
	}
	return v
}

// Chart geometry, in SVG user units (the SVG scales to the page width).
const (
	chartW      = 960.0
	outLabelW   = 130.0 // outcome names
	outBarMax   = 660.0 // the longest bar
	outRowH     = 30.0
	outBarH     = 20.0
	dayPlotX    = 56.0
	dayPlotY    = 14.0
	dayPlotW    = chartW - dayPlotX - 16
	dayPlotH    = 220.0
	dayH        = dayPlotY + dayPlotH + 46
	maxDayBars  = 92  // more days than this are shown by week
	maxWeekBars = 106 // more weeks than this are shown by month
	maxXLabels  = 10
)

type outcomeChart struct {
	W, H float64
	Bars []outcomeBar
}

type outcomeBar struct {
	Outcome, Group, Share string
	N                     int
	Y, TextY, W, CountX   float64
}

func newOutcomeChart(s *backfill.Summary) outcomeChart {
	c := outcomeChart{W: chartW}
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

// daySeries are the stacks of the per-day chart, bottom to top.
var daySeries = []struct {
	class, label string
	outcomes     []runfolder.Outcome
}{
	{groupLoad, "to load / loaded", []runfolder.Outcome{runfolder.ToInsert, runfolder.ToUpdate, runfolder.Created, runfolder.Updated}},
	{groupPresent, "already present", []runfolder.Outcome{runfolder.Exists, runfolder.AlreadyNewer}},
	{groupStale, "stale", []runfolder.Outcome{runfolder.Stale}},
	{groupBad, "failed / unprocessed", []runfolder.Outcome{runfolder.Failed, runfolder.Unprocessed}},
}

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
	X            float64
}

func newDayChart(days []backfill.DayCount, cutoff time.Time) dayChart {
	c := dayChart{W: chartW, H: dayH, PlotX: dayPlotX, PlotY: dayPlotY, PlotW: dayPlotW, PlotH: dayPlotH,
		Bottom: dayPlotY + dayPlotH, MidY: dayPlotY + dayPlotH/2}
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
	buckets := make([][4]int, len(starts))
	var totals [4]int
	for i, d := range days {
		if parsed[i].IsZero() {
			continue
		}
		b := &buckets[index[floor(parsed[i])]]
		for k, ser := range daySeries {
			for _, o := range ser.outcomes {
				b[k] += d.Outcomes[o.String()]
				totals[k] += d.Outcomes[o.String()]
			}
		}
	}
	c.drawBars(starts, buckets)
	x := c.PlotX
	for k, ser := range daySeries {
		if k == 3 && totals[k] == 0 {
			continue // failures only appear in the legend of imports that had some
		}
		c.Legend = append(c.Legend, legendItem{Class: ser.class, Label: ser.label, N: totals[k], X: x})
		c.Total += totals[k]
		x += 200
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

// drawBars lays out one stacked bar per bucket, the y ticks and the x labels.
func (c *dayChart) drawBars(starts []time.Time, buckets [][4]int) {
	maxTotal := 0
	for _, b := range buckets {
		maxTotal = max(maxTotal, b[0]+b[1]+b[2]+b[3])
	}
	top, step := niceScale(maxTotal)
	for v := 0; v <= top; v += step {
		c.YTicks = append(c.YTicks, tick{Pos: round1(c.Bottom - c.PlotH*float64(v)/float64(top)), Label: strconv.Itoa(v)})
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
			parts = append(parts, fmt.Sprintf("%d %s", b[k], ser.label))
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

type reasonRow struct {
	Outcome, Group, Reason, Lines string
	N                             int
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
	return reasonRow{Outcome: r.Outcome, Group: outcomeGroup(o), Reason: r.Reason, Lines: s, N: r.Count}
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
	if j.Failed+j.Unprocessed > 0 {
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
