package backfill

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Verify proves a load: it reads back from Salesforce every record the import created or
// updated and compares every mapped field with the value uploaded, the same canonical
// comparison as plan's (dates as instants, numbers as numbers). Read-only.

// Verify outcomes (the outcome column of verify.csv).
const (
	VerifyMatch   = "match"   // every uploaded value is in Salesforce
	VerifyDiffers = "differs" // some field holds another value (detail: fields, both values)
	VerifyMissing = "missing" // no record with the key
	VerifyNewer   = "newer"   // Salesforce holds a later Updated At than the upload: counts as a match
)

// VerifyRun is one verify of an import, as summary.json keeps it.
type VerifyRun struct {
	File     string         `json:"file"`
	At       time.Time      `json:"at"`
	Records  int            `json:"records"`
	Outcomes map[string]int `json:"outcomes"`
	APICalls map[string]int `json:"api_calls"`
	// Examples are a few lines of verify.csv that are not a match.
	Examples []string `json:"examples,omitempty"`
	// Rounds are the verifies of the import's retry rounds, run with it.
	Rounds []RetryRound `json:"rounds,omitempty"`
}

// OK reports whether every record matched (newer counts as a match), the retry rounds'
// too.
func (v *VerifyRun) OK() bool {
	for _, r := range v.Rounds {
		if r.Verify != nil && !r.Verify.OK() {
			return false
		}
	}
	return v.Outcomes[VerifyDiffers]+v.Outcomes[VerifyMissing] == 0
}

