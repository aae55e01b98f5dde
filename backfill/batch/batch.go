package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// The batch commands, as [backfill.Words] names them for people.
const (
	CmdBatchPlan   backfill.Command = "batch_plan"
	CmdBatchStatus backfill.Command = "batch_status"
	CmdBatchImport backfill.Command = "batch_import"
	CmdBatchResume backfill.Command = "batch_resume"
	CmdBatchVerify backfill.Command = "batch_verify"
	CmdBatchUndo   backfill.Command = "batch_undo"
)

// DefaultParallel is how many orgs a batch works on at once unless told otherwise.
const DefaultParallel = 4

// Options are what every batch command takes.
type Options struct {
	// Front is shared by every customer's job: its Logger (each customer's job logs with a
	// "customer" field), Render, Words, Version and Now. Its Progress and Confirm are not
	// used: progress goes to Watch, and a batch asks once (see ImportOptions.Confirm).
	backfill.Front
	// Dir is the batch folder: a run folder per customer, the runbook's copy, the roll-up.
	Dir string
	// Parallel is the most orgs worked on at once; 0 means DefaultParallel. Customers of
	// one org (the same alias, or once planned the same Organization Id) never run at once,
	// so that each org's limits are judged by one job at a time.
	Parallel int
	// Org is the login every customer shares (API version, timeouts, retries, the sf
	// command); each customer's alias and sandbox come from the runbook.
	Org sfclient.Config
	// Only names the customers to work on; none means every one.
	Only []string
	// Watch follows each customer's work; nil means nobody watches.
	Watch Watch
}

// Watch follows a batch command's customers. Its methods are called from the goroutines
// that run the customers' jobs: they must be safe for concurrent use and must not block.
type Watch interface {
	// Observer is the observer of the customer's job events (nil for none).
	Observer(customer string) backfill.Observer
	// Begin says the customer's job c starts.
	Begin(customer string, c backfill.Command)
	// End says the customer's job ended: r is where it stands now.
	End(r Row)
}

// PlanOptions are the options of [Plan].
type PlanOptions struct {
	Options
	Runbook string // the runbook's path
}

// ImportOptions are the options of [Import] and [Undo].
type ImportOptions struct {
	Options
	// Yes goes ahead without asking Confirm.
	Yes bool
	// Confirm is asked once, with the customers the command would load (or undo), before
	// anything is written to Salesforce; nil means nobody can be asked, and then the
	// command needs Yes (an undo without it writes its plans only).
	Confirm func(rows []Row) (bool, error)
}

// SelectionError names customers that the batch does not have (Unknown), or that cannot be
// chosen for the command (Not, with their states).
type SelectionError struct {
	Dir     string
	Unknown []string
	Known   []string
}

func (e *SelectionError) Error() string {
	return fmt.Sprintf("the batch in %s has no customer %s", e.Dir, strings.Join(e.Unknown, ", "))
}

// ErrNotBatch is the cause of a folder that holds no batch (no runbook copy).
var ErrNotBatch = errors.New("not a batch folder")

// BatchError is a batch folder that cannot be used.
type BatchError struct {
	Dir string
	Err error
}

func (e *BatchError) Error() string { return fmt.Sprintf("%s: %v", e.Dir, e.Err) }
func (e *BatchError) Unwrap() error { return e.Err }

// batch is one batch command at work.
type batch struct {
	o      *Options
	cmd    backfill.Command
	rb     *Runbook
	log    *zap.Logger
	words  backfill.Words
	mu     sync.Mutex // guards rows and the roll-up's files
	rows   []Row
	picked []bool // the customers this command works on
	// pending are the loads confirmed and not worked on yet (see Rollup.Pending).
	pending map[string]backfill.Command
	// lock is the batch folder's lock (DIR/.lock), held by the command until close; nil for
	// a batch status that found the folder in use, which then writes nothing.
	lock *runfolder.Folder
}

