package runfolder

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// One writer per folder: a second lock on the same folder (another process, or another open
// of it in this one: flock(2) locks belong to the open file) fails at once, naming the
// holder; once released, the lock can be taken again.
func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	a, b := &Folder{Dir: dir}, &Folder{Dir: dir}
	if err := a.Lock("resume", t0); err != nil {
		t.Fatal(err)
	}
	err := b.Lock("import --plan", t0)
	var iu *InUseError
	if !errors.As(err, &iu) || !errors.Is(err, ErrInUse) {
		t.Fatalf("second lock: %v, want an InUseError", err)
	}
	if iu.Holder.PID != os.Getpid() || iu.Holder.Command != "resume" || !strings.Contains(err.Error(), "in use by pid") {
		t.Errorf("holder %+v, message %q", iu.Holder, err)
	}
	a.Unlock()
	if err := b.Lock("import --plan", t0); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	b.Unlock()
}

func TestCreateBuildsPartialAndCommits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "runs", "r1")
	f, err := Create(out, "plan", t0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Dir != out+PartialSuffix || f.Name() != out {
		t.Fatalf("Dir %s, Name %s", f.Dir, f.Name())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists before Commit", out)
	}
	// Another command asking for the same --out while this one builds it is refused.
	if _, err := Create(out, "plan", t0); !errors.Is(err, ErrInUse) {
		t.Fatalf("create while building: %v, want ErrInUse", err)
	}
	f.WriteFile(SummaryFile, []byte("{}"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if f.Dir != out || !f.Has(SummaryFile) {
		t.Fatalf("after commit: Dir %s", f.Dir)
	}
	f.Unlock()
	if _, err := Create(out, "plan", t0); !errors.Is(err, ErrExists) {
		t.Fatalf("create over a finished folder: %v, want ErrExists", err)
	}
}

// A killed run leaves out.partial (unlocked, as the OS dropped the lock): a re-run with the
// same --out replaces it.
func TestCreateReplacesKilledPartial(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r")
	os.MkdirAll(out+PartialSuffix, DirPerm)
	os.WriteFile(filepath.Join(out+PartialSuffix, LedgerFile), []byte("line,key\n1,half"), FilePerm)
	f, err := Create(out, "clean", t0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Unlock()
	if f.Has(LedgerFile) {
		t.Errorf("the killed run's partial ledger survived")
	}
}

func sealedFolder(t *testing.T) (*Folder, *Plan) {
	t.Helper()
	f := &Folder{Dir: t.TempDir()}
	for _, name := range SealedFiles {
		f.WriteFile(name, []byte(name+" body\n"))
	}
	p := &Plan{Object: "nplms__Enrollment__c", Parts: []Part{{Start: 10, End: 20, Rows: 1}}}
	if err := f.WritePlan(p, Seal{ID: NewSealID(), OrgID: "00D000000000001AAA", User: "u@x", InstanceURL: "https://x"}, SealedFiles...); err != nil {
		t.Fatal(err)
	}
	var read Plan
	if err := f.ReadJSON(PlanFile, &read); err != nil {
		t.Fatal(err)
	}
	return f, &read
}

func TestSealDetectsEveryChangedFile(t *testing.T) {
	f, p := sealedFolder(t)
	if err := f.CheckSeal(p); err != nil {
		t.Fatalf("fresh plan: %v", err)
	}
	for _, name := range SealedFiles {
		t.Run(name, func(t *testing.T) {
			f, p := sealedFolder(t)
			b, _ := os.ReadFile(f.Path(name))
			os.WriteFile(f.Path(name), append(b, "\r\n"...), FilePerm) // saved by a spreadsheet
			err := f.CheckSeal(p)
			var se *SealError
			if !errors.As(err, &se) || !strings.HasSuffix(se.File, name) {
				t.Fatalf("err %v, want a SealError naming %s", err, name)
			}
			os.Remove(f.Path(name))
			if err := f.CheckSeal(p); err == nil || !strings.Contains(err.Error(), "missing") {
				t.Fatalf("deleted %s: %v", name, err)
			}
		})
	}
	t.Run("plan.json", func(t *testing.T) {
		f, p := sealedFolder(t)
		p.Parts[0].End = 15 // a part's range edited
		if err := f.CheckSeal(p); !errors.Is(err, ErrSealBroken) || !strings.Contains(err.Error(), PlanFile) {
			t.Fatalf("err %v", err)
		}
		p.Parts[0].End = 20
		p.Seal = nil
		if err := f.CheckSeal(p); !errors.Is(err, ErrSealBroken) {
			t.Fatalf("no seal: %v", err)
		}
	})
}

// Import keeps the plan's ledger and summary as plan-ledger.csv and plan-summary.json and
// writes its own: the seal is then checked on the kept files.
func TestSealFollowsKeptFiles(t *testing.T) {
	f, p := sealedFolder(t)
	f.Rename(LedgerFile, PlanLedgerFile)
	f.Rename(SummaryFile, PlanSummaryFile)
	f.WriteFile(LedgerFile, []byte("the final ledger"))
	f.WriteFile(SummaryFile, []byte("{}"))
	if err := f.CheckSeal(p); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.Path(PlanLedgerFile), []byte("edited"), FilePerm)
	if err := f.CheckSeal(p); err == nil || !strings.Contains(err.Error(), PlanLedgerFile) {
		t.Fatalf("err %v, want plan-ledger.csv named", err)
	}
}

func TestSealRecordsOrgAndFiles(t *testing.T) {
	f, _ := sealedFolder(t)
	var raw map[string]json.RawMessage
	b, _ := os.ReadFile(f.Path(PlanFile))
	json.Unmarshal(b, &raw)
	var s Seal
	json.Unmarshal(raw["seal"], &s)
	if s.OrgID == "" || s.User == "" || s.InstanceURL == "" || len(s.Files) != len(SealedFiles) || len(s.Plan) != 64 {
		t.Errorf("seal %+v", s)
	}
}

// MoveTo moves only a folder whose lock it holds, never onto an existing path, and leaves
// it unlocked where it went.
func TestMoveTo(t *testing.T) {
	parent := t.TempDir()
	dir, to := filepath.Join(parent, "run"), filepath.Join(parent, "kept")
	if err := os.Mkdir(dir, DirPerm); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "plan.json"), []byte("{}"), FilePerm)
	f := &Folder{Dir: dir}
	if err := f.MoveTo(to); err == nil {
		t.Fatal("moved a folder without its lock")
	}
	if err := f.Lock("batch plan", t0); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(parent, "taken"), DirPerm)
	if err := f.MoveTo(filepath.Join(parent, "taken")); !errors.Is(err, ErrExists) {
		t.Fatalf("moved onto an existing folder: %v", err)
	}
	if err := f.MoveTo(to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(to, "plan.json")); err != nil || f.Dir != to {
		t.Errorf("after the move: %v, Dir %s", err, f.Dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there", dir)
	}
	g := &Folder{Dir: to}
	if err := g.Lock("resume", t0); err != nil {
		t.Errorf("the moved folder is still locked: %v", err)
	}
	g.Unlock() // Windows removes no folder with an open file inside
}
