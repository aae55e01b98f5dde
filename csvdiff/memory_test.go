package csvdiff_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// bytesPerKeyCfg is the scale at which memory per key is measured: 5,000,000 rows all dated
// after the cutoff (every row is a candidate; 2% duplicates leave about 4.9M distinct keys),
// and an existing file holding the first 1,000,000 of those keys (a fifth of the candidates
// already in the org, as in the reference job).
var bytesPerKeyCfg = csvdifftest.Config{Rows: 5000000, Existing: 1000000, From: cutoff, To: cutoff.Add(90 * 24 * time.Hour)}

// bytesPerKeyFiles writes the export and the existing file once per machine, under the temp
// dir (about 1.3 GB).
func bytesPerKeyFiles(b *testing.B) (export, existing string) {
	dir := filepath.Join(os.TempDir(), "backfill-bench-keys")
	export, existing = filepath.Join(dir, "export-5m.csv"), filepath.Join(dir, "existing-1m-ids.csv")
	cfg := bytesPerKeyCfg
	writeOnce(b, export, func(w io.Writer) error { return csvdifftest.Export(w, cfg) })
	writeOnce(b, existing, func(w io.Writer) error { return existingWithIDs(w, cfg) })
	return
}

// existingWithIDs writes csvdifftest's existing records with real-shaped Salesforce Ids:
// 18 characters, the last 3 encoding the case of the first 15 (the generator's are 19
// digits and letters, which no org has).
func existingWithIDs(w io.Writer, cfg csvdifftest.Config) error {
	var buf bytes.Buffer
	if err := csvdifftest.Existing(&buf, cfg, cutoff); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for i, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
		if i > 0 {
			id, key, _ := bytes.Cut(line, []byte(","))
			line = fmt.Appendf(nil, "%s,%s", sfID("a0B"+string(id[len(id)-15:len(id)-3])), key)
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// sfID returns the 18-character form of a 15-character Salesforce Id.
func sfID(id15 string) string {
	suffix := ""
	for b := 0; b < 3; b++ {
		n := 0
		for j := 0; j < 5; j++ {
			if c := id15[b*5+j]; c >= 'A' && c <= 'Z' {
				n += 1 << j
			}
		}
		suffix += string("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[n])
	}
	return id15 + suffix
}

// heapInUse returns the heap's bytes in use after a full collection: what the live data
// costs, slack of its slices included.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkBytesPerKey reports what `clean` holds per distinct candidate key at 5,000,000
// rows: the Index after the first pass (its dedup table and the byte per row), and the Index
// with the KeySet of the existing records kept for the candidates (what the second pass
// runs with).
func BenchmarkBytesPerKey(b *testing.B) {
	if testing.Short() {
		b.Skip("reads a 1.3 GB export")
	}
	exportPath, existingPath := bytesPerKeyFiles(b)
	var idxBytes, allBytes uint64
	var keys, matched int
	for b.Loop() {
		ex, err := os.Open(exportPath)
		if err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		x, err := csvdiff.Scan(context.Background(), ex, csvdiff.Options{Since: cutoff, FoldKeys: true})
		ex.Close()
		if err != nil {
			b.Fatal(err)
		}
		idxBytes = heapInUse() - before
		f, err := os.Open(existingPath)
		if err != nil {
			b.Fatal(err)
		}
		set, _, err := csvdiff.ReadKeys(context.Background(), f, csvdiff.KeysOptions{SizeHint: x.NumCandidates(), Keep: x.IsCandidate, FoldKeys: true})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		allBytes = heapInUse() - before
		keys, matched = x.NumCandidates(), set.Len()
		runtime.KeepAlive(x)
		runtime.KeepAlive(set)
	}
	b.ReportMetric(float64(keys), "keys")
	b.ReportMetric(float64(matched), "existing-keys")
	b.ReportMetric(float64(idxBytes)/float64(keys), "index-B/key")
	b.ReportMetric(float64(allBytes)/float64(keys), "B/key")
}

// TestKeySetValues covers how values are kept: 18-character Salesforce Ids are packed, and
// every value, packed or not, comes back byte for byte.
func TestKeySetValues(t *testing.T) {
	values := []string{
		"a0B1416658607535AAA"[:18], // an Id whose last 3 characters do not match its case
		"001Hp00002XyZabCDE",
		"001000000000000AAA", // all digits: suffix AAA
		"0015e00000ABCDEFGH",
		"001Hp00002XyZab",    // 15 characters
		"001Hp00002XyZab!!!", // not an Id
		"", "x", strings.Repeat("v", 300), "id\x00\x01\x02\x03",
	}
	values = append(values, sfID("0015e00000AbCdE"), sfID("a0B416658607535"))
	s := csvdiff.NewKeySet(0, false)
	for i, v := range values {
		if err := s.Add([]byte(fmt.Sprint("k", i)), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range values {
		got, ok := s.Lookup([]byte(fmt.Sprint("k", i)))
		if !ok || string(got) != v {
			t.Errorf("Lookup(k%d) = %q, %v, want %q", i, got, ok, v)
		}
	}
}