// lockDir takes the lock of the batch folder o.Dir for cmd: one batch command writes a
// batch folder at a time (the runbook's copy, the roll-up, the pending loads). Another
// holding it is a *runfolder.InUseError, except for batch status, which then reads only
// (nil lock, no error).
func lockDir(o *Options, cmd backfill.Command) (*runfolder.Folder, error) {
	words := o.Words
	if words == nil {
		words = backfill.PlainWords{}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	f := &runfolder.Folder{Dir: o.Dir}
	err := f.Lock(words.Command(cmd, o.Dir), now().UTC())
	if cmd == CmdBatchStatus && errors.Is(err, runfolder.ErrInUse) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// close releases the batch folder's lock.
func (b *batch) close() {
	if b.lock != nil {
		b.lock.Unlock()
	}
}

// Plan preflights and plans every customer of the runbook into its own run folder
// (Dir/<customer>/, the folder [backfill.Plan] writes), at most Parallel orgs at once; one
// failing customer never stops the others. The runbook is checked whole before any work (a
// [*RunbookError]). In a batch folder planned before, only the customers without a usable
// plan are planned again (none yet, a plan that failed, preflight failed or too many rows
// rejected, and never loaded): their old folder is kept under .replaced/. The roll-up is
// rewritten as each customer ends; its OK says whether every customer is ready (or loaded).
func Plan(ctx context.Context, opts PlanOptions) (*Rollup, error) {
	rb, err := ReadRunbook(opts.Runbook)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, &backfill.OptionError{Option: backfill.OptOut, Err: backfill.ErrRequired}
	}
	org := opts.Org
	org.TargetOrg = rb.Customers[0].TargetOrg
	if err := org.Validate(); err != nil {
		return nil, &backfill.LoginError{Err: err, Unusable: true}
	}
	if err := os.MkdirAll(opts.Dir, runfolder.DirPerm); err != nil {
		return nil, &backfill.OptionError{Option: backfill.OptOut, Value: opts.Dir, Err: err}
	}
	lock, err := lockDir(&opts.Options, CmdBatchPlan)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	given := map[string]bool{}
	for _, c := range rb.Customers {
		given[strings.ToLower(c.Name)] = true
	}
	if err := saveRunbook(opts.Dir, rb); err != nil {
		return nil, err
	}
	b, err := open(&opts.Options, CmdBatchPlan, rb, lock)
	if err != nil {
		return nil, err
	}
	for i, r := range b.rows {
		if !given[strings.ToLower(r.Customer)] {
			b.picked[i] = false // in the batch, no longer in the runbook
			continue
		}
		switch r.State {
		case StateNotPlanned, StatePlanFailed, StatePreflightFailed, StateTooManyRejected:
		default:
			b.picked[i] = false // ready, loaded, busy, interrupted, unusable: left as they are
		}
	}
	return b.run(ctx, func(name string) string { return strings.ToLower(b.rb.Customer(name).TargetOrg) }, b.planOne)
}

// Status reads where every customer stands and rewrites the roll-up; nothing is sent to
// Salesforce. Its OK says whether every customer is ready or loaded without failures.
func Status(opts Options) (*Rollup, error) {
	b, err := openDir(&opts, CmdBatchStatus)
	if err != nil {
		return nil, err
	}
	defer b.close()
	return b.finish(nil)
}

// Import loads the plans that are ready (preflight passed, not over the rejected limit,
// not loaded), after one confirmation, each as [backfill.ImportPlan] loads a reviewed plan
// (which runs the blocking preflight checks again first); it never loads one that is not
// ready. Its OK says whether every customer chosen is loaded without failures.
func Import(ctx context.Context, opts ImportOptions) (*Rollup, error) {
	b, err := openDir(&opts.Options, CmdBatchImport)
	if err != nil {
		return nil, err
	}
	defer b.close()
	var load []Row
	for i, r := range b.rows {
		if b.picked[i] && r.State == StateReady {
			load = append(load, r)
		}
	}
	if len(load) > 0 && !opts.Yes {
		if opts.Confirm == nil {
			return nil, &backfill.ConfirmError{Dir: opts.Dir, Err: backfill.ErrCannotAsk}
		}
		ok, err := opts.Confirm(load)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &backfill.ConfirmError{Dir: opts.Dir, Err: backfill.ErrCancelled}
		}
	}
	for i, r := range b.rows {
		b.picked[i] = b.picked[i] && r.State == StateReady
	}
	b.confirmed(CmdBatchImport)
	return b.run(ctx, b.orgOf, b.importOne)
}

