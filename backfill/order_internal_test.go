package backfill

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

// fieldAt must find the field encoding/csv reads, whatever the values hold (commas, quotes,
// newlines, empty fields, formula characters), in records as csvdiff.Writer writes them; and
// partOrder must write back every record, byte for byte, ordered by that field.
func TestPartOrderAgreesWithEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "Ann@Example.com", "ann@example.com", ",", `"`, "\n", "", " ", "=1+1", "é", "x,y", `""`, "B"}
	for round := range 200 {
		col := rng.IntN(3)
		o := &partOrder{col: col}
		var want [][]string
		w := csvdiff.NewWriter(nil, false)
		for range 1 + rng.IntN(20) {
			rec := make([]string, 1+rng.IntN(4))
			for i := range rec {
				var b strings.Builder
				for range rng.IntN(4) {
					b.WriteString(pieces[rng.IntN(len(pieces))])
				}
				rec[i] = b.String()
			}
			rec[0] = "k" + rec[0] // a row's external id is never empty
			raw := w.AppendRecord(nil, nil, rec...)
			o.add(raw)
			r := o.rows[len(o.rows)-1]
			key := ""
			if col < len(rec) {
				key = rec[col]
			}
			got := string(o.buf[r.keyOff:r.keyEnd])
			if unq := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(got, `"`), `"`), `""`, `"`); got != key && unq != key {
				t.Fatalf("round %d: field %d of %q is %q, want %q", round, col, raw, got, key)
			}
			want = append(want, rec)
		}
		var buf bytes.Buffer
		out := csvdiff.NewWriter(&buf, false)
		n := len(want)
		if err := o.writeTo(out, n); err != nil {
			t.Fatal(err)
		}
		out.Flush()
		cr := csv.NewReader(&buf)
		cr.FieldsPerRecord = -1
		got, err := cr.ReadAll()
		if err != nil || len(got) != n {
			t.Fatalf("round %d: %d records (%v), want %d", round, len(got), err, n)
		}
		var prev []byte
		for i, rec := range got {
			raw := w.AppendRecord(nil, nil, rec...)
			from, to := fieldAt(raw, col)
			if key := raw[from:to]; i > 0 && foldCompare(key, prev) < 0 {
				t.Fatalf("round %d: record %d key %q after %q", round, i, key, prev)
			} else {
				prev = key
			}
		}
		joined := func(recs [][]string) []string {
			var out []string
			for _, r := range recs {
				out = append(out, strings.Join(r, "\x00"))
			}
			slices.Sort(out)
			return out
		}
		if !slices.Equal(joined(got), joined(want)) {
			t.Fatalf("round %d: the records changed", round)
		}
		if len(o.rows) != 0 || len(o.buf) != 0 {
			t.Fatalf("round %d: %d rows left", round, len(o.rows))
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

// TestPartOrderBuffer: a part's buffer starts at firstOrderBuf (or the part's size when
// smaller) and, once outgrown, is allocated at the part's size at once, not doubled; a
// small plan never holds a whole part's capacity.
func TestPartOrderBuffer(t *testing.T) {
	rec := bytes.Repeat([]byte("x"), 1000)
	o := &partOrder{max: 3 * firstOrderBuf}
	o.add(rec)
	if cap(o.buf) != firstOrderBuf {
		t.Fatalf("first buffer: capacity %d, want %d", cap(o.buf), firstOrderBuf)
	}
	caps := map[int]bool{}
	for o.size() < 2*firstOrderBuf {
		o.add(rec)
		caps[cap(o.buf)] = true
	}
	if len(caps) != 2 || !caps[firstOrderBuf] || !caps[o.max] {
		t.Errorf("capacities while the part grew to %d bytes: %v, want %d then %d", o.size(), caps, firstOrderBuf, o.max)
	}
	small := &partOrder{max: 1500}
	for range 3 {
		small.add(rec[:400])
	}
	if cap(small.buf) != 1500 {
		t.Errorf("a 1,500-byte part: capacity %d", cap(small.buf))
	}
}
