package ui

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// Steps 3 to 8: each button starts one job in the server and answers at once; the job's
// progress and outcome reach the page through the event stream.

// settings are the settings of step 2, as the page sends them with Check and Plan.
type settings struct {
	Since               string `json:"since"`
	DateColumns         string `json:"date_columns"` // comma-separated
	KeyColumn           string `json:"key_column"`
	UpdatedColumn       string `json:"updated_column"`
	DateFormat          string `json:"date_format"`
	Encoding            string `json:"encoding"`
	MaxRejected         string `json:"max_rejected"` // percent; "" for the default
	SkippedBeforeCutoff bool   `json:"skipped_before_cutoff"`
	Object              string `json:"object"`
	ExternalIDField     string `json:"external_id_field"`
	OrderBy             string `json:"order_by"`
	UpdateStale         bool   `json:"update_stale"`
}

// options turns the settings into the jobs' options for the export file.
func (st settings) options(file string) (backfill.ExportOptions, backfill.TargetOptions, error) {
	e := backfill.NewExportOptions()
	e.File = file
	e.KeyColumn = strings.TrimSpace(st.KeyColumn)
	e.UpdatedColumn = strings.TrimSpace(st.UpdatedColumn)
	e.DateFormat = strings.TrimSpace(st.DateFormat)
	if enc := strings.TrimSpace(st.Encoding); enc != "" {
		e.Encoding = enc
	}
	e.SkippedBeforeCutoff = st.SkippedBeforeCutoff
	for _, c := range strings.Split(st.DateColumns, ",") {
		if c = strings.TrimSpace(c); c != "" {
			e.DateColumns = append(e.DateColumns, c)
		}
	}
	if since := strings.TrimSpace(st.Since); since != "" {
		t, err := backfill.ParseSince(since, e.DateFormat)
		if err != nil {
			return e, backfill.TargetOptions{}, &backfill.OptionError{Option: backfill.OptSince, Value: since, Err: err}
		}
		e.Since = t
	}
	if m := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(st.MaxRejected), "%")); m != "" {
		v, err := strconv.ParseFloat(m, 64)
		if err != nil || v < 0 || v > 100 {
			return e, backfill.TargetOptions{}, pageErr(fmt.Sprintf("The Max rejected setting (%s) is not a percentage.", st.MaxRejected), "Give a number from 0 to 100.")
		}
		e.MaxRejected = &v
	}
	t := backfill.TargetOptions{Object: strings.TrimSpace(st.Object), ExternalIDField: strings.TrimSpace(st.ExternalIDField), OrderBy: strings.TrimSpace(st.OrderBy)}
	return e, t, nil
}

// front is what a job of the page gets: the server's logger, version and clock, the task
// as its Observer, the page's words, and report.html rendered in them.
func (s *Server) front(t *task) backfill.Front {
	f := s.opts.Front
	f.Progress, f.Words, f.Confirm = t, Words{}, nil
	f.Render = report.View{Words: Words{}}.Renderer()
	return f
}

// chosen returns the org of step 1 and the export of step 2, or why there are none.
func (s *Server) chosen() (*connected, *exportFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.org == nil {
		return nil, nil, pageErr("No org yet.", "Choose the org in step 1 first.")
	}
	if s.export == nil {
		return s.org, nil, pageErr("No export yet.", "Choose the emailed Data Export CSV in step 2 first.")
	}
	return s.org, s.export, nil
}

// started answers a job that started, or why it did not.
func started(w http.ResponseWriter, t *task, err error) {
	if err != nil {
		fail(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusAccepted, t.view())
}

// check runs preflight (step 3) on the org of step 1, with the export of step 2.
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	var st settings
	if err := readJSON(r, &st); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	org, exp, err := s.chosen()
	if org == nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	file := ""
	if exp != nil {
		file = exp.path
	}
	e, target, err := st.options(file)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	t, err := s.start(kindCheck, kindCheck, "", func(ctx context.Context, t *task) (any, *sentence, error) {
		o := backfill.PreflightOptions{Front: s.front(t), Target: target, Org: org.cfg, UpdateStale: st.UpdateStale}
		if file != "" {
			o.Export = e
		}
		rep, err := backfill.Preflight(ctx, o)
		if err != nil {
			return rep, nil, err
		}
		s.pageFixes(rep, org)
		switch {
		case !rep.Passed:
			return rep, bad("The org is not ready: "+backfill.Plural(len(rep.Failed()), "check")+" failed.", "Follow the fix of each failed check, then press Check again."), nil
		case warned(rep):
			return rep, warn("The org is ready, but read the warnings.", "Then plan the load in step 4."), nil
		}
		return rep, ok("The org is ready.", "Plan the load in step 4."), nil
	})
	started(w, t, err)
}