// Resume finishes every interrupted load (an import, or an undo) as [backfill.Resume]
// does, and does the loads a batch import (or undo) was confirmed for and did not start
// (it was interrupted first). Its OK says whether every customer chosen is loaded without
// failures (or undone).
func Resume(ctx context.Context, opts Options) (*Rollup, error) {
	b, err := openDir(&opts, CmdBatchResume)
	if err != nil {
		return nil, err
	}
	defer b.close()
	for i, r := range b.rows {
		switch b.pending[r.Customer] {
		case CmdBatchImport:
			b.picked[i] = b.picked[i] && (r.State == StateInterrupted || r.State == StateReady)
		case CmdBatchUndo:
			b.picked[i] = b.picked[i] && (r.State == StateInterrupted || r.State.Loaded() && r.State != StateUndone)
		default:
			b.picked[i] = b.picked[i] && r.State == StateInterrupted
		}
	}
	return b.run(ctx, b.orgOf, func(ctx context.Context, c *Customer, f backfill.Front) error {
		i := slices.Index(b.rb.Customers, c)
		b.mu.Lock()
		st, pending := b.rows[i].State, b.pending[c.Name]
		b.mu.Unlock()
		switch {
		case st == StateInterrupted:
			return b.resumeOne(ctx, c, f)
		case pending == CmdBatchImport:
			return b.importOne(ctx, c, f)
		}
		return b.undoOne(true)(ctx, c, f)
	})
}

// confirmed records the customers picked as pending cmd: confirmed, to be done even if
// this command is interrupted first (batch resume does them).
func (b *batch) confirmed(cmd backfill.Command) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, c := range b.rb.Customers {
		if b.picked[i] {
			b.pending[c.Name] = cmd
		}
	}
	if err := b.write(); err != nil {
		b.log.Warn("the roll-up could not be written", zap.Error(err))
	}
}

// Verify proves every finished import not undone, as [backfill.Verify] does. Its OK says
// whether every customer chosen is verified.
func Verify(ctx context.Context, opts Options) (*Rollup, error) {
	return onFolders(ctx, &opts, CmdBatchVerify, func(r Row) bool { return r.State.Loaded() && r.State != StateUndone }, (*batch).verifyOne)
}

// onFolders runs cmd's job on the customers chosen whose state pick accepts.
func onFolders(ctx context.Context, o *Options, cmd backfill.Command, pick func(Row) bool,
	do func(*batch, context.Context, *Customer, backfill.Front) error) (*Rollup, error) {
	b, err := openDir(o, cmd)
	if err != nil {
		return nil, err
	}
	defer b.close()
	for i, r := range b.rows {
		b.picked[i] = b.picked[i] && pick(r)
	}
	return b.run(ctx, b.orgOf, func(ctx context.Context, c *Customer, f backfill.Front) error { return do(b, ctx, c, f) })
}

