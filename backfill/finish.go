package backfill

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/northpass-tools/backfill/csvdiff"
)

// finish turns the Bulk results into the ledger's final outcomes and writes the final
// summary.json and report.html. It can run again after a crash: the plan's ledger and
// summary are kept as plan-ledger.csv and plan-summary.json the first time and always read
// from there.
func (p *planRun) finish(ctx context.Context, st *journalState) error {
	folder := p.folder
	for _, mv := range []struct{ from, to string }{{"ledger.csv", "plan-ledger.csv"}, {"summary.json", "plan-summary.json"}} {
		if _, err := os.Stat(folder.Path(mv.to)); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(folder.Path(mv.from), folder.Path(mv.to)); err != nil {
				return fmt.Errorf("keep the plan's %s: %w", mv.from, err)
			}
		}
	}
	// The rows to load are in the ledger in to_import.csv's order, part after part, and each
	// part's results follow each other in the result files: read them one part at a time.
	part, left := -1, 0
	var table *resultTable
	nextPart := func() error {
		for left == 0 {
			part++
			if part >= len(p.info.Parts) {
				return fmt.Errorf("internal error: the ledger has more rows to load than the plan's parts")
			}
			left = p.info.Parts[part].Rows
		}
		end := map[string]int64{}
		for _, k := range resultKinds {
			end[k.file] = -1
			if part+1 < len(p.info.Parts) {
				if s := st.part(part + 2).ResultsStart; s != nil {
					end[k.file] = s[k.file]
				}
			}
		}
		var err error
		table, err = loadResults(folder, p.info.ExternalIDField, st.part(part+1).ResultsStart, end, left)
		return err
	}
	tmp := folder.Path("ledger.csv.tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm)
	if err != nil {
		return err
	}
	w := csvdiff.NewWriter(f, true)
	w.WriteStrings("line", "key", "outcome", "detail")
	var counts csvdiff.Counts
	stats := newStats(nil)
	err = readLedger(folder.Path("plan-ledger.csv"), func(e *LedgerEntry) error {
		o, ok := csvdiff.ParseOutcome(e.Outcome)
		if !ok {
			return fmt.Errorf("line %d: unknown outcome %q", e.Line, e.Outcome)
		}
		detail := e.Detail
		if o == csvdiff.ToInsert || o == csvdiff.ToUpdate {
			if left == 0 {
				if err := nextPart(); err != nil {
					return err
				}
			}
			left--
			if ro, rd, found := table.lookup(e.Key); found {
				o, detail = ro, rd
			} else {
				o, detail = csvdiff.Unprocessed, "no result from Salesforce for this row"
			}
			if o == csvdiff.Failed || o == csvdiff.Unprocessed {
				stats.reason(o, failureClass(detail), e.Line)
			}
		}
		counts.Add(o)
		return w.WriteLedger(e.Line, []byte(e.Key), o, detail)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write the final ledger: %w", err)
	}
	if err := os.Rename(tmp, folder.Path("ledger.csv")); err != nil {
		return err
	}

	sum := *p.summary
	sum.Command = "import"
	sum.Rows = counts.Total()
	sum.Outcomes = counts.Map()
	sum.Reasons = append(planReasons(p.summary.Reasons), stats.Reasons()...)
	sum.APICalls = mergeCalls(p.summary.APICalls, p.client.CallCounts())
	sum.Jobs = p.jobSummaries(ctx, st)
	sum.Files = []string{"summary.json    counts and choices (the plan's: plan-summary.json)", reportFileLine,
		"ledger.csv      final outcome of every data row (plan: plan-ledger.csv)",
		"success.csv     rows Salesforce created or updated (sf__Id, sf__Created, then the uploaded columns)",
		"error.csv       rows Salesforce refused (sf__Id, sf__Error, then the uploaded columns)",
		"unprocessed.csv rows of jobs that ended before processing them",
		"to_import.csv   exactly what was uploaded",
		"skipped.csv     rows left out after the cutoff (duplicates, already present, stale)",
		"rejects.csv     rows that cannot be used, with the reason",
		planFile + "       the plan that was loaded", journalName + "   every Bulk step, for backfill resume",
		runLogName + "         the run's log (JSON lines)"}
	if p.summary.StartedAt.IsZero() {
		sum.StartedAt = p.cfg.now()
	}
	sum.FinishedAt = p.cfg.now()
	if sum.Rows != p.summary.Rows {
		return fmt.Errorf("internal error: the final ledger has %d rows, the plan %d", sum.Rows, p.summary.Rows)
	}
	if err := writeReplace(folder, "summary.json", &sum); err != nil {
		return err
	}
	os.Remove(folder.Path("report.html"))
	if err := WriteReport(folder, &sum); err != nil {
		return err
	}
	p.summary = &sum
	return nil
}

// planReasons keeps the plan's rejection reasons (failures come from the results).
func planReasons(rs []Reason) []Reason {
	var out []Reason
	for _, r := range rs {
		if r.Outcome == csvdiff.Rejected.String() {
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
func (p *planRun) jobSummaries(ctx context.Context, st *journalState) []JobSummary {
	var out []JobSummary
	for i, pt := range p.info.Parts {
		ps := st.part(i + 1)
		js := JobSummary{ID: ps.Job, Part: i + 1, Rows: pt.Rows, Bytes: pt.End - pt.Start + p.info.HeaderBytes,
			State: ps.State, SetupURL: setupPath(ps.Job)}
		if job, err := p.client.JobInfo(ctx, ps.Job); err == nil {
			js.State, js.ErrorMessage = job.State, job.ErrorMessage
			js.Processed, js.Failed = int(job.NumberRecordsProcessed), int(job.NumberRecordsFailed)
			js.CreatedAt, js.FinishedAt = job.CreatedDate, job.SystemModstamp
		}
		rc := ps.ResultsCounts
		js.Created, js.Updated = int(rc["created"]), int(rc["updated"])
		js.AlreadyNewer, js.Unprocessed = int(rc["already_newer"]), int(rc[unprocessedFile])
		out = append(out, js)
	}
	return out
}
