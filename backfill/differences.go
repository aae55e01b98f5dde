package backfill

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Values of stale and to-update rows: the existence check keeps only hashes of what
// Salesforce holds, enough to tell exists from stale. For the rows that differ the plan
// also shows the values: it keeps each such row's differing fields (the export's values,
// as uploaded), reads those records once more after the second pass (with the
// before-image of the rows to update, one lookup), and writes differences.csv, one line per
// differing field, with both values and which Updated At is later; the summary carries
// counts and a sample. Memory grows with the stale rows' differing fields, as the
// before-image's keys do.

// Which side's Updated At is later, in differences.csv and the summary.
const (
	LaterSalesforce = "salesforce" // Salesforce holds a newer version
	LaterExport     = "export"
	LaterSame       = "same"
)

// Differences is what the stale and to-update rows hold that Salesforce does not.
type Differences struct {
	Rows int `json:"rows"`
	// UpdatedField is the field the export's Updated At loads ("" when none: then which
	// version is newer is not known).
	UpdatedField string `json:"updated_field,omitempty"`
	// SalesforceNewer counts the rows whose record's Updated At is later than the export's:
	// with the update-stale option they stay stale and are not sent.
	SalesforceNewer int          `json:"salesforce_newer"`
	Fields          []FieldCount `json:"fields"` // rows per differing field, most first
	Groups          []DiffGroup  `json:"groups"` // by outcome and later side, each with the first rows
}

// FieldCount is how many rows differ in one field.
type FieldCount struct {
	Field string `json:"field"`
	Rows  int    `json:"rows"`
}

// DiffGroup is the rows of one outcome (stale, to_update) whose later Updated At is on the
// same side, with the first few.
type DiffGroup struct {
	Outcome string       `json:"outcome"`
	Later   string       `json:"later,omitempty"`
	Count   int          `json:"count"`
	Samples []DiffSample `json:"samples"`
}

// DiffSample is one row that differs, with each differing field's two values.
type DiffSample struct {
	Line                int          `json:"line"`
	Key                 string       `json:"key"`
	ID                  string       `json:"id"`
	SalesforceUpdatedAt string       `json:"salesforce_updated_at,omitempty"`
	ExportUpdatedAt     string       `json:"export_updated_at,omitempty"`
	Values              []FieldValue `json:"values"`
}

// FieldValue is a field's value in Salesforce and in the export (Bulk forms).
type FieldValue struct {
	Field      string `json:"field"`
	Salesforce string `json:"salesforce"`
	Export     string `json:"export"`
}

// maxDiffSamples is how many rows of each group the summary shows.
const maxDiffSamples = 5

// diffRow is one stale or to-update row as the second pass saw it.
type diffRow struct {
	line        int
	key, id     string
	outcome     runfolder.Outcome
	fields      []int    // indexes into existingSet.compared
	export      []string // the export's values of those fields, as uploaded
	sfAt, exAt  time.Time
	later       string
	salesforces []string // Salesforce's values of fields, once read
}

// diffRows collects the rows that differ.
type diffRows struct {
	rows []diffRow
	fold bool
}

// laterOf says which Updated At is later ("" when either is unknown).
func laterOf(sf, ex time.Time) string {
	switch {
	case sf.IsZero() || ex.IsZero():
		return ""
	case sf.After(ex):
		return LaterSalesforce
	case ex.After(sf):
		return LaterExport
	}
	return LaterSame
}