// Undo takes back the imports of the customers named in Only, as [backfill.Undo] does:
// without Yes it writes each one's undo plan, asks Confirm once (when set) and undoes them
// only on yes. Only is required: a batch is never undone whole by accident.
func Undo(ctx context.Context, opts ImportOptions) (*Rollup, error) {
	if len(opts.Only) == 0 {
		return nil, &backfill.OptionError{Option: OptOnly, Err: backfill.ErrRequired}
	}
	b, err := openDir(&opts.Options, CmdBatchUndo)
	if err != nil {
		return nil, err
	}
	defer b.close()
	picked := slices.Clone(b.picked)
	for i, r := range b.rows {
		b.picked[i] = picked[i] && r.State.Loaded() && r.State != StateUndone
	}
	yes := opts.Yes
	if yes {
		b.confirmed(CmdBatchUndo)
	}
	rollup, err := b.run(ctx, b.orgOf, b.undoOne(yes))
	if err != nil || yes || opts.Confirm == nil {
		return rollup, err
	}
	var planned []Row
	for i, r := range b.rows {
		if b.picked[i] && r.State == StateUndoPlanned {
			planned = append(planned, r)
		}
	}
	if len(planned) == 0 {
		return rollup, nil
	}
	ok, err := opts.Confirm(planned)
	if err != nil || !ok {
		return rollup, err
	}
	for i, r := range b.rows {
		b.picked[i] = b.picked[i] && r.State == StateUndoPlanned
	}
	b.confirmed(CmdBatchUndo)
	return b.run(ctx, b.orgOf, b.undoOne(true))
}

// OptOnly is the option naming the customers a command works on.
const OptOnly backfill.Option = "only"

// openDir opens the batch folder of opts for cmd: its runbook copy, each customer's state.
func openDir(o *Options, cmd backfill.Command) (*batch, error) {
	if o.Dir == "" {
		return nil, &BatchError{Dir: o.Dir, Err: ErrNotBatch}
	}
	rb, err := readRunbook(filepath.Join(o.Dir, RunbookCopy), false)
	if err != nil {
		var re *RunbookError
		if errors.As(err, &re) && errors.Is(re.Err, fs.ErrNotExist) {
			return nil, &BatchError{Dir: o.Dir, Err: ErrNotBatch}
		}
		return nil, err
	}
	lock, err := lockDir(o, cmd)
	if err != nil {
		return nil, err
	}
	b, err := open(o, cmd, rb, lock)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	return b, nil
}

// open reads every customer's state and picks those Only names; lock is the batch
// folder's, held (nil: write nothing).
func open(o *Options, cmd backfill.Command, rb *Runbook, lock *runfolder.Folder) (*batch, error) {
	b := &batch{o: o, cmd: cmd, rb: rb, log: o.Logger, words: o.Words, lock: lock}
	if b.log == nil {
		b.log = zap.NewNop()
	}
	if b.words == nil {
		b.words = backfill.PlainWords{}
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	prev, pending := readRollup(o.Dir)
	b.pending = map[string]backfill.Command{}
	for name, c := range pending {
		if rb.Customer(name) != nil {
			b.pending[name] = c
		}
	}
	b.rows = make([]Row, len(rb.Customers))
	b.picked = make([]bool, len(rb.Customers))
	for i, c := range rb.Customers {
		b.rows[i] = derive(o.Dir, c, prev[strings.ToLower(c.Name)], b.words)
		b.picked[i] = len(o.Only) == 0
	}
	var unknown []string
	for _, name := range o.Only {
		c := rb.Customer(name)
		if c == nil {
			unknown = append(unknown, name)
			continue
		}
		b.picked[slices.Index(rb.Customers, c)] = true
	}
	if len(unknown) > 0 {
		var known []string
		for _, c := range rb.Customers {
			known = append(known, c.Name)
		}
		return nil, &SelectionError{Dir: o.Dir, Unknown: unknown, Known: known}
	}
	return b, nil
}

// orgOf is the org a customer's folder commands go to: its plan's Organization Id, or its
// alias when it has none.
func (b *batch) orgOf(name string) string {
	i := slices.IndexFunc(b.rows, func(r Row) bool { return r.Customer == name })
	if id := b.rows[i].OrgID; len(id) >= 15 {
		return id[:15]
	}
	return strings.ToLower(b.rows[i].TargetOrg)
}

// job is one customer's work: it returns the job's error, if any.
type job func(ctx context.Context, c *Customer, f backfill.Front) error

// run runs do for every picked customer, at most Parallel orgs at once and the customers of
// one org (by org) one after the other, then writes the roll-up. A cancelled ctx starts no
// new customer; the roll-up is written and ctx's error returned.
func (b *batch) run(ctx context.Context, org func(name string) string, do job) (*Rollup, error) {
	var groups [][]int
	index := map[string]int{}
	for i, c := range b.rb.Customers {
		if !b.picked[i] {
			continue
		}
		k := org(c.Name)
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	next := make(chan []int)
	var wg sync.WaitGroup
	for range min(b.o.Parallel, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				for _, i := range g {
					if ctx.Err() != nil {
						break
					}
					b.one(ctx, i, do)
				}
			}
		}()
	}
	for _, g := range groups {
		next <- g
	}
	close(next)
	wg.Wait()
	return b.finish(ctx.Err())
}

