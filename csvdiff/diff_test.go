package csvdiff_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
)

var cutoff = time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)

// entry is one ledger line as the tests see it.
type entry struct {
	line    int
	key     string
	outcome string
	detail  string // a substring the detail must contain ("" = must be empty)
}

func (e entry) String() string { return fmt.Sprintf("%d,%s,%s,%q", e.line, e.key, e.outcome, e.detail) }

// diff runs both passes over input and returns the ledger.
func diff(t *testing.T, input string, opts csvdiff.Options, existing map[string]string) ([]entry, error) {
	t.Helper()
	if opts.Since.IsZero() {
		opts.Since = cutoff
	}
	opts.File = "export.csv"
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(input), opts) // a Seeker: day-first rescans
	if err != nil {
		return nil, err
	}
	set := csvdiff.NewKeySet(0, opts.FoldKeys)
	for k, v := range existing {
		if err := set.Add([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	var got []entry
	counts, err := x.Emit(t.Context(), strings.NewReader(input), csvdiff.SetMatcher{Set: set}, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
		got = append(got, entry{r.Line, string(r.Key), r.Outcome.String(), r.Detail})
		return nil
	}))
	if err != nil {
		t.Fatalf("Emit: %v", err)
	}
	if counts.Total() != len(got) || x.Rows() != len(got) {
		t.Fatalf("counts %d, rows %d, ledger %d: want all equal", counts.Total(), x.Rows(), len(got))
	}
	return got, nil
}

func checkLedger(t *testing.T, got, want []entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("ledger has %d lines, want %d\ngot:  %v\nwant: %v", len(got), len(want), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		ok := g.line == w.line && g.key == w.key && g.outcome == w.outcome
		if w.detail == "" {
			ok = ok && (g.detail == "" || g.outcome == "exists" || g.outcome == "rejected")
		} else {
			ok = ok && strings.Contains(g.detail, w.detail)
		}
		if !ok {
			t.Errorf("ledger line %d:\ngot  %v\nwant %v", i+1, g, w)
		}
	}
}

const hdr = "External Id,Enrollment Date,Updated At,Name\n"