// parseBulkTime reads a date or datetime in Bulk form (zero when it is not one).
func parseBulkTime(v string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// updatedColumn is the index in t.Columns of the column loading the export's Updated At
// column (h.Updated) into a date or datetime field, or -1.
func (t *Target) updatedColumn(h *csvdiff.Header) int {
	for i, c := range t.Columns {
		if h.Updated >= 0 && c.Index == h.Updated && (c.Field.Type == "datetime" || c.Field.Type == "date") {
			return i
		}
	}
	return -1
}

// keepUpdated makes the set keep each record's value of compared field col (its Updated At)
// as an instant, after the hashes.
func (ex *existingSet) keepUpdated(col int) {
	ex.updated = -1
	for i, c := range ex.compared {
		if c.col == col {
			ex.updated = i
		}
	}
}

// updatedAt is the record's Updated At, from the bytes lookup returned (zero when unknown).
func (ex *existingSet) updatedAt(hashes []byte) time.Time {
	off := 4 * len(ex.compared)
	if ex.updated < 0 || len(hashes) < off+8 {
		return time.Time{}
	}
	ns := int64(binary.LittleEndian.Uint64(hashes[off:]))
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// appendUpdated appends the record's Updated At (v, canonical) as 8 bytes, 0 for none.
func appendUpdated(b []byte, v string) []byte {
	var ns int64
	if t := parseBulkTime(v); !t.IsZero() {
		ns = t.UnixNano()
	}
	return binary.LittleEndian.AppendUint64(b, uint64(ns))
}

// staleKeys are the keys of the rows that differ but are not updated (the rows to update
// are read with the before-image).
func (d *diffRows) staleKeys() *sliceKeys {
	k := &sliceKeys{fold: d.fold}
	for _, r := range d.rows {
		if r.outcome != runfolder.ToUpdate {
			k.keys = append(k.keys, r.key)
		}
	}
	return k
}

// see takes a before-image row (key, Id, the plan's fields but the external id) read from
// Salesforce and fills in the values of the rows of that key.
func (d *diffRows) see(info *runfolder.Plan, ex *existingSet) func(rec []string) {
	byField := map[string]int{}
	for i, f := range beforeHeader(info) {
		byField[f] = i
	}
	index := map[string][]int{}
	for i, r := range d.rows {
		k := foldKey(r.key, d.fold)
		index[k] = append(index[k], i)
	}
	return func(rec []string) {
		for _, i := range index[foldKey(rec[0], d.fold)] {
			r := &d.rows[i]
			r.salesforces = make([]string, len(r.fields))
			for j, f := range r.fields {
				if k, ok := byField[ex.compared[f].field]; ok {
					r.salesforces[j] = rec[k]
				}
			}
		}
	}
}

// write writes differences.csv and returns the summary's part.
func (d *diffRows) write(folder *runfolder.Folder, ex *existingSet) (*Differences, error) {
	out, err := folder.Begin(runfolder.DifferencesFile)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	w := out.CSV(true)
	if err := w.WriteStrings("line", "key", "id", "outcome", "field", "salesforce", "export", "salesforce_updated_at", "export_updated_at", "later"); err != nil {
		return nil, err
	}
	sum := &Differences{Rows: len(d.rows)}
	if ex.updated >= 0 {
		sum.UpdatedField = ex.compared[ex.updated].field
	}
	fields := map[string]int{}
	groups := map[string]*DiffGroup{}
	var order []string
	for _, r := range d.rows {
		if r.later == LaterSalesforce {
			sum.SalesforceNewer++
		}
		s := DiffSample{Line: r.line, Key: r.key, ID: r.id, SalesforceUpdatedAt: fmtInstant(r.sfAt), ExportUpdatedAt: fmtInstant(r.exAt)}
		for j, f := range r.fields {
			v := FieldValue{Field: ex.compared[f].field, Export: r.export[j]}
			if j < len(r.salesforces) {
				v.Salesforce = r.salesforces[j]
			}
			fields[v.Field]++
			s.Values = append(s.Values, v)
			if err := w.WriteStrings(strconv.Itoa(r.line), r.key, r.id, r.outcome.String(), v.Field, v.Salesforce, v.Export,
				s.SalesforceUpdatedAt, s.ExportUpdatedAt, r.later); err != nil {
				return nil, err
			}
		}
		gk := r.outcome.String() + "\x00" + r.later
		g := groups[gk]
		if g == nil {
			g = &DiffGroup{Outcome: r.outcome.String(), Later: r.later}
			groups[gk] = g
			order = append(order, gk)
		}
		g.Count++
		if len(g.Samples) < maxDiffSamples {
			g.Samples = append(g.Samples, s)
		}
	}
	for _, gk := range order {
		sum.Groups = append(sum.Groups, *groups[gk])
	}
	for _, c := range ex.compared {
		if n := fields[c.field]; n > 0 {
			sum.Fields = append(sum.Fields, FieldCount{Field: c.field, Rows: n})
		}
	}
	sortFieldCounts(sum.Fields)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return sum, out.Commit()
}

func sortFieldCounts(fs []FieldCount) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Rows > fs[j-1].Rows; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func fmtInstant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// readDifferences writes the plan's before.csv (the rows to update) and differences.csv
// (every row that differs) from one read of their records, and returns the summary's part.
func readDifferences(ctx context.Context, sf Salesforce, j *job, folder *runfolder.Folder, info *runfolder.Plan, rows *planRows) (*Differences, error) {
	see := rows.diff.see(info, rows.ex)
	if _, err := writeBefore(ctx, sf, j, folder, info, rows.updates, runfolder.BeforeFile, see); err != nil {
		return nil, err
	}
	if stale := rows.diff.staleKeys(); stale.Len() > 0 {
		err := readBeforeImage(ctx, sf, j, info, stale, func(rec []string) error { see(rec); return nil })
		if err != nil {
			return nil, fmt.Errorf("read the values of the stale records: %w", err)
		}
	}
	return rows.diff.write(folder, rows.ex)
}