// one runs do for customer i and records where it stands after.
func (b *batch) one(ctx context.Context, i int, do job) {
	c := b.rb.Customers[i]
	cmd := b.cmd
	f := b.o.Front
	f.Logger = b.log.With(zap.String("customer", c.Name))
	f.Progress, f.Confirm = nil, nil
	if w := b.o.Watch; w != nil {
		f.Progress = w.Observer(c.Name)
		w.Begin(c.Name, cmd)
	}
	err := guard(ctx, c, f, do)
	b.mu.Lock()
	before := b.rows[i].State
	r := derive(b.o.Dir, c, nil, b.words)
	if err != nil {
		if r.State == StateNotPlanned {
			r.State = StatePlanFailed
		}
		r.Error, r.ErrorState = b.errorText(err), r.State
		r.explain(b.o.Dir, b.words)
		f.Logger.Warn("customer stopped", zap.String("state", string(r.State)), zap.Error(err))
	} else {
		f.Logger.Info("customer ended", zap.String("state", string(r.State)), zap.String("was", string(before)))
	}
	if r.OrgID == "" {
		r.OrgID, r.OrgName = b.rows[i].OrgID, b.rows[i].OrgName
	}
	b.rows[i] = r
	if err == nil || ctx.Err() == nil {
		delete(b.pending, c.Name) // worked on; interrupted, it is still to do
	}
	if err := b.write(); err != nil {
		b.log.Warn("the roll-up could not be written", zap.Error(err))
	}
	b.mu.Unlock()
	if w := b.o.Watch; w != nil {
		w.End(r)
	}
}

// PanicError is a customer's job that panicked: a bug, recorded as that customer's error
// (with the stack in the log) so that the other customers go on.
type PanicError struct {
	Value any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error (a bug, please report it with run.log): %v", e.Value)
}

// guard runs do, turning a panic into a *PanicError.
func guard(ctx context.Context, c *Customer, f backfill.Front, do job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			f.Logger.Error("customer's job panicked", zap.Any("panic", v), zap.Stack("stack"))
			err = &PanicError{Value: v}
		}
	}()
	return do(ctx, c, f)
}

// planOne plans customer c into its run folder, keeping an old plan that is replaced.
func (b *batch) planOne(ctx context.Context, c *Customer, f backfill.Front) error {
	out := filepath.Join(b.o.Dir, c.Name)
	if _, err := os.Stat(out); err == nil {
		if err := b.setAside(out, c.Name); err != nil {
			return err
		}
	}
	o := c.PlanOptions()
	org := b.o.Org
	org.TargetOrg, org.Sandbox = o.Org.TargetOrg, o.Org.Sandbox
	o.Org, o.Front, o.Out = org, f, out
	_, err := backfill.Plan(ctx, o)
	var re *backfill.RejectedError
	if errors.As(err, &re) {
		return nil // the plan is written: the state says too many rejected
	}
	return err
}

