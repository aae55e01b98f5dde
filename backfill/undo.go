package backfill

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Undo takes an import back: the records it created are deleted (a Bulk
// delete job; they go to the Recycle Bin), the records it updated are restored to their
// before-image (a Bulk update job). A record changed in Salesforce after the import is left
// alone unless Force. Without Yes it only writes and shows the undo plan. The jobs are
// journaled like an import's, so [Resume] finishes an interrupted undo.

// Undo outcomes (the outcome column of undo-ledger.csv).
const (
	UndoDeleted        = "deleted"
	UndoRestored       = "restored"
	UndoRestoreRefused = "restore_refused" // the package refused to move Updated At back
	UndoSkippedChanged = "skipped_changed" // changed in Salesforce after the import; Force undoes it
	UndoFailed         = "failed"
)

// Undo plan actions (the action column of undo-plan.csv).
const (
	actionDelete  = "delete"
	actionRestore = "restore"
	actionSkip    = "skip"
	actionGone    = "gone" // a created record no longer in Salesforce: nothing left to undo
	actionSame    = "same" // an updated record that holds its before-image again: nothing left to undo
)

// recycleBinDays is how long Salesforce keeps deleted records in the Recycle Bin.
const recycleBinDays = 15

// UndoRun is `backfill undo`'s plan and, once it ran, its outcomes, as summary.json keeps it.
type UndoRun struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dry_run"`
	Force  bool      `json:"force,omitempty"`
	// KeepUpdatedAt: restores leave the Updated At field as the import set it.
	KeepUpdatedAt bool `json:"keep_updated_at,omitempty"`
	// Planned counts undo-plan.csv's actions: delete, restore, skip.
	Planned map[string]int `json:"planned"`
	// Outcomes counts undo-ledger.csv's outcomes, once the undo ran.
	Outcomes map[string]int `json:"outcomes,omitempty"`
	File     string         `json:"file"` // undo-plan.csv, or undo-ledger.csv once it ran
	// BeforeImage is the file the restores come from (before-import.csv or before.csv).
	BeforeImage string `json:"before_image"`
	// WouldBeRefused counts restores that move Updated At back, which the package refuses.
	WouldBeRefused int            `json:"would_be_refused,omitempty"`
	RecycleBinDays int            `json:"recycle_bin_days"`
	Jobs           []JobSummary   `json:"jobs,omitempty"`
	APICalls       map[string]int `json:"api_calls,omitempty"`
	Examples       []string       `json:"examples,omitempty"`
	// Rounds are the undos of the import's retry rounds, run with it (newest first); a round
	// already undone completely is left out.
	Rounds []RetryRound `json:"rounds,omitempty"`
}

// OK reports whether everything was undone, in the retry rounds too.
func (u *UndoRun) OK() bool {
	for _, r := range u.Rounds {
		if r.Undo != nil && !r.Undo.OK() {
			return false
		}
	}
	return u.Outcomes[UndoRestoreRefused]+u.Outcomes[UndoSkippedChanged]+u.Outcomes[UndoFailed] == 0
}

// undoPlan is undo.json: what the undo loads, sealed like a plan.
type undoPlan struct {
	ID            string            `json:"id"`
	At            time.Time         `json:"at"`
	Force         bool              `json:"force"`
	KeepUpdatedAt bool              `json:"keep_updated_at"`
	Delete        runfolder.Plan    `json:"delete"`
	Update        runfolder.Plan    `json:"update"`
	Files         map[string]string `json:"files"` // SHA-256 of undo-plan.csv, undo-delete.csv, undo-update.csv
	Run           UndoRun           `json:"run"`
}

// undoFiles are the files undo.json seals.
var undoFiles = []string{runfolder.UndoPlanFile, runfolder.UndoDeleteFile, runfolder.UndoUpdateFile}

// undo is an undo of the import in an opened run folder.
type undo struct {
	*workFolder
	opts *UndoOptions
}

// Undo takes an import back. Without Yes it writes the undo plan and changes nothing (a
// dry run; Front.Confirm is not asked). It returns the import's summary with the undo in it; whether everything
// was undone is the run's OK.
func Undo(ctx context.Context, opts UndoOptions) (*Summary, *UndoRun, error) {
	given := opts
	j := newJob(opts.Front)
	defer j.close()
	w, err := openImported(ctx, j, &opts.FolderOptions, CmdUndo)
	if err != nil {
		return nil, nil, err
	}
	defer w.folder.Unlock()
	rounds, err := undoRounds(ctx, given)
	if err != nil {
		return nil, nil, err
	}
	sum, run, err := undoFolder(ctx, w, &opts)
	if run != nil {
		run.Rounds = rounds
	}
	return sum, run, err
}