func warned(rep *backfill.PreflightReport) bool {
	for _, c := range rep.Checks {
		if c.Status == backfill.CheckWarn {
			return true
		}
	}
	return false
}

// pageFixes words check 1's fix for the login of step 1 when it failed: the job's fix
// names how the command line logs in.
func (s *Server) pageFixes(rep *backfill.PreflightReport, org *connected) {
	for i := range rep.Checks {
		c := &rep.Checks[i]
		if c.ID != 1 || c.Status != backfill.CheckFail {
			c.Fix = unflag(c.Fix)
			continue
		}
		switch org.view.Kind {
		case orgSF:
			c.Fix = "log in to this org again with the Salesforce CLI (its login may have expired), then choose it again in step 1"
		default:
			c.Fix = unflag(c.Fix)
		}
	}
}

// plan makes a plan (step 4) of the export of step 2 for the org of step 1, in a new run
// folder under the runs folder; the run becomes the one steps 5 to 8 show.
func (s *Server) plan(w http.ResponseWriter, r *http.Request) {
	var st settings
	if err := readJSON(r, &st); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	org, exp, err := s.chosen()
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	e, target, err := st.options(exp.path)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	out, err := s.newRunName()
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	name := filepath.Base(out)
	t, err := s.start(kindPlan, kindPlan, name, func(ctx context.Context, t *task) (any, *sentence, error) {
		sum, err := backfill.Plan(ctx, backfill.PlanOptions{Front: s.front(t), Export: e, Target: target, Org: org.cfg,
			UpdateStale: st.UpdateStale, Out: out})
		if sum == nil {
			return nil, nil, err
		}
		s.mu.Lock()
		s.current = name
		s.mu.Unlock()
		res := struct {
			Run string `json:"run"`
		}{name}
		if err != nil {
			return res, nil, err
		}
		n := sum.Count(runfolder.ToInsert, runfolder.ToUpdate)
		switch {
		case len(sum.Preflight) > 0:
			return res, bad("Planned, but an import would refuse this plan: "+backfill.Plural(len(sum.Preflight), "preflight check")+" did not pass.",
				"Read the report's warning, fix the org, then plan again."), nil
		case len(sum.Warnings) > 0 || sum.Count(runfolder.Stale, runfolder.Rejected) > 0:
			return res, warn(fmt.Sprintf("Planned: %s of %s to load. Read what the report asks to look at.", backfill.Group(n), backfill.Plural(sum.Rows, "row")),
				"When the plan is right, approve it in step 5."), nil
		}
		return res, ok(fmt.Sprintf("Planned: %s of %s to load. Nothing was written to Salesforce.", backfill.Group(n), backfill.Plural(sum.Rows, "row")),
			"Review the report, then approve the plan in step 5."), nil
	})
	started(w, t, err)
}

// newRunName is a new run folder under the runs folder, named by the UTC time.
func (s *Server) newRunName() (string, error) {
	base := filepath.Join(s.runs, time.Now().UTC().Format("20060102T150405Z"))
	for i := 1; i <= 100; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		_, err1 := os.Lstat(dir)
		_, err2 := os.Lstat(dir + runfolder.PartialSuffix)
		if os.IsNotExist(err1) && os.IsNotExist(err2) {
			return dir, nil
		}
	}
	return "", pageErr("Too many runs were planned this second.", "Try again.")
}

