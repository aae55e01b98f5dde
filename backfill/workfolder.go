package backfill

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// workFolder is a run folder opened for work: locked for one command, its plan read and
// checked against its seal, its journal replayed, logged in to the plan's org. Plan makes
// one; import --plan, resume, verify and undo open one; the Bulk loader works on what it
// hands over (the plan, the journal, the folder), never on the workFolder itself.
type workFolder struct {
	j       *job
	dir     string // the folder as given
	folder  *runfolder.Folder
	info    *runfolder.Plan
	summary *Summary
	journal *runfolder.JournalState
	sf      Salesforce
	org     *sfclient.Organization // the org logged in to, once login checked it
	// preflight holds the blocking checks when the plan was just made (import runs them
	// once), else nil.
	preflight *PreflightReport
	// skippedPreflight: the load ran without preflight's checks, which the summary says.
	skippedPreflight bool
}

// openPlanned opens the plan folder dir for command: its lock, then plan.json. The lock is
// held on success.
func openPlanned(j *job, dir string, command Command) (*workFolder, error) {
	folder, err := runfolder.Open(dir)
	if err != nil {
		return nil, &FolderError{Dir: dir, Want: command, Err: ErrNotRunFolder, Cause: err}
	}
	if strings.HasSuffix(filepath.Clean(dir), runfolder.PartialSuffix) {
		return nil, &FolderError{Dir: dir, Want: command, Err: ErrUnfinishedFolder}
	}
	if err := folder.Lock(j.words().Command(command, ""), j.now()); err != nil {
		return nil, err
	}
	w := &workFolder{j: j, dir: dir, folder: folder, info: &runfolder.Plan{}, summary: &Summary{}}
	if err := folder.ReadJSON(runfolder.PlanFile, w.info); err != nil {
		folder.Unlock()
		return nil, &FolderError{Dir: dir, Want: command, Err: ErrNotPlanFolder, Cause: err}
	}
	return w, nil
}

// open opens dir for command, as openPlanned, then checks the login options and the seal
// and replays the journal. The lock is held on success.
func open(j *job, o *FolderOptions, command Command, mapping string) (w *workFolder, err error) {
	if w, err = openPlanned(j, o.Dir, command); err != nil {
		return nil, err
	}
	defer unlockOnErr(w.folder, &err)
	o.Org = w.planLogin(o.Org)
	if err := validateOrg(o.Org, mapping); err != nil {
		return nil, err
	}
	if err := w.checkSealed(command); err != nil {
		return nil, err
	}
	return w, nil
}

// checkSealed refuses a plan whose files changed since it was made (a *runfolder.SealError),
// a journal that belongs to another plan, and a part the load added that changed since.
func (w *workFolder) checkSealed(command Command) error {
	if err := w.folder.CheckSeal(w.info); err != nil {
		return err
	}
	st, err := w.folder.ReadJournal()
	if err != nil {
		return &FolderError{Dir: w.dir, Want: command, File: w.folder.Path(runfolder.JournalFile), Err: ErrJournalDamaged, Cause: err}
	}
	if !st.Missing && st.PlanID != w.info.Seal.ID {
		return &FolderError{Dir: w.dir, Want: command, File: w.folder.Path(runfolder.JournalFile), Err: ErrJournalForeign,
			Other: st.PlanID, Plan: w.info.Seal.ID}
	}
	for n, ps := range st.Parts {
		if ps.File == "" {
			continue
		}
		sum, err := w.folder.SHA256(ps.File)
		if err != nil || sum != ps.Sum {
			return &runfolder.SealError{File: w.folder.Path(ps.File), Why: fmt.Sprintf("(part %d) is missing or changed since the load wrote it", n), Of: runfolder.SealPart}
		}
	}
	switch {
	case st.Torn:
		w.j.log.Warn("journal.jsonl holds no plan line (its first line is torn): which rows were loaded is unknown; each part's rows are looked up in Salesforce before anything is sent")
	case st.Missing:
		w.j.log.Warn("journal.jsonl is missing: which rows were loaded is unknown; each part's rows are looked up in Salesforce before anything is sent")
	}
	w.journal = st
	return nil
}

