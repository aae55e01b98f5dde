package csvdiff_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/northpass-tools/backfill/csvdiff"
)

// FuzzClean checks the engine's invariant on any input: it never panics; a file is either
// unusable (a *FileError) or every data row gets exactly one outcome, so rows ==
// sum(outcomes) == ledger lines; keys in the ledger are valid UTF-8; line numbers only grow.
func FuzzClean(f *testing.F) {
	seeds := []string{
		hdr + "a,2025-12-01,,x\nb,2024-01-01,,y\n",
		hdr + "a,2025-12-01,,\"q,\"\"x\"\"\nz\"\r\nb,,,\n,2025-12-01,,\n",
		"\uFEFFExternal Id;Enrollment Date\r\na;1/2/2026 3:04 PM\n",
		hdr + "a,2025-12-01,,\"never closed\nb,2025-12-01,,y\n",
		hdr + "a,2025-12-01,,caf\xe9\n\n\nc,2025-12-01,2025-12-01,\"x\"y\n",
		"External Id\tEnrollment Date\tUpdated At\nk\t2025-12-01\t2025-12-02\nk\t2025-12-01\t2025-12-01\n",
	}
	if b, err := os.ReadFile("../backfill/demo/sample/export.csv"); err == nil {
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		x, err := csvdiff.Scan(t.Context(), strings.NewReader(in), csvdiff.Options{Since: cutoff})
		if err != nil {
			var fe *csvdiff.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Scan: %v is not a *FileError", err)
			}
			return
		}
		set := csvdiff.NewKeySet(0, false)
		set.Add([]byte("a"), []byte("001"))
		lines, last := 0, 0
		counts, err := x.Emit(t.Context(), strings.NewReader(in), csvdiff.SetMatcher{Set: set}, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
			lines++
			if r.Line <= last {
				t.Errorf("line %d after line %d", r.Line, last)
			}
			last = r.Line
			if !utf8.Valid(r.Key) {
				t.Errorf("ledger key %q is not UTF-8", r.Key)
			}
			if (r.Outcome == csvdiff.Rejected) != (r.Err != nil) {
				t.Errorf("outcome %v with err %v", r.Outcome, r.Err)
			}
			return nil
		}))
		if err != nil {
			t.Fatalf("Emit: %v", err)
		}
		if counts.Total() != x.Rows() || lines != x.Rows() {
			t.Fatalf("rows %d, sum(outcomes) %d, ledger lines %d", x.Rows(), counts.Total(), lines)
		}
	})
}