// setAside moves the plan in out, never loaded, under .replaced/ with the time.
func (b *batch) setAside(out, name string) error {
	dir := filepath.Join(b.o.Dir, replacedDir)
	if err := os.MkdirAll(dir, runfolder.DirPerm); err != nil {
		return err
	}
	stamp := b.now().Format("20060102T150405Z")
	to := filepath.Join(dir, name+"-"+stamp)
	for n := 2; ; n++ {
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		to = filepath.Join(dir, fmt.Sprintf("%s-%s-%d", name, stamp, n))
	}
	f := &runfolder.Folder{Dir: out}
	if err := f.Lock(b.words.Command(CmdBatchPlan, ""), b.now()); err != nil {
		return err
	}
	defer f.Unlock()
	if err := f.MoveTo(to); err != nil {
		return fmt.Errorf("keep the old plan of %s: %w", name, err)
	}
	return nil
}

func (b *batch) now() time.Time {
	if b.o.Now != nil {
		return b.o.Now().UTC()
	}
	return time.Now().UTC()
}

// folderOpts are the options of a job on customer c's run folder: the plan's login.
func (b *batch) folderOpts(c *Customer, f backfill.Front) backfill.FolderOptions {
	return backfill.FolderOptions{Front: f, Dir: filepath.Join(b.o.Dir, c.Name), Org: b.o.Org}
}

func (b *batch) importOne(ctx context.Context, c *Customer, f backfill.Front) error {
	_, err := backfill.ImportPlan(ctx, backfill.ImportPlanOptions{FolderOptions: b.folderOpts(c, f),
		Load: backfill.LoadOptions{Yes: true}, MaxRejected: c.MaxRejected()})
	return err
}

func (b *batch) resumeOne(ctx context.Context, c *Customer, f backfill.Front) error {
	_, err := backfill.Resume(ctx, backfill.ResumeOptions{FolderOptions: b.folderOpts(c, f)})
	return err
}

func (b *batch) verifyOne(ctx context.Context, c *Customer, f backfill.Front) error {
	_, _, err := backfill.Verify(ctx, backfill.VerifyOptions{FolderOptions: b.folderOpts(c, f)})
	return err
}

func (b *batch) undoOne(yes bool) job {
	return func(ctx context.Context, c *Customer, f backfill.Front) error {
		_, _, err := backfill.Undo(ctx, backfill.UndoOptions{FolderOptions: b.folderOpts(c, f), Yes: yes})
		return err
	}
}

// errorText is what the roll-up says of a job's error: its facts, options and commands
// named through Words.
func (b *batch) errorText(err error) string {
	w := b.words
	var (
		oe *backfill.OptionError
		st *backfill.StoppedError
		le *backfill.LoginError
		te *backfill.TargetError
	)
	switch {
	case errors.As(err, &oe):
		return fmt.Sprintf("%s: %v", w.Option(oe.Option, oe.Value), oe.Err)
	case errors.As(err, &st):
		return fmt.Sprintf("the load stopped (%v); finish it with %s", st, w.Command(CmdBatchResume, b.o.Dir))
	case errors.As(err, &le):
		return "cannot log in: " + le.Error()
	case errors.As(err, &te):
		if te.Fix != "" {
			return te.Msg + "; " + te.Fix
		}
		return te.Msg
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return err.Error()
}

// saveRunbook writes the batch's copy of the runbook, merged with the copy already there:
// customers the new runbook drops stay in the batch.
func saveRunbook(dir string, rb *Runbook) error {
	path := filepath.Join(dir, RunbookCopy)
	if old, err := readRunbook(path, false); err == nil {
		for _, c := range old.Customers {
			if rb.Customer(c.Name) == nil {
				rb.Customers = append(rb.Customers, c)
			}
		}
		for _, col := range old.Columns {
			if !slices.Contains(rb.Columns, col) {
				rb.Columns = append(rb.Columns, col)
			}
		}
	}
	p, err := (&runfolder.Folder{Dir: dir}).Begin(RunbookCopy)
	if err != nil {
		return err
	}
	if err := writeRunbook(p, rb); err != nil {
		p.Abort()
		return err
	}
	return p.Commit()
}