// readSummary reads the summary a command on the folder starts from: the plan's (kept as
// plan-summary.json once an import finished) when plan is set, else summary.json.
func (w *workFolder) readSummary(plan bool) error {
	name := runfolder.SummaryFile
	if plan && w.folder.Has(runfolder.PlanSummaryFile) {
		name = runfolder.PlanSummaryFile
	}
	if err := w.folder.ReadJSON(name, w.summary); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// planLogin is the login of a command on the folder: the one given when it names an org (an
// alias or an instance URL), else the one the plan was made with (its alias, or its instance
// and login host; the credentials always come from the caller). A plan made for a sandbox
// is logged in to as a sandbox.
func (w *workFolder) planLogin(given sfclient.Config) sfclient.Config {
	l := w.info.Login
	switch {
	case given.TargetOrg != "" || given.InstanceURL != "":
		return given
	case l == nil: // a plan made before logins were recorded
		given.InstanceURL = w.info.InstanceURL
		return given
	}
	given.TargetOrg = l.TargetOrg
	if l.TargetOrg == "" {
		given.InstanceURL = w.info.InstanceURL
	}
	if given.LoginURL == "" {
		given.LoginURL = l.LoginURL
	}
	given.Sandbox = given.Sandbox || l.Sandbox
	return given
}

// login logs in with the folder's login (see planLogin) and refuses another org.
func (w *workFolder) login(ctx context.Context, org *FolderOptions) error {
	var err error
	if w.sf, err = w.j.connect(ctx, org.Org); err != nil {
		return err
	}
	w.org, err = w.checkOrg(ctx)
	return err
}

// checkOrg refuses a login to another org than the plan's: another URL, or the same URL
// serving another org. It returns the org logged in to.
func (w *workFolder) checkOrg(ctx context.Context) (*sfclient.Organization, error) {
	seal := w.info.Seal
	if !sameHost(w.sf.InstanceURL(), w.info.InstanceURL) {
		return nil, &OrgError{PlanURL: w.info.InstanceURL, LoginURL: w.sf.InstanceURL()}
	}
	org, err := w.sf.Organization(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the org's Id: %w", err)
	}
	if !sameOrgID(org.ID, seal.OrgID) {
		return nil, &OrgError{PlanURL: w.info.InstanceURL, LoginURL: w.sf.InstanceURL(), SameURL: true,
			PlanOrgID: seal.OrgID, PlanOrgName: seal.OrgName, LoginOrgID: org.ID, LoginOrgName: org.Name}
	}
	return org, nil
}

// sameOrgID compares 15- or 18-character Ids (the 18-character form adds a case suffix).
func sameOrgID(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}

// openImported opens the run folder of a finished import for command (verify, undo): its
// lock, its seal, the same org. A plan never imported, or an import not finished, is
// refused.
func openImported(ctx context.Context, j *job, o *FolderOptions, command Command) (w *workFolder, err error) {
	if w, err = open(j, o, command, ""); err != nil {
		return nil, err
	}
	defer unlockOnErr(w.folder, &err)
	switch st := w.journal; {
	case st.Missing:
		return nil, w.journalLost(command)
	case !st.Started:
		return nil, &FolderError{Dir: o.Dir, Want: command, Err: ErrNeverImported}
	case !st.Finished:
		return nil, &FolderError{Dir: o.Dir, Want: command, Err: ErrImportRunning}
	}
	if err := w.folder.CheckSums(w.journal.Sums); err != nil {
		return nil, err // what the load wrote, sealed by the journal
	}
	if err := j.attach(w.folder); err != nil {
		return nil, err
	}
	if err := w.readSummary(false); err != nil {
		return nil, err
	}
	if err := w.login(ctx, o); err != nil {
		return nil, err
	}
	return w, nil
}

var errTornFirstLine = errors.New("torn in its first line, the plan id")

// journalLost refuses command on a folder whose journal is lost: only resume, which reads
// the load's fate from the org, goes on from there.
func (w *workFolder) journalLost(command Command) error {
	e := &FolderError{Dir: w.dir, Want: command, Err: ErrJournalLost, File: w.folder.Path(runfolder.JournalFile)}
	if w.journal != nil && w.journal.Torn {
		e.Cause = errTornFirstLine
	}
	return e
}

// saveSummary writes summary.json and report.html again (after verify or undo), keeping
// the import's own times.
func (w *workFolder) saveSummary() error { return saveSummary(w.j, w.folder, w.summary) }

// writeSummary stamps the summary's end and writes it with the report.
func (w *workFolder) writeSummary() error { return writeSummary(w.j, w.folder, w.summary) }

// keysOf are the ledger's keys with one of outcomes.
func (w *workFolder) keysOf(outcomes ...runfolder.Outcome) *ledgerKeys {
	k := &ledgerKeys{folder: w.folder, name: runfolder.LedgerFile, outcomes: map[runfolder.Outcome]bool{},
		n: w.summary.Count(outcomes...), fold: w.info.FoldKeys}
	for _, o := range outcomes {
		k.outcomes[o] = true
	}
	return k
}

// updatedField is the field the export's Updated At column was loaded into, "" when none.
func (w *workFolder) updatedField() string {
	for _, m := range w.info.Mapping {
		if m.Column != "" && csvdiff.Canonical(m.Column) == csvdiff.Canonical(w.summary.UpdatedColumn) {
			return m.Field
		}
	}
	return ""
}

// unlockOnErr is for a deferred call (on a folder the function returns locked, or nil with
// an error): it unlocks folder when *err is set.
func unlockOnErr(folder *runfolder.Folder, err *error) {
	if *err != nil {
		folder.Unlock()
	}
}
