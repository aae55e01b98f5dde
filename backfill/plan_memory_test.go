package backfill

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// BenchmarkPlanBytesPerKey reports what `plan` holds per distinct candidate key at 5,000,000
// rows: the Index after the first pass and the records Salesforce already has, attached to
// it, each with its Id and the hashes of the 10 compared fields of the demo object's
// mapping, as the second pass runs with them. In "fifth" the records are those of the
// existing-ids file (about a fifth of the keys); in "all" every candidate key has one (the
// most plan ever holds). It reads the files csvdiff's BenchmarkBytesPerKey writes (go test
// -run '^$' -bench BytesPerKey ./csvdiff/ first); skipped with -short or without them.
func BenchmarkPlanBytesPerKey(b *testing.B) {
	if testing.Short() {
		b.Skip("reads a 1.3 GB export")
	}
	dir := filepath.Join(os.TempDir(), "backfill-bench-keys")
	exportPath, existingPath := filepath.Join(dir, "export-5m.csv"), filepath.Join(dir, "existing-1m-ids.csv")
	if _, err := os.Stat(existingPath); err != nil {
		b.Skip("run csvdiff's BenchmarkBytesPerKey first: it writes the files")
	}
	cols := make([]runfolder.Mapping, 11)
	cols[0] = runfolder.Mapping{Field: "Ext__c", Type: "string"}
	for i := range 10 {
		cols[i+1] = runfolder.Mapping{Field: fmt.Sprint("F", i), Type: "string"}
	}
	value := func(field string) any { return field + " value" }
	for _, all := range []bool{false, true} {
		name := map[bool]string{false: "fifth", true: "all"}[all]
		b.Run(name, func(b *testing.B) {
			var keys, existing int
			var bytesIdx, bytesAll uint64
			for b.Loop() {
				f, err := os.Open(exportPath)
				if err != nil {
					b.Fatal(err)
				}
				before := heapInUse()
				x, err := csvdiff.Scan(context.Background(), f, csvdiff.Options{Since: DefaultCutoff, FoldKeys: true})
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				bytesIdx = heapInUse() - before
				ex := attachedExistingSet(cols, "Ext__c", x)
				if all {
					n := 0
					var aerr error
					x.Candidates(func(key []byte) bool {
						n++
						aerr = ex.add(string(key), fmt.Sprintf("a0B%012dEAA", n), value)
						return aerr == nil
					})
					if aerr != nil {
						b.Fatal(aerr)
					}
				} else {
					addExistingFile(b, ex, existingPath, value)
				}
				bytesAll = heapInUse() - before
				keys, existing = x.NumCandidates(), ex.len()
				runtime.KeepAlive(x)
				runtime.KeepAlive(ex)
			}
			b.ReportMetric(float64(keys), "keys")
			b.ReportMetric(float64(existing), "existing-keys")
			b.ReportMetric(float64(bytesIdx)/float64(keys), "index-B/key")
			b.ReportMetric(float64(bytesAll)/float64(keys), "B/key")
			if existing > 0 {
				b.ReportMetric(float64(bytesAll-bytesIdx)/float64(existing), "B/existing-key")
			}
		})
	}
}

// addExistingFile adds the records of the existing-ids file (Id,External Id).
func addExistingFile(b *testing.B, ex *existingSet, path string, get func(string) any) {
	g, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	sc := bufio.NewScanner(g)
	sc.Scan() // header
	for sc.Scan() {
		id, key, _ := bytes.Cut(sc.Bytes(), []byte(","))
		if err := ex.add(string(key), string(id), get); err != nil {
			b.Fatal(err)
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
