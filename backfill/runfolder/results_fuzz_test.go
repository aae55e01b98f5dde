package runfolder

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/northpass-tools/backfill/csvdiff"
)

// The Bulk results path: SaveResults keeps each job's result CSVs as Salesforce sends them,
// a Results table reads them back keyed by the external id (the newest attempt winning), and
// CopyWinners writes each row once into the final files (neutralising formula cells). These
// fuzz targets check it never panics and that every key comes back with exactly the outcome
// its last result implies.

const fuzzExt = "nplms__External_Id__c"

// FuzzResultsParse feeds arbitrary bytes to SaveResults as one result file of each kind,
// then reads them back into a table: neither may panic, and SaveResults never counts more
// created or already-newer rows than rows.
func FuzzResultsParse(f *testing.F) {
	for _, s := range []string{
		`"sf__Id","sf__Created","nplms__External_Id__c","Name"` + "\n" + `"a0E000000000001AAA","true","k1","x"` + "\n",
		`"sf__Id","sf__Error","nplms__External_Id__c"` + "\n" + `"","FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to old timestamp:--","=k"` + "\n",
		"nplms__External_Id__c\n\"a\"\"b\",c\n\"unterminated\n",
		"sf__Id,sf__Created\n1,true\n",
		"\"sf__Id\",\"sf__Created\",\"NPLMS__EXTERNAL_ID__C\"\r\n\"1\",\"TRUE\",\"+1\"\r\n\"2\"\r\n",
		"",
		"\x00\"\x00\"\n\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		folder := &Folder{Dir: t.TempDir()}
		table := NewResults(0, true)
		for i, k := range ResultKinds {
			name := JobFile("750x", k)
			c, err := folder.SaveResults(name, bytes.NewReader(in))
			if err != nil {
				if folder.Has(name) {
					t.Fatalf("%s: a refused file was kept", name)
				}
				continue
			}
			if c.Created > c.Rows || c.AlreadyNewer > c.Rows || c.LockFailures > c.Rows || c.Created < 0 {
				t.Fatalf("%s: %+v", k.File, c)
			}
			table.AddFile(folder, name, k, fuzzExt, uint16(i))
		}
		table.Lookup("k1")
	})
}

// resultCase is one uploaded row and the result Salesforce gave it.
type resultCase struct {
	key, id, sfErr string
	want           Outcome
}

// FuzzResultsRoundTrip writes success, failed and unprocessed result files for two attempts
// the way Salesforce sends them (fully quoted, reversed order) and reads them back: every key
// must come back exactly, with the outcome implied by its last result
// (sf__Created true: created, false: updated; sf__Error with "old timestamp": already_newer,
// else failed; unprocessed: unprocessed) and its detail (sf__Id, or sf__Error), and reach the
// final files once. keys holds the keys separated by NUL (Salesforce results never carry
// NUL: SaveResults strips it); kinds picks each key's result.
func FuzzResultsRoundTrip(f *testing.F) {
	f.Add("k1\x00k2\x00k3\x00k4\x00k5", []byte{0, 1, 2, 3, 4})
	f.Add("=1+1\x00+SUM(A1)\x00-2\x00@cmd\x00\tx\x00\rx\x00'=x\x00''-y\x00'\x00'plain", []byte{0, 1, 2, 3, 4, 3, 2, 1, 0, 4})
	f.Add("a,b\x00\"q\"\x00line\nbreak\x00 spaced \x00café\x00日本\x00", []byte{4, 3, 2, 1, 0})
	f.Fuzz(func(t *testing.T, keys string, kinds []byte) {
		var cases []resultCase
		seen := map[string]bool{}
		for _, k := range strings.Split(keys, "\x00") {
			// encoding/csv reads a quoted CR LF as LF, in the ledger and the results alike, so
			// such a key matches but does not come back byte for byte; exports never hold it.
			if seen[k] || strings.Contains(k, "\r\n") || !utf8.ValidString(k) {
				continue
			}
			seen[k] = true
			kind := len(cases) % 5
			if len(kinds) > 0 {
				kind = int(kinds[len(cases)%len(kinds)]) % 5
			}
			c := resultCase{key: k, id: fmt.Sprintf("a0E%012dAAA", len(cases)+1)}
			switch kind {
			case 0:
				c.want = Created
			case 1:
				c.want = Updated
			case 2:
				c.want, c.id, c.sfErr = AlreadyNewer, "", "FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to Old Timestamp:--"
			case 3:
				c.want, c.id, c.sfErr = Failed, "", "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
				if len(k)%2 == 1 {
					c.sfErr = "=cmd|' /C calc'!A0" // formula-like: neutralised in error.csv, not in the ledger's detail
				}
			default:
				c.want, c.id = Unprocessed, ""
			}
			cases = append(cases, c)
		}
		checkResultsRoundTrip(t, cases)
	})
}