// undoRounds undoes the retry rounds of the import in opts.Dir, newest first, each in its
// own folder with the same options; a round whose last undo left nothing is passed over.
func undoRounds(ctx context.Context, opts UndoOptions) ([]RetryRound, error) {
	dirs := RetryRounds(opts.Dir)
	var out []RetryRound
	for i := len(dirs) - 1; i >= 0; i-- {
		var sum Summary
		f := &runfolder.Folder{Dir: dirs[i]}
		if f.ReadJSON(runfolder.SummaryFile, &sum) == nil && sum.Undo != nil && !sum.Undo.DryRun && sum.Undo.OK() {
			continue
		}
		o := opts
		o.Dir = dirs[i]
		if o.Expect != nil {
			// Expect is the plan shown for the import's own folder: a round's undo was not
			// shown, so it stays a dry run (its plan is in the run's Rounds to be shown).
			o.Yes, o.Expect = false, nil
		}
		_, run, err := Undo(ctx, o)
		if err != nil {
			return nil, err
		}
		out = append(out, RetryRound{Dir: dirs[i], Undo: run})
	}
	return out, nil
}

// undoFolder is the undo of w's own import (Undo without its retry rounds).
func undoFolder(ctx context.Context, w *workFolder, opts *UndoOptions) (*Summary, *UndoRun, error) {
	u := &undo{workFolder: w, opts: opts}
	if err := finishArchive(u.folder); err != nil {
		return nil, nil, err
	}
	up, started, finished, err := u.readUndo()
	if err != nil {
		return nil, nil, err
	}
	if finished {
		// An earlier undo is complete: its files are kept in undo-N/, and this one is planned
		// afresh (say with Force, for the records the first one left alone).
		if err := archiveUndo(u.folder); err != nil {
			return nil, nil, err
		}
		started = false
	}
	if !started {
		if up, err = u.planUndo(ctx); err != nil {
			return nil, nil, err
		}
		ok, err := u.confirmUndo(up)
		if err != nil || !ok {
			return u.summary, u.summary.Undo, err
		}
	}
	run, err := u.runUndo(ctx, up)
	if err != nil {
		return nil, nil, err
	}
	return u.summary, run, nil
}

// readUndo reads undo.json, checking its seal, and reports whether its jobs have started and
// whether they all finished.
func (u *undo) readUndo() (up *undoPlan, started, finished bool, err error) {
	if !u.folder.Has(runfolder.UndoFile) {
		return nil, false, false, nil
	}
	up = &undoPlan{}
	if err := u.folder.ReadJSON(runfolder.UndoFile, up); err != nil {
		return nil, false, false, err
	}
	finished = true
	for _, name := range []string{runfolder.UndoDeleteJournal, runfolder.UndoUpdateJournal} {
		st, err := u.folder.ReadJournalFile(name)
		if err != nil {
			return nil, false, false, err
		}
		started = started || st.Started
		finished = finished && st.Finished
	}
	if !started {
		return up, false, false, nil // a dry run's plan: planned again
	}
	for _, name := range undoFiles {
		sum, err := u.folder.SHA256(name)
		if err != nil || sum != up.Files[name] {
			return nil, false, false, &runfolder.SealError{File: u.folder.Path(name), Why: "changed since the undo was planned", Of: runfolder.SealUndo}
		}
	}
	return up, true, finished, nil
}

// archiveUndo moves a finished undo's files into the next free undo-N/ folder.
func archiveUndo(folder *runfolder.Folder) error {
	for i := 1; ; i++ {
		dir := fmt.Sprintf("undo-%d", i)
		if folder.Has(dir) {
			continue
		}
		if err := os.Mkdir(folder.Path(dir), runfolder.DirPerm); err != nil {
			return err
		}
		return moveUndoFiles(folder, dir)
	}
}

// archivedUndoFiles are a finished undo's files, in the order archiveUndo moves them:
// undo.json first, so that a folder without it but with any of the others holds what an
// archive cut short (a kill) left behind.
var archivedUndoFiles = append([]string{runfolder.UndoFile}, append(undoFiles, runfolder.UndoLedgerFile,
	runfolder.UndoDeleteJournal, runfolder.UndoUpdateJournal)...)

