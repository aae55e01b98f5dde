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

// `backfill verify DIR` proves a load: it reads back from Salesforce every record the import
// created or updated and compares every mapped field with the value uploaded, the same
// canonical comparison as plan's (dates as instants, numbers as numbers). Read-only.

// Verify outcomes (the outcome column of verify.csv).
const (
	VerifyMatch   = "match"   // every uploaded value is in Salesforce
	VerifyDiffers = "differs" // some field holds another value (detail: fields, both values)
	VerifyMissing = "missing" // no record with the key
	VerifyNewer   = "newer"   // Salesforce holds a later Updated At than the upload: counts as a match
)

// VerifyRun is one `backfill verify` of an import, as summary.json keeps it.
type VerifyRun struct {
	File     string         `json:"file"`
	At       time.Time      `json:"at"`
	Records  int            `json:"records"`
	Outcomes map[string]int `json:"outcomes"`
	APICalls map[string]int `json:"api_calls"`
	// Examples are a few lines of verify.csv that are not a match.
	Examples []string `json:"examples,omitempty"`
}

// OK reports whether every record matched (newer counts as a match).
func (v *VerifyRun) OK() bool { return v.Outcomes[VerifyDiffers]+v.Outcomes[VerifyMissing] == 0 }

// Verify runs `backfill verify DIR`: it writes verify.csv (verify-2.csv, ... when there is
// one), adds the run to summary.json and report.html, and returns the import's summary and
// the run, with an [ExitError] of [ExitRowsFailed] unless every record matched.
func Verify(ctx context.Context, cfg Config, dir string) (*Summary, *VerifyRun, error) {
	rl := withRunLog(&cfg)
	defer rl.close()
	p, err := openImported(ctx, &cfg, dir, "verify", rl)
	if err != nil {
		return nil, nil, err
	}
	defer p.folder.Unlock()
	run, err := p.verify(ctx)
	if err != nil {
		return nil, nil, err
	}
	p.summary.Verify = append(p.summary.Verify, *run)
	if err := p.saveSummary(); err != nil {
		return nil, nil, err
	}
	if !run.OK() {
		bad := run.Outcomes[VerifyDiffers] + run.Outcomes[VerifyMissing]
		return p.summary, run, &ExitError{Code: ExitRowsFailed,
			Err:  fmt.Errorf("%s of %s do not hold what was loaded", Plural(bad, "record"), Group(int64(run.Records))),
			Hint: fmt.Sprintf("%s names each one and why (differs: the fields and both values)", p.folder.Path(run.File))}
	}
	return p.summary, run, nil
}

