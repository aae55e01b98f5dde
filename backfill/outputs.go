package backfill

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// importLayout decides the header and rows of to_import.csv.
type importLayout interface {
	header(h *csvdiff.Header) []string
	write(w *csvdiff.Writer, h *csvdiff.Header, r *csvdiff.Row) error
	// finish writes what the layout still holds, after the last row.
	finish(w *csvdiff.Writer) error
}

// exportLayout keeps the export's own header and every value byte for byte: what `clean`
// hands to Data Loader.
type exportLayout struct{}

func (exportLayout) header(h *csvdiff.Header) []string { return h.Names }

func (exportLayout) finish(*csvdiff.Writer) error { return nil }

func (exportLayout) write(w *csvdiff.Writer, h *csvdiff.Header, r *csvdiff.Row) error {
	if h.RawIsCanonical() {
		return w.WriteRaw(r.Raw)
	}
	return w.Write(r.Fields())
}

// outputs is the csvdiff.Sink that writes a run folder's row files: ledger.csv (every row),
// to_import.csv (rows to load), skipped.csv (rows left out on purpose) and rejects.csv (rows
// that cannot be used).
type outputs struct {
	h                          *csvdiff.Header
	layout                     importLayout
	files                      []*os.File
	ledger                     *runfolder.LedgerWriter
	toImport, skipped, rejects *csvdiff.Writer
	n                          struct{ toImport, skipped, rejects int }
	beforeCutoff               bool // also write before_cutoff rows to skipped.csv
	stats                      *Stats
	counts                     runfolder.Counts
}

func newOutputs(folder *runfolder.Folder, idx *csvdiff.Index, layout importLayout, beforeCutoff bool) (*outputs, error) {
	h := &idx.Header
	o := &outputs{h: h, layout: layout, beforeCutoff: beforeCutoff, stats: newStats(idx)}
	create := func(name string) (*os.File, error) {
		f, err := folder.Create(name)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		o.files = append(o.files, f)
		return f, nil
	}
	open := func(name string, neutralize bool, header ...string) (*csvdiff.Writer, error) {
		f, err := create(name)
		if err != nil {
			return nil, err
		}
		w := csvdiff.NewWriter(f, neutralize)
		return w, w.WriteStrings(header...)
	}
	f, err := create(runfolder.LedgerFile)
	if err != nil {
		return nil, o.closeAll(err)
	}
	if o.ledger, err = runfolder.NewLedgerWriter(f); err != nil {
		return nil, o.closeAll(err)
	}
	if o.toImport, err = open(runfolder.ToImportFile, false, layout.header(h)...); err != nil {
		return nil, o.closeAll(err)
	}
	if o.skipped, err = open(runfolder.SkippedFile, true, append(append([]string{}, h.Names...), "line", "reason")...); err != nil {
		return nil, o.closeAll(err)
	}
	if o.rejects, err = open(runfolder.RejectsFile, true, append(append([]string{}, h.Names...), "line", "reason", "raw")...); err != nil {
		return nil, o.closeAll(err)
	}
	return o, nil
}

func (o *outputs) closeAll(err error) error {
	for _, f := range o.files {
		f.Close()
	}
	return err
}

// Row implements csvdiff.Sink.
func (o *outputs) Row(r *csvdiff.Row) error {
	out := runfolder.FromDiff(r.Outcome)
	if err := o.ledger.Write(r.Line, r.Key, out, r.Detail); err != nil {
		return err
	}
	o.counts.Add(out)
	o.stats.observe(r)
	switch r.Outcome {
	case csvdiff.ToInsert, csvdiff.ToUpdate:
		o.n.toImport++
		return o.layout.write(o.toImport, o.h, r)
	case csvdiff.Rejected:
		o.n.rejects++
		line := strconv.Itoa(r.Line)
		if len(r.Fields()) == len(o.h.Names) {
			return o.rejects.Write(r.Fields(), line, r.Detail, "")
		}
		return o.rejects.Write(make([][]byte, len(o.h.Names)), line, r.Detail, string(r.Raw))
	case csvdiff.BeforeCutoff:
		if !o.beforeCutoff {
			return nil
		}
	}
	o.n.skipped++
	reason := r.Outcome.String()
	if r.Detail != "" {
		reason += ": " + r.Detail
	}
	return o.skipped.Write(r.Fields(), strconv.Itoa(r.Line), reason)
}

// Close flushes and closes every file.
func (o *outputs) Close() error {
	var errs []error
	if o.toImport != nil {
		errs = append(errs, o.layout.finish(o.toImport))
	}
	if o.ledger != nil {
		errs = append(errs, o.ledger.Flush())
	}
	for _, w := range []*csvdiff.Writer{o.toImport, o.skipped, o.rejects} {
		if w != nil {
			errs = append(errs, w.Flush())
		}
	}
	for _, f := range o.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Files lists the files written, for the summary.
func (o *outputs) Files() []RunFile {
	skipped := Plural(o.n.skipped, "row") + " left out after the cutoff (duplicates, already present)"
	if o.beforeCutoff {
		skipped = Plural(o.n.skipped, "row") + " left out (before the cutoff, duplicates, already present)"
	}
	return []RunFile{
		{runfolder.SummaryFile, runfolder.Describe(runfolder.SummaryFile)},
		{runfolder.LedgerFile, runfolder.Describe(runfolder.LedgerFile)},
		{runfolder.ToImportFile, Plural(o.n.toImport, "row") + " to load"},
		{runfolder.SkippedFile, skipped},
		{runfolder.RejectsFile, Plural(o.n.rejects, "row") + " that cannot be used, with the reason"},
	}
}
