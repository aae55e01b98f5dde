package runfolder

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A plan is sealed: plan.json records the SHA-256 of every file import --plan and resume
// read, the org and user it was made for, the tool version, and a hash of plan.json itself.
// A file changed since (a ledger sorted and saved by a spreadsheet, a part's byte range
// edited) or a login to another org is refused before anything is written to Salesforce.

// Seal is plan.json's seal.
type Seal struct {
	// ID names the plan; the journal's first line carries it, so a journal from another
	// plan is recognised.
	ID          string `json:"id"`
	OrgID       string `json:"org_id"`
	OrgName     string `json:"org_name,omitempty"`
	User        string `json:"user"`
	InstanceURL string `json:"instance_url"`
	Version     string `json:"version"`
	// Files maps each sealed file to its SHA-256 when the plan was made.
	Files map[string]string `json:"files"`
	// Plan is the SHA-256 of plan.json written with this field empty.
	Plan string `json:"plan"`
}

// SealedFiles are the files of a plan that import --plan and resume read.
var SealedFiles = []string{ToImportFile, LedgerFile, SummaryFile, BeforeFile}

// keptAs is where import keeps a plan file it replaces with the import's own.
var keptAs = map[string]string{LedgerFile: PlanLedgerFile, SummaryFile: PlanSummaryFile}

// ErrSealBroken is the cause of [Folder.CheckSeal]'s errors.
var ErrSealBroken = errors.New("the plan's seal is broken")

// SealError names the file that changed since the plan was made.
type SealError struct {
	File string // the file, as it is named now
	Why  string
	// Of is what the file belongs to: [SealPlan] (the reviewed plan), [SealPart] (a part the
	// load added) or [SealUndo] (an undo's plan).
	Of string
}

// What a sealed file belongs to.
const (
	SealPlan     = ""
	SealPart     = "part"
	SealUndo     = "undo"
	SealApproval = "approval"
	// SealLoad: a file the load wrote and the journal sealed (before-import.csv, the final
	// ledger and result files).
	SealLoad = "load"
	// SealUnsealed: a file that must be sealed and is not (the journal that sealed it was
	// lost, or an older backfill wrote it).
	SealUnsealed = "unsealed"
)

func (e *SealError) Error() string { return e.File + " " + e.Why }
func (e *SealError) Unwrap() error { return ErrSealBroken }

// NewSealID returns a random plan id.
func NewSealID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// WritePlan seals p (s gives the org, user and version; the files are hashed now) and writes
// plan.json.
func (f *Folder) WritePlan(p *Plan, s Seal, files ...string) error {
	s.Files = map[string]string{}
	for _, name := range files {
		sum, err := f.SHA256(name)
		if err != nil {
			return fmt.Errorf("seal the plan: %w", err)
		}
		s.Files[name] = sum
	}
	s.Plan = ""
	p.Seal = &s
	sum, err := planHash(p)
	if err != nil {
		return err
	}
	p.Seal.Plan = sum
	return f.WriteJSON(PlanFile, p)
}

// planHash is the SHA-256 of plan.json as sealed: without its approval, which is sealed
// on its own (a plan approved later keeps its seal).
func planHash(p *Plan) (string, error) {
	a := p.Approval
	p.Approval = nil
	b, err := json.Marshal(p)
	p.Approval = a
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// CheckSeal checks that plan.json (p, as read) and every sealed file are as the plan left
// them: a file import has replaced is checked where import kept it (plan-ledger.csv,
// plan-summary.json). A difference is a *[SealError].
func (f *Folder) CheckSeal(p *Plan) error {
	if p.Seal == nil {
		return &SealError{File: f.Path(PlanFile), Why: "has no seal: it was made by an older backfill or by hand"}
	}
	want := p.Seal.Plan
	p.Seal.Plan = ""
	got, err := planHash(p)
	p.Seal.Plan = want
	if err != nil {
		return err
	}
	if got != want {
		return &SealError{File: f.Path(PlanFile), Why: "changed since the plan was made"}
	}
	if a := p.Approval; a != nil {
		if a.Covers != want {
			return &SealError{File: f.Path(PlanFile), Why: "holds an approval of another plan (it was copied from another run folder)", Of: SealApproval}
		}
		if h, err := a.hash(); err != nil || h != a.Seal {
			return &SealError{File: f.Path(PlanFile), Why: "holds an approval that changed since it was recorded", Of: SealApproval}
		}
	}
	for name, sum := range p.Seal.Files {
		file := name
		if kept, ok := keptAs[name]; ok && f.Has(kept) {
			file = kept
		}
		have, err := f.SHA256(file)
		if err != nil {
			return &SealError{File: f.Path(file), Why: "is missing"}
		}
		if have != sum {
			return &SealError{File: f.Path(file), Why: "changed since the plan was made"}
		}
	}
	return nil
}

// CheckSums checks that each file of sums (name -> SHA-256, as a journal seals the files a
// load wrote) is in the folder unchanged. A difference is a *[SealError] of [SealLoad].
func (f *Folder) CheckSums(sums map[string]string) error {
	for name, sum := range sums {
		have, err := f.SHA256(name)
		if err != nil {
			return &SealError{File: f.Path(name), Why: "is missing", Of: SealLoad}
		}
		if have != sum {
			return &SealError{File: f.Path(name), Why: "changed since the load wrote it", Of: SealLoad}
		}
	}
	return nil
}

// Approval is a reviewer's approval of a plan, recorded in plan.json under a seal of its
// own that covers the plan's: Covers is the plan's seal (Seal.Plan) when it was approved,
// Seal the SHA-256 of the approval written with Seal empty. Editing the approval, or
// copying it into another plan, breaks its seal like any sealed file. Like the plan's, the
// seal proves the files unchanged, not who wrote them: it is a checksum, not a signature.
type Approval struct {
	By      string    `json:"by"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
	Version string    `json:"version"` // of backfill
	// Org names the org the approved plan loads into ("Name (Id)"), as the plan's seal
	// does: what the approver said yes to.
	Org    string `json:"org"`
	Covers string `json:"covers"`
	Seal   string `json:"seal"`
}

func (a *Approval) hash() (string, error) {
	c := *a
	c.Seal = ""
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// Approve records a in p's plan.json, sealed over p's seal; p must have been checked with
// [Folder.CheckSeal]. p.Approval is a once it is written.
func (f *Folder) Approve(p *Plan, a Approval) error {
	if p.Seal == nil {
		return &SealError{File: f.Path(PlanFile), Why: "has no seal: it was made by an older backfill or by hand"}
	}
	a.Covers, a.Seal = p.Seal.Plan, ""
	a.Org = p.Seal.OrgID
	if p.Seal.OrgName != "" {
		a.Org = p.Seal.OrgName + " (" + p.Seal.OrgID + ")"
	}
	sum, err := a.hash()
	if err != nil {
		return err
	}
	a.Seal = sum
	prev := p.Approval
	p.Approval = &a
	if err := f.WriteJSON(PlanFile, p); err != nil {
		p.Approval = prev
		return err
	}
	return nil
}
