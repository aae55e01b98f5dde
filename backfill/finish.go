package backfill

import (
	"context"
	"fmt"
	"os"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// finish turns the Bulk results into the ledger's final outcomes and writes the final
// summary.json and report.html. It can run again after a crash: the plan's ledger and
// summary are kept as plan-ledger.csv and plan-summary.json the first time and always read
// from there.
func (p *planRun) finish(ctx context.Context, st *runfolder.JournalState) error {
	folder := p.folder
	for _, mv := range []struct{ from, to string }{{runfolder.LedgerFile, runfolder.PlanLedgerFile}, {runfolder.SummaryFile, runfolder.PlanSummaryFile}} {
		if !folder.Has(mv.to) {
			if err := folder.Rename(mv.from, mv.to); err != nil {
				return fmt.Errorf("keep the plan's %s: %w", mv.from, err)
			}
		}
	}
	counts, stats, err := p.finalLedger(st)
	if err != nil {
		return fmt.Errorf("write the final ledger: %w", err)
	}
	sum := *p.summary
	sum.Command = "import"
	sum.Rows = counts.Total()
	sum.Outcomes = counts.Map()
	sum.Reasons = append(planReasons(p.summary.Reasons), stats.Reasons()...)
	sum.APICalls = mergeCalls(p.summary.APICalls, p.sf.CallCounts())
	sum.Jobs = p.jobSummaries(ctx, st)
	sum.Files = []RunFile{
		{runfolder.SummaryFile, "counts and choices (the plan's: plan-summary.json)"},
		{runfolder.ReportFile, runfolder.Describe(runfolder.ReportFile)},
		{runfolder.LedgerFile, "final outcome of every data row (the plan's: plan-ledger.csv)"},
		{runfolder.SuccessFile, runfolder.Describe(runfolder.SuccessFile)},
		{runfolder.ErrorFile, runfolder.Describe(runfolder.ErrorFile)},
		{runfolder.UnprocessedFile, runfolder.Describe(runfolder.UnprocessedFile)},
		{runfolder.ToImportFile, "exactly what was uploaded"},
		{runfolder.SkippedFile, "rows left out after the cutoff (duplicates, already present, stale)"},
		{runfolder.RejectsFile, runfolder.Describe(runfolder.RejectsFile)},
		{runfolder.PlanFile, "the plan that was loaded"},
		{runfolder.JournalFile, runfolder.Describe(runfolder.JournalFile)},
		{runfolder.RunLogFile, runfolder.Describe(runfolder.RunLogFile)},
	}
	if p.summary.StartedAt.IsZero() {
		sum.StartedAt = p.cfg.now()
	}
	if p.skippedPreflight {
		sum.Warnings = append(sum.Warnings, Warning{Kind: "preflight",
			Message: "the load ran with --skip-preflight: login and --sandbox, packages, integration user, object and fields, and limits were not checked first",
			Fix:     "run backfill preflight now to see whether anything needs fixing"})
	}
	if sum.Rows != p.summary.Rows {
		return fmt.Errorf("internal error: the final ledger has %d rows, the plan %d", sum.Rows, p.summary.Rows)
	}
	if err := finishSummary(p.cfg, folder, &sum); err != nil {
		return err
	}
	p.summary = &sum
	return nil
}

// finalLedger rewrites ledger.csv from plan-ledger.csv, giving every planned row the outcome
// Salesforce's results say, and counts the outcomes. The rows to load are in the ledger in
// to_import.csv's order, part after part, and each part's results follow each other in the
// result files: they are read one part at a time, so memory is bounded by a job's size.
func (p *planRun) finalLedger(st *runfolder.JournalState) (runfolder.Counts, *Stats, error) {
	var counts runfolder.Counts
	stats := newStats(nil)
	folder := p.folder
	parts := p.info.Parts
	part, left := -1, 0
	var table *runfolder.Results
	nextPart := func() error {
		for left == 0 {
			part++
			if part >= len(parts) {
				return fmt.Errorf("internal error: the ledger has more rows to load than the plan's parts")
			}
			left = parts[part].Rows
		}
		end := map[string]int64{}
		for _, k := range runfolder.ResultKinds {
			end[k.File] = -1
			if part+1 < len(parts) {
				if s := st.Part(part + 2).ResultsStart; s != nil {
					end[k.File] = s[k.File]
				}
			}
		}
		var err error
		table, err = folder.ReadResults(p.info.ExternalIDField, st.Part(part+1).ResultsStart, end, left)
		return err
	}
	tmp := runfolder.LedgerFile + ".tmp"
	os.Remove(folder.Path(tmp))
	f, err := folder.Create(tmp)
	if err != nil {
		return counts, nil, err
	}
	w, err := runfolder.NewLedgerWriter(f)
	if err == nil {
		err = folder.ReadLedger(runfolder.PlanLedgerFile, func(e runfolder.Entry) error {
			o, detail := e.Outcome, e.Detail
			if o.Planned() {
				if left == 0 {
					if err := nextPart(); err != nil {
						return err
					}
				}
				left--
				if ro, rd, found := table.Lookup(e.Key); found {
					o, detail = ro, rd
				} else {
					o, detail = runfolder.Unprocessed, "no result from Salesforce for this row"
				}
				if o == runfolder.Failed || o == runfolder.Unprocessed {
					stats.reason(o, failureClass(detail), e.Line)
				}
			}
			counts.Add(o)
			return w.Write(e.Line, []byte(e.Key), o, detail)
		})
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = folder.Rename(tmp, runfolder.LedgerFile)
	}
	return counts, stats, err
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

// jobSummaries describes every job that holds a part, from the journal and Salesforce.
func (p *planRun) jobSummaries(ctx context.Context, st *runfolder.JournalState) []JobSummary {
	var out []JobSummary
	for i, pt := range p.info.Parts {
		ps := st.Part(i + 1)
		js := JobSummary{ID: ps.Job, Part: i + 1, Rows: pt.Rows, Bytes: pt.End - pt.Start + p.info.HeaderBytes,
			State: ps.State, SetupURL: setupPath(ps.Job)}
		if job, err := p.sf.JobInfo(ctx, ps.Job); err == nil {
			js.State, js.ErrorMessage = job.State, job.ErrorMessage
			js.Processed, js.Failed = int(job.NumberRecordsProcessed), int(job.NumberRecordsFailed)
			js.CreatedAt, js.FinishedAt = job.CreatedDate, job.SystemModstamp
		}
		rc := ps.ResultsCounts
		js.Created, js.Updated = int(rc["created"]), int(rc["updated"])
		js.AlreadyNewer, js.Unprocessed = int(rc["already_newer"]), int(rc[runfolder.UnprocessedFile])
		out = append(out, js)
	}
	return out
}