// moveUndoFiles moves the undo files the folder holds into its subfolder dir.
func moveUndoFiles(folder *runfolder.Folder, dir string) error {
	for _, name := range archivedUndoFiles {
		if folder.Has(name) {
			if err := folder.Rename(name, filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// finishArchive completes an archive of a finished undo that a kill cut short: without
// undo.json (moved first), the undo files still in the folder are that undo's and join the
// others in the newest undo-N/ (or a new one, when that already holds one of the names).
// Left there, the next undo would meet them as another undo's journal and stop for good.
func finishArchive(folder *runfolder.Folder) error {
	if folder.Has(runfolder.UndoFile) {
		return nil
	}
	var left []string
	for _, name := range archivedUndoFiles {
		if folder.Has(name) {
			left = append(left, name)
		}
	}
	if len(left) == 0 {
		return nil
	}
	newest := ""
	for i := 1; folder.Has(fmt.Sprintf("undo-%d", i)); i++ {
		newest = fmt.Sprintf("undo-%d", i)
	}
	for _, name := range left {
		if newest == "" || folder.Has(filepath.Join(newest, name)) {
			return archiveUndo(folder)
		}
	}
	return moveUndoFiles(folder, newest)
}

// confirmUndo decides whether the undo runs: only with Yes, and with Expect only when the
// plan is the one expected. Otherwise the undo plan is kept as a dry run, never asked about:
// a dry run that asks to delete is not a dry run.
func (u *undo) confirmUndo(up *undoPlan) (bool, error) {
	run := up.Run
	u.summary.Undo = &run
	if !u.opts.Yes || (u.opts.Expect != nil && !samePlanned(run.Planned, u.opts.Expect)) {
		return false, u.saveSummary()
	}
	// With Yes it runs even with nothing left to send (every record gone or back already):
	// that is an undo, whose ledger says so, not a dry run.
	return true, nil
}

// undoState is what undo knows of the records the import loaded. Undo acts only on the
// record Ids the import wrote (the ledger's): the records are read by Id, so a record made
// since under the same external id is never taken for the import's.
type undoState struct {
	sf       *existingSet        // by the Id the import wrote: field hashes of the record as it is now
	keyOf    *csvdiff.KeySet     // Id -> the external id the record holds now
	changed  *csvdiff.KeySet     // key -> why it changed after the import
	others   *csvdiff.KeySet     // key -> the Id of another record that holds the key now
	uploaded map[string][]string // folded key -> the uploaded row, for the records the import updated
}

// record returns what undo knows of the record id the import wrote for key: its field
// hashes now (found false when it is no longer in Salesforce), and the external id it holds
// now when that is no longer key.
func (st *undoState) record(id, key string, fold bool) (hashes []byte, found bool, rekeyed string) {
	_, hashes, found = st.sf.lookup([]byte(id))
	if !found {
		return nil, false, ""
	}
	if now, _ := st.keyOf.Lookup([]byte(id)); foldKey(string(now), fold) != foldKey(key, fold) {
		return hashes, true, string(now)
	}
	return hashes, true, ""
}

// planUndo decides, for every record the import created or updated, what undo does, and
// writes undo-plan.csv, undo-delete.csv, undo-update.csv and undo.json.
func (u *undo) planUndo(ctx context.Context) (*undoPlan, error) {
	info := u.info
	before, beforeName, err := readBefore(u.folder, info, u.journal.Sums)
	if err != nil {
		return nil, err
	}
	state, err := u.readCurrent(ctx)
	if err != nil {
		return nil, err
	}
	updField := u.updatedField()
	up := &undoPlan{ID: runfolder.NewSealID(), At: u.j.now(), Force: u.opts.Force, KeepUpdatedAt: u.opts.KeepUpdatedAt}
	up.Run = UndoRun{At: up.At, DryRun: true, Force: up.Force, KeepUpdatedAt: up.KeepUpdatedAt, File: runfolder.UndoPlanFile,
		BeforeImage: beforeName, RecycleBinDays: recycleBinDays, Planned: map[string]int{actionDelete: 0, actionRestore: 0, actionSkip: 0, actionGone: 0, actionSame: 0}}
	fields := beforeHeader(info)[2:]
	if up.KeepUpdatedAt {
		fields = without(fields, updField)
	}
	w, err := newUndoWriters(u.folder, fields)
	if err != nil {
		return nil, err
	}
	defer w.abort()
	uploaded := state.uploaded
	err = u.folder.ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		if e.Outcome != runfolder.Created && e.Outcome != runfolder.Updated {
			return nil
		}
		action, id, detail := u.undoAction(e, state, before, uploaded, updField, up)
		up.Run.Planned[action]++
		if (action == actionRestore || action == actionSkip) && len(up.Run.Examples) < 5 {
			up.Run.Examples = append(up.Run.Examples, fmt.Sprintf("%s: %s (%s)", e.Key, action, detail))
		}
		return w.add(e.Key, action, id, detail, restoreRow(info, fields, before, uploaded, e.Key, action))
	})
	if err != nil {
		return nil, err
	}
	if err := w.commit(u.folder, up, info, fields, maxUploadBytes(u.opts.Org)); err != nil {
		return nil, err
	}
	if up.Files, err = sealFiles(u.folder, undoFiles); err != nil {
		return nil, err
	}
	if err := u.folder.WriteJSON(runfolder.UndoFile, up); err != nil {
		return nil, err
	}
	u.j.log.Info("undo planned", zap.Any("planned", up.Run.Planned), zap.String("before_image", beforeName))
	return up, nil
}

// undoAction decides what undo does with one record the import loaded: the record whose
// Id the ledger names, never another record that holds the key now.
func (u *undo) undoAction(e runfolder.Entry, state *undoState, before *beforeImage, uploaded map[string][]string,
	updField string, up *undoPlan) (action, id, detail string) {
	id = e.Detail
	fold := u.info.FoldKeys
	hashes, found, rekeyed := state.record(id, e.Key, fold)
	other, taken := state.others.Lookup([]byte(e.Key))
	switch {
	case !found && taken:
		return actionSkip, id, fmt.Sprintf("a different record (%s) holds this external id now; the one the import wrote (%s) is no longer in Salesforce: left alone, even with %s",
			other, id, u.j.words().Option(OptForce, ""))
	case !found && e.Outcome == runfolder.Created:
		return actionGone, id, "already deleted (by an earlier undo, or in Salesforce since the import)"
	case !found:
		return actionSkip, id, "no longer in Salesforce: deleted since the import, nothing to restore"
	}
	b, hasBefore := before.get(e.Key)
	hasBefore = hasBefore && sameID(b[1], id)
	if hasBefore && e.Outcome == runfolder.Updated && rekeyed == "" &&
		holdsBefore(state, hashes, before, b, uploaded[foldKey(e.Key, fold)], u.info, updField, up.KeepUpdatedAt) {
		return actionSame, id, "already holds its values from before the import (an earlier undo restored it)"
	}
	if why, changed := state.changed.Lookup([]byte(e.Key)); changed && !up.Force {
		return actionSkip, id, "changed after the import (" + string(why) + "); " + u.j.words().Option(OptForce, "") + " undoes it too"
	}
	if e.Outcome == runfolder.Created {
		return actionDelete, id, fmt.Sprintf("created by the import; to the Recycle Bin (restorable for %d days)", recycleBinDays)
	}
	if !hasBefore {
		return actionSkip, id, "no before-image of this record: it did not exist when the plan was made and was created before the load; left as it is"
	}
	detail = "back to its values before the import"
	if updField != "" && !up.KeepUpdatedAt {
		if old, now := before.value(b, updField), uploadedValue(u.info, uploaded[foldKey(e.Key, fold)], updField); old != "" && now != "" && old < now {
			up.Run.WouldBeRefused++
			detail += fmt.Sprintf("; %s moves back from %s to %s, which the Northpass package refuses (%s restores the other fields)",
				updField, now, old, u.j.words().Option(OptKeepUpdatedAt, ""))
		}
	}
	return actionRestore, id, detail
}

// sameID compares record Ids on their first 15 characters (the 18-character form adds a
// case suffix).
func sameID(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

// holdsBefore reports whether a record holds its before-image again in every field the
// import set (Updated At aside when restores keep it).
func holdsBefore(state *undoState, hashes []byte, before *beforeImage, b, up []string, info *runfolder.Plan, updField string, keepUpdatedAt bool) bool {
	for i, c := range state.sf.compared {
		if uploadedValue(info, up, c.field) == "" || (keepUpdatedAt && c.field == updField) {
			continue
		}
		if state.sf.differs(hashes, i, []byte(before.value(b, c.field))) {
			return false
		}
	}
	return true
}

// uploadedValue is field's value in rec, an uploaded row ("" when rec is not one).
func uploadedValue(info *runfolder.Plan, rec []string, field string) string {
	if i := slices.Index(info.Fields, field); i >= 0 && i < len(rec) {
		return rec[i]
	}
	return ""
}

func without(fields []string, name string) []string {
	var out []string
	for _, f := range fields {
		if f != name {
			out = append(out, f)
		}
	}
	return out
}

// restoreRow is the undo-update.csv row of a restore: for each field the import set (a
// non-empty upload), its before value, or #N/A to empty it; other fields stay as they are
// (an empty cell).
func restoreRow(info *runfolder.Plan, fields []string, before *beforeImage, uploaded map[string][]string, key, action string) []string {
	if action != actionRestore {
		return nil
	}
	b, _ := before.get(key)
	up := uploaded[foldKey(key, before.fold)]
	row := make([]string, len(fields))
	for i, f := range fields {
		if uploadedValue(info, up, f) == "" {
			continue
		}
		if v := before.value(b, f); v != "" {
			row[i] = v
		} else {
			row[i] = bulkNull
		}
	}
	return row
}

// readCurrent reads, by the Ids the import wrote, the records it loaded as they are now,
// and notes those changed after the import finished: LastModifiedDate after it, an
// external id that is no longer the one loaded, or a field that no longer holds the
// uploaded value. For a record no longer in Salesforce (or holding another external id),
// it asks whether another record holds the key now: undo never takes that one for the
// import's. It keeps the uploaded rows of the records the import updated: undo restores
// only the fields the import set.
func (u *undo) readCurrent(ctx context.Context) (*undoState, error) {
	info := u.info
	fold := info.FoldKeys
	finished := u.finishedAt()
	ids := &ledgerIDs{ledgerKeys: u.keysOf(runfolder.Created, runfolder.Updated)}
	idOf, err := ids.byKey()
	if err != nil {
		return nil, err
	}
	st := &undoState{keyOf: csvdiff.NewKeySet(ids.Len(), false), changed: csvdiff.NewKeySet(0, fold),
		others: csvdiff.NewKeySet(0, fold), uploaded: map[string][]string{}}
	modified := newTimeSet(false) // Id -> LastModifiedDate, when after the import
	st.sf = newExistingSet(planColumns(info), info.ExternalIDField, false, ids.Len())
	q := st.sf.query(info.Object, "Id", "LastModifiedDate", info.ExternalIDField)
	_, err = lookup(ctx, u.sf, u.j, q, ids, func(r sfclient.Record) error {
		id := r.String("Id")
		if t, ok := r.Time("LastModifiedDate"); ok && t.After(finished) {
			if err := modified.add(id, t); err != nil {
				return err
			}
		}
		if err := st.keyOf.Add([]byte(id), []byte(r.String(info.ExternalIDField))); err != nil {
			return err
		}
		return st.sf.add(id, id, func(field string) any { v, _ := r.Get(field); return v })
	})
	if err != nil {
		return nil, fmt.Errorf("read the loaded records: %w", err)
	}
	updated := &ledgerKeys{folder: u.folder, name: runfolder.LedgerFile, outcomes: map[runfolder.Outcome]bool{runfolder.Updated: true},
		n: u.summary.Count(runfolder.Updated), fold: fold}
	lost := &sliceKeys{fold: fold} // keys whose record is gone or re-keyed
	r, err := os.Open(u.folder.Path(runfolder.ToImportFile))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	err = eachCSVRow(r, info.ExternalIDField, func(key string, rec []string) error {
		v, loaded := idOf.Lookup([]byte(key))
		if !loaded {
			return nil
		}
		id := string(v)
		hashes, found, rekeyed := st.record(id, key, fold)
		if !found || rekeyed != "" {
			lost.keys = append(lost.keys, key)
		}
		if !found {
			return nil
		}
		if updated.Len() > 0 {
			if ok, err := updated.Has([]byte(key)); err != nil {
				return err
			} else if ok {
				st.uploaded[foldKey(key, fold)] = append([]string(nil), rec...)
			}
		}
		var why []string
		if rekeyed != "" {
			why = append(why, fmt.Sprintf("its external id is %q now", rekeyed))
		}
		if t, ok := modified.get(id); ok {
			why = append(why, "last modified "+t.Format(time.RFC3339))
		}
		for _, i := range st.sf.differing(hashes, rec) {
			why = append(why, st.sf.compared[i].field+" differs from what the import loaded")
		}
		if len(why) == 0 {
			return nil
		}
		return st.changed.Add([]byte(key), []byte(strings.Join(why, ", ")))
	})
	if err != nil || lost.Len() == 0 {
		return st, err
	}
	q = existenceQuery{Object: info.Object, ExtField: info.ExternalIDField}
	_, err = lookup(ctx, u.sf, u.j, q, lost, func(r sfclient.Record) error {
		key, id := r.String(info.ExternalIDField), r.String("Id")
		if v, ok := idOf.Lookup([]byte(key)); ok && sameID(string(v), id) {
			return nil
		}
		return st.others.Add([]byte(key), []byte(id))
	})
	if err != nil {
		return nil, fmt.Errorf("look up the keys whose record is gone: %w", err)
	}
	return st, nil
}

// finishedAt is when the import finished: records modified after it were changed by
// someone else. The journal's finished entry says (the summary is not sealed).
func (u *undo) finishedAt() time.Time {
	if t := u.journal.FinishedAt; !t.IsZero() {
		return t
	}
	return u.summary.FinishedAt
}

// ledgerIDs are the record Ids the ledger names for its rows with some outcomes (their
// detail): the records an import created or updated.
type ledgerIDs struct {
	*ledgerKeys
	ids lazySet
}

func (k *ledgerIDs) Each(fn func([]byte) bool) error {
	err := k.folder.ReadLedger(k.name, func(e runfolder.Entry) error {
		if k.outcomes[e.Outcome] && e.Detail != "" && !fn([]byte(e.Detail)) {
			return errStopEach
		}
		return nil
	})
	if err == errStopEach {
		return nil
	}
	return err
}

func (k *ledgerIDs) Has(id []byte) (bool, error) { return k.ids.has(k.Each, k.n, false, id) }

// byKey maps each key to the Id the ledger names for it.
func (k *ledgerIDs) byKey() (*csvdiff.KeySet, error) {
	set := csvdiff.NewKeySet(k.n, k.fold)
	err := k.folder.ReadLedger(k.name, func(e runfolder.Entry) error {
		if k.outcomes[e.Outcome] && e.Detail != "" {
			return set.Add([]byte(e.Key), []byte(e.Detail))
		}
		return nil
	})
	return set, err
}

// sealFiles returns the SHA-256 of each file.
func sealFiles(folder *runfolder.Folder, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		sum, err := folder.SHA256(n)
		if err != nil {
			return nil, err
		}
		out[n] = sum
	}
	return out, nil
}

// undoWriters write undo-plan.csv, undo-delete.csv and undo-update.csv, cutting the two
// load files into parts as plan cuts to_import.csv.
type undoWriters struct {
	plan, del, upd *runfolder.Pending
	pw, dw, uw     *csvdiff.Writer
	dParts, uParts partCutter
}

func newUndoWriters(folder *runfolder.Folder, fields []string) (*undoWriters, error) {
	w := &undoWriters{}
	var err error
	for _, f := range []struct {
		name   string
		p      **runfolder.Pending
		w      **csvdiff.Writer
		header []string
	}{
		{runfolder.UndoPlanFile, &w.plan, &w.pw, []string{"key", "action", "id", "detail"}},
		{runfolder.UndoDeleteFile, &w.del, &w.dw, []string{"Id"}},
		{runfolder.UndoUpdateFile, &w.upd, &w.uw, append([]string{"Id"}, fields...)},
	} {
		if *f.p, err = folder.Begin(f.name); err != nil {
			w.abort()
			return nil, err
		}
		*f.w = (*f.p).CSV(f.name == runfolder.UndoPlanFile) // the load files go to Salesforce as they are
		if err := (*f.w).WriteStrings(f.header...); err != nil {
			w.abort()
			return nil, err
		}
	}
	w.dParts.hdr, w.uParts.hdr = w.dw.Offset(), w.uw.Offset()
	return w, nil
}

func (w *undoWriters) add(key, action, id, detail string, restore []string) error {
	if err := w.pw.WriteStrings(key, action, id, detail); err != nil {
		return err
	}
	switch action {
	case actionDelete:
		start := w.dw.Offset()
		if err := w.dw.WriteStrings(id); err != nil {
			return err
		}
		w.dParts.add(start, w.dw.Offset())
	case actionRestore:
		start := w.uw.Offset()
		if err := w.uw.WriteStrings(append([]string{id}, restore...)...); err != nil {
			return err
		}
		w.uParts.add(start, w.uw.Offset())
	}
	return nil
}

// commit writes the files and fills the undo plan's two loads.
func (w *undoWriters) commit(folder *runfolder.Folder, up *undoPlan, info *runfolder.Plan, fields []string, maxPart int64) error {
	for _, cw := range []*csvdiff.Writer{w.pw, w.dw, w.uw} {
		if err := cw.Flush(); err != nil {
			return err
		}
	}
	for _, p := range []*runfolder.Pending{w.plan, w.del, w.upd} {
		if err := p.Commit(); err != nil {
			return err
		}
	}
	types := fieldTypes(info)
	var mapping []runfolder.Mapping
	for _, f := range fields {
		mapping = append(mapping, runfolder.Mapping{Field: f, Type: types[f]})
	}
	up.Delete = runfolder.Plan{Object: info.Object, ExternalIDField: "Id", Fields: []string{"Id"}, HeaderBytes: w.dParts.hdr,
		Parts: w.dParts.cut(maxPart), InstanceURL: info.InstanceURL, APIVersion: info.APIVersion}
	up.Update = runfolder.Plan{Object: info.Object, ExternalIDField: "Id", Fields: append([]string{"Id"}, fields...), HeaderBytes: w.uParts.hdr,
		Parts: w.uParts.cut(maxPart), Mapping: mapping, InstanceURL: info.InstanceURL, APIVersion: info.APIVersion}
	return nil
}

func (w *undoWriters) abort() {
	for _, p := range []*runfolder.Pending{w.plan, w.del, w.upd} {
		if p != nil {
			p.Abort()
		}
	}
}

// partCutter cuts a file's records into parts of at most max bytes with the header.
type partCutter struct {
	hdr  int64
	recs []int64 // record end offsets
	from int64
}

func (c *partCutter) add(start, end int64) {
	if len(c.recs) == 0 {
		c.from = start
	}
	c.recs = append(c.recs, end)
}

func (c *partCutter) cut(max int64) []runfolder.Part {
	var parts []runfolder.Part
	start, rows := c.from, 0
	for i, end := range c.recs {
		if rows > 0 && c.hdr+end-start > max {
			parts = append(parts, runfolder.Part{Start: start, End: c.recs[i-1], Rows: rows})
			start, rows = c.recs[i-1], 0
		}
		rows++
	}
	if rows > 0 {
		parts = append(parts, runfolder.Part{Start: start, End: c.recs[len(c.recs)-1], Rows: rows})
	}
	return parts
}

// runUndo runs (or finishes) the undo's delete and update jobs, then writes undo-ledger.csv.
func (u *undo) runUndo(ctx context.Context, up *undoPlan) (*UndoRun, error) {
	if !u.opts.SkipPreflight {
		rep := runChecks(ctx, u.sf, u.j, checkOptions{org: u.opts.Org}, checkScope{ids: []int{checkLogin, checkLimits}, plan: &up.Delete})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(rep.Failed()) > 0 {
			return nil, &PreflightError{Report: rep}
		}
	}
	loads := []struct {
		plan    *runfolder.Plan
		file    string
		op      string
		journal string
	}{
		{&up.Delete, runfolder.UndoDeleteFile, opDelete, runfolder.UndoDeleteJournal},
		{&up.Update, runfolder.UndoUpdateFile, opUpdate, runfolder.UndoUpdateJournal},
	}
	var loaders []*loader
	for _, ld := range loads {
		l, err := u.undoLoader(ld.plan, ld.file, ld.op, ld.journal, up)
		if err != nil {
			return nil, err
		}
		defer l.jr.Close()
		loaders = append(loaders, l)
		if l.st.Finished || len(ld.plan.Parts) == 0 {
			continue
		}
		if err := l.run(ctx); err != nil {
			return nil, u.stopped(ctx, l, err)
		}
	}
	run, err := u.finishUndo(ctx, up, loaders[0], loaders[1])
	if err != nil {
		return nil, u.stopped(ctx, loaders[1], err)
	}
	for _, l := range loaders {
		if !l.st.Finished {
			if err := l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvFinished}); err != nil {
				return nil, err
			}
		}
	}
	return run, nil
}