// onRun starts the job kind on the run named in the request, with the login for the org it
// was planned for; fn gets the folder's options.
func (s *Server) onRun(w http.ResponseWriter, r *http.Request, kind string, fn func(ctx context.Context, t *task, fo backfill.FolderOptions, ri *runInfo) (any, *sentence, error)) {
	name := r.PathValue("name")
	dir, err := s.runDir(name)
	if err != nil {
		fail(w, http.StatusNotFound, err)
		return
	}
	ri, err := s.readRun(dir, name, true)
	if err != nil {
		fail(w, http.StatusBadRequest, &backfill.FolderError{Dir: dir, Err: backfill.ErrNotPlanFolder, Cause: err})
		return
	}
	login, err := s.folderLogin(ri.plan)
	if err != nil && kind != kindApprove {
		fail(w, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	s.current = name
	s.mu.Unlock()
	t, err := s.start(runKey(name), kind, name, func(ctx context.Context, t *task) (any, *sentence, error) {
		return fn(ctx, t, backfill.FolderOptions{Front: s.front(t), Dir: dir, Org: login}, ri)
	})
	started(w, t, err)
}

// importRun loads exactly the approved plan (step 6). The page asked for a confirmation
// naming the org; the request carries the Organization Id the person confirmed, which must
// be the plan's.
func (s *Server) importRun(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrgID string `json:"org_id"`
	}
	if err := readJSON(r, &req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	s.onRun(w, r, kindImport, func(ctx context.Context, t *task, fo backfill.FolderOptions, ri *runInfo) (any, *sentence, error) {
		if seal := ri.plan.Seal; seal == nil || req.OrgID == "" || !strings.EqualFold(req.OrgID, seal.OrgID) {
			return nil, nil, pageErr("The import was not confirmed for the org this plan was made for.", "Press Import again and read the confirmation.")
		}
		limit := backfill.DefaultMaxRejectedPercent
		if ri.planSum != nil {
			limit = ri.planSum.RejectedLimit() // the limit the plan was reviewed and approved with
		}
		res, err := backfill.ImportPlan(ctx, backfill.ImportPlanOptions{FolderOptions: fo, Load: backfill.LoadOptions{Yes: true},
			MaxRejected: &limit, RequireApproval: requireApproval})
		return loadOutcome(res, err)
	})
}

// resume finishes an interrupted import or undo.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	s.onRun(w, r, kindResume, func(ctx context.Context, t *task, fo backfill.FolderOptions, _ *runInfo) (any, *sentence, error) {
		res, err := backfill.Resume(ctx, backfill.ResumeOptions{FolderOptions: fo})
		if res != nil && res.Undo != nil && err == nil {
			return undoOutcome(res.Undo)
		}
		return loadOutcome(res, err)
	})
}

// loadResult is what the page shows of a load.
type loadResult struct {
	Status      backfill.Status       `json:"status"`
	Created     int                   `json:"created"`
	Updated     int                   `json:"updated"`
	Failed      int                   `json:"failed"`
	Unprocessed int                   `json:"unprocessed"`
	Newer       int                   `json:"already_newer"`
	Jobs        []backfill.JobSummary `json:"jobs"`
	AlreadyDone bool                  `json:"already_done"`
}

// loadOutcome says how a load ended.
func loadOutcome(res *backfill.LoadResult, err error) (any, *sentence, error) {
	if err != nil || res == nil || res.Summary == nil {
		return nil, nil, err
	}
	sum := res.Summary
	lr := loadResult{Status: sum.Ended(), Created: sum.Count(runfolder.Created), Updated: sum.Count(runfolder.Updated),
		Failed: sum.Count(runfolder.Failed), Unprocessed: sum.Count(runfolder.Unprocessed), Newer: sum.Count(runfolder.AlreadyNewer),
		Jobs: sum.Jobs, AlreadyDone: res.AlreadyDone}
	loaded := fmt.Sprintf("%s created, %s updated", backfill.Group(lr.Created), backfill.Group(lr.Updated))
	switch {
	case res.AlreadyDone:
		return lr, ok("The import had finished before: nothing was sent. "+upper(loaded)+".", "Verify it in step 7."), nil
	case lr.Status == backfill.StatusRowsFailed:
		var what []string
		if lr.Failed > 0 {
			what = append(what, backfill.Plural(lr.Failed, "row")+" failed ("+runfolder.ErrorFile+" has Salesforce's error for each)")
		}
		if lr.Unprocessed > 0 {
			what = append(what, backfill.Plural(lr.Unprocessed, "row")+" left unprocessed ("+runfolder.UnprocessedFile+")")
		}
		return lr, warn("Imported: "+loaded+"; "+strings.Join(what, " and ")+".", "Read the reasons in the report, fix the data, and load those rows again."), nil
	}
	return lr, ok("Imported: "+loaded+". Every row is accounted for.", "Verify it in step 7: every loaded record is read back."), nil
}

// verify proves the import (step 7).
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	s.onRun(w, r, kindVerify, func(ctx context.Context, t *task, fo backfill.FolderOptions, _ *runInfo) (any, *sentence, error) {
		_, run, err := backfill.Verify(ctx, backfill.VerifyOptions{FolderOptions: fo})
		if err != nil {
			return nil, nil, err
		}
		if run.OK() {
			return run, ok(fmt.Sprintf("Verified: every one of the %s loaded records holds what was uploaded.", backfill.Group(run.Records)), ""), nil
		}
		badN := run.Outcomes[backfill.VerifyDiffers] + run.Outcomes[backfill.VerifyMissing]
		return run, bad(fmt.Sprintf("%s of %s do not hold what was loaded.", backfill.Plural(badN, "record"), backfill.Group(run.Records)),
			run.File+" names each one and why (differs: the fields and both values)."), nil
	})
}

