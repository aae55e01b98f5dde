package backfill

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

// partRows must split what csvdiff.Writer writes exactly as encoding/csv reads it, and
// fieldAt must find the same field, whatever the values hold (commas, quotes, newlines,
// empty fields, formula characters).
func TestPartRowsAgreesWithEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "Ann@Example.com", ",", `"`, "\n", "", " ", "=1+1", "é", "x,y", `""`, "\r"}
	for round := range 200 {
		var buf bytes.Buffer
		w := csvdiff.NewWriter(&buf, false)
		var want [][]string
		for range 1 + rng.IntN(20) {
			rec := make([]string, 1+rng.IntN(4))
			for i := range rec {
				var b strings.Builder
				for range rng.IntN(4) {
					b.WriteString(pieces[rng.IntN(len(pieces))])
				}
				rec[i] = strings.ReplaceAll(b.String(), "\r", "") // to_import.csv has no CR
			}
			rec[0] = "k" + rec[0] // a row's external id is never empty
			if err := w.WriteStrings(rec...); err != nil {
				t.Fatal(err)
			}
			want = append(want, rec)
		}
		w.Flush()
		data := buf.Bytes()
		col := rng.IntN(3)
		rows, err := partRows(data, col, nil)
		if err != nil || len(rows) != len(want) {
			t.Fatalf("round %d: %d rows (%v), want %d\n%q", round, len(rows), err, len(want), data)
		}
		for i, r := range rows {
			got, err := csv.NewReader(bytes.NewReader(data[r.off:r.end])).Read()
			if err != nil || strings.Join(got, "\x00") != strings.Join(want[i], "\x00") {
				t.Fatalf("round %d row %d: %q (%v), want %q", round, i, got, err, want[i])
			}
			key := ""
			if col < len(want[i]) {
				key = want[i][col]
			}
			raw := string(data[r.keyOff:r.keyEnd])
			if unq := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(raw, `"`), `"`), `""`, `"`); raw != key && unq != key {
				t.Fatalf("round %d row %d col %d: key %q, want %q", round, i, col, raw, key)
			}
		}
	}
}

func TestFoldCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{{"ann@x", "ANN@X", 0}, {"ann", "bob", -1}, {"Bob", "ann", 1}, {"ann", "anna", -1}, {"", "", 0}} {
		got := foldCompare([]byte(c.a), []byte(c.b))
		if (got < 0 && c.sign >= 0) || (got > 0 && c.sign <= 0) || (got == 0) != (c.sign == 0) {
			t.Errorf("foldCompare(%q, %q) = %d", c.a, c.b, got)
		}
	}
}
