package csvdiff_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// Real CE exports quote more than csvdifftest's export does: about 30% of the course names
// are quoted with commas and doubled quotes inside, some learner names and companies hold
// commas or quotes, and 57% of the rows hold non-ASCII UTF-8 (accented and CJK names). That
// shape sends a third of the rows through the quote-aware path and the UTF-8 validation,
// so the engine is benchmarked on it too. realisticExport rewrites csvdifftest's export
// into that shape, keeping every key, date and duplicate, so csvdifftest.Existing still
// gives the matching existing records.

var (
	asciiNames = []string{"Alex Rivera", "Priya Shah", "Jordan Lee", "Sam Okafor", "Mei Tanaka", "Noah Kim", "Liam Park", "Chloe Garcia"}
	// Non-ASCII names, some with a comma or quotes (they are quoted in the file).
	utf8Names = []string{"José Muñoz", "Zoë Müller", "Łukasz Żółkiewski", "Søren Kierkegård", "田中 太郎", "Ngô Bảo Châu",
		"Müller, Jörg", "Amélie \"Mimi\" Dubois", "Fatima Haddad-Farouk", "Ólafur Arnalds", "François D'Aubigné", "Дмитрий Иванов",
		"İlkay Gündoğan", "Chloé Lefèvre", "Renée O'Brien", "Kenji Satō"}
	plainCourses = []string{"Platform Fundamentals", "Admin Certification Prep", "Reporting Deep Dive", "Customer Success Essentials",
		"Data Loader Basics", "Advanced Automation Flows", "Security and Sharing Model"}
	// Course names that need quotes: commas and doubled quotes inside.
	quotedCourses = []string{"Integrations, APIs & \"Webhooks\"", "The \"Admin\" Path, Part 2", "Reports, Dashboards, and \"Insights\"",
		"Flows: \"Before\", \"After\", and Async", "Sharing, Roles & Profiles"}
	realCompanies = []string{"Northwind Traders International", "Contoso Pharmaceuticals EMEA", "Fabrikam, Inc.", "Tailspin Toys Manufacturing",
		"Wide World Importers Logistics", "Société Générale de Café", "Adventure Works Cycles Europe", "Müller & Söhne GmbH"}
)

// splitmix64, as csvdifftest mixes.
func realMix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// realisticExport writes csvdifftest's export for cfg in the realistic shape.
func realisticExport(w io.Writer, cfg csvdifftest.Config) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(csvdifftest.Export(pw, cfg)) }()
	r := csv.NewReader(bufio.NewReaderSize(pr, 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	for i := -1; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if i >= 0 {
			h := realMix(uint64(i)*31 + 7)
			name := asciiNames[h%uint64(len(asciiNames))]
			if (h>>8)%100 < 57 {
				name = utf8Names[(h>>16)%uint64(len(utf8Names))]
			}
			course := plainCourses[(h>>24)%uint64(len(plainCourses))]
			if (h>>32)%100 < 30 {
				course = quotedCourses[(h>>40)%uint64(len(quotedCourses))]
			}
			rec[2], rec[3], rec[5] = name, realCompanies[(h>>48)%uint64(len(realCompanies))], course
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

var realData = sync.OnceValues(func() ([]byte, []byte) {
	var export, existing bytes.Buffer
	if err := realisticExport(&export, benchCfg); err != nil {
		panic(err)
	}
	csvdifftest.Existing(&existing, benchCfg, cutoff)
	return export.Bytes(), existing.Bytes()
})

// realFiles writes the realistic 1,000,000-row export and its 900,000 existing records
// once per machine, under the temp dir; time `backfill clean` on them to compare with the
// reference job.
func realFiles(b *testing.B) (export, existing string) {
	cfg := csvdifftest.Config{Rows: 1000000, Existing: 900000}
	dir := filepath.Join(os.TempDir(), "backfill-bench-realistic")
	export, existing = filepath.Join(dir, "export.csv"), filepath.Join(dir, "existing.csv")
	writeOnce(b, export, func(w io.Writer) error { return realisticExport(w, cfg) })
	writeOnce(b, existing, func(w io.Writer) error { return csvdifftest.Existing(w, cfg, cutoff) })
	return
}

// writeOnce writes path with gen unless it exists (through a temporary file, so that an
// interrupted run leaves none half written).
func writeOnce(b *testing.B, path string, gen func(io.Writer) error) {
	if _, err := os.Stat(path); err == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		b.Fatal(err)
	}
	w, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if err := gen(w); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkScanRealistic(b *testing.B) {
	export, _ := realData()
	b.SetBytes(int64(len(export)))
	for b.Loop() {
		if _, err := csvdiff.Scan(context.Background(), bytes.NewReader(export), csvdiff.Options{Since: cutoff}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, benchCfg.Rows)
}

// BenchmarkDiffRealistic is BenchmarkDiff on the realistic export.
func BenchmarkDiffRealistic(b *testing.B) {
	export, existing := realData()
	b.SetBytes(int64(len(export)))
	for b.Loop() {
		diffOnce(b, bytes.NewReader(export), bytes.NewReader(export), bytes.NewReader(existing), io.Discard)
	}
	report(b, benchCfg.Rows)
}

// BenchmarkDiffRealistic1M is the reference job's engine work (both passes, the existing
// keys kept for the candidates, the ledger and to_import.csv written to io.Discard) on the
// realistic 1,000,000-row export, read from files as `backfill clean` reads them.
func BenchmarkDiffRealistic1M(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a 270 MB file")
	}
	exportPath, existingPath := realFiles(b)
	st, err := os.Stat(exportPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		open := func(p string) *os.File {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			return f
		}
		diffOnce(b, open(exportPath), open(exportPath), open(existingPath), io.Discard)
	}
	report(b, 1000000)
}

// diffOnce runs what `backfill clean` runs: the first pass, the existing keys kept for the
// candidates, and the second pass writing the ledger and the rows to load to out.
func diffOnce(b *testing.B, scan, emit, existing io.Reader, out io.Writer) {
	ctx := context.Background()
	x, err := csvdiff.Scan(ctx, scan, csvdiff.Options{Since: cutoff, FoldKeys: true})
	if err != nil {
		b.Fatal(err)
	}
	set, _, err := csvdiff.ReadKeys(ctx, existing, csvdiff.KeysOptions{SizeHint: x.NumCandidates(), Keep: x.IsCandidate, FoldKeys: true})
	if err != nil {
		b.Fatal(err)
	}
	ledger, toImport := csvdiff.NewWriter(out, true), csvdiff.NewWriter(out, false)
	_, err = x.Emit(ctx, emit, csvdiff.SetMatcher{Set: set}, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
		rec := strconv.AppendInt(ledger.Buffer(), int64(r.Line), 10)
		rec = append(rec, ',')
		rec = ledger.AppendField(rec, r.Key)
		rec = append(rec, ',')
		rec = append(rec, r.Outcome.String()...)
		rec = append(rec, ',')
		rec = ledger.AppendField(rec, []byte(r.Detail))
		if err := ledger.WriteRecord(rec); err != nil {
			return err
		}
		switch r.Outcome {
		case csvdiff.ToInsert:
			return toImport.WriteRaw(r.Raw)
		case csvdiff.Exists, csvdiff.Duplicate, csvdiff.Rejected:
			return toImport.Write(r.Fields(), strconv.Itoa(r.Line), r.Detail)
		}
		return nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	ledger.Flush()
	toImport.Flush()
}
