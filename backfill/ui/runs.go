package ui

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// The runs: every run folder under the runs folder, with its state read from the folder
// itself (plan.json, the journals, summary.json, its lock), so that what the command line
// did shows on the page and the other way round.

// Run states, in the order a run goes through them.
const (
	statePlanning    = "planning"    // a plan is being written (its folder is still .partial)
	stateUnfinished  = "unfinished"  // a plan that stopped before it was complete
	statePlanned     = "planned"     // a plan, not approved
	stateApproved    = "approved"    // approved, not imported
	stateImporting   = "importing"   // its import runs now (here or in another command)
	stateInterrupted = "interrupted" // its import, or its undo, stopped before the end
	stateImported    = "imported"    // imported, not verified (or verify found differences)
	stateVerified    = "verified"    // imported, and the last verify found every record
	stateUndoing     = "undoing"     // its undo runs now
	stateUndone      = "undone"      // its undo ran
)

// action is the next thing to do with a run: the step of the page it is in and the button's
// name.
type action struct {
	Step  string `json:"step"`  // approve, import, resume, verify, undo, plan
	Label string `json:"label"` // begins with the button's word
}

// runView is a run in the list.
type runView struct {
	Name     string              `json:"name"`
	State    string              `json:"state"`
	Detail   string              `json:"detail"`
	Next     *action             `json:"next,omitempty"`
	Org      *orgView            `json:"org,omitempty"`
	Created  time.Time           `json:"created"`
	Rows     int                 `json:"rows"`
	ToLoad   int                 `json:"to_load"`
	Approval *runfolder.Approval `json:"approval,omitempty"`
	Busy     bool                `json:"busy"`               // a job of this page works on it now
	NoLogin  *sentence           `json:"no_login,omitempty"` // why the page cannot work on it, if it cannot
}

// runInfo is what a run folder holds, read once.
type runInfo struct {
	dir       string
	folder    *runfolder.Folder
	plan      *runfolder.Plan
	journal   *runfolder.JournalState
	summary   *backfill.Summary // summary.json
	planSum   *backfill.Summary // the plan's summary (plan-summary.json once imported)
	undoStart bool              // an undo's jobs started
	undoEnd   bool              // and all finished
	locked    bool
}

// readRun reads the run folder dir, named name; busy says a job of this page works on it.
func (s *Server) readRun(dir, name string, busy bool) (*runInfo, error) {
	f, err := runfolder.Open(dir)
	if err != nil {
		return nil, err
	}
	ri := &runInfo{dir: dir, folder: f, plan: &runfolder.Plan{}}
	if err := f.ReadJSON(runfolder.PlanFile, ri.plan); err != nil {
		return ri, err
	}
	if ri.journal, err = f.ReadJournal(); err != nil {
		ri.journal = &runfolder.JournalState{Started: true} // damaged: Resume says how
	}
	sum := &backfill.Summary{}
	if f.ReadJSON(runfolder.SummaryFile, sum) == nil {
		ri.summary = sum
	}
	ri.planSum = ri.summary
	if f.Has(runfolder.PlanSummaryFile) {
		ps := &backfill.Summary{}
		if f.ReadJSON(runfolder.PlanSummaryFile, ps) == nil {
			ri.planSum = ps
		}
	}
	if f.Has(runfolder.UndoFile) {
		ri.undoEnd = true
		for _, name := range []string{runfolder.UndoDeleteJournal, runfolder.UndoUpdateJournal} {
			st, err := f.ReadJournalFile(name)
			if err != nil {
				continue
			}
			ri.undoStart = ri.undoStart || st.Started
			ri.undoEnd = ri.undoEnd && st.Finished
		}
	}
	ri.locked = busy
	if !busy && (ri.journal.Started && !ri.journal.Finished || ri.undoStart && !ri.undoEnd) {
		ri.locked = s.inUse(name, f)
	}
	return ri, nil
}

// inUse reports whether a job holds the lock of the run folder f, named name: a job of this
// page, or another command. Only the lock can tell the latter, so it takes the lock and
// gives it back at once when nobody holds it; it does so under probeMu, which start holds
// while it claims a run for a job, so that this never makes a job of the page find its
// folder in use. (A command started at that very microsecond can: it says so, and running
// it again works.)
func (s *Server) inUse(name string, f *runfolder.Folder) bool {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if s.busyRuns()[name] {
		return true
	}
	err := f.Lock("backfill ui (looking)", time.Now())
	if err == nil {
		f.Unlock()
		return false
	}
	return errors.Is(err, runfolder.ErrInUse)
}

