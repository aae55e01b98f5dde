package backfill

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// bulkNull is the Bulk API's value that empties a field in an update (an empty cell leaves it).
const bulkNull = "#N/A"

// When the fate of a part's rows is unknown (its job is gone: Salesforce deletes jobs 7 days
// after they end; or the journal was lost), resolve asks Salesforce which of the part's keys
// now hold exactly the planned values, records those as loaded (created when the record was
// created after the load started, updated otherwise) in a result file of their own, and
// leaves the rest open: the follow-up round loads them in a new job. The same existence
// question as plan's (one batched query or scan), the same canonical comparison.

func (l *loader) resolve(ctx context.Context, n int, why string) error {
	l.log.Warn("the part's fate is unknown; asking Salesforce which of its rows are loaded", zap.Int("part", n), zap.String("why", why))
	ps := l.st.Part(n)
	// The vanished job stays the part's until the resolved entry: a crash before it resolves
	// the part again, never sends it as if it had not been sent.
	info := l.plan
	since := l.loadStart().Truncate(time.Second) // CreatedDate has whole seconds at best
	created := map[string]bool{}
	ex, err := readRecords(ctx, l.sf, l.j, info, l.partKeys(n), []string{"CreatedDate"}, func(key string, r sfclient.Record) error {
		if t, ok := r.Time("CreatedDate"); ok && !t.Before(since) {
			created[foldKey(key, info.FoldKeys)] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up the rows of part %d: %w", n, err)
	}
	rows, fresh, err := l.writeResolved(n, ex, created)
	if err != nil {
		return err
	}
	l.log.Info("part resolved from the org's records", zap.Int("part", n), zap.Int("loaded", rows), zap.Int("created", fresh),
		zap.Int("still_to_load", l.partRows(n)-rows))
	ps.Resolved, ps.Done, ps.Saved, ps.State = true, true, true, runfolder.StateResolved
	counts := map[string]int64{"success": int64(rows), "created": int64(fresh), "updated": int64(rows - fresh)}
	ps.Counts = counts
	return l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvResolved, Part: n, Note: why, Sizes: counts})
}

// writeResolved writes, in the form of a success result file, the rows of part n whose
// record holds every planned (non-empty) value (for a delete: whose record is gone), and
// returns how many, and how many of those records were created since the load started.
func (l *loader) writeResolved(n int, ex *existingSet, created map[string]bool) (rows, fresh int, err error) {
	out, err := l.folder.Begin(runfolder.JobFile(l.resolvedName(n), runfolder.ResultKinds[0]))
	if err != nil {
		return 0, 0, err
	}
	w := csv.NewWriter(out)
	w.Write(runfolder.FinalHeader(runfolder.ResultKinds[0], l.plan.Fields))
	err = l.eachPartRow(n, func(key string, rec []string) error {
		id, hashes, ok := ex.lookup([]byte(key))
		switch {
		case l.op == opDelete && ok:
			return nil // still in the org: not deleted
		case l.op == opDelete:
			id = key
		case !ok:
			return nil
		}
		for i, c := range ex.compared {
			v := rec[c.col]
			if v == bulkNull {
				v = "" // an update that empties the field
			} else if v == "" {
				continue // an empty cell leaves the value as it was
			}
			if ex.differs(hashes, i, []byte(v)) {
				return nil // the record does not hold what the plan loads: not loaded by us
			}
		}
		rows++
		c := created[foldKey(key, l.plan.FoldKeys)]
		if c {
			fresh++
		}
		return w.Write(append([]string{id, strconv.FormatBool(c)}, rec...))
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		out.Abort()
		return 0, 0, err
	}
	return rows, fresh, out.Commit()
}

// planColumns are to_import.csv's columns with their field types (the plan's mapping,
// with the columns a .sdl sets as constants typed as text).
func planColumns(info *runfolder.Plan) []runfolder.Mapping {
	types := fieldTypes(info)
	out := make([]runfolder.Mapping, len(info.Fields))
	for i, f := range info.Fields {
		out[i] = runfolder.Mapping{Field: f, Type: types[f]}
	}
	return out
}

// loadStart is when the load began: records created since were created by it. Without a
// journal, when the plan was made.
func (l *loader) loadStart() time.Time {
	if !l.st.LoadStart.IsZero() {
		return l.st.LoadStart
	}
	return l.fallbackStart
}

func foldKey(k string, fold bool) string {
	if fold {
		return strings.ToLower(k)
	}
	return k
}
