package backfill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Clean runs `backfill clean`: the offline diff of the export against a CSV of records that
// already exist. It writes the run folder (summary.json, ledger.csv, to_import.csv with the
// export's own header, skipped.csv, rejects.csv, report.html, run.log) and returns the
// summary. A file that cannot be used returns an [ExitError] with [ExitUsage] and leaves no
// run folder behind.
func Clean(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.validateClean(); err != nil {
		return nil, err
	}
	rl := withRunLog(&cfg)
	defer rl.close()
	log := cfg.logger()
	started := cfg.now()
	if _, err := readHeader(&cfg); err != nil {
		return nil, err
	}

	// First the export, then the existing records, keeping only those whose key is a
	// candidate of the export: memory grows with the rows to load, not with the org.
	t0 := time.Now()
	idx, err := scanExport(ctx, &cfg, scanSpec{fold: !cfg.CaseSensitiveKeys})
	if err != nil {
		return nil, err
	}
	log.Debug("first pass done", zap.Duration("took", time.Since(t0)))
	t1 := time.Now()
	keys, info, err := readExisting(ctx, &cfg, idx)
	if err != nil {
		return nil, err
	}
	log.Debug("existing keys read", zap.Duration("took", time.Since(t1)))
	log.Info("export scanned", zap.String("file", cfg.Export), zap.Int("rows", idx.Rows()),
		zap.String("key_column", idx.Header.KeyName()), zap.Strings("date_columns", idx.Header.DateNames()),
		zap.Int("candidates", idx.NumCandidates()))
	log.Info("existing keys read", zap.String("file", cfg.Existing), zap.Int("rows", info.Rows),
		zap.Int("matching", info.Keys), zap.Int("skipped", info.Skipped))
	for _, p := range info.Problems {
		log.Warn("existing row skipped", zap.String("problem", p.Error()))
	}

	folder, err := createFolder(cfg.Out, "clean", started)
	if err != nil {
		return nil, err
	}
	sum, err := cleanInto(ctx, &cfg, idx, keys, folder, rl)
	if err != nil {
		folder.Remove()
		return nil, err
	}
	sum.StartedAt = started
	sum.Existing = &ExistingInfo{File: cfg.Existing, KeyColumn: info.Header.KeyName(), IDColumn: info.IDName,
		Rows: info.Rows, Matching: info.Keys, Skipped: info.Skipped}
	if err := finishSummary(&cfg, folder, sum); err != nil {
		folder.Remove()
		return nil, err
	}
	if err := folder.Commit(); err != nil {
		folder.Remove()
		return nil, err
	}
	folder.Unlock()
	return sum, checkRejected(&cfg, sum, ExitRowsFailed, "the run folder was written; review it before loading to_import.csv")
}

// validateClean checks the configuration of `backfill clean` before any work.
func (c *Config) validateClean() error {
	if err := c.validateExport(); err != nil {
		return err
	}
	if c.Existing == "" {
		return UsageError("pass a CSV of the Enrollment records already in Salesforce (a report or Data Loader export) with --existing FILE", "--existing is required")
	}
	if err := readableFile("--existing", c.Existing); err != nil {
		return err
	}
	return validateOut(c.Out)
}

func cleanInto(ctx context.Context, cfg *Config, idx *csvdiff.Index, set *csvdiff.KeySet, folder *runfolder.Folder, rl *runLog) (*Summary, error) {
	if err := rl.attach(folder); err != nil {
		return nil, err
	}
	out, err := newOutputs(folder, idx, exportLayout{}, cfg.SkippedBeforeCutoff)
	if err != nil {
		return nil, err
	}
	err = emit(ctx, cfg, idx, csvdiff.SetMatcher{Set: set}, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	sum := newSummary("clean", &idx.Header, cfg, out.counts, time.Time{})
	sum.Keys = keysWord(!cfg.CaseSensitiveKeys)
	sum.RunFolder = folder.Name()
	sum.Files = append(out.Files(), files(runfolder.ReportFile, runfolder.RunLogFile)...)
	sum.ByDay = out.stats.Days()
	sum.Reasons = out.stats.Reasons()
	sum.DateLayouts, sum.Warnings = dateLayouts(idx)
	sum.Warnings = append(append(sum.Warnings, rejectedWarnings(sum)...), cutoffWarning(cfg)...)
	return sum, nil
}

// emit runs the second pass over the export into out, checking every row is accounted for.
func emit(ctx context.Context, cfg *Config, idx *csvdiff.Index, m csvdiff.Matcher, out *outputs) error {
	f, err := os.Open(cfg.Export)
	if err != nil {
		return inputError(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	meter := cfg.progress().Start("write the run folder", st.Size(), "bytes")
	defer meter.Done()
	counts, err := idx.Emit(ctx, &meteredReader{r: f, m: meter}, m, out)
	if err != nil {
		return err
	}
	if counts.Total() != idx.Rows() || out.counts.Total() != idx.Rows() {
		return fmt.Errorf("internal error: %d rows emitted, %d scanned", counts.Total(), idx.Rows())
	}
	return nil
}

// createFolder creates the run folder (under its .partial name, locked for command),
// mapping an existing one, or a .partial one another command is building, to a usage error.
func createFolder(out, command string, now time.Time) (*runfolder.Folder, error) {
	f, err := runfolder.Create(out, command, now)
	switch {
	case isExists(err):
		return nil, UsageError("choose a new --out folder (or leave --out out for a fresh timestamped one); a run folder is never overwritten",
			"run folder %s already exists", out)
	case errors.Is(err, runfolder.ErrInUse):
		return nil, inUse(err)
	case err != nil:
		return nil, err
	}
	return f, nil
}

// inUse maps a run folder's lock held by another command to exit 2.
func inUse(err error) error {
	return &ExitError{Code: ExitUsage, Err: err, Hint: "wait for that command to end (or stop it); two commands never write one run folder"}
}

// finishSummary stamps the summary, writes summary.json and, when a renderer is hooked in,
// report.html.
func finishSummary(cfg *Config, folder *runfolder.Folder, sum *Summary) error {
	sum.FinishedAt = cfg.now()
	if err := writeReport(cfg, folder, sum); err != nil {
		return err
	}
	if err := folder.WriteJSON(runfolder.SummaryFile, sum); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func isExists(err error) bool { return errors.Is(err, runfolder.ErrExists) }

// writeReport renders report.html through the Render hook into the folder (replacing an
// earlier one atomically). Without a renderer the folder gets no report and the summary
// does not list one.
func writeReport(cfg *Config, folder *runfolder.Folder, sum *Summary) error {
	if cfg.Hooks.Render == nil {
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
	if err := cfg.Hooks.Render(&buf, sum); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return folder.WriteFile(runfolder.ReportFile, buf.Bytes())
}
