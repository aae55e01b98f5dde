package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Clean runs `backfill clean`: the offline diff of the export against a CSV of records that
// already exist. It writes the run folder (summary.json, ledger.csv, to_import.csv with the
// export's own header, skipped.csv, rejects.csv), prints the summary to stdout and returns
// it. A file that cannot be used returns an [ExitError] with [ExitUsage] and leaves no run
// folder behind.
func Clean(ctx context.Context, cfg Config, stdout io.Writer) (*Summary, error) {
	if err := cfg.ValidateClean(); err != nil {
		return nil, err
	}
	rl := withRunLog(&cfg)
	defer rl.close()
	log := cfg.logger()
	started := cfg.now()

	// First the export, then the existing records, keeping only those whose key is a
	// candidate of the export: memory grows with the rows to load, not with the org.
	t0 := time.Now()
	idx, err := scanExport(ctx, &cfg)
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

	folder, err := createRunFolder(cfg.Out, started)
	if err != nil {
		return nil, err
	}
	if err := rl.attach(folder); err != nil {
		folder.Remove()
		return nil, err
	}
	t2 := time.Now()
	sum, err := cleanInto(ctx, &cfg, idx, keys, folder)
	log.Debug("second pass done", zap.Duration("took", time.Since(t2)))
	if err != nil {
		folder.Remove()
		return nil, err
	}
	sum.StartedAt = started
	sum.Existing = &ExistingInfo{File: cfg.Existing, KeyColumn: info.Header.KeyName(), IDColumn: info.IDName,
		Rows: info.Rows, Matching: info.Keys, Skipped: info.Skipped}
	sum.FinishedAt = cfg.now()
	sum.Files = append(sum.Files, reportFileLine, runLogName+"         the run's log (JSON lines)")
	if err := WriteReport(folder, sum); err != nil {
		folder.Remove()
		return nil, err
	}
	if err := folder.writeJSON("summary.json", sum); err != nil {
		folder.Remove()
		return nil, fmt.Errorf("write summary: %w", err)
	}
	return sum, PrintSummary(stdout, sum, cfg.Format)
}

func cleanInto(ctx context.Context, cfg *Config, idx *csvdiff.Index, set *csvdiff.KeySet, folder *RunFolder) (*Summary, error) {
	f, err := os.Open(cfg.Export)
	if err != nil {
		return nil, inputError(err)
	}
	defer f.Close()
	out, err := newOutputs(folder, idx, exportLayout{}, cfg.SkippedBeforeCutoff)
	if err != nil {
		return nil, err
	}
	counts, err := idx.Emit(ctx, f, csvdiff.SetMatcher{Set: set}, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if counts.Total() != idx.Rows() {
		return nil, fmt.Errorf("internal error: %d rows emitted, %d scanned", counts.Total(), idx.Rows())
	}
	sum := newSummary("clean", &idx.Header, cfg, counts, time.Time{})
	sum.RunFolder = folder.Dir
	sum.Files = out.Files()
	sum.ByDay = out.stats.Days()
	sum.Reasons = out.stats.Reasons()
	return sum, nil
}

// readExisting reads cfg.Existing, keeping the keys that are candidates of idx.
func readExisting(ctx context.Context, cfg *Config, idx *csvdiff.Index) (*csvdiff.KeySet, csvdiff.KeysInfo, error) {
	f, err := os.Open(cfg.Existing)
	if err != nil {
		return nil, csvdiff.KeysInfo{}, inputError(err)
	}
	defer f.Close()
	set, info, err := csvdiff.ReadKeys(ctx, f, csvdiff.KeysOptions{File: cfg.Existing,
		KeyColumn: cfg.ExistingKeyColumn, IDColumn: cfg.ExistingIDColumn, Encoding: cfg.Encoding,
		SizeHint: idx.NumCandidates(), Keep: idx.IsCandidate})
	if err != nil {
		return nil, info, fileErr(err)
	}
	return set, info, nil
}

// scanExport runs the first pass over cfg.Export.
func scanExport(ctx context.Context, cfg *Config) (*csvdiff.Index, error) {
	f, err := os.Open(cfg.Export)
	if err != nil {
		return nil, inputError(err)
	}
	defer f.Close()
	idx, err := csvdiff.Scan(ctx, f, csvdiff.Options{File: cfg.Export, KeyColumn: cfg.KeyColumn,
		DateColumns: cfg.DateColumns, UpdatedColumn: cfg.UpdatedColumn, Since: cfg.Since,
		DateFormat: cfg.DateFormat, Encoding: cfg.Encoding})
	if err != nil {
		return nil, fileErr(err)
	}
	return idx, nil
}

// inputError turns a failure to open an input file into a usage error (exit 2).
func inputError(err error) error {
	return &ExitError{Code: ExitUsage, Err: err, Hint: "check the path of the file"}
}

// fileErr maps csvdiff's unusable-file errors to exit code 2 with their hint.
func fileErr(err error) error {
	var fe *csvdiff.FileError
	if errors.As(err, &fe) {
		return &ExitError{Code: ExitUsage, Err: err, Hint: fe.Hint}
	}
	return err
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }
