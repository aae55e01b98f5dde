package csvdiff_test

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// The benchmark job is the reference job scaled to 100,000 rows (about 27 MB)
// against 90,000 existing keys; make bench also runs the full 1,000,000-row job through the
// binary (cmd/backfill BenchmarkClean1M).
var benchCfg = csvdifftest.Config{Rows: 100000, Existing: 90000}

var benchData = sync.OnceValues(func() ([]byte, []byte) {
	var export, existing bytes.Buffer
	csvdifftest.Export(&export, benchCfg)
	csvdifftest.Existing(&existing, benchCfg, cutoff)
	return export.Bytes(), existing.Bytes()
})

func report(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkScan(b *testing.B) {
	export, _ := benchData()
	b.SetBytes(int64(len(export)))
	for b.Loop() {
		if _, err := csvdiff.Scan(context.Background(), bytes.NewReader(export), csvdiff.Options{Since: cutoff}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, benchCfg.Rows)
}

func BenchmarkReadKeys(b *testing.B) {
	_, existing := benchData()
	b.SetBytes(int64(len(existing)))
	for b.Loop() {
		if _, _, err := csvdiff.ReadKeys(context.Background(), bytes.NewReader(existing), csvdiff.KeysOptions{SizeHint: benchCfg.Existing}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, benchCfg.Existing)
}

// BenchmarkDiff is both passes and the anti-join, writing the ledger to memory.
func BenchmarkDiff(b *testing.B) {
	export, existing := benchData()
	b.SetBytes(int64(len(export)))
	var ledger bytes.Buffer
	for b.Loop() {
		ctx := context.Background()
		set, _, err := csvdiff.ReadKeys(ctx, bytes.NewReader(existing), csvdiff.KeysOptions{SizeHint: benchCfg.Existing})
		if err != nil {
			b.Fatal(err)
		}
		x, err := csvdiff.Scan(ctx, bytes.NewReader(export), csvdiff.Options{Since: cutoff})
		if err != nil {
			b.Fatal(err)
		}
		ledger.Reset()
		w := csvdiff.NewWriter(&ledger, true)
		var line []byte
		fields := make([][]byte, 2)
		_, err = x.Emit(ctx, bytes.NewReader(export), csvdiff.SetMatcher{Set: set}, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
			line = strconv.AppendInt(line[:0], int64(r.Line), 10)
			fields[0], fields[1] = line, r.Key
			return w.Write(fields, r.Outcome.String(), r.Detail)
		}))
		if err != nil {
			b.Fatal(err)
		}
		w.Flush()
	}
	report(b, benchCfg.Rows)
}