func TestDiffQuirks(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		opts     csvdiff.Options
		existing map[string]string
		want     []entry
	}{
		{
			name:  "cutoff is inclusive and dedup keeps the latest",
			input: hdr + "a,2025-11-19T23:59:59Z,,x\nb,2025-11-20T00:00:00Z,,y\nc,2025-12-01T10:00:00Z,2025-12-02T00:00:00Z,z\nc,2025-12-01T10:00:00Z,2025-12-01T00:00:00Z,older\n",
			want: []entry{{2, "a", "before_cutoff", ""}, {3, "b", "to_insert", ""}, {4, "c", "to_insert", ""},
				{5, "c", "duplicate", "kept line 4"}},
		},
		{
			name:  "a later newer row wins over an earlier one",
			input: hdr + "c,2025-12-01,2025-12-01,old\nc,2025-12-01,2025-12-05,new\n",
			want:  []entry{{2, "c", "duplicate", "kept line 3"}, {3, "c", "to_insert", ""}},
		},
		{
			name:  "equal updated-at: the last row wins",
			input: hdr + "c,2025-12-01,2025-12-01,one\nc,2025-12-01,2025-12-01,two\n",
			want:  []entry{{2, "c", "duplicate", "kept line 3"}, {3, "c", "to_insert", ""}},
		},
		{
			name:  "no updated-at column: the last row wins",
			input: "External Id,Enrollment Date\nc,2025-12-01\nc,2025-12-02\nc,2025-12-03\n",
			want:  []entry{{2, "c", "duplicate", "kept line 4"}, {3, "c", "duplicate", "kept line 4"}, {4, "c", "to_insert", ""}},
		},
		{
			name:  "a dated row beats one without updated-at",
			input: hdr + "c,2025-12-01,2025-12-01,one\nc,2025-12-01,,two\n",
			want:  []entry{{2, "c", "to_insert", ""}, {3, "c", "duplicate", "kept line 2"}},
		},
		{
			name:     "anti-join gives exists with the Id",
			input:    hdr + "a,2025-12-01,,x\nb,2025-12-01,,y\n",
			existing: map[string]string{"a": "a0B000000000001AAA"},
			want:     []entry{{2, "a", "exists", "a0B000000000001AAA"}, {3, "b", "to_insert", ""}},
		},
		{
			name:  "keys are trimmed and case-sensitive",
			input: hdr + " k1 ,2025-12-01,,x\nK1,2025-12-01,,y\nk1,2025-12-01,,z\n",
			want:  []entry{{2, "k1", "duplicate", "kept line 4"}, {3, "K1", "to_insert", ""}, {4, "k1", "to_insert", ""}},
		},
		{
			name:  "BOM and CRLF",
			input: "\uFEFF" + strings.ReplaceAll(hdr+"a,2025-12-01,,x\nb,2025-12-02,,y\n", "\n", "\r\n"),
			want:  []entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}},
		},
		{
			name:  "mixed line endings and blank lines",
			input: hdr + "a,2025-12-01,,x\r\n\nb,2025-12-02,,y\n\r\nc,2025-12-03,,z",
			want:  []entry{{2, "a", "to_insert", ""}, {4, "b", "to_insert", ""}, {6, "c", "to_insert", ""}},
		},
		{
			name:  "quoted fields with commas, doubled quotes and newlines keep physical lines",
			input: hdr + "a,2025-12-01,,\"Rivera, Alex\"\nb,2025-12-01,,\"say \"\"hi\"\"\nsecond line\r\nthird\"\nc,2025-12-01,,z\n",
			want:  []entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}, {6, "c", "to_insert", ""}},
		},
		{
			name:  "semicolon delimiter",
			input: "External Id;Enrollment Date;Name\na;2025-12-01;\"x;y\"\nb;2025-01-01;z\n",
			want:  []entry{{2, "a", "to_insert", ""}, {3, "b", "before_cutoff", ""}},
		},
		{
			name:  "tab delimiter",
			input: "External Id\tEnrollment Date\tName\na\t2025-12-01\tx, y\n",
			want:  []entry{{2, "a", "to_insert", ""}},
		},
		{
			name:  "headers match ignoring case, spaces, underscores and dashes",
			input: "EXTERNAL_ID,enrollment-date,name\na,2025-12-01,x\n",
			want:  []entry{{2, "a", "to_insert", ""}},
		},
		{
			name:  "Salesforce API names are recognised",
			input: "nplms__External_Id__c,nplms__Enrollment_Date__c\na,2025-12-01T00:00:00.000+0000\n",
			want:  []entry{{2, "a", "to_insert", ""}},
		},
		{
			name:  "ragged rows are rejected and the run goes on",
			input: hdr + "a,2025-12-01,,x,extra\nb,2025-12-01\nc,2025-12-01,,z\n",
			want:  []entry{{2, "", "rejected", "5 fields, the header has 4"}, {3, "", "rejected", "2 fields"}, {4, "c", "to_insert", ""}},
		},
		{
			name:  "missing and blank keys are rejected",
			input: hdr + ",2025-12-01,,x\n   ,2025-12-01,,y\nk,2025-12-01,,z\n",
			want:  []entry{{2, "", "rejected", "missing key"}, {3, "", "rejected", "missing key"}, {4, "k", "to_insert", ""}},
		},
		{
			name:  "bad and empty dates are rejected with the column",
			input: hdr + "a,31/31/2025,,x\nb,,,y\nc,tomorrow,,z\nd,2025-12-01,,ok\n",
			want: []entry{{2, "a", "rejected", `column 2 "Enrollment Date": unparseable date "31/31/2025"`},
				{3, "b", "rejected", "empty cutoff date"}, {4, "c", "rejected", "unparseable date"}, {5, "d", "to_insert", ""}},
		},
		{
			name:  "invalid UTF-8 rejects the row",
			input: hdr + "a,2025-12-01,,caf\xe9\nb,2025-12-01,,ok\n",
			want:  []entry{{2, "a", "rejected", `column 4 "Name": invalid UTF-8`}, {3, "b", "to_insert", ""}},
		},
		{
			name:  "windows-1252 is transcoded",
			input: hdr + "a,2025-12-01,,caf\xe9\n",
			opts:  csvdiff.Options{Encoding: "windows-1252"},
			want:  []entry{{2, "a", "to_insert", ""}},
		},
		{
			name:  "a stray quote rejects one line, not the rows after it",
			input: hdr + "a,2025-12-01,,\"broken\nb,2025-12-01,,y\nc,2025-12-01,,z\n",
			want:  []entry{{2, "", "rejected", "unterminated quoted field"}, {3, "b", "to_insert", ""}, {4, "c", "to_insert", ""}},
		},
		{
			name:  "an unterminated quote at the end of the file",
			input: hdr + "a,2025-12-01,,x\nb,2025-12-01,,\"never closed",
			want:  []entry{{2, "a", "to_insert", ""}, {3, "", "rejected", "unterminated quoted field"}},
		},
		{
			name:  "text after a closing quote",
			input: hdr + "a,2025-12-01,,\"x\"y\nb,2025-12-01,,z\n",
			want:  []entry{{2, "", "rejected", "extraneous text after a closing quote"}, {3, "b", "to_insert", ""}},
		},
		{
			name:  "several date columns: any on or after the cutoff keeps the row",
			input: hdr + "a,2025-01-01,2025-12-01,x\nb,2025-01-01,2025-02-01,y\nc,,2025-12-01,z\n",
			opts:  csvdiff.Options{DateColumns: []string{"Enrollment Date", "updated at"}},
			want:  []entry{{2, "a", "to_insert", ""}, {3, "b", "before_cutoff", ""}, {4, "c", "to_insert", ""}},
		},
		{
			name:  "--key-column overrides detection",
			input: "Id,Email,Enrollment Date\n1,a@x.com,2025-12-01\n",
			opts:  csvdiff.Options{KeyColumn: "email"},
			want:  []entry{{2, "a@x.com", "to_insert", ""}},
		},
		{
			name:  "--date-format forces a layout",
			input: hdr + "a,01/12/2025,,x\nb,19/11/2025,,y\n",
			opts:  csvdiff.Options{DateFormat: "dd/MM/yyyy"},
			want:  []entry{{2, "a", "to_insert", ""}, {3, "b", "before_cutoff", ""}},
		},
		{
			name:  "CR line endings (Excel for Mac) are read as records",
			input: strings.ReplaceAll(hdr+"a,2025-12-01,,\"two\nlines\"\nb,2025-12-02,,y\n", "\n", "\r"),
			want:  []entry{{2, "a", "to_insert", ""}, {4, "b", "to_insert", ""}},
		},
		{
			name:  "CR and CRLF mixed",
			input: "External Id,Enrollment Date,Updated At,Name\ra,2025-12-01,,x\r\nb,2025-12-02,,y\rc,2025-12-03,,z",
			want:  []entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}, {4, "c", "to_insert", ""}},
		},
		{
			name:  "keys differing in case are duplicates (folded, as Salesforce compares them)",
			input: hdr + "CaseKey,2025-12-01,,x\ncasekey,2025-12-02,,y\n",
			opts:  csvdiff.Options{FoldKeys: true},
			want:  []entry{{2, "CaseKey", "duplicate", "kept line 3"}, {3, "casekey", "to_insert", ""}},
		},
		{
			name:  "keys differing in case are distinct when case-sensitive",
			input: hdr + "CaseKey,2025-12-01,,x\ncasekey,2025-12-02,,y\n",
			want:  []entry{{2, "CaseKey", "to_insert", ""}, {3, "casekey", "to_insert", ""}},
		},
		{
			name:     "an existing key found under another case",
			input:    hdr + "CA3018CC-52FA-4DB6-966D-D3BF303D804C,2025-12-01,,x\nd6e9b7a2-0000-4000-8000-000000000001,2025-12-01,,y\n",
			opts:     csvdiff.Options{FoldKeys: true},
			existing: map[string]string{"ca3018cc-52fa-4db6-966d-d3bf303d804c": "", "D6E9B7A2-0000-4000-8000-000000000001": ""},
			want:     []entry{{2, "CA3018CC-52FA-4DB6-966D-D3BF303D804C", "exists", ""}, {3, "d6e9b7a2-0000-4000-8000-000000000001", "exists", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := diff(t, tt.input, tt.opts, tt.existing)
			if err != nil {
				t.Fatalf("diff: %v", err)
			}
			checkLedger(t, got, tt.want)
		})
	}
}

