package backfill

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Existence is asked in one place: which of a set of external ids does Salesforce hold, and
// with what values. The plan asks it of the export's candidate keys, import --plan asks it
// again of the planned keys just before loading.

// queryPageSize is the REST query batch size (Salesforce's default and maximum).
const queryPageSize = 2000

// keyChunk bounds how many keys are held as strings at once while building IN queries.
const keyChunk = 20000

// keySource is a set of external ids to ask about.
type keySource interface {
	// Len is the number of keys.
	Len() int
	// Each calls fn with every key until fn returns false; key is valid during the call.
	Each(fn func(key []byte) bool) error
	// Has reports whether key is one of them.
	Has(key []byte) (bool, error)
}

// eachChunk calls fn with the keys of ks, keyChunk at a time: the one key iterator.
func eachChunk(ks keySource, fn func(keys []string) error) error {
	keys := make([]string, 0, min(keyChunk, ks.Len()))
	var ferr error
	err := ks.Each(func(k []byte) bool {
		keys = append(keys, string(k))
		if len(keys) == keyChunk {
			ferr = fn(keys)
			keys = keys[:0]
		}
		return ferr == nil
	})
	if err == nil {
		err = ferr
	}
	if err == nil && len(keys) > 0 {
		err = fn(keys)
	}
	return err
}

// existenceQuery says what to read of the records found.
type existenceQuery struct {
	Object   string
	ExtField string
	Fields   []string // read besides Id and the external id
}

// selectClause selects Id, the external id and the fields, each once (compared
// case-insensitively, as SOQL names are): Salesforce refuses a query that selects a field
// twice, as a load keyed on Id (an undo's) or a field also read for its own sake would.
func (q existenceQuery) selectClause() string {
	var fields []string
	seen := map[string]bool{}
	for _, f := range append([]string{"Id", q.ExtField}, q.Fields...) {
		if lf := strings.ToLower(f); !seen[lf] {
			seen[lf] = true
			fields = append(fields, f)
		}
	}
	return "SELECT " + strings.Join(fields, ", ") + " FROM " + q.Object
}

// scanEvery is how many records a scan reads between two progress events.
const scanEvery = 500

// existenceMode is how existence was checked.
type existenceMode struct {
	Scan      bool // one scan of the object instead of IN queries
	Calls     int  // the calls the chosen way costs (pages)
	Records   int  // records in the object (COUNT())
	Candidate int  // keys asked about
}

// lookup asks Salesforce which keys of ks exist and calls fn with each matching record (its
// Id, external id and q.Fields). It uses batched IN queries on the external id, or one scan
// of the object when that costs fewer API calls, and reports which.
func lookup(ctx context.Context, sf Salesforce, j *job, q existenceQuery, ks keySource, fn func(sfclient.Record) error) (existenceMode, error) {
	mode := existenceMode{Candidate: ks.Len()}
	if ks.Len() == 0 {
		return mode, nil
	}
	sel := q.selectClause()
	prefix := sel + " WHERE " + q.ExtField + " IN "
	chunks := func(fn func(keys []string) error) error {
		return eachChunk(ks, func(keys []string) error {
			if strings.EqualFold(q.ExtField, "Id") {
				// A key that is not an Id matches no record, and Salesforce refuses a whole
				// query for one such literal (INVALID_QUERY_FILTER_OPERATOR).
				if keys = onlyIDs(keys); len(keys) == 0 {
					return nil
				}
			}
			return fn(keys)
		})
	}
	inCalls := 0
	err := chunks(func(keys []string) error {
		return sfclient.InBatches(prefix, "", keys, func(string) error { inCalls++; return nil })
	})
	if err != nil {
		return mode, err
	}
	total, err := sf.Count(ctx, "SELECT COUNT() FROM "+q.Object)
	if err != nil {
		return mode, fmt.Errorf("count %s: %w", q.Object, err)
	}
	mode.Records = total
	scanCalls := (total + queryPageSize - 1) / queryPageSize
	log := j.log
	if scanCalls < inCalls {
		mode.Scan, mode.Calls = true, scanCalls
		log.Info("existence check: one scan of the object", zap.String("object", q.Object), zap.Int("records", total),
			zap.Int("calls", scanCalls), zap.Int("in_query_calls", inCalls))
		m := j.step(Event{Step: StepScan, Total: int64(total), Unit: UnitRecords})
		defer m.end()
		seen := int64(0)
		err := sf.Query(ctx, sel, func(r sfclient.Record) error {
			if seen++; seen%scanEvery == 0 {
				m.set(seen)
			}
			has, err := ks.Has([]byte(r.String(q.ExtField)))
			if err != nil || !has {
				return err
			}
			return fn(r)
		})
		if err != nil {
			return mode, fmt.Errorf("scan %s: %w", q.Object, err)
		}
		m.set(seen)
		return mode, nil
	}
	mode.Calls = inCalls
	log.Info("existence check: IN queries", zap.String("object", q.Object), zap.Int("keys", ks.Len()),
		zap.Int("calls", inCalls), zap.Int("full_scan_calls", scanCalls))
	m := j.step(Event{Step: StepExistence, Total: int64(ks.Len()), Unit: UnitKeys})
	defer m.end()
	err = chunks(func(keys []string) error {
		return sfclient.InBatchesN(prefix, "", keys, func(soql string, n int) error {
			if err := sf.Query(ctx, soql, fn); err != nil {
				return err
			}
			m.add(int64(n))
			return nil
		})
	})
	if err != nil {
		return mode, fmt.Errorf("look up existing %s: %w", q.Object, err)
	}
	return mode, nil
}

