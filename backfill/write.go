package backfill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Writing a run folder: the steps clean, plan and import share. The folder is created under
// its .partial name and locked; the second pass writes the ledger and the CSV files; the
// summary and report are written last, atomically.

// createFolder creates the run folder (under its .partial name, locked for command).
func createFolder(j *job, out string, command Command, now time.Time) (*runfolder.Folder, error) {
	f, err := runfolder.Create(out, j.words().Command(command, ""), now)
	if errors.Is(err, runfolder.ErrExists) {
		return nil, optionErr(OptOut, out, ErrOutExists)
	}
	return f, err
}

// emit runs the second pass over the export into out, checking every row is accounted for.
func emit(ctx context.Context, j *job, export string, idx *csvdiff.Index, m csvdiff.Matcher, out *outputs) error {
	f, err := os.Open(export)
	if err != nil {
		return optionErr(OptExport, export, err)
	}
	defer f.Close()
	st, _ := f.Stat()
	meter := j.step(Event{Step: StepWriteRun, Total: st.Size(), Unit: UnitBytes})
	defer meter.end()
	counts, err := idx.Emit(ctx, &meteredReader{r: f, m: meter}, m, out)
	if err != nil {
		return err
	}
	if counts.Total() != idx.Rows() || out.counts.Total() != idx.Rows() {
		return fmt.Errorf("internal error: %d rows emitted, %d scanned", counts.Total(), idx.Rows())
	}
	return nil
}

// writeSummary stamps the summary, writes report.html (when the front end renders one) and
// summary.json.
func writeSummary(j *job, folder *runfolder.Folder, sum *Summary) error {
	sum.FinishedAt = j.now()
	return saveSummary(j, folder, sum)
}

// saveSummary writes report.html and summary.json as sum is (after verify or undo, the
// import's own times are kept). Without a renderer the folder gets no report and the summary
// does not list one.
func saveSummary(j *job, folder *runfolder.Folder, sum *Summary) error {
	if err := writeReport(j, folder, sum); err != nil {
		return err
	}
	if err := folder.WriteJSON(runfolder.SummaryFile, sum); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// writeReport renders report.html through the front end's Render into the folder,
// replacing an earlier one atomically.
func writeReport(j *job, folder *runfolder.Folder, sum *Summary) error {
	if j.front.Render == nil {
		kept := sum.Files[:0]
		for _, f := range sum.Files {
			if f.Name != runfolder.ReportFile {
				kept = append(kept, f)
			}
		}
		sum.Files = kept
		return nil
	}
	var buf bytes.Buffer
	if err := j.front.Render(&buf, sum); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return folder.WriteFile(runfolder.ReportFile, buf.Bytes())
}
