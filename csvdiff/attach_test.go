package csvdiff_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

// TestAttach covers what an Index keeps per candidate after the first pass: Salesforce Ids
// (packed) and other ids come back byte for byte with their data, keys compare as the Index
// compares them (folded here), only candidates take a value, the first value of a key stays,
// and the second pass still names the line a duplicate lost to.
func TestAttach(t *testing.T) {
	input := hdr + "A1,2025-12-01,2025-12-02,x\nb2,2025-12-01,2025-12-01,y\na1,2025-12-01,2025-12-01,z\nold,2025-01-01,,w\nc3,2025-12-01,,v\n"
	opts := csvdiff.Options{Since: cutoff, FoldKeys: true, File: "export.csv"}
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(input), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := x.Attached([]byte("a1")); ok {
		t.Fatal("Attached found a value before any Attach")
	}
	for _, a := range []struct {
		key, id, data string
		want          bool
	}{
		{"a1", "a0B5g00000ABCdeEAH", "\x01\x02\x03\x04", true}, // a Salesforce Id: packed
		{"B2", "not-an-sf-id", "", true},                       // folded key, raw id, no data
		{"A1", "a0B000000000002AAA", "later", true},            // a second value: the first stays
		{"old", "a0B000000000003AAA", "x", false},              // before the cutoff: no candidate
		{"zz", "a0B000000000004AAA", "x", false},               // not in the export
	} {
		ok, err := x.Attach([]byte(a.key), []byte(a.id), []byte(a.data))
		if err != nil || ok != a.want {
			t.Errorf("Attach(%q) = %v, %v; want %v", a.key, ok, err, a.want)
		}
	}
	if n := x.NumAttached(); n != 2 {
		t.Errorf("NumAttached = %d, want 2", n)
	}
	for _, w := range []struct{ key, id, data string }{{"A1", "a0B5g00000ABCdeEAH", "\x01\x02\x03\x04"}, {"b2", "not-an-sf-id", ""}} {
		id, data, ok := x.Attached([]byte(w.key))
		if !ok || string(id) != w.id || string(data) != w.data {
			t.Errorf("Attached(%q) = %q, %q, %v; want %q, %q", w.key, id, data, ok, w.id, w.data)
		}
	}
	for _, k := range []string{"c3", "old", "zz"} {
		if _, _, ok := x.Attached([]byte(k)); ok {
			t.Errorf("Attached(%q) found a value", k)
		}
	}
	var got []entry
	_, err = x.Emit(t.Context(), strings.NewReader(input), nil, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
		got = append(got, entry{r.Line, string(r.Key), r.Outcome.String(), r.Detail})
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	checkLedger(t, got, []entry{{2, "A1", "to_insert", ""}, {3, "b2", "to_insert", ""}, {4, "a1", "duplicate", "kept line 2"},
		{5, "old", "before_cutoff", ""}, {6, "c3", "to_insert", ""}})
}

// TestAttachMany attaches to more keys than one arena chunk holds and reads them all back.
func TestAttachMany(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr)
	const n = 40000
	for i := range n {
		b.WriteString("k" + strconv.Itoa(i) + ",2025-12-01,,x\n")
	}
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(b.String()), csvdiff.Options{Since: cutoff, File: "export.csv"})
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("d", 40)
	for i := range n {
		if ok, err := x.Attach([]byte("k"+strconv.Itoa(i)), []byte("id"+strconv.Itoa(i)), []byte(data+strconv.Itoa(i))); !ok || err != nil {
			t.Fatalf("Attach k%d: %v, %v", i, ok, err)
		}
	}
	for i := range n {
		id, d, ok := x.Attached([]byte("k" + strconv.Itoa(i)))
		if !ok || string(id) != "id"+strconv.Itoa(i) || string(d) != data+strconv.Itoa(i) {
			t.Fatalf("Attached(k%d) = %q, %q, %v", i, id, d, ok)
		}
	}
}