// undoLoader opens one of the undo's journals and returns its loader.
func (u *undo) undoLoader(plan *runfolder.Plan, file, op, journal string, up *undoPlan) (*loader, error) {
	st, err := u.folder.ReadJournalFile(journal)
	if err != nil {
		return nil, err
	}
	jr, cut, err := u.folder.OpenJournalFile(journal, u.j.now)
	if err != nil {
		return nil, err
	}
	if cut > 0 {
		u.j.log.Warn("the undo's journal ended in a torn line; the line was cut off", zap.String("journal", journal), zap.Int64("bytes", cut))
	}
	for _, e := range []runfolder.JournalEntry{{Event: runfolder.EvPlanned, Plan: up.ID}, {Event: runfolder.EvLoadStart}} {
		if (e.Event == runfolder.EvPlanned && st.Planned) || (e.Event == runfolder.EvLoadStart && st.Started) {
			continue
		}
		if err := jr.Add(e); err != nil {
			jr.Close()
			return nil, err
		}
		st.Apply(e)
	}
	if st.PlanID != up.ID {
		jr.Close()
		return nil, &FolderError{Dir: u.dir, Want: CmdUndo, File: u.folder.Path(journal), Err: ErrJournalForeign, Other: st.PlanID}
	}
	return &loader{plan: plan, file: file, op: op, name: strings.TrimSuffix(journal, filepath.Ext(journal)), folder: u.folder, j: u.j, jr: jr, st: st, sf: u.sf, log: u.j.log,
		fallbackStart: up.At, created: map[string]bool{}}, nil
}