// view is the run as the list shows it: its state, a sentence, and what to do next.
func (ri *runInfo) view(name string) runView {
	v := runView{Name: name, Approval: ri.plan.Approval}
	if st, err := os.Stat(ri.folder.Path(runfolder.PlanFile)); err == nil {
		v.Created = st.ModTime()
	}
	if ps := ri.planSum; ps != nil {
		v.Rows = ps.Rows
		v.ToLoad = ps.Count(runfolder.ToInsert, runfolder.ToUpdate)
		if !ps.StartedAt.IsZero() {
			v.Created = ps.StartedAt
		}
	}
	v.Org = ri.org()
	st, sum := ri.journal, ri.summary
	switch {
	case ri.undoStart && !ri.undoEnd && ri.locked:
		v.State, v.Detail = stateUndoing, "Its undo is running."
	case ri.undoStart && !ri.undoEnd:
		v.State, v.Detail = stateInterrupted, "Its undo stopped before the end: Resume finishes it, without doing anything twice."
		v.Next = &action{"resume", "Resume the undo"}
	case sum != nil && sum.Undo != nil && !sum.Undo.DryRun:
		v.State, v.Detail = stateUndone, "Its import was taken back."
		if !sum.Undo.OK() {
			v.Detail = "Its undo left some records as they were (the undo's ledger says why)."
			v.Next = &action{"undo", "Undo the rest"}
		}
	case st.Finished:
		v.State = stateImported
		v.Detail = "Imported: " + loadedWords(sum) + "."
		v.Next = &action{"verify", "Verify the import"}
		if sum != nil && len(sum.Verify) > 0 {
			last := sum.Verify[len(sum.Verify)-1]
			if last.OK() {
				v.State, v.Detail = stateVerified, "Imported, and verified: every loaded record holds what was uploaded."
				v.Next = &action{"undo", "Undo (if it must be taken back)"}
			} else {
				v.Detail = "Imported, but the last verify found records that differ or are missing."
			}
		}
	case st.Started || st.Missing:
		if ri.locked {
			v.State, v.Detail = stateImporting, "Its import is running."
		} else {
			v.State, v.Detail = stateInterrupted, "Its import stopped before the end: Resume finishes it, without sending anything twice."
			v.Next = &action{"resume", "Resume the import"}
		}
	case ri.plan.Approval != nil:
		v.State = stateApproved
		v.Detail = "Approved by " + ri.plan.Approval.By + " on " + ri.plan.Approval.At.Local().Format("2006-01-02 15:04") + "; not imported yet."
		v.Next = &action{"import", "Import the approved plan"}
	default:
		v.State, v.Detail = statePlanned, "A plan, not approved yet."
		v.Next = &action{"approve", "Approve the plan"}
		if ps := ri.planSum; ps != nil && ps.Ended() == backfill.StatusTooManyRejected {
			v.Detail = "A plan an import would refuse: too many rows were rejected."
			v.Next = &action{"plan", "Plan again"}
		}
	}
	return v
}

// loadedWords counts what an import loaded.
func loadedWords(sum *backfill.Summary) string {
	if sum == nil {
		return "its summary is missing"
	}
	out := backfill.Group(sum.Count(runfolder.Created)) + " created, " + backfill.Group(sum.Count(runfolder.Updated)) + " updated"
	if n := sum.Count(runfolder.Failed, runfolder.Unprocessed); n > 0 {
		out += ", " + backfill.Plural(n, "row") + " failed or left unprocessed"
	}
	return out
}

// org is the org the run was planned for.
func (ri *runInfo) org() *orgView {
	if ps := ri.planSum; ps != nil && ps.Org != nil {
		return &orgView{Name: ps.Org.Name, ID: ps.Org.ID, InstanceURL: ps.Org.InstanceURL, Sandbox: ps.Org.Sandbox, User: ps.Org.User}
	}
	if s := ri.plan.Seal; s != nil {
		return &orgView{Name: s.OrgName, ID: s.OrgID, InstanceURL: ri.plan.InstanceURL, User: s.User}
	}
	return nil
}

