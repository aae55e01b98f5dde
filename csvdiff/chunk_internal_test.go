package csvdiff

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// quirkyExport returns n rows of an export made of every quirk the scanner handles, in a
// random mix: quoted fields with commas, doubled quotes and line breaks, stray and
// unterminated quotes, text after a closing quote, invalid UTF-8, blank and short lines,
// CRLF and LF, keys with spaces and upper-case UUIDs, bad and empty dates.
func quirkyExport(seed uint64, n int, eol string) string {
	r := rand.New(rand.NewPCG(seed, 1))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	names := []string{"José", `"Müller, Jörg"`, `"Amélie ""Mimi"""`, "plain", "\"multi\nline\"", "\"multi\r\nline, two\"",
		"caf\xe9", `"x"y`, `"never closed`, `a"b`, "", " spaced ", `"=formula"`, `"q"""`, `""`}
	courses := []string{"Basics", `"A, B"`, `"The ""Admin"" Path"`, "C\r", `"田中"`}
	dates := []string{"2025-12-01", "2025-11-19", "2025-11-20T00:00:00Z", "1/2/2026", "12/31/2025 3:04 PM", "31/31/2025", "",
		"2026-01-05T10:00:00.123Z", "2024-01-01"}
	var b strings.Builder
	b.WriteString("External Id,Learner Name,Course Name,Enrollment Date,Updated At" + eol)
	for i := 0; i < n; i++ {
		switch x := r.IntN(1000); {
		case x < 10:
			b.WriteString(eol)
			continue
		case x < 12:
			b.WriteString("a,b" + eol)
			continue
		}
		k := fmt.Sprintf("k%03d", r.IntN(300))
		switch x := r.IntN(100); {
		case x < 2:
			k = ""
		case x < 4:
			k = " " + k + " "
		case x < 10:
			k = fmt.Sprintf("3F1C9A2E-6B4D-4E8A-9C71-0D2B5E7F8A%02d", r.IntN(20))
		}
		b.WriteString(strings.Join([]string{k, pick(names), pick(courses), pick(dates), pick(dates)}, ","))
		b.WriteString(eol)
	}
	return b.String()
}

// ledgerOf runs both passes over in with buffers of chunk bytes and returns every row as
// the sink saw it.
func ledgerOf(t *testing.T, in string, chunk int) string {
	t.Helper()
	opts := Options{Since: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), FoldKeys: true, chunk: chunk}
	x, err := Scan(t.Context(), strings.NewReader(in), opts)
	if err != nil {
		return "error: " + err.Error()
	}
	set := NewKeySet(0, true)
	for i := 0; i < 300; i += 3 {
		set.Add(fmt.Appendf(nil, "k%03d", i), fmt.Appendf(nil, "a0B%03d", i))
	}
	var b strings.Builder
	_, err = x.Emit(t.Context(), strings.NewReader(in), SetMatcher{Set: set}, SinkFunc(func(r *Row) error {
		fmt.Fprintf(&b, "%d %d %q %v %q %q %q\n", r.Num, r.Line, r.Key, r.Outcome, r.Detail, r.Raw, r.Fields())
		return nil
	}))
	if err != nil {
		t.Fatalf("Emit: %v", err)
	}
	return b.String()
}

// The reader hands its buffers over whole and carries a record cut by a buffer's end into
// the next: with buffers of a few bytes, where every record straddles several, each row
// must come out as it does with the usual 1 MB buffers.
func TestRecordsStraddleBuffers(t *testing.T) {
	inputs := map[string]string{
		"lf":     quirkyExport(1, 3000, "\n"),
		"crlf":   quirkyExport(2, 3000, "\r\n"),
		"cr":     strings.ReplaceAll(quirkyExport(3, 500, "\n"), "\n", "\r"),
		"bom":    "\uFEFF" + quirkyExport(4, 500, "\n"),
		"semi":   "External Id;Enrollment Date;Updated At\na;2025-12-01;\"x;\"\"y\"\"\"\nb;2025-12-02;2025-12-03\n\"c\";2025-12-01;\n",
		"eof":    "External Id,Name,Enrollment Date\na,\"x\",2025-12-01\nb,\"y\",2025-12-01\r",
		"cr-key": "Name,Enrollment Date,External Id\r\"x,1\",2025-12-01,a\r\"y\r\",2025-12-01,b\r\r",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want := ledgerOf(t, in, 0)
			for _, chunk := range []int{16, 61, 256, 4096} {
				if got := ledgerOf(t, in, chunk); got != want {
					t.Errorf("buffers of %d bytes: the rows differ from 1 MB buffers\n%s", chunk, firstDiff(got, want))
				}
			}
		})
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("row %d:\n got  %s\n want %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d rows, want %d", len(g), len(w))
}

// A quoted row at the very end of the file, ended by a CR without LF, keeps that CR in its
// last field (unquoted), as the scanner always did; the second pass, which reads the row
// as one line, must see the same fields.
func TestQuotedRowAtEOFKeepsItsCR(t *testing.T) {
	in := "External Id,Name,Enrollment Date\na,\"x\",2025-12-01\nb,\"y\",2025-12-01\r"
	got := ledgerOf(t, in, 0)
	want := "1 2 \"a\" to_insert \"\" \"a,\\\"x\\\",2025-12-01\" [\"a\" \"x\" \"2025-12-01\"]\n" +
		"2 3 \"b\" rejected \"column 3 \\\"Enrollment Date\\\": unparseable date \\\"2025-12-01\\\\r\\\"\" \"b,\\\"y\\\",2025-12-01\" [\"b\" \"y\" \"2025-12-01\\r\"]\n"
	if got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
}
