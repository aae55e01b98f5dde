package backfill

import (
	"errors"
	"fmt"
	"os"

	"github.com/northpass-tools/backfill/csvdiff"
)

// importLayout decides the header and rows of to_import.csv.
type importLayout interface {
	header(h *csvdiff.Header) []string
	write(w *csvdiff.Writer, h *csvdiff.Header, r *csvdiff.Row) error
}

// exportLayout keeps the export's own header and every value byte for byte: what `clean`
// hands to Data Loader.
type exportLayout struct{}

func (exportLayout) header(h *csvdiff.Header) []string { return h.Names }

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
	h                                  *csvdiff.Header
	layout                             importLayout
	files                              []*os.File
	ledger, toImport, skipped, rejects *csvdiff.Writer
	n                                  struct{ toImport, skipped, rejects int }
	beforeCutoff                       bool // also write before_cutoff rows to skipped.csv
	stats                              *Stats
}

func newOutputs(folder *RunFolder, idx *csvdiff.Index, layout importLayout, beforeCutoff bool) (*outputs, error) {
	h := &idx.Header
	o := &outputs{h: h, layout: layout, beforeCutoff: beforeCutoff, stats: newStats(idx)}
	open := func(name string, neutralize bool, header ...string) (*csvdiff.Writer, error) {
		f, err := folder.Create(name)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		o.files = append(o.files, f)
		w := csvdiff.NewWriter(f, neutralize)
		return w, w.WriteStrings(header...)
	}
	var err error
	if o.ledger, err = open("ledger.csv", true, "line", "key", "outcome", "detail"); err != nil {
		return nil, o.closeAll(err)
	}
	if o.toImport, err = open("to_import.csv", false, layout.header(h)...); err != nil {
		return nil, o.closeAll(err)
	}
	if o.skipped, err = open("skipped.csv", true, append(append([]string{}, h.Names...), "line", "reason")...); err != nil {
		return nil, o.closeAll(err)
	}
	if o.rejects, err = open("rejects.csv", true, append(append([]string{}, h.Names...), "line", "reason", "raw")...); err != nil {
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
	if err := o.ledger.WriteLedger(r.Line, r.Key, r.Outcome, r.Detail); err != nil {
		return err
	}
	o.stats.observe(r)
	line := ""
	switch r.Outcome {
	case csvdiff.ToInsert, csvdiff.ToUpdate:
	case csvdiff.BeforeCutoff:
		if !o.beforeCutoff {
			return nil
		}
		line = itoa(r.Line)
	default:
		line = itoa(r.Line)
	}
	switch r.Outcome {
	case csvdiff.ToInsert, csvdiff.ToUpdate:
		o.n.toImport++
		return o.layout.write(o.toImport, o.h, r)
	case csvdiff.Rejected:
		o.n.rejects++
		if len(r.Fields()) == len(o.h.Names) {
			return o.rejects.Write(r.Fields(), line, r.Detail, "")
		}
		return o.rejects.Write(make([][]byte, len(o.h.Names)), line, r.Detail, string(r.Raw))
	case csvdiff.BeforeCutoff:
		if !o.beforeCutoff {
			return nil
		}
		fallthrough
	default:
		o.n.skipped++
		reason := r.Outcome.String()
		if r.Detail != "" {
			reason += ": " + r.Detail
		}
		return o.skipped.Write(r.Fields(), line, reason)
	}
}

// Close flushes and closes every file.
func (o *outputs) Close() error {
	var errs []error
	for _, w := range []*csvdiff.Writer{o.ledger, o.toImport, o.skipped, o.rejects} {
		errs = append(errs, w.Flush())
	}
	for _, f := range o.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Files lists the files written, for the summary.
func (o *outputs) Files() []string {
	return []string{
		"summary.json",
		"ledger.csv      one line per data row with its outcome",
		fmt.Sprintf("to_import.csv   %d rows to load", o.n.toImport),
		fmt.Sprintf("skipped.csv     %d rows left out after the cutoff (duplicates, already present)%s", o.n.skipped, map[bool]string{true: " and before it", false: ""}[o.beforeCutoff]),
		fmt.Sprintf("rejects.csv     %d rows that cannot be used, with the reason", o.n.rejects),
	}
}
