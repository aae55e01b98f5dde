package backfill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// finish turns the Bulk results into the ledger's final outcomes and the final success.csv,
// error.csv and unprocessed.csv, and writes the final summary.json and report.html. It can
// run again after a crash: the plan's ledger and summary are kept as plan-ledger.csv and
// plan-summary.json the first time and always read from there, and every file is written
// under a temporary name and renamed into place.
func (w *workFolder) finish(ctx context.Context, l *loader) error {
	folder := w.folder
	for _, mv := range []struct{ from, to string }{{runfolder.LedgerFile, runfolder.PlanLedgerFile},
		{runfolder.SummaryFile, runfolder.PlanSummaryFile}, {runfolder.ReportFile, runfolder.PlanReportFile}} {
		if mv.from == runfolder.ReportFile && !folder.Has(mv.from) {
			continue // no report was rendered
		}
		if !folder.Has(mv.to) {
			if err := folder.Rename(mv.from, mv.to); err != nil {
				return fmt.Errorf("keep the plan's %s: %w", mv.from, err)
			}
		}
	}
	fin, err := w.finalFiles(l)
	if err != nil {
		return fmt.Errorf("write the final ledger and result files: %w", err)
	}
	sum := *w.summary
	sum.Command = string(CmdImport)
	sum.Rows = fin.counts.Total()
	sum.Outcomes = fin.counts.Map()
	sum.Reasons = append(planReasons(w.summary.Reasons), fin.stats.Reasons()...)
	if fin.days != nil {
		sum.ByDay = finalDays(w.summary.ByDay, fin.days)
	}
	sum.APICalls = mergeCalls(w.summary.APICalls, w.sf.CallCounts())
	sum.Jobs = l.jobSummaries(ctx)
	sum.Files = nil
	for _, f := range runfolder.Imported() {
		desc := f.Desc
		if runfolder.IsResultFile(f.Name) {
			desc = fmt.Sprintf("%s: %s", Plural(fin.rows[f.Name], "row"), desc)
		}
		sum.Files = append(sum.Files, RunFile{f.Name, desc})
	}
	if w.summary.StartedAt.IsZero() {
		sum.StartedAt = w.j.now()
	}
	sum.Warnings = append(sum.Warnings, w.loadWarnings(l)...)
	if sum.Refusals, err = checkRefusals(folder); err != nil { // foreseen against actual, refusals.go
		return fmt.Errorf("compare the refusals foreseen with Salesforce's: %w", err)
	}
	if sum.Rows != w.summary.Rows {
		return fmt.Errorf("internal error: the final ledger has %d rows, the plan %d", sum.Rows, w.summary.Rows)
	}
	sum.decide(true)
	if err := writeSummary(w.j, folder, &sum); err != nil {
		return err
	}
	w.summary = &sum
	return nil
}

// loadWarnings are what the final summary must say about how the load went.
func (w *workFolder) loadWarnings(l *loader) []Warning {
	var out []Warning
	words := w.j.words()
	if w.skippedPreflight {
		out = append(out, Warning{Kind: "preflight",
			Message: fmt.Sprintf("the load ran with %s: login and %s, packages, integration user, object and fields, and limits were not checked first",
				words.Option(OptSkipPreflight, ""), words.Option(OptSandbox, "")),
			Fix: "run " + words.Command(CmdPreflight, "") + " now to see whether anything needs fixing"})
	}
	if l.st.Lost {
		out = append(out, Warning{Kind: "journal",
			Message: fmt.Sprintf("journal.jsonl was missing: which rows were already loaded was read from Salesforce (a record holding every planned value counts as loaded, created when Salesforce created it after %s)",
				l.loadStart().Format(time.RFC3339)),
			Fix: "compare the ledger with Salesforce (" + words.Command(CmdVerify, "") + ") before relying on created/updated"})
	}
	return out
}

// finalFiles is what the final ledger and result files hold.
type finalFiles struct {
	counts runfolder.Counts
	stats  *Stats
	rows   map[string]int            // rows per final result file
	days   map[string]map[string]int // day -> final outcome of the planned rows -> rows
}

func (f *finalFiles) day(day string, o runfolder.Outcome) {
	if f.days == nil {
		f.days = map[string]map[string]int{}
	}
	m := f.days[day]
	if m == nil {
		m = map[string]int{}
		f.days[day] = m
	}
	m[o.String()]++
}