// undoRequest is the Undo step's choices, and for the undo itself the plan the person saw
// in the dry run.
type undoRequest struct {
	Force         bool           `json:"force"`
	KeepUpdatedAt bool           `json:"keep_updated_at"`
	Planned       map[string]int `json:"planned"`
}

// undoPlan is the undo's dry run (step 8): what it would delete and restore, changing
// nothing.
func (s *Server) undoPlan(w http.ResponseWriter, r *http.Request) {
	var req undoRequest
	if err := readJSON(r, &req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	s.onRun(w, r, kindUndoPlan, func(ctx context.Context, t *task, fo backfill.FolderOptions, _ *runInfo) (any, *sentence, error) {
		_, run, err := backfill.Undo(ctx, backfill.UndoOptions{FolderOptions: fo, Force: req.Force, KeepUpdatedAt: req.KeepUpdatedAt})
		if err != nil || run == nil {
			return nil, nil, err
		}
		n := run.Planned["delete"] + run.Planned["restore"]
		if n == 0 {
			return run, ok("Nothing to undo: every record is already as it was before the import, or left alone.", ""), nil
		}
		return run, warn(fmt.Sprintf("The undo would delete %s and restore %s. Nothing changed yet.",
			backfill.Plural(run.Planned["delete"], "record"), backfill.Plural(run.Planned["restore"], "record")),
			"Read the plan ("+runfolder.UndoPlanFile+"), then press Undo the import now."), nil
	})
}

// undo takes the import back (step 8), after its dry run and a confirmation: it runs only
// when the undo it plans now is the one the person saw.
func (s *Server) undo(w http.ResponseWriter, r *http.Request) {
	var req undoRequest
	if err := readJSON(r, &req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if len(req.Planned) == 0 {
		fail(w, http.StatusBadRequest, pageErr("The undo was not confirmed.", "Press Undo: dry run first, then confirm."))
		return
	}
	s.onRun(w, r, kindUndo, func(ctx context.Context, t *task, fo backfill.FolderOptions, _ *runInfo) (any, *sentence, error) {
		_, run, err := backfill.Undo(ctx, backfill.UndoOptions{FolderOptions: fo, Yes: true, Expect: req.Planned,
			Force: req.Force, KeepUpdatedAt: req.KeepUpdatedAt})
		if err != nil || run == nil {
			return nil, nil, err
		}
		if run.DryRun {
			return run, warn("The undo plan changed since the dry run (records changed in Salesforce): nothing was undone.",
				"Read the new plan, then press Undo the import now again."), nil
		}
		return undoOutcome(run)
	})
}

// undoOutcome says how an undo ended.
func undoOutcome(run *backfill.UndoRun) (any, *sentence, error) {
	done := fmt.Sprintf("%s deleted (in the Recycle Bin for %d days), %s restored", backfill.Plural(run.Outcomes[backfill.UndoDeleted], "record"),
		run.RecycleBinDays, backfill.Group(run.Outcomes[backfill.UndoRestored]))
	if run.OK() {
		return run, ok("Undone: "+done+".", ""), nil
	}
	var what, todo []string
	if n := run.Outcomes[backfill.UndoSkippedChanged]; n > 0 {
		what = append(what, backfill.Plural(n, "record")+" changed after the import, left alone")
		todo = append(todo, words.Option(backfill.OptForce, "")+" undoes those too")
	}
	if n := run.Outcomes[backfill.UndoRestoreRefused]; n > 0 {
		what = append(what, backfill.Plural(n, "restore")+" refused (the package does not let Updated At move back)")
		todo = append(todo, words.Option(backfill.OptKeepUpdatedAt, "")+" restores the other fields")
	}
	if n := run.Outcomes[backfill.UndoFailed]; n > 0 {
		what = append(what, backfill.Plural(n, "record")+" failed")
	}
	return run, warn("Partly undone: "+done+"; "+strings.Join(what, "; ")+".",
		upper(strings.Join(append(todo, run.File+" says why for each record"), "; "))+"."), nil
}

// stopRun stops the job running on a run, as Ctrl-C stops it: Resume finishes it later.
func (s *Server) stopRun(w http.ResponseWriter, r *http.Request) {
	if !s.stopTask(runKey(r.PathValue("name"))) {
		fail(w, http.StatusConflict, pageErr("Nothing is running on this run.", ""))
		return
	}
	writeJSON(w, http.StatusAccepted, warn("Stopping after the step in flight.", "Resume finishes it; nothing is sent twice."))
}