// Verify proves a load: it writes verify.csv (verify-2.csv, ... when there is one), adds
// the run to summary.json and report.html, and returns the import's summary and the run;
// whether every record matched is the run's OK. The import's retry rounds are verified with
// it, each in its own folder (the run's Rounds).
func Verify(ctx context.Context, opts VerifyOptions) (*Summary, *VerifyRun, error) {
	given := opts.FolderOptions
	j := newJob(opts.Front)
	defer j.close()
	w, err := openImported(ctx, j, &opts.FolderOptions, CmdVerify)
	if err != nil {
		return nil, nil, err
	}
	defer w.folder.Unlock()
	run, err := w.verify(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, dir := range RetryRounds(opts.Dir) {
		o := VerifyOptions{FolderOptions: given}
		o.Dir = dir
		_, rv, err := Verify(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		run.Rounds = append(run.Rounds, RetryRound{Dir: dir, Verify: rv})
	}
	w.summary.Verify = append(w.summary.Verify, *run)
	if err := w.saveSummary(); err != nil {
		return nil, nil, err
	}
	return w.summary, run, nil
}

// verify compares the loaded records with what was uploaded and writes verify.csv.
func (w *workFolder) verify(ctx context.Context) (*VerifyRun, error) {
	started := w.j.now()
	keys := w.keysOf(runfolder.Created, runfolder.Updated)
	updField := w.updatedField()
	updated := newTimeSet(w.info.FoldKeys) // key -> Salesforce's Updated At
	sfState, err := readRecords(ctx, w.sf, w.j, w.info, keys, nil, func(key string, r sfclient.Record) error {
		if t, ok := r.Time(updField); ok && updField != "" {
			return updated.add(key, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the loaded records back: %w", err)
	}
	outcomes, err := w.compareUploaded(ctx, keys, sfState, updated, updField)
	if err != nil {
		return nil, err
	}
	run, err := w.writeVerify(outcomes)
	if err != nil {
		return nil, err
	}
	run.At, run.APICalls = started, w.sf.CallCounts()
	w.j.log.Info("verified", zap.String("file", run.File), zap.Int("records", run.Records), zap.Any("outcomes", run.Outcomes))
	return run, nil
}

// compareUploaded reads to_import.csv and gives each loaded key its outcome and detail
// (a table keyed by the external id: outcome name, NUL, detail). The values of the records
// that differ are read again from Salesforce to name both values.
func (w *workFolder) compareUploaded(ctx context.Context, keys *ledgerKeys, sfState *existingSet, updated timeSet, updField string) (*csvdiff.KeySet, error) {
	info := w.info
	out := csvdiff.NewKeySet(keys.Len(), info.FoldKeys)
	updCol := slices.Index(info.Fields, updField)
	differing := map[string]differingRow{}
	r, err := os.Open(w.folder.Path(runfolder.ToImportFile))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	err = eachCSVRow(r, info.ExternalIDField, func(key string, rec []string) error {
		if loaded, err := keys.Has([]byte(key)); err != nil || !loaded {
			return err
		}
		_, hashes, ok := sfState.lookup([]byte(key))
		switch {
		case !ok:
			return out.Add([]byte(key), []byte(VerifyMissing+"\x00no record with this external id"))
		case updCol >= 0 && rec[updCol] != "":
			if sf, ok := updated.get(key); ok {
				up, err := time.Parse(time.RFC3339Nano, rec[updCol])
				if err == nil && sf.After(up) {
					return out.Add([]byte(key), []byte(fmt.Sprintf("%s\x00%s is %s in Salesforce, %s in the upload",
						VerifyNewer, updField, sf.Format(time.RFC3339), up.Format(time.RFC3339))))
				}
			}
		}
		if diff := sfState.differing(hashes, rec); len(diff) > 0 {
			differing[foldKey(key, info.FoldKeys)] = differingRow{diff, append([]string(nil), rec...)}
			return nil
		}
		return out.Add([]byte(key), []byte(VerifyMatch+"\x00"))
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", runfolder.ToImportFile, err)
	}
	if len(differing) > 0 {
		if err := w.describeDiffs(ctx, sfState.compared, differing, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// differingRow is an uploaded row whose record differs: the compared fields that differ
// and the row's values.
type differingRow struct {
	fields []int
	rec    []string
}

// describeDiffs reads the differing records again and records, for each, every differing
// field with the uploaded and the Salesforce value.
func (w *workFolder) describeDiffs(ctx context.Context, compared []comparedField, differing map[string]differingRow, out *csvdiff.KeySet) error {
	info := w.info
	ks := &sliceKeys{fold: info.FoldKeys}
	for k := range differing {
		ks.keys = append(ks.keys, k)
	}
	q := existenceQuery{Object: info.Object, ExtField: info.ExternalIDField}
	for _, c := range compared {
		q.Fields = append(q.Fields, c.field)
	}
	_, err := lookup(ctx, w.sf, w.j, q, ks, func(rec sfclient.Record) error {
		key := rec.String(info.ExternalIDField)
		d := differing[foldKey(key, info.FoldKeys)]
		var parts []string
		for _, i := range d.fields {
			c := compared[i]
			v, _ := rec.Get(c.field)
			parts = append(parts, fmt.Sprintf("%s: uploaded %q, Salesforce %q", c.field, d.rec[c.col], sfCanonical(c.typ, v)))
		}
		return out.Add([]byte(key), []byte(VerifyDiffers+"\x00"+strings.Join(parts, "; ")))
	})
	return err
}

// writeVerify writes the next free verify file (verify.csv, verify-2.csv, ...) in ledger
// order: key, outcome, detail for every record the import created or updated.
func (w *workFolder) writeVerify(outcomes *csvdiff.KeySet) (*VerifyRun, error) {
	name, f, err := createNumbered(w.folder, runfolder.VerifyFile)
	if err != nil {
		return nil, err
	}
	run := &VerifyRun{File: name, Outcomes: map[string]int{VerifyMatch: 0, VerifyDiffers: 0, VerifyMissing: 0, VerifyNewer: 0}}
	cw := csvdiff.NewWriter(f, true)
	err = cw.WriteStrings("key", "outcome", "detail")
	if err == nil {
		err = w.folder.ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
			if e.Outcome != runfolder.Created && e.Outcome != runfolder.Updated {
				return nil
			}
			v, ok := outcomes.Lookup([]byte(e.Key))
			o, detail, _ := strings.Cut(string(v), "\x00")
			if !ok { // read back nowhere: not in to_import.csv, or not found
				o, detail = VerifyMissing, "no record with this external id"
			}
			run.Records++
			run.Outcomes[o]++
			if o != VerifyMatch && len(run.Examples) < 5 {
				run.Examples = append(run.Examples, fmt.Sprintf("%s: %s (%s)", e.Key, o, detail))
			}
			return cw.WriteStrings(e.Key, o, detail)
		})
	}
	if err == nil {
		err = cw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(w.folder.Path(name))
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return run, nil
}

// createNumbered creates name in the folder, or name-2, name-3, ... when it exists: a run
// never overwrites an earlier one's file.
func createNumbered(folder *runfolder.Folder, name string) (string, *os.File, error) {
	base, ext, _ := strings.Cut(name, ".")
	for i := 1; i < 10000; i++ {
		n := name
		if i > 1 {
			n = fmt.Sprintf("%s-%d.%s", base, i, ext)
		}
		f, err := folder.Create(n)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return n, f, err
	}
	return "", nil, fmt.Errorf("too many %s files", name)
}

// sliceKeys are a few keys held in memory.
type sliceKeys struct {
	keys []string
	fold bool
	lazySet
}

func (k *sliceKeys) Len() int { return len(k.keys) }

func (k *sliceKeys) Each(fn func([]byte) bool) error {
	for _, key := range k.keys {
		if !fn([]byte(key)) {
			return nil
		}
	}
	return nil
}

func (k *sliceKeys) Has(key []byte) (bool, error) { return k.has(k.Each, len(k.keys), k.fold, key) }