func TestUnusableFiles(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		opts     csvdiff.Options
		wantErr  string
		wantHint string
		wantLine int
	}{
		{"empty", "", csvdiff.Options{}, "the file is empty", "Data Export", 0},
		{"only blank lines", "\n\r\n\n", csvdiff.Options{}, "empty", "", 0},
		{"binary", "PK\x03\x04\x00\x00binary", csvdiff.Options{}, "binary", ".xlsx", 1},
		{"utf-16", "\xff\xfeE\x00x\x00", csvdiff.Options{}, "UTF-16", "UTF-8", 1},
		{"no key column", "Email,Enrollment Date\nx,2025-12-01\n", csvdiff.Options{}, "no key column found", "--key-column", 1},
		{"unknown key column lists headers and the closest", "External Id,Enrollment Date,Learner Email\n", csvdiff.Options{KeyColumn: "Learner Emial"}, `no key column "Learner Emial"`, `did you mean "Learner Email"`, 1},
		{"key named twice", "External Id,external_id,Enrollment Date\n", csvdiff.Options{}, "named more than once", "", 1},
		{"no date column", "External Id,Name\n", csvdiff.Options{}, "no date column found", "--date-column", 1},
		{"unknown date column", "External Id,Enrollment Date\n", csvdiff.Options{DateColumns: []string{"Completed"}}, `no date column "Completed"`, "", 1},
		{"bad header encoding", "External Id,Enrollment Date,Caf\xe9\n", csvdiff.Options{}, "not valid UTF-8", "windows-1252", 1},
		{"header after blank lines", "\n\nExternal Id,Name\n", csvdiff.Options{}, "no date column", "", 3},
		{"bad --date-format", hdr, csvdiff.Options{DateFormat: "foo"}, "not a date layout", "", 0},
		{"header only", hdr, csvdiff.Options{}, "a header but no data rows", "Data Export", 1},
		{"every row rejected for its date", hdr + "a,02.13.2025,,x\nb,31.31.2025,,y\n", csvdiff.Options{}, "all 2 data rows were rejected; the first (line 2)", "--date-format", 2},
		{"every row rejected for its encoding", hdr + "a,2025-12-01,,caf\xe9\n", csvdiff.Options{}, "all 1 data rows were rejected", "windows-1252", 2},
		{"a header line over 64 KB", "External Id,Enrollment Date," + strings.Repeat("x", 70<<10) + "\n", csvdiff.Options{}, "over 64 KB", "CSV UTF-8", 1},
		{"day-first and month-first in one column", hdr + "a,25/12/2025,,x\nb,12/25/2025,,y\nc,01/02/2026,,z\n", csvdiff.Options{},
			`column "Enrollment Date" mixes day-first and month-first dates: line 2 has "25/12/2025" (a day over 12 first), line 3 has "12/25/2025"`, "--date-format", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := diff(t, tt.input, tt.opts, nil)
			var fe *csvdiff.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FileError", err)
			}
			if !strings.Contains(fe.Error(), tt.wantErr) || !strings.Contains(fe.Hint, tt.wantHint) {
				t.Errorf("got  %q (hint %q)\nwant %q (hint containing %q)", fe.Error(), fe.Hint, tt.wantErr, tt.wantHint)
			}
			if fe.Line != tt.wantLine || fe.File != "export.csv" {
				t.Errorf("position %s:%d, want export.csv:%d", fe.File, fe.Line, tt.wantLine)
			}
		})
	}
}