// dayColumns are the to_import.csv columns of the export's cutoff date columns: a row's
// day is its latest date among them, as plan counted it.
func (w *workFolder) dayColumns() []int {
	var out []int
	for _, dc := range w.summary.DateColumns {
		for _, m := range w.info.Mapping {
			if csvdiff.Canonical(m.Column) != csvdiff.Canonical(dc) {
				continue
			}
			for i, f := range w.info.Fields {
				if f == m.Field {
					out = append(out, i)
				}
			}
		}
	}
	return out
}

// rowDay is the latest YYYY-MM-DD among a to_import.csv row's date columns (Bulk forms
// start with it: 2025-12-01 or 2025-12-01T09:00:00.000Z, in UTC).
func rowDay(rec []string, cols []int) string {
	day := ""
	for _, c := range cols {
		if c < len(rec) && len(rec[c]) >= 10 && rec[c][:10] > day {
			day = rec[c][:10]
		}
	}
	return day
}

// finalDays is the plan's per-day counts with each planned row's final outcome in place of
// to_insert and to_update.
func finalDays(plan []DayCount, final map[string]map[string]int) []DayCount {
	byDay := map[string]map[string]int{}
	for _, d := range plan {
		m := map[string]int{}
		for o, n := range d.Outcomes {
			if o != runfolder.ToInsert.String() && o != runfolder.ToUpdate.String() {
				m[o] = n
			}
		}
		byDay[d.Day] = m
	}
	for day, outs := range final {
		m := byDay[day]
		if m == nil {
			m = map[string]int{}
			byDay[day] = m
		}
		for o, n := range outs {
			m[o] += n
		}
	}
	out := make([]DayCount, 0, len(byDay))
	for day, m := range byDay {
		out = append(out, DayCount{Day: day, Outcomes: m})
	}
	slices.SortFunc(out, func(a, b DayCount) int { return strings.Compare(a.Day, b.Day) })
	return out
}

// finalFiles rewrites ledger.csv from plan-ledger.csv, giving every planned row the outcome of
// its last attempt, and writes the final success.csv, error.csv and unprocessed.csv, each row
// once. The planned rows are in the ledger in to_import.csv's order, part after part: results
// are read one plan part (and the parts that followed it up) at a time, matched by key, so
// memory is bounded by a part's rows however large the import.
func (w *workFolder) finalFiles(l *loader) (*finalFiles, error) {
	folder := w.folder
	fin := &finalFiles{stats: newStats(nil), rows: map[string]int{}}
	ledger, err := folder.Begin(runfolder.LedgerFile)
	if err != nil {
		return nil, err
	}
	out := []*runfolder.Pending{ledger}
	defer func() {
		for _, p := range out {
			p.Abort() // a no-op once committed
		}
	}()
	lw, err := runfolder.NewLedgerWriter(ledger)
	if err != nil {
		return nil, err
	}
	ws := map[string]*csvdiff.Writer{}
	for _, k := range runfolder.ResultKinds {
		p, err := folder.Begin(k.File)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		ws[k.File] = p.CSV(false) // exactly what was uploaded, as Data Loader writes them: loadable as they are
		if err := ws[k.File].WriteStrings(runfolder.FinalHeader(k, l.plan.Fields)...); err != nil {
			return nil, err
		}
	}
	dayCols := w.dayColumns()
	walk := &resultWalker{l: l, load: func(root int) (*runfolder.Results, error) { return l.finalRoot(root, ws, fin, dayCols) }}
	m := w.j.step(Event{Step: StepFinal, Total: int64(w.summary.Rows), Unit: UnitRows})
	defer m.end()
	seen := 0
	err = folder.ReadLedger(runfolder.PlanLedgerFile, func(e runfolder.Entry) error {
		if seen++; seen%10000 == 0 {
			m.set(int64(seen))
		}
		o, detail := e.Outcome, e.Detail
		if o.Planned() {
			var src uint16
			var found bool
			var err error
			if o, detail, src, found, err = walk.next(e.Key); err != nil {
				return err
			}
			if !found {
				o, detail = runfolder.Unprocessed, "no result from Salesforce for this row: its job ended without one"
			} else if ps := l.st.Part(int(src)); ps.State == runfolder.StateRefused {
				detail = ps.JobError
			}
			if o == runfolder.Failed || o == runfolder.Unprocessed {
				fin.stats.reason(o, failureClass(detail), e.Line)
			}
		}
		fin.counts.Add(o)
		return lw.Write(e.Line, []byte(e.Key), o, detail)
	})
	if err == nil && !walk.done() {
		err = fmt.Errorf("internal error: the ledger has fewer rows to load than the plan's parts")
	}
	if err == nil {
		err = lw.Flush()
	}
	for _, k := range runfolder.ResultKinds {
		if err == nil {
			err = ws[k.File].Flush()
		}
	}
	for _, p := range out {
		if err == nil {
			err = p.Commit()
		}
	}
	return fin, err
}

