package backfill_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// planCase is a `plan` of a quirky export against the demo org; golden files live in
// testdata/golden/<name>/.
type planCase struct {
	name   string
	export string
	seed   func(*sftest.Seed)
}

var planCases = []planCase{
	// Keys differing only in case: the org holds 8079cca4-... and 97be1430-... in lower case;
	// CaseKey and casekey are one key. The external id field is not case-sensitive.
	{"plan-case-keys", "../testdata/quirks/case-keys.csv", nil},
	// The same export when the field is "Unique, case-sensitive": every key is its own.
	{"plan-case-keys-case-sensitive", "../testdata/quirks/case-keys.csv", func(s *sftest.Seed) {
		for i, f := range s.Object(demoObject).Fields {
			if f.Name == demoExtID {
				s.Object(demoObject).Fields[i].CaseSensitive = true
			}
		}
	}},
	// The cutoff column is named "Enrolled At": it is loaded into the Enrollment Date field.
	{"plan-enrolled-at", "../testdata/quirks/enrolled-at.csv", nil},
}

func TestPlanQuirksGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range planCases {
		t.Run(tt.name, func(t *testing.T) {
			seed := sftest.DemoSeed()
			if tt.seed != nil {
				tt.seed(seed)
			}
			srv := sftest.NewServer(t, sftest.WithSeed(seed))
			cfg := orgConfig(t, srv)
			cfg.Now, cfg.Export.File = fixedNow, tt.export
			sum, err := backfill.Plan(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariant(t, cfg.Out, sum)
			got := map[string][]byte{"stdout.txt": []byte(printed(t, sum))}
			for _, name := range []string{runfolder.LedgerFile, runfolder.ToImportFile} {
				b, err := os.ReadFile(filepath.Join(cfg.Out, name))
				if err != nil {
					t.Fatal(err)
				}
				got[name] = b
			}
			for name, b := range got {
				b = bytes.ReplaceAll(placeholdRunFolder(b, cfg.Out), []byte(srv.URL), []byte("ORG_URL"))
				golden(t, filepath.Join("..", "testdata", "golden", tt.name, name), b)
			}
		})
	}
}

// TestCaseVariantKeysImport: with a case-insensitive external id, an export key in another
// case updates the existing record (only with --update-stale, when its values differ) and
// never creates a second one; with a case-sensitive field it is a new record.
func TestCaseVariantKeysImport(t *testing.T) {
	t.Parallel()
	for _, sensitive := range []bool{false, true} {
		seed := sftest.DemoSeed()
		for i, f := range seed.Object(demoObject).Fields {
			if f.Name == demoExtID {
				seed.Object(demoObject).Fields[i].CaseSensitive = sensitive
			}
		}
		srv := sftest.NewServer(t, sftest.WithSeed(seed))
		before := len(srv.Records(demoObject))
		cfg := orgConfig(t, srv)
		cfg.Export.File = "../testdata/quirks/case-keys.csv"
		sum, err := backfill.Import(t.Context(), imp(cfg))
		if err != nil {
			t.Fatal(err)
		}
		created := len(srv.Records(demoObject)) - before
		want := 1 // casekey (CaseKey is its duplicate); the two upper-case keys exist, one stale
		if sensitive {
			want = 4
		}
		if created != want || sum.Outcomes["created"] != want || sum.Outcomes["failed"] != 0 {
			t.Errorf("case-sensitive %v: %d records created, outcomes %v; want %d created, none failed", sensitive, created, outcomes(sum), want)
		}
		if !sensitive && (sum.Outcomes["exists"] != 1 || sum.Outcomes["stale"] != 1 || sum.Outcomes["duplicate"] != 1) {
			t.Errorf("outcomes %v: want the lower-case record found as exists and stale, CaseKey a duplicate", outcomes(sum))
		}
	}
}

// TestQuirksUnusable: an export whose date column mixes both orders, and a cutoff column no
// field can hold, stop with exit 2 naming the fix, and leave no run folder.
func TestQuirksUnusable(t *testing.T) {
	t.Parallel()
	cfg := cleanOptions(t)
	cfg.Export.File, cfg.Existing = "../testdata/quirks/inconsistent.csv", "../testdata/quirks/existing-quirks.csv"
	_, err := backfill.Clean(t.Context(), cfg)
	var fe *csvdiff.FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `line 2 has "25/12/2025"`) ||
		!strings.Contains(err.Error(), `line 3 has "12/26/2025"`) || !strings.Contains(fe.Hint, "--date-format") {
		t.Errorf("inconsistent dates: %v", err)
	}
	if _, serr := os.Stat(cfg.Out); !os.IsNotExist(serr) {
		t.Errorf("a run folder was left: %v", serr)
	}

	seed := sftest.DemoSeed()
	obj := seed.Object(demoObject)
	var kept []sftest.Field
	for _, f := range obj.Fields {
		if f.Name != "nplms__Enrollment_Date__c" {
			kept = append(kept, f)
		}
	}
	obj.Fields = kept
	for _, r := range obj.Records {
		delete(r, "nplms__Enrollment_Date__c")
	}
	srv := sftest.NewServer(t, sftest.WithSeed(seed))
	pc := orgConfig(t, srv)
	pc.Export.File = "../testdata/quirks/enrolled-at.csv"
	_, err = backfill.Plan(t.Context(), pc)
	var te *backfill.TargetError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), `the enrollment date column "Enrolled At" (the cutoff) would not be loaded`) ||
		!strings.Contains(te.Fix, "--mapping") || te.Option != backfill.OptMapping {
		t.Errorf("unloaded cutoff column: %v", err)
	}
}
