package backfill

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Clean is the offline diff of the export against a CSV of records that already exist. It
// writes the run folder (summary.json, ledger.csv, to_import.csv with the export's own
// header, skipped.csv, rejects.csv, report.html, run.log) and returns the summary. A file
// that cannot be used returns an error and leaves no run folder behind. Too many rejected
// rows are the summary's Status, [StatusTooManyRejected].
func Clean(ctx context.Context, opts CleanOptions) (*Summary, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	j := newJob(opts.Front)
	defer j.close()
	started := j.now()
	if _, err := readHeader(&opts.Export); err != nil {
		return nil, err
	}

	// First the export, then the existing records, keeping only those whose key is a
	// candidate of the export: memory grows with the rows to load, not with the org.
	t0 := time.Now()
	idx, err := scanExport(ctx, j, &opts.Export, scanSpec{fold: !opts.CaseSensitiveKeys})
	if err != nil {
		return nil, err
	}
	j.log.Debug("first pass done", zap.Duration("took", time.Since(t0)))
	t1 := time.Now()
	keys, info, err := readExisting(ctx, &opts, idx)
	if err != nil {
		return nil, err
	}
	j.log.Debug("existing keys read", zap.Duration("took", time.Since(t1)))
	j.log.Info("export scanned", zap.String("file", opts.Export.File), zap.Int("rows", idx.Rows()),
		zap.String("key_column", idx.Header.KeyName()), zap.Strings("date_columns", idx.Header.DateNames()),
		zap.Int("candidates", idx.NumCandidates()))
	j.log.Info("existing keys read", zap.String("file", opts.Existing), zap.Int("rows", info.Rows),
		zap.Int("matching", info.Keys), zap.Int("skipped", info.Skipped))
	for _, p := range info.Problems {
		j.log.Warn("existing row skipped", zap.String("problem", p.Error()))
	}

	folder, err := createFolder(j, opts.Out, CmdClean, started)
	if err != nil {
		return nil, err
	}
	sum, err := cleanInto(ctx, j, &opts, idx, keys, folder)
	if err != nil {
		folder.Remove()
		return nil, err
	}
	sum.StartedAt = started
	sum.Existing = &ExistingInfo{File: opts.Existing, KeyColumn: info.Header.KeyName(), IDColumn: info.IDName,
		Rows: info.Rows, Matching: info.Keys, Skipped: info.Skipped}
	if err := writeSummary(j, folder, sum); err != nil {
		folder.Remove()
		return nil, err
	}
	if err := folder.Commit(); err != nil {
		folder.Remove()
		return nil, err
	}
	folder.Unlock()
	return sum, nil
}

// validate checks the options of Clean before any work.
func (o *CleanOptions) validate() error {
	if err := o.Export.validate(); err != nil {
		return err
	}
	if o.Existing == "" {
		return optionErr(OptExisting, "", ErrRequired)
	}
	if err := readableFile(OptExisting, o.Existing); err != nil {
		return err
	}
	return validateOut(&o.Out)
}

func cleanInto(ctx context.Context, j *job, opts *CleanOptions, idx *csvdiff.Index, set *csvdiff.KeySet, folder *runfolder.Folder) (*Summary, error) {
	if err := j.attach(folder); err != nil {
		return nil, err
	}
	out, err := newOutputs(folder, idx, exportLayout{}, opts.Export.SkippedBeforeCutoff)
	if err != nil {
		return nil, err
	}
	err = emit(ctx, j, opts.Export.File, idx, csvdiff.SetMatcher{Set: set}, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	sum := newSummary(string(CmdClean), &idx.Header, &opts.Export, out.counts, time.Time{})
	sum.Keys = keysWord(!opts.CaseSensitiveKeys)
	sum.RunFolder = folder.Name()
	sum.Files = append(out.Files(), files(runfolder.ReportFile, runfolder.RunLogFile)...)
	sum.ByDay = out.stats.Days()
	sum.Reasons = out.stats.Reasons()
	sum.DateLayouts, sum.Warnings = dateLayouts(j.words(), idx)
	sum.Warnings = append(append(sum.Warnings, rejectedWarnings(j.words(), sum)...), cutoffWarning(j, opts.Export.Since)...)
	sum.decide(false)
	return sum, nil
}