// finalRoot reads the results of plan part root and the parts that followed it up into one
// table, and copies each row's last result into the final result files; rows without any
// result go to unprocessed.csv from the part itself, so they can be loaded again.
func (l *loader) finalRoot(root int, ws map[string]*csvdiff.Writer, fin *finalFiles, dayCols []int) (*runfolder.Results, error) {
	t, err := l.results(root)
	if err != nil {
		return nil, err
	}
	ext := l.plan.ExternalIDField
	for _, n := range l.family(root) {
		for _, k := range runfolder.ResultKinds {
			name := l.resultFile(n, k)
			if name == "" {
				continue
			}
			rows, err := t.CopyWinners(l.folder, name, ext, uint16(n), runfolder.FinalHeader(k, l.plan.Fields), ws[k.File])
			if err != nil {
				return nil, err
			}
			fin.rows[k.File] += rows
		}
	}
	unp := ws[runfolder.UnprocessedFile]
	var rec [][]byte
	err = l.eachPartRow(root, func(key string, fields []string) error {
		o, _, _, ok := t.Lookup(key)
		if !ok {
			o = runfolder.Unprocessed
		}
		if day := rowDay(fields, dayCols); day != "" {
			fin.day(day, o)
		}
		if ok {
			return nil
		}
		rec = rec[:0]
		for _, f := range fields {
			rec = append(rec, []byte(f))
		}
		fin.rows[runfolder.UnprocessedFile]++
		return unp.Write(rec)
	})
	return t, err
}

// planReasons keeps the plan's rejection reasons (failures come from the results).
func planReasons(rs []Reason) []Reason {
	var out []Reason
	for _, r := range rs {
		if r.Outcome == runfolder.Rejected.String() {
			out = append(out, r)
		}
	}
	return out
}

func mergeCalls(a, b map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range a {
		out[k] += v
	}
	for k, v := range b {
		out[k] += v
	}
	return out
}

// lockFollowed reports whether part n's lock failures went again in a follow-up job.
func (l *loader) lockFollowed(n int) bool {
	for m := n + 1; m <= l.lastPart(); m++ {
		if ps := l.st.Part(m); ps.Retry == retryLock && slices.Contains(ps.Follo, n) {
			return true
		}
	}
	return false
}

// jobSummaries describes every job that held a part (and every part settled without one),
// from the journal and Salesforce, in part order.
func (l *loader) jobSummaries(ctx context.Context) []JobSummary {
	var out []JobSummary
	for n := 1; n <= l.lastPart(); n++ {
		ps := l.st.Part(n)
		if ps.Split && ps.Job == "" {
			continue // its rows are in its halves
		}
		js := JobSummary{ID: ps.Job, Part: n, Rows: l.partRows(n), Bytes: l.partSize(n), State: ps.State,
			ErrorMessage: ps.JobError, Note: ps.Note}
		if ps.Job != "" {
			js.SetupURL = setupURL(l.sf.InstanceURL(), ps.Job)
			if job, err := l.sf.JobInfo(ctx, ps.Job); err == nil {
				js.State, js.ErrorMessage = job.State, job.ErrorMessage
				js.Processed, js.Failed = int(job.NumberRecordsProcessed), int(job.NumberRecordsFailed)
				js.CreatedAt, js.FinishedAt = job.CreatedDate, job.SystemModstamp
			}
		}
		rc := ps.Counts
		js.Created, js.Updated = int(rc["created"]), int(rc["updated"])
		js.AlreadyNewer, js.Unprocessed = int(rc["already_newer"]), int(rc["unprocessed"])
		if l.lockFollowed(n) {
			js.SentAgain = int(rc[retryLock])
		}
		out = append(out, js)
	}
	return out
}