// finishUndo writes undo-ledger.csv from undo-plan.csv and the jobs' results, and records
// the undo in summary.json and report.html.
func (u *undo) finishUndo(ctx context.Context, up *undoPlan, del, upd *loader) (*UndoRun, error) {
	run := up.Run
	run.DryRun, run.File = false, runfolder.UndoLedgerFile
	run.Outcomes = map[string]int{UndoDeleted: 0, UndoRestored: 0, UndoRestoreRefused: 0, UndoSkippedChanged: 0, UndoFailed: 0}
	run.Examples = nil
	out, err := u.folder.Begin(runfolder.UndoLedgerFile)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	w := out.CSV(true)
	if err := w.WriteStrings("key", "outcome", "detail"); err != nil {
		return nil, err
	}
	walkers := map[string]*resultWalker{actionDelete: {l: del}, actionRestore: {l: upd}}
	err = eachUndoAction(u.folder, func(key, action, id, detail string) error {
		o := UndoSkippedChanged
		switch action {
		case actionGone:
			o = UndoDeleted
		case actionSame:
			o = UndoRestored
		}
		if wk := walkers[action]; wk != nil {
			res, d, _, found, err := wk.next(id)
			if err != nil {
				return err
			}
			o, detail = undoOutcome(action, res, d, found, detail)
		}
		run.Outcomes[o]++
		if o != UndoDeleted && o != UndoRestored && len(run.Examples) < 5 {
			run.Examples = append(run.Examples, fmt.Sprintf("%s: %s (%s)", key, o, detail))
		}
		return w.WriteStrings(key, o, detail)
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", runfolder.UndoLedgerFile, err)
	}
	for _, l := range []*loader{del, upd} {
		for _, j := range l.jobSummaries(ctx) {
			if j.Note == "" {
				j.Note = map[string]string{opDelete: "delete the records the import created", opUpdate: "restore the records the import updated"}[l.op]
			}
			run.Jobs = append(run.Jobs, j)
		}
	}
	run.APICalls = u.sf.CallCounts()
	u.summary.Undo = &run
	if err := u.saveSummary(); err != nil {
		return nil, err
	}
	u.j.log.Info("undo finished", zap.Any("outcomes", run.Outcomes))
	return &run, nil
}

// undoOutcome turns a job's result for one record into its undo outcome.
func undoOutcome(action string, o runfolder.Outcome, detail string, found bool, planned string) (string, string) {
	switch {
	case !found || o == runfolder.Unprocessed:
		return UndoFailed, "Salesforce did not process it: " + detail
	case o == runfolder.Created || o == runfolder.Updated:
		if action == actionDelete {
			return UndoDeleted, fmt.Sprintf("in the Recycle Bin for %d days", recycleBinDays)
		}
		return UndoRestored, planned
	case o == runfolder.AlreadyNewer:
		return UndoRestoreRefused, detail
	case action == actionDelete && strings.HasPrefix(detail, "ENTITY_IS_DELETED"):
		return UndoDeleted, "it was already deleted"
	}
	return UndoFailed, detail
}

// eachUndoAction reads undo-plan.csv.
func eachUndoAction(folder *runfolder.Folder, fn func(key, action, id, detail string) error) error {
	f, err := os.Open(folder.Path(runfolder.UndoPlanFile))
	if err != nil {
		return err
	}
	defer f.Close()
	err = eachCSVRow(f, "key", func(_ string, rec []string) error {
		return fn(csvdiff.Unneutralize(rec[0]), rec[1], rec[2], csvdiff.Unneutralize(rec[3]))
	})
	if err != nil {
		return fmt.Errorf("%s: %w", folder.Path(runfolder.UndoPlanFile), err)
	}
	return nil
}

// samePlanned compares two undo plans' planned actions, ignoring zero counts.
func samePlanned(a, b map[string]int) bool {
	nonZero := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	return maps.Equal(nonZero(a), nonZero(b))
}
