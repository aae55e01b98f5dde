package csvdiff_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

func TestWriter(t *testing.T) {
	fields := []string{"plain", "a,b", `say "hi"`, "two\nlines", " padded ", "", "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx"}
	for _, neutralize := range []bool{false, true} {
		var buf bytes.Buffer
		w := csvdiff.NewWriter(&buf, neutralize)
		bs := make([][]byte, len(fields))
		for i, f := range fields {
			bs[i] = []byte(f)
		}
		if err := w.Write(bs, "extra"); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		rec, err := csv.NewReader(&buf).Read()
		if err != nil {
			t.Fatalf("encoding/csv cannot read our output %q: %v", buf.String(), err)
		}
		want := append(append([]string{}, fields...), "extra")
		if neutralize {
			for i, f := range want {
				want[i] = csvdiff.Neutralize(f)
			}
		}
		if strings.Join(rec, "|") != strings.Join(want, "|") {
			t.Errorf("neutralize=%v: read back %q, want %q", neutralize, rec, want)
		}
		if neutralize && rec[6] != "'=cmd|' /C calc'!A0" {
			t.Errorf("formula not neutralized: %q", rec[6])
		}
	}
}