func TestEmitDetectsChangedFile(t *testing.T) {
	in := hdr + "a,2025-12-01,,x\n"
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(in), csvdiff.Options{Since: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	sink := csvdiff.SinkFunc(func(*csvdiff.Row) error { return nil })
	if _, err := x.Emit(t.Context(), strings.NewReader(in+"b,2025-12-01,,y\n"), nil, sink); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Emit over a longer file: err = %v, want a 'changed' error", err)
	}
	if _, err := x.Emit(t.Context(), strings.NewReader(hdr), nil, sink); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Emit over a shorter file: err = %v, want a 'changed' error", err)
	}
}

func TestScanHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := csvdiff.Scan(ctx, strings.NewReader(hdr+"a,2025-12-01,,x\n"), csvdiff.Options{Since: cutoff})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestLongRecords crosses the scanner's buffer boundaries with long and multi-line fields.
func TestLongRecords(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	multi := strings.Repeat("line\r\n", 200000)
	in := hdr + "a,2025-12-01,," + long + "\nb,2025-12-01,,\"" + multi + "\"\nc,2025-12-01,,z\n"
	got, err := diff(t, in, csvdiff.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLedger(t, got, []entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}, {200004, "c", "to_insert", ""}})
}

func TestRowFieldsAreUnescaped(t *testing.T) {
	in := hdr + "a,2025-12-01,,\"say \"\"hi\"\", ok\"\n"
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(in), csvdiff.Options{Since: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	_, err = x.Emit(t.Context(), strings.NewReader(in), nil, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
		for _, f := range r.Fields() {
			got = append(got, string(f))
		}
		if !bytes.Equal(r.Raw, []byte(`a,2025-12-01,,"say ""hi"", ok"`)) {
			t.Errorf("Raw = %q", r.Raw)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "2025-12-01", "", `say "hi", ok`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Fields() = %q, want %q", got, want)
	}
}
