package runfolder

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// The Bulk results parser: appendResults copies Salesforce's result CSVs into the run folder
// (neutralising formula cells), loadResults reads them back into a table keyed by the
// external id. These fuzz targets check it never panics and that every key comes back with
// exactly the outcome its result file implies.

const fuzzExt = "nplms__External_Id__c"

// FuzzResultsParse feeds arbitrary bytes to appendResults as one result file of each kind,
// then reads them back with loadResults: neither may panic, and appendResults never counts
// more created or already-newer rows than rows.
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
		for _, k := range ResultKinds {
			c, err := folder.AppendResults(k.File, bytes.NewReader(in))
			if err != nil {
				continue
			}
			if c.Created > c.Rows || c.AlreadyNewer > c.Rows || c.Created < 0 || c.AlreadyNewer < 0 {
				t.Fatalf("%s: %+v", k.File, c)
			}
		}
		if table, err := folder.ReadResults(fuzzExt, map[string]int64{}, map[string]int64{}, 0); err == nil {
			table.Lookup("k1")
		}
	})
}

// resultCase is one uploaded row and the result Salesforce gave it.
type resultCase struct {
	key, id, sfErr string
	want           Outcome
}

// FuzzResultsRoundTrip writes success, failed and unprocessed result files for two jobs the
// way Salesforce sends them (fully quoted, reversed order), appends them to a run folder and
// reads each job's section back: every key must come back exactly, with the outcome implied
// (sf__Created true: created, false: updated; sf__Error with "old timestamp": already_newer,
// else failed; unprocessed: unprocessed) and its detail (sf__Id, or sf__Error), and no key
// of the other job. keys holds the keys separated by NUL (Salesforce results never carry
// NUL: appendResults strips it); kinds picks each key's result.
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

func checkResultsRoundTrip(t *testing.T, cases []resultCase) {
	t.Helper()
	folder := &Folder{Dir: t.TempDir()}
	half := len(cases) / 2
	parts := [][]resultCase{cases[:half], cases[half:]}
	starts := make([]map[string]int64, len(parts))
	for p, part := range parts {
		starts[p] = map[string]int64{}
		for _, k := range ResultKinds {
			starts[p][k.File] = folder.Size(k.File)
			body, wantRows, wantCreated, wantNewer := salesforceResults(k.File, part)
			c, err := folder.AppendResults(k.File, strings.NewReader(body))
			rows, created, newer := c.Rows, c.Created, c.AlreadyNewer
			if err != nil {
				t.Fatalf("appendResults(%s): %v\n%s", k.File, err, body)
			}
			if rows != wantRows || created != wantCreated || newer != wantNewer {
				t.Errorf("appendResults(%s) = %d rows, %d created, %d already newer; want %d, %d, %d",
					k.File, rows, created, newer, wantRows, wantCreated, wantNewer)
			}
		}
	}
	for p, part := range parts {
		end := map[string]int64{}
		for _, k := range ResultKinds {
			end[k.File] = -1
			if p+1 < len(parts) {
				end[k.File] = starts[p+1][k.File]
			}
		}
		table, err := folder.ReadResults(fuzzExt, starts[p], end, len(part))
		if err != nil {
			t.Fatalf("loadResults(part %d): %v", p+1, err)
		}
		for _, c := range part {
			o, detail, ok := table.Lookup(c.key)
			wantDetail := c.id
			switch c.want {
			case AlreadyNewer, Failed:
				wantDetail = c.sfErr
			case Unprocessed:
				wantDetail = "the job ended before Salesforce processed this row"
			}
			if !ok || o != c.want || detail != wantDetail {
				t.Errorf("part %d: key %q = %v %q (found %v), want %v %q", p+1, c.key, o, detail, ok, c.want, wantDetail)
			}
		}
		for _, c := range parts[1-p] {
			if o, _, ok := table.Lookup(c.key); ok {
				t.Errorf("part %d: key %q of the other part found (%v)", p+1, c.key, o)
			}
		}
	}
	if t.Failed() {
		for _, k := range ResultKinds {
			b, _ := os.ReadFile(folder.Path(k.File))
			t.Logf("%s:\n%s", k.File, b)
		}
	}
}

// salesforceResults renders the result CSV of kind file for cases as Salesforce sends it:
// every value quoted, rows in reverse order. It returns the rows, created and already-newer
// counts appendResults should report.
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
