package backfill

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

// BenchmarkPlanBytesPerKey reports what `plan` holds per distinct candidate key at 5,000,000
// rows: the Index after the first pass and the existingSet of the records Salesforce already
// has (here 1,000,000 of them, each with the 10 compared fields of the demo object's mapping),
// as the second pass runs with them. It reads the files csvdiff's BenchmarkBytesPerKey
// writes (go test -run '^$' -bench BytesPerKey ./csvdiff/ first); skipped with -short or
// without them.
func BenchmarkPlanBytesPerKey(b *testing.B) {
	if testing.Short() {
		b.Skip("reads a 1.3 GB export")
	}
	dir := filepath.Join(os.TempDir(), "backfill-bench-keys")
	exportPath, existingPath := filepath.Join(dir, "export-5m.csv"), filepath.Join(dir, "existing-1m-ids.csv")
	if _, err := os.Stat(existingPath); err != nil {
		b.Skip("run csvdiff's BenchmarkBytesPerKey first: it writes the files")
	}
	cutoff := DefaultCutoff
	var keys, existing int
	var bytesIdx, bytesAll uint64
	for b.Loop() {
		f, err := os.Open(exportPath)
		if err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		x, err := csvdiff.Scan(context.Background(), f, csvdiff.Options{Since: cutoff, FoldKeys: true})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		bytesIdx = heapInUse() - before
		ex := &existingSet{set: csvdiff.NewKeySet(x.NumCandidates()/4, true), seed: maphash.MakeSeed(), updated: -1}
		for i := range 10 {
			ex.compared = append(ex.compared, comparedField{col: i + 1, field: fmt.Sprint("F", i), typ: "string"})
		}
		g, err := os.Open(existingPath)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(g)
		sc.Scan() // header
		for sc.Scan() {
			id, key, _ := bytes.Cut(sc.Bytes(), []byte(","))
			if !x.IsCandidate(key) {
				continue
			}
			if err := ex.add(string(key), string(id), func(field string) any { return field + " value" }); err != nil {
				b.Fatal(err)
			}
		}
		g.Close()
		bytesAll = heapInUse() - before
		keys, existing = x.NumCandidates(), ex.set.Len()
		runtime.KeepAlive(x)
		runtime.KeepAlive(ex)
	}
	b.ReportMetric(float64(keys), "keys")
	b.ReportMetric(float64(existing), "existing-keys")
	b.ReportMetric(float64(bytesIdx)/float64(keys), "index-B/key")
	b.ReportMetric(float64(bytesAll)/float64(keys), "B/key")
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