// openImported opens the run folder of a finished import for command (verify, undo): its
// lock, its seal, the same org. A plan never imported, or an import not finished, is refused.
func openImported(ctx context.Context, cfg *Config, dir, command string, rl *runLog) (p *planRun, err error) {
	if p, err = openPlanned(cfg, dir, command); err != nil {
		return nil, err
	}
	folder := p.folder // p is nil when an error is returned
	defer func() {
		if err != nil {
			folder.Unlock()
		}
	}()
	if err := cfg.validateOrg(); err != nil {
		return nil, err
	}
	if err := p.checkSealed(); err != nil {
		return nil, err
	}
	switch st := p.journal; {
	case !st.Started:
		return nil, UsageError(fmt.Sprintf("load it first: backfill import --plan %s", dir),
			"%s holds a plan that was never imported: nothing to %s", dir, command)
	case !st.Finished:
		return nil, UsageError(fmt.Sprintf("finish it first: backfill resume %s", dir),
			"the import in %s has not finished: nothing to %s yet", dir, command)
	}
	if err := rl.attach(p.folder); err != nil {
		return nil, err
	}
	if err := p.folder.ReadJSON(runfolder.SummaryFile, p.summary); err != nil {
		return nil, fmt.Errorf("read the import's summary: %w", err)
	}
	if err := p.login(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// saveSummary writes summary.json and report.html again (after verify or undo), keeping the
// import's own times.
func (p *planRun) saveSummary() error {
	if err := writeReport(p.cfg, p.folder, p.summary); err != nil {
		return err
	}
	return p.folder.WriteJSON(runfolder.SummaryFile, p.summary)
}

// loadedKeys are the keys of the records the import created or updated.
func (p *planRun) loadedKeys() *ledgerKeys {
	return &ledgerKeys{folder: p.folder, name: runfolder.LedgerFile,
		outcomes: map[runfolder.Outcome]bool{runfolder.Created: true, runfolder.Updated: true},
		n:        p.summary.Count(runfolder.Created, runfolder.Updated), fold: p.info.FoldKeys}
}

// updatedField is the field the export's Updated At column was loaded into, "" when none.
func (p *planRun) updatedField() string {
	for _, m := range p.info.Mapping {
		if m.Column != "" && csvdiff.Canonical(m.Column) == csvdiff.Canonical(p.summary.UpdatedColumn) {
			return m.Field
		}
	}
	return ""
}

// verify compares the loaded records with what was uploaded and writes verify.csv.
func (p *planRun) verify(ctx context.Context) (*VerifyRun, error) {
	started := p.cfg.now()
	keys := p.loadedKeys()
	updField := p.updatedField()
	updated := newTimeSet(p.info.FoldKeys) // key -> Salesforce's Updated At
	sfState, err := readRecords(ctx, p.sf, p.cfg, p.info, keys, nil, func(key string, r sfclient.Record) error {
		if t, ok := r.Time(updField); ok && updField != "" {
			return updated.add(key, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the loaded records back: %w", err)
	}
	outcomes, err := p.compareUploaded(ctx, keys, sfState, updated, updField)
	if err != nil {
		return nil, err
	}
	run, err := p.writeVerify(outcomes)
	if err != nil {
		return nil, err
	}
	run.At, run.APICalls = started, p.sf.CallCounts()
	p.log.Info("verified", zap.String("file", run.File), zap.Int("records", run.Records), zap.Any("outcomes", run.Outcomes))
	return run, nil
}

// compareUploaded reads to_import.csv and gives each loaded key its outcome and detail
// (a table keyed by the external id: outcome name, NUL, detail). The values of the records
// that differ are read again from Salesforce to name both values.
func (p *planRun) compareUploaded(ctx context.Context, keys *ledgerKeys, sfState *existingSet, updated timeSet, updField string) (*csvdiff.KeySet, error) {
	info := p.info
	out := csvdiff.NewKeySet(keys.Len(), info.FoldKeys)
	updCol := slices.Index(info.Fields, updField)
	differing := map[string]differingRow{}
	r, err := os.Open(p.folder.Path(runfolder.ToImportFile))
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
		if err := p.describeDiffs(ctx, sfState.compared, differing, out); err != nil {
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
func (p *planRun) describeDiffs(ctx context.Context, compared []comparedField, differing map[string]differingRow, out *csvdiff.KeySet) error {
	info := p.info
	ks := &sliceKeys{fold: info.FoldKeys}
	for k := range differing {
		ks.keys = append(ks.keys, k)
	}
	q := existenceQuery{Object: info.Object, ExtField: info.ExternalIDField}
	for _, c := range compared {
		q.Fields = append(q.Fields, c.field)
	}
	_, err := lookup(ctx, p.sf, q, ks, p.cfg, func(rec sfclient.Record) error {
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
func (p *planRun) writeVerify(outcomes *csvdiff.KeySet) (*VerifyRun, error) {
	name, f, err := createNumbered(p.folder, runfolder.VerifyFile)
	if err != nil {
		return nil, err
	}
	run := &VerifyRun{File: name, Outcomes: map[string]int{VerifyMatch: 0, VerifyDiffers: 0, VerifyMissing: 0, VerifyNewer: 0}}
	w := csvdiff.NewWriter(f, true)
	err = w.WriteStrings("key", "outcome", "detail")
	if err == nil {
		err = p.folder.ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
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
			return w.WriteStrings(e.Key, o, detail)
		})
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.folder.Path(name))
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
