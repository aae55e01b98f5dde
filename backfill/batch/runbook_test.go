package batch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
)

// writeRunbookFile writes a runbook and the exports it names (every "*.csv" cell that is
// not missing.csv) in a fresh folder, and returns its path.
func writeRunbookFile(t *testing.T, text string, exports ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, e := range exports {
		if err := os.WriteFile(filepath.Join(dir, e), []byte("External Id,Enrollment Date\nk1,2025-12-01\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "runbook.csv")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadRunbook(t *testing.T) {
	t.Parallel()
	path := writeRunbookFile(t, "\ufeffCustomer,Target Org,export,since,update_stale,date_column,max_rejected,sandbox,order_by\n"+
		"# a comment line\n"+
		"acme,acme-prod,a.csv,2025-11-21,yes,Enrollment Date|Completion Date,5%,,none\n"+
		"\n"+
		"globex,globex,b.csv,,,,,true,\n", "a.csv", "b.csv")
	rb, err := ReadRunbook(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Customers) != 2 {
		t.Fatalf("%d customers", len(rb.Customers))
	}
	a, g := rb.Customers[0], rb.Customers[1]
	if a.Name != "acme" || a.TargetOrg != "acme-prod" || a.Line != 3 || g.Line != 5 {
		t.Errorf("customers %+v %+v", a, g)
	}
	o := a.PlanOptions()
	if o.Export.File != filepath.Join(filepath.Dir(path), "a.csv") || !o.UpdateStale || o.Target.OrderBy != "none" ||
		!o.Export.Since.Equal(time.Date(2025, 11, 21, 0, 0, 0, 0, time.UTC)) || o.Org.TargetOrg != "acme-prod" || o.Org.Sandbox {
		t.Errorf("acme's options %+v", o)
	}
	if strings.Join(o.Export.DateColumns, ",") != "Enrollment Date,Completion Date" || *a.MaxRejected() != 5 {
		t.Errorf("acme's date columns %q, max rejected %v", o.Export.DateColumns, *a.MaxRejected())
	}
	og := g.PlanOptions()
	if og.UpdateStale || !og.Org.Sandbox || g.MaxRejected() != nil || !og.Export.Since.Equal(backfill.DefaultCutoff) || og.Export.Encoding != "utf-8" {
		t.Errorf("globex's options %+v", og)
	}
	if rb.Customer("ACME") != a {
		t.Errorf("Customer is not case-insensitive")
	}
}

// TestReadRunbookSemicolons: Excel in a comma-decimal locale saves CSV with semicolons.
func TestReadRunbookSemicolons(t *testing.T) {
	t.Parallel()
	path := writeRunbookFile(t, "customer;target_org;export;max_rejected\nacme;acme;a.csv;2,5\n", "a.csv")
	if _, err := ReadRunbook(path); err == nil || !strings.Contains(err.Error(), `max_rejected "2,5"`) {
		t.Errorf("a comma decimal: %v", err)
	}
	path = writeRunbookFile(t, "customer;target_org;export\nacme;acme;a.csv\n", "a.csv")
	if rb, err := ReadRunbook(path); err != nil || rb.Customers[0].TargetOrg != "acme" {
		t.Errorf("semicolons: %v", err)
	}
}

// TestRunbookRefused: every unusable runbook is refused before any work with its line, the
// column at fault and a sentinel a front end maps.
func TestRunbookRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		line       int
		err        error
		msg        string
	}{
		{"unknown column", "customer,target_org,export,access_token\nacme,acme,a.csv,x\n", 1, ErrUnknownColumn, `column "access_token" is not a runbook column`},
		{"missing column", "customer,export\nacme,a.csv\n", 1, ErrMissingColumn, "no target_org column"},
		{"column twice", "customer,target_org,export,Target-Org\nacme,acme,a.csv,b\n", 1, ErrDuplicateColumn, "target_org is named twice"},
		{"missing export", "customer,target_org,export\nacme,acme,a.csv\nglobex,globex,missing.csv\n", 3, os.ErrNotExist, "missing.csv"},
		{"export is a folder", "customer,target_org,export\nacme,acme,.\n", 2, backfill.ErrNotAFile, "export"},
		{"empty export", "customer,target_org,export\nacme,acme,\n", 2, backfill.ErrRequired, "the export cell is empty"},
		{"empty alias", "customer,target_org,export\nacme, ,a.csv\n", 2, backfill.ErrRequired, "the target_org cell is empty"},
		{"duplicate customer", "customer,target_org,export\nacme,a,a.csv\nglobex,g,a.csv\nACME,b,a.csv\n", 4, ErrDuplicateCustomer, `"ACME" is named twice (first on line 2)`},
		{"slash in name", "customer,target_org,export\nacme/eu,a,a.csv\n", 2, ErrBadName, `acme/eu`},
		{"dot name", "customer,target_org,export\n..,a,a.csv\n", 2, ErrBadName, "starts with a dot"},
		{"reserved name", "customer,target_org,export\nbatch.csv,a,a.csv\n", 2, ErrBadName, "reserved"},
		{"windows name", "customer,target_org,export\nCON.x,a,a.csv\n", 2, ErrBadName, "reserved"},
		{"partial name", "customer,target_org,export\nacme.partial,a,a.csv\n", 2, ErrBadName, ".partial"},
		{"trailing dot", "customer,target_org,export\nacme.,a,a.csv\n", 2, ErrBadName, "ends with a dot"},
		{"bad since", "customer,target_org,export,since\nacme,a,a.csv,02/03/2025\n", 2, nil, "since"},
		{"bad boolean", "customer,target_org,export,update_stale\nacme,a,a.csv,maybe\n", 2, nil, "update_stale"},
		{"bad percentage", "customer,target_org,export,max_rejected\nacme,a,a.csv,150\n", 2, nil, "max_rejected"},
		{"bad encoding", "customer,target_org,export,encoding\nacme,a,a.csv,ebcdic\n", 2, backfill.ErrBadValue, "encoding"},
		{"bad date format", "customer,target_org,export,date_format\nacme,a,a.csv,%Q\n", 2, nil, "date_format"},
		{"missing mapping", "customer,target_org,export,mapping\nacme,a,a.csv,none.sdl\n", 2, os.ErrNotExist, "mapping"},
		{"cell count", "customer,target_org,export\nacme,a,a.csv,extra\n", 2, ErrFieldCount, "4 cells, the header has 3"},
		{"no customer", "customer,target_org,export\n", 0, ErrNoCustomers, "names no customer"},
		{"empty file", "", 0, ErrNoCustomers, "names no customer"},
		{"bare quote", "customer,target_org,export\n\"acme,a,a.csv\n", 2, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeRunbookFile(t, tc.text, "a.csv")
			_, err := ReadRunbook(path)
			var re *RunbookError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *RunbookError", err)
			}
			if re.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", re.Line, tc.line, err)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), path) {
				t.Errorf("message %q lacks %q or the file", err, tc.msg)
			}
		})
	}
}
