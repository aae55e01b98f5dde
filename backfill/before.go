package backfill

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// The before-image: what a record held before an import overwrote it, so that `undo` can
// put it back. plan writes before.csv for the rows it plans to update (sealed with the
// plan); import --plan re-reads every planned record that exists just before loading
// (the re-check) and writes before-import.csv: what the load actually overwrites, records
// the live sync created since the plan included. Both are key, Id, then the plan's fields
// (the external id excepted) in Bulk API value forms; an empty cell is an empty field.

// beforeHeader is the header of a before-image file for the plan's fields.
func beforeHeader(info *runfolder.Plan) []string {
	h := []string{"key", "Id"}
	for _, f := range info.Fields {
		if f != info.ExternalIDField {
			h = append(h, f)
		}
	}
	return h
}

// writeBefore asks Salesforce for the records of keys and writes their values to name;
// seen, when set, gets each row too.
func writeBefore(ctx context.Context, sf Salesforce, j *job, folder *runfolder.Folder, info *runfolder.Plan, keys keySource, name string,
	seen func(rec []string)) (int, error) {
	out, err := folder.Begin(name)
	if err != nil {
		return 0, err
	}
	defer out.Abort()
	w := out.CSV(false)
	if err := w.WriteStrings(beforeHeader(info)...); err != nil {
		return 0, err
	}
	n := 0
	err = readBeforeImage(ctx, sf, j, info, keys, func(rec []string) error {
		if seen != nil {
			seen(rec)
		}
		n++
		return w.WriteStrings(rec...)
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return 0, fmt.Errorf("read the records' values before the load (%s): %w", name, err)
	}
	return n, out.Commit()
}

// readBeforeImage asks Salesforce for the records of keys and calls fn with each one's
// before-image row (beforeHeader's columns, Bulk value forms); rec is reused between calls.
func readBeforeImage(ctx context.Context, sf Salesforce, j *job, info *runfolder.Plan, keys keySource, fn func(rec []string) error) error {
	header := beforeHeader(info)
	types := fieldTypes(info)
	q := existenceQuery{Object: info.Object, ExtField: info.ExternalIDField, Fields: header[2:]}
	rec := make([]string, len(header))
	_, err := lookup(ctx, sf, j, q, keys, func(r sfclient.Record) error {
		rec[0], rec[1] = r.String(info.ExternalIDField), r.String("Id")
		for i, f := range header[2:] {
			v, _ := r.Get(f)
			rec[i+2] = sfCanonical(types[f], v)
		}
		return fn(rec)
	})
	return err
}

// fieldTypes maps the plan's fields to their types (the columns a .sdl sets as constants
// are text).
func fieldTypes(info *runfolder.Plan) map[string]string {
	types := map[string]string{}
	for _, m := range info.Mapping {
		types[m.Field] = m.Type
	}
	return types
}

// beforeImage is a before-image file read into memory: key -> Id and values. It holds only
// the records an import updated, which an undo restores.
type beforeImage struct {
	header []string
	rows   map[string][]string // folded or exact key -> row (key, Id, values)
	fold   bool
}

// readBefore reads the before-image an undo restores from (for the plan info's fields,
// each a column of it): before-import.csv when import
// --plan wrote it (sums, the journal's seals, must seal it: the journal refuses a changed
// or missing one before this), else the plan's before.csv (sealed by the plan). A
// before-import.csv the journal does not seal is refused. A missing file is an empty image.
func readBefore(folder *runfolder.Folder, info *runfolder.Plan, sums map[string]string) (*beforeImage, string, error) {
	fold := info.FoldKeys
	name := runfolder.BeforeImportFile
	_, sealed := sums[name]
	switch {
	case folder.Has(name) && !sealed:
		return nil, name, &runfolder.SealError{File: folder.Path(name), Of: runfolder.SealUnsealed,
			Why: "is not sealed: the journal holds no SHA-256 of it (the journal was lost, or an older backfill wrote it)"}
	case !sealed:
		name = runfolder.BeforeFile
	}
	b := &beforeImage{rows: map[string][]string{}, fold: fold}
	f, err := os.Open(folder.Path(name))
	if os.IsNotExist(err) {
		return b, name, nil
	}
	if err != nil {
		return nil, name, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	if b.header, err = cr.Read(); err != nil {
		return nil, name, fmt.Errorf("%s: %w", folder.Path(name), err)
	}
	for _, col := range beforeHeader(info) {
		if !slices.Contains(b.header, col) {
			return nil, name, &FolderError{Dir: folder.Dir, Want: CmdUndo, Err: ErrBeforeImageUnusable, File: folder.Path(name),
				Cause: fmt.Errorf("%s has no column %s, which the plan loads: undo cannot restore it from there", folder.Path(name), col)}
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return b, name, nil
		}
		if err != nil {
			return nil, name, fmt.Errorf("%s: %w", folder.Path(name), err)
		}
		b.rows[foldKey(rec[0], fold)] = rec
	}
}

// value is field's value in b, a row of the image ("" when the image has no such column).
func (b *beforeImage) value(row []string, field string) string {
	if i := slices.Index(b.header, field); i >= 0 && i < len(row) {
		return row[i]
	}
	return ""
}

// get returns the before-image of key, if recorded.
func (b *beforeImage) get(key string) ([]string, bool) {
	r, ok := b.rows[foldKey(key, b.fold)]
	return r, ok
}

// ledgerKeys are the keys of a ledger's rows with the given outcomes.
type ledgerKeys struct {
	folder   *runfolder.Folder
	name     string
	outcomes map[runfolder.Outcome]bool
	n        int
	fold     bool
	lazySet
}

func (k *ledgerKeys) Len() int { return k.n }

func (k *ledgerKeys) Each(fn func([]byte) bool) error {
	err := k.folder.ReadLedger(k.name, func(e runfolder.Entry) error {
		if k.outcomes[e.Outcome] && !fn([]byte(e.Key)) {
			return errStopEach
		}
		return nil
	})
	if err == errStopEach {
		return nil
	}
	return err
}

func (k *ledgerKeys) Has(key []byte) (bool, error) { return k.has(k.Each, k.n, k.fold, key) }