// onlyIDs keeps the keys that are Salesforce Ids (15 or 18 letters and digits).
func onlyIDs(keys []string) []string {
	out := keys[:0:0]
	for _, k := range keys {
		ok := len(k) == 15 || len(k) == 18
		for i := 0; ok && i < len(k); i++ {
			c := k[i]
			ok = '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		}
		if ok {
			out = append(out, k)
		}
	}
	return out
}

// indexKeys are the candidate keys of a scanned export.
type indexKeys struct{ idx *csvdiff.Index }

func (k indexKeys) Len() int { return k.idx.NumCandidates() }
func (k indexKeys) Each(fn func([]byte) bool) error {
	k.idx.Candidates(fn)
	return nil
}
func (k indexKeys) Has(key []byte) (bool, error) { return k.idx.IsCandidate(key), nil }

// csvKeys are the external ids of a CSV with a header: to_import.csv, or one part of it.
type csvKeys struct {
	open  func() (io.ReadCloser, error)
	field string
	n     int
	fold  bool // keys compare case-insensitively
	lazySet
}

// toImportKeys are the keys of the plan's to_import.csv.
func toImportKeys(folder *runfolder.Folder, info *runfolder.Plan) *csvKeys {
	return &csvKeys{
		open:  func() (io.ReadCloser, error) { return os.Open(folder.Path(runfolder.ToImportFile)) },
		field: info.ExternalIDField, n: info.Rows(), fold: info.FoldKeys,
	}
}

func (k *csvKeys) Len() int { return k.n }

// errStopEach ends an iteration early.
var errStopEach = errors.New("stop")

func (k *csvKeys) Each(fn func([]byte) bool) error {
	r, err := k.open()
	if err != nil {
		return err
	}
	defer r.Close()
	err = eachCSVRow(r, k.field, func(key string, _ []string) error {
		if !fn([]byte(key)) {
			return errStopEach
		}
		return nil
	})
	if errors.Is(err, errStopEach) {
		return nil
	}
	return err
}

func (k *csvKeys) Has(key []byte) (bool, error) { return k.has(k.Each, k.n, k.fold, key) }

// lazySet gives a key source its Has: a set of its keys, built on the first call.
type lazySet struct{ set *csvdiff.KeySet }

func (l *lazySet) has(each func(func([]byte) bool) error, n int, fold bool, key []byte) (bool, error) {
	if l.set == nil {
		set := csvdiff.NewKeySet(n, fold)
		var aerr error
		err := each(func(key []byte) bool {
			aerr = set.Add(key, nil)
			return aerr == nil
		})
		if err == nil {
			err = aerr
		}
		if err != nil {
			return false, err
		}
		l.set = set
	}
	_, ok := l.set.Lookup(key)
	return ok, nil
}

// eachCSVRow reads a CSV with a header and calls fn for each record with its field's value.
// rec is reused between calls.
func eachCSVRow(r io.Reader, field string, fn func(key string, rec []string) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	col := -1
	for i, h := range header {
		if strings.EqualFold(h, field) {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("no %s column", field)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec[col], rec); err != nil {
			return err
		}
	}
}