// listRuns lists the runs under the runs folder, newest first.
func (s *Server) listRuns() []runView {
	entries, err := os.ReadDir(s.runs)
	if err != nil {
		return []runView{}
	}
	busy := s.busyRuns()
	out := []runView{}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == ExportsDir || !plainName(name) {
			continue
		}
		dir := filepath.Join(s.runs, name)
		if base, ok := strings.CutSuffix(name, runfolder.PartialSuffix); ok {
			f, _ := runfolder.Open(dir)
			v := runView{Name: base, State: stateUnfinished, Detail: "A plan that stopped before it was complete.", Next: &action{"plan", "Plan again"}}
			if f != nil && s.inUse(base, f) {
				v.State, v.Detail, v.Next = statePlanning, "A plan is being written.", nil
			}
			if st, err := os.Stat(dir); err == nil {
				v.Created = st.ModTime()
			}
			out = append(out, v)
			continue
		}
		ri, err := s.readRun(dir, name, busy[name])
		if err != nil {
			continue // not a run folder
		}
		v := ri.view(name)
		v.Busy = busy[name]
		if _, err := s.folderLogin(ri.plan); err != nil {
			v.NoLogin = explain(err)
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Name > out[j].Name
	})
	return out
}

func (s *Server) serveRuns(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.listRuns())
}

// runDetail is one run, as steps 4 to 8 show it.
type runDetail struct {
	runView
	Status      backfill.Status       `json:"status,omitempty"`
	Outcomes    map[string]int        `json:"outcomes,omitempty"`
	MaxRejected float64               `json:"max_rejected"`
	ToInsert    int                   `json:"to_insert"`
	ToUpdate    int                   `json:"to_update"`
	Warnings    []backfill.Warning    `json:"warnings,omitempty"`
	Preflight   []backfill.Check      `json:"preflight,omitempty"`
	Jobs        []backfill.JobSummary `json:"jobs,omitempty"`
	Verify      *backfill.VerifyRun   `json:"verify,omitempty"`
	Undo        *backfill.UndoRun     `json:"undo,omitempty"`
	Files       []string              `json:"files"`
	Imported    bool                  `json:"imported"`
}

// detail reads the run name.
func (s *Server) detail(name string) (*runDetail, error) {
	dir, err := s.runDir(name)
	if err != nil {
		return nil, err
	}
	ri, err := s.readRun(dir, name, s.busyRuns()[name])
	if err != nil {
		return nil, &backfill.FolderError{Dir: dir, Err: backfill.ErrNotPlanFolder, Cause: err}
	}
	d := &runDetail{runView: ri.view(name), Files: []string{}, Imported: ri.journal.Finished}
	d.Busy = s.busyRuns()[name]
	if _, err := s.folderLogin(ri.plan); err != nil {
		d.NoLogin = explain(err)
	}
	if ps := ri.planSum; ps != nil {
		d.MaxRejected = ps.RejectedLimit()
		d.ToInsert, d.ToUpdate = ps.Count(runfolder.ToInsert), ps.Count(runfolder.ToUpdate)
		d.Warnings, d.Preflight = ps.Warnings, ps.Preflight
	}
	if sum := ri.summary; sum != nil {
		d.Status, d.Outcomes, d.Jobs, d.Undo = sum.Ended(), sum.Outcomes, sum.Jobs, sum.Undo
		if n := len(sum.Verify); n > 0 {
			d.Verify = &sum.Verify[n-1]
		}
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if e.Type().IsRegular() && plainName(e.Name()) {
				d.Files = append(d.Files, e.Name())
			}
		}
	}
	return d, nil
}

func (s *Server) serveRun(w http.ResponseWriter, r *http.Request) {
	d, err := s.detail(r.PathValue("name"))
	if err != nil {
		fail(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// openRun makes a run the one steps 4 to 8 show.
func (s *Server) openRun(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := s.detail(name)
	if err != nil {
		fail(w, http.StatusNotFound, err)
		return
	}
	s.mu.Lock()
	s.current = name
	s.mu.Unlock()
	s.events.notify()
	writeJSON(w, http.StatusOK, d)
}