// checkResultsRoundTrip loads cases in two attempts, as a follow-up does: the first gives
// every key a lock failure or leaves it unprocessed, the second (the follow-up) gives half of
// them their final result. The table must give every key its last result, and the final
// files must hold every key once, from that result, neutralised for spreadsheets.
func checkResultsRoundTrip(t *testing.T, cases []resultCase) {
	t.Helper()
	folder := &Folder{Dir: t.TempDir()}
	half := len(cases) / 2
	first := make([]resultCase, len(cases))
	for i, c := range cases {
		first[i] = resultCase{key: c.key, want: Unprocessed}
		if i%2 == 0 {
			first[i] = resultCase{key: c.key, want: Failed, sfErr: LockRow + ":unable to obtain exclusive access to this record:--"}
		}
	}
	attempts := []struct {
		job   string
		cases []resultCase
	}{{"750first", first}, {"750second", cases[:half]}}
	for _, a := range attempts {
		for _, k := range ResultKinds {
			body, wantRows, wantCreated, wantNewer := salesforceResults(k.File, a.cases)
			c, err := folder.SaveResults(JobFile(a.job, k), strings.NewReader(body))
			if err != nil {
				t.Fatalf("SaveResults(%s): %v\n%s", k.File, err, body)
			}
			if c.Rows != wantRows || c.Created != wantCreated || c.AlreadyNewer != wantNewer {
				t.Errorf("SaveResults(%s) = %+v; want %d rows, %d created, %d already newer", k.File, c, wantRows, wantCreated, wantNewer)
			}
		}
	}
	table := NewResults(len(cases), false)
	for src := len(attempts) - 1; src >= 0; src-- { // newest first
		for _, k := range ResultKinds {
			if err := table.AddFile(folder, JobFile(attempts[src].job, k), k, fuzzExt, uint16(src)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, c := range cases {
		want, src := c, uint16(1)
		if i >= half {
			want, src = first[i], 0
		}
		wantDetail := want.id
		switch want.want {
		case AlreadyNewer, Failed:
			wantDetail = want.sfErr
		case Unprocessed:
			wantDetail = "the job ended before Salesforce processed this row"
		}
		o, detail, gotSrc, ok := table.Lookup(c.key)
		if !ok || o != want.want || detail != wantDetail || gotSrc != src {
			t.Errorf("key %q = %v %q from %d (found %v), want %v %q from %d", c.key, o, detail, gotSrc, ok, want.want, wantDetail, src)
		}
	}
	seen := map[string]string{}
	for _, k := range ResultKinds {
		var buf bytes.Buffer
		w := csvdiff.NewWriter(&buf, true)
		header := FinalHeader(k, []string{fuzzExt, "Name"})
		w.WriteStrings(header...)
		for src, a := range attempts {
			if _, err := table.CopyWinners(folder, JobFile(a.job, k), fuzzExt, uint16(src), header, w); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("final %s: %v", k.File, err)
		}
		col := column(recs[0], fuzzExt)
		for _, rec := range recs[1:] {
			key := csvdiff.Unneutralize(rec[col])
			if prev, dup := seen[key]; dup {
				t.Errorf("key %q in %s and %s", key, prev, k.File)
			}
			seen[key] = k.File
		}
	}
	if len(seen) != len(cases) {
		t.Errorf("final files hold %d keys, want %d", len(seen), len(cases))
	}
}

// salesforceResults renders the result CSV of kind file for cases as Salesforce sends it:
// every value quoted, rows in reverse order. It returns the rows, created and already-newer
// counts SaveResults should report.
func salesforceResults(file string, cases []resultCase) (body string, rows, created, newer int) {
	var b strings.Builder
	line := func(fields ...string) {
		for i, s := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ReplaceAll(s, `"`, `""`) + `"`)
		}
		b.WriteByte('\n')
	}
	switch file {
	case SuccessFile:
		line("sf__Id", "sf__Created", fuzzExt, "Name")
	case ErrorFile:
		line("sf__Id", "sf__Error", fuzzExt, "Name")
	default:
		line(fuzzExt, "Name")
	}
	for i := len(cases) - 1; i >= 0; i-- {
		c := cases[i]
		switch {
		case file == SuccessFile && (c.want == Created || c.want == Updated):
			line(c.id, fmt.Sprint(c.want == Created), c.key, c.key)
			if c.want == Created {
				created++
			}
		case file == ErrorFile && (c.want == Failed || c.want == AlreadyNewer):
			line(c.id, c.sfErr, c.key, c.key)
			if c.want == AlreadyNewer {
				newer++
			}
		case file == UnprocessedFile && c.want == Unprocessed:
			line(c.key, c.key)
		default:
			continue
		}
		rows++
	}
	return b.String(), rows, created, newer
}

// TestResultsFormulaKeys is the deterministic core of FuzzResultsRoundTrip: keys that a
// spreadsheet would run as formulas, and keys that already start with the apostrophe the
// result files add, come back exactly and stay distinct.
func TestResultsFormulaKeys(t *testing.T) {
	var cases []resultCase
	for i, k := range []string{"=1+1", "'=1+1", "''=1+1", "+1", "'+1", "-1", "'-1", "@x", "'@x", "\tx", "'\tx", "'", "''", "'x", "=HYPERLINK(\"http://x\",\"y\")"} {
		cases = append(cases, resultCase{key: k, id: fmt.Sprintf("a0E%012dAAA", i+1), want: Created})
	}
	checkResultsRoundTrip(t, cases)
}
