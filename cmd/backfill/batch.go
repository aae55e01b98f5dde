package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/batch"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

// batchCommand is one subcommand of backfill batch.
type batchCommand struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}

func batchCommands() []batchCommand {
	return []batchCommand{
		{"plan", "preflight and plan every customer of a runbook, each into DIR/<customer>/", runBatchPlan},
		{"status", "print where every customer stands (reads only)", runBatchStatus},
		{"import", "load the plans that are ready, after one confirmation", runBatchImport},
		{"resume", "finish every interrupted import (or undo)", runBatchResume},
		{"verify", "prove every finished import", runBatchVerify},
		{"undo", "take back the imports of the customers named with --only", runBatchUndo},
	}
}

const batchHelp = `
A batch backfills many customers, each with its own export and its own org, side by side
in one process. The runbook is a CSV with a header row and one customer a line:

  customer,target_org,export[,since,object,external_id_field,mapping,update_stale,
  date_format,date_column,key_column,updated_column,encoding,max_rejected,order_by,
  skipped_before_cutoff,sandbox]

customer names the customer and its run folder; target_org is a Salesforce CLI alias
(sf org login web --alias NAME); export is its CE Data Export, relative to the runbook's
folder or absolute. The other columns are the options of backfill plan by their names
("-" written "_"; date_column takes several columns separated by "|"); an empty cell is the
default. Lines starting with # are comments. No secrets go in a runbook. A runbook that
names an unknown column, a missing export, a duplicate customer or a name no folder can
have is refused with its line number before any work (exit 2).

Each customer gets the run folder its single command would write, DIR/<customer>/, and
every single command keeps working on it; the batch reads each customer's state from its
folder every time, so it sees what they did. Every batch command rewrites the roll-up:
DIR/batch.csv, DIR/batch.json and DIR/batch.html (one table, each row linking that
customer's report.html): the org, the state, the preflight verdict with the failing checks,
rows, to insert, to update, stale, rejected %, warnings, API calls, the folder, and why a
customer is not ready or done.

At most --parallel orgs are worked on at once; customers of one org run one after the
other, so each org's limits are checked (preflight check 5) by one job at a time. On a
terminal each customer has a progress line; without one, progress is logged per customer.
Exit codes: 0 when every customer is where the command wants it (ready or loaded, loaded,
verified, undone), 3 when some are not (the roll-up says why for each), 2 for an unusable
runbook or batch folder, 130 when interrupted (batch resume finishes).`

// runBatch runs backfill batch SUBCOMMAND.
func runBatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		e.batchUsage(e.stderr)
		return usage("run 'backfill batch --help'", "batch needs a subcommand: plan, status, import, resume, verify or undo")
	}
	if isHelp(args[0]) {
		e.batchUsage(e.stdout)
		return errHelp
	}
	var names []string
	for _, c := range batchCommands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
		names = append(names, c.name)
	}
	hint := "run 'backfill batch --help' for its subcommands"
	if dym := didYouMean(suggest(args[0], names), quoteCommand); dym != "" {
		hint = dym + " (" + hint + ")"
	}
	return usage(hint, "unknown batch subcommand %q", args[0])
}

// batchUsage prints backfill batch's help.
func (e *env) batchUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage:\n  backfill batch <command> [flags]\n\nCommands:\n")
	for _, c := range batchCommands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString(strings.TrimSuffix(batchHelp, "\n") + "\n")
	b.WriteString("\nUsual sequence: batch plan RUNBOOK --out DIR → review DIR/batch.html → batch import DIR → batch verify DIR\n")
	io.WriteString(w, b.String())
}

// batchFlags are the flags the batch commands share.
type batchFlags struct {
	lo       logOptions
	out      *outputFlags
	opts     batch.Options
	only     []string
	yes      bool
	parallel int
}

// newBatchFlags binds the flags every batch command has: the output and log flags, and
// --parallel when the command works on orgs.
func newBatchFlags(fs *pflag.FlagSet, parallel bool) *batchFlags {
	f := &batchFlags{}
	if parallel {
		fs.IntVar(&f.parallel, "parallel", batch.DefaultParallel, "work on at most N orgs at once")
	}
	f.out = addOutputFlags(fs, "the roll-up on stdout: table or json")
	return f
}

// addOnly binds --only.
func (f *batchFlags) addOnly(fs *pflag.FlagSet, what string) {
	fs.StringSliceVar(&f.only, "only", nil, what+" only these customers (names separated by commas; repeatable)")
}

// addYes binds --yes.
func (f *batchFlags) addYes(fs *pflag.FlagSet, usage string) {
	fs.BoolVarP(&f.yes, "yes", "y", false, usage)
}

// start parses args (nargs positional arguments: what names them) and sets up the batch's
// front end; done ends it.
func (e *env) startBatch(fs *pflag.FlagSet, f *batchFlags, args []string, what string) (done func(), err error) {
	addLogFlags(fs, &f.lo)
	if err := parseFlags(fs, e, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, usage(fmt.Sprintf("run 'backfill %s --help'", fs.Name()), "%s takes one %s", fs.Name(), what)
	}
	if err := f.out.apply(fs); err != nil {
		return nil, err
	}
	if f.parallel < 0 || (fs.Lookup("parallel") != nil && f.parallel == 0) {
		return nil, usage("pass a number of orgs, 1 or more", "--parallel %d: not a number of orgs", f.parallel)
	}
	var only []string
	for _, n := range f.only {
		if n = strings.TrimSpace(n); n != "" {
			only = append(only, n)
		}
	}
	f.opts.Only, f.opts.Parallel, f.opts.Dir = only, f.parallel, fs.Arg(0)
	e.login(&f.opts.Org)
	f.opts.Org.Credentials = sfclient.Credentials{} // every customer logs in through its alias
	return e.batchFront(f)
}

// batchWords is how the command line names things in a batch: options of a customer's plan
// are the runbook's columns, commands are shell commands.
type batchWords struct{ report.Shell }

// Option implements [backfill.Words].
func (w batchWords) Option(o backfill.Option, value string) string {
	if !slices.Contains(batch.Columns, o) {
		return w.Shell.Option(o, value)
	}
	if value == "" {
		return fmt.Sprintf("the runbook's %s column", o)
	}
	return fmt.Sprintf("%s in the runbook's %s column", value, o)
}

// Command implements [backfill.Words]: batch plan is offered with the batch's own copy of
// the runbook (its files absolute), so that it runs as printed.
func (w batchWords) Command(c backfill.Command, dir string) string {
	if c == batch.CmdBatchPlan && dir != "" {
		return "backfill batch plan " + report.Quote(filepath.Join(dir, batch.RunbookCopy)) + " --out " + report.Quote(dir)
	}
	return w.Shell.Command(c, dir)
}

// Login implements [backfill.Words].
func (batchWords) Login() string { return "the runbook's target_org column (a Salesforce CLI alias)" }

var bw = batchWords{}

// batchFront sets up the batch's logger, its words and report.html, and its progress: a
// line per customer on a terminal (the log writes through them), progress lines in the
// log otherwise.
func (e *env) batchFront(f *batchFlags) (func(), error) {
	out := e.stderr
	var lines *progressLines
	if !f.lo.quiet && e.stderrTerminal {
		lines = newProgressLines(e.stderr)
		out = lines
	}
	log, err := newLogger(out, f.lo, e.stderrTerminal)
	if err != nil {
		return nil, usage("", "%v", err)
	}
	f.opts.Front = backfill.Front{Logger: log, Words: bw, Version: version,
		Render: report.View{Words: bw, Exit: reportView.Exit}.Renderer()}
	switch {
	case f.lo.quiet:
	case lines != nil:
		f.opts.Watch = lines.p
		lines.start()
	default:
		f.opts.Watch = logWatch{log: log}
	}
	restore := sfclient.RedirectStdLog(log)
	return func() {
		if lines != nil {
			lines.stop()
		}
		restore()
		log.Sync()
	}, nil
}

func runBatchPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch plan", "backfill batch plan RUNBOOK --out DIR [flags]", `
Preflight and plan every customer of RUNBOOK, at most --parallel orgs at once, each into
its own run folder DIR/<customer>/ (sealed, the folder backfill plan writes); one failing
customer never stops the others. Changes nothing in Salesforce. Then the roll-up:
DIR/batch.csv, DIR/batch.json and DIR/batch.html. Exit code 0 when every customer is ready
to load, 3 when some are not (the roll-up says why for each), 2 for an unusable runbook.

Run again on the same DIR (after a fix in an org, or with customers added), it plans only
the customers without a usable plan: none yet, a plan that failed, preflight failed or too
many rows rejected (never loaded; the old folder is kept in DIR/.replaced/).
`+batchHelp)
	var out string
	fs.StringVar(&out, "out", "", "the batch folder: a run folder per customer and the roll-up")
	markRequired(fs, "out", "(required)")
	f := newBatchFlags(fs, true)
	done, err := e.startBatch(fs, f, args, "runbook")
	if err != nil {
		return err
	}
	defer done()
	if out == "" {
		return usage("pass the batch folder to create, or the one planned before: --out DIR", "--out is required")
	}
	f.opts.Dir = out
	r, err := batch.Plan(ctx, batch.PlanOptions{Options: f.opts, Runbook: fs.Arg(0)})
	return e.batchEnd(r, f.out.format, err)
}

func runBatchStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch status", "backfill batch status DIR [flags]", `
Print where every customer of the batch in DIR stands, read from its run folder (so what
single commands did on a folder shows), and rewrite the roll-up. Reads only: nothing is
sent to Salesforce. Exit code 0 when every customer is ready or loaded without failures, 3
otherwise.`)
	f := newBatchFlags(fs, false)
	done, err := e.startBatch(fs, f, args, "batch folder")
	if err != nil {
		return err
	}
	defer done()
	r, err := batch.Status(f.opts)
	return e.batchEnd(r, f.out.format, err)
}

func runBatchImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch import", "backfill batch import DIR [flags]", `
Load the plans of the batch in DIR that are ready (preflight passed, not over the rejected
limit, not loaded), never one that is not: each as backfill import --plan loads a reviewed
plan (the seal, the same org, preflight's blocking checks again, existence re-checked).
Asks once, with the customers it would load (skip with --yes). Each customer's folder gets
the files of a single import. Exit code 0 when every customer chosen is loaded without
failures, 3 otherwise; an interrupted batch (Ctrl-C, kill -9, a closed laptop) is finished
with backfill batch resume DIR.`)
	f := newBatchFlags(fs, true)
	f.addOnly(fs, "load")
	f.addYes(fs, "do not ask for confirmation")
	done, err := e.startBatch(fs, f, args, "batch folder")
	if err != nil {
		return err
	}
	defer done()
	r, err := batch.Import(ctx, batch.ImportOptions{Options: f.opts, Yes: f.yes, Confirm: e.batchConfirm("Load")})
	return e.batchEnd(r, f.out.format, err)
}

func runBatchResume(ctx context.Context, e *env, args []string) error {
	return e.runBatchFolders(ctx, args, "resume", `
Finish every interrupted import (or undo) of the batch in DIR, each as backfill resume
finishes one (nothing is sent twice), and the loads an interrupted batch import (or undo)
was confirmed for and did not start. Exit code 0 when every customer chosen is loaded
without failures, 3 otherwise.`, batch.Resume)
}

func runBatchVerify(ctx context.Context, e *env, args []string) error {
	return e.runBatchFolders(ctx, args, "verify", `
Prove every finished import of the batch in DIR, each as backfill verify proves one (reads
only; each folder gets its verify.csv). Exit code 0 when every customer chosen is verified,
3 otherwise.`, batch.Verify)
}

// runBatchFolders runs a batch command that takes the batch folder, --only and --parallel,
// and nothing else: backfill batch NAME DIR.
func (e *env) runBatchFolders(ctx context.Context, args []string, name, description string,
	job func(context.Context, batch.Options) (*batch.Rollup, error)) error {
	fs := newFlagSet("batch "+name, "backfill batch "+name+" DIR [flags]", description)
	f := newBatchFlags(fs, true)
	f.addOnly(fs, name)
	done, err := e.startBatch(fs, f, args, "batch folder")
	if err != nil {
		return err
	}
	defer done()
	r, err := job(ctx, f.opts)
	return e.batchEnd(r, f.out.format, err)
}

func runBatchUndo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("batch undo", "backfill batch undo DIR --only NAMES [flags]", `
Take back the imports of the customers named with --only, each as backfill undo does: the
records each import created are deleted, those it updated restored. Without --yes it writes
each undo plan (undo-plan.csv) and, on a terminal, asks once; otherwise it changes nothing.
Exit code 0 when every customer named is undone (or, without --yes, has its undo planned), 3
otherwise.`)
	f := newBatchFlags(fs, true)
	f.addOnly(fs, "undo")
	markRequired(fs, "only", "(required)")
	f.addYes(fs, "undo without asking (without it: the undo plans only, unless a terminal can be asked)")
	done, err := e.startBatch(fs, f, args, "batch folder")
	if err != nil {
		return err
	}
	defer done()
	if len(f.opts.Only) == 0 {
		return usage("name the customers to undo: --only NAME[,NAME...]; a batch is never undone whole", "--only is required")
	}
	var confirm func([]batch.Row) (bool, error)
	if !f.yes {
		confirm = e.batchConfirm("Undo the imports of")
	}
	r, err := batch.Undo(ctx, batch.ImportOptions{Options: f.opts, Yes: f.yes, Confirm: confirm})
	return e.batchEnd(r, f.out.format, err)
}

// batchConfirm asks once, on a terminal, before a batch writes to Salesforce (nil without
// one): the customers and their rows, then "Type yes".
func (e *env) batchConfirm(verb string) func([]batch.Row) (bool, error) {
	if !e.stdinTerminal || e.stdin == nil {
		return nil
	}
	return func(rows []batch.Row) (bool, error) {
		var b strings.Builder
		insert, update := 0, 0
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-24s %-28s %10s to insert %10s to update\n", r.Customer, orgName(r),
				backfill.Group(r.ToInsert), backfill.Group(r.ToUpdate))
			insert, update = insert+r.ToInsert, update+r.ToUpdate
		}
		fmt.Fprintf(&b, "\n%s %s (%s rows to insert, %s to update in all)? Type yes to continue: ", verb,
			backfill.Plural(len(rows), "customer"), backfill.Group(insert), backfill.Group(update))
		io.WriteString(e.stdout, b.String())
		line := make([]byte, 0, 8)
		buf := make([]byte, 1)
		for {
			n, err := e.stdin.Read(buf)
			if n == 0 || err != nil || buf[0] == '\n' {
				break
			}
			line = append(line, buf[0])
		}
		a := strings.ToLower(strings.TrimSpace(string(line)))
		return a == "y" || a == "yes", nil
	}
}

// orgName is how a row's org is shown: its name and Id, or its alias before it is known.
func orgName(r batch.Row) string {
	if r.OrgName == "" {
		return r.TargetOrg
	}
	return r.OrgName + " (" + r.OrgID + ")"
}

// batchEnd prints the roll-up and returns how the command ends: exit 3, naming the
// customers, when some are not where the command wants them.
func (e *env) batchEnd(r *batch.Rollup, format string, err error) error {
	var ce *backfill.ConfirmError
	if errors.As(err, &ce) {
		hint := fmt.Sprintf("review %s and each customer's report, then run again with --yes", filepath.Join(ce.Dir, batch.RollupHTML))
		if errors.Is(err, backfill.ErrCancelled) {
			hint = "nothing was written to Salesforce; run the command again when the plans are approved"
		}
		return &cliError{msg: ce.Error(), hint: hint, code: exitUsage, err: err}
	}
	if r == nil {
		return err
	}
	if perr := printRollup(e.stdout, r, format); perr != nil && err == nil {
		err = perr
	}
	if errors.Is(err, context.Canceled) {
		return &cliError{msg: "interrupted: the customers under way stopped as their single commands stop, the others did not start",
			hint: "run " + bw.Command(batch.CmdBatchResume, r.Dir) + " to finish", code: exitInterrupted, err: err}
	}
	if err != nil || r.OK {
		return err
	}
	var names []string
	for _, row := range r.Customers {
		if slices.Contains(r.NotOK, row.Customer) {
			names = append(names, fmt.Sprintf("%s (%s)", row.Customer, strings.ReplaceAll(string(row.State), "_", " ")))
		}
	}
	what := map[backfill.Command]string{batch.CmdBatchImport: "loaded", batch.CmdBatchResume: "loaded",
		batch.CmdBatchVerify: "verified", batch.CmdBatchUndo: "undone"}[r.Command]
	if what == "" {
		what = "ready"
	}
	return &cliError{msg: fmt.Sprintf("%d of %d customers are not %s: %s", len(r.NotOK), len(r.Customers), what, strings.Join(names, ", ")),
		hint: fmt.Sprintf("%s says why for each and what to do next", filepath.Join(r.Dir, batch.RollupHTML)), code: exitRowsFailed}
}

// printRollup prints the roll-up: a table (then, for each customer that needs a look, why
// and what next) or batch.json's JSON.
func printRollup(w io.Writer, r *batch.Rollup, format string) error {
	if format == "json" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s %-18s %-17s %-9s %9s %9s %9s %7s %9s %9s %9s %7s %6s\n", "CUSTOMER", "ORG", "STATE", "PREFLIGHT",
		"ROWS", "INSERT", "UPDATE", "STALE", "REJECTED", "CREATED", "UPDATED", "FAILED", "CALLS")
	for _, row := range r.Customers {
		org := row.OrgID
		if org == "" {
			org = row.TargetOrg
		}
		fmt.Fprintf(&b, "%-20s %-18s %-17s %-9s %9s %9s %9s %7s %8.1f%% %9s %9s %7s %6s\n", clip(row.Customer, 20), clip(org, 18),
			strings.ReplaceAll(string(row.State), "_", " "), row.Preflight, backfill.Group(row.Rows), backfill.Group(row.ToInsert),
			backfill.Group(row.ToUpdate), backfill.Group(row.Stale), row.RejectedPercent, backfill.Group(row.Created),
			backfill.Group(row.Updated), backfill.Group(row.Failed+row.Unprocessed), backfill.Group(row.APICalls))
	}
	for _, row := range r.Customers {
		if !slices.Contains(r.NotOK, row.Customer) {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s\n", row.Customer, strings.ReplaceAll(string(row.State), "_", " "))
		for _, l := range []struct{ label, text string }{{"error", row.Error}, {"why", row.Reason}, {"next", row.Next}} {
			if l.text != "" {
				fmt.Fprintf(&b, "  %s: %s\n", l.label, l.text)
			}
		}
	}
	fmt.Fprintf(&b, "\nroll-up: %s\n", filepath.Join(r.Dir, batch.RollupHTML))
	_, err := io.WriteString(w, b.String())
	return err
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// logWatch logs each customer's progress without a terminal: its job's progress lines and
// a line when it begins and ends.
type logWatch struct{ log *zap.Logger }

func (w logWatch) Observer(customer string) backfill.Observer {
	return report.NewProgressLog(w.log.With(zap.String("customer", customer)))
}

func (w logWatch) Begin(customer string, c backfill.Command) {
	w.log.Info("customer started", zap.String("customer", customer), zap.String("command", bw.Command(c, "")))
}

func (w logWatch) End(r batch.Row) {
	w.log.Info("customer now", zap.String("customer", r.Customer), zap.String("state", string(r.State)),
		zap.Int("rows", r.Rows), zap.Int("created", r.Created), zap.Int("updated", r.Updated), zap.Int("failed", r.Failed),
		zap.Int("api_calls", r.APICalls))
}

// progressLines draws a line per customer at the bottom of a terminal, redrawn a few times
// a second; the log writes through it (the lines are cleared, the log line written, the
// lines drawn again).
type progressLines struct {
	mu    sync.Mutex
	w     io.Writer
	p     *batch.Progress
	drawn int
	quit  chan struct{}
	ended chan struct{}
}

func newProgressLines(w io.Writer) *progressLines {
	return &progressLines{w: w, p: batch.NewProgress(nil, nil), quit: make(chan struct{}), ended: make(chan struct{})}
}

// Write writes a log line above the progress lines.
func (l *progressLines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	n, err := l.w.Write(b)
	l.draw()
	return n, err
}

func (l *progressLines) start() {
	go func() {
		defer close(l.ended)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-l.quit:
				return
			case <-t.C:
				l.mu.Lock()
				l.clear()
				l.draw()
				l.mu.Unlock()
			}
		}
	}()
}

// stop draws the lines a last time and leaves them.
func (l *progressLines) stop() {
	close(l.quit)
	<-l.ended
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	l.draw()
	l.drawn = 0
}

// clear moves up over the lines drawn and clears to the end of the screen.
func (l *progressLines) clear() {
	if l.drawn > 0 {
		fmt.Fprintf(l.w, "\033[%dA\r\033[J", l.drawn)
		l.drawn = 0
	}
}

func (l *progressLines) draw() {
	lines := l.p.Lines()
	var b strings.Builder
	for _, ln := range lines {
		b.WriteString(clip(progressLine(ln), 79))
		b.WriteByte('\n')
	}
	io.WriteString(l.w, b.String())
	l.drawn = len(lines)
}

// doing names what a batch command does to a customer.
var doing = map[backfill.Command]string{batch.CmdBatchPlan: "planning", batch.CmdBatchImport: "importing",
	batch.CmdBatchResume: "resuming", batch.CmdBatchVerify: "verifying", batch.CmdBatchUndo: "undoing"}

// progressLine is one customer's line: name, what it is doing or its state, the step, how
// far and how fast.
func progressLine(l batch.Line) string {
	state := doing[l.Doing]
	if l.Ended {
		state = strings.ReplaceAll(string(l.State), "_", " ")
	}
	s := fmt.Sprintf("%-20s %-16s", clip(l.Customer, 20), state)
	if l.Ended || !l.HasStep {
		return strings.TrimRight(s, " ")
	}
	e := l.Step
	s += " " + backfill.Group(e.Done)
	if e.Total > 0 {
		s += "/" + backfill.Group(e.Total)
	}
	s += " " + string(e.Unit)
	if l.Rate > 0 {
		s += fmt.Sprintf(" %s/s", backfill.Group(int64(l.Rate)))
	}
	return s + "  " + report.Label(e)
}

// explainBatch maps the batch's own errors (exit.go asks it first): an unusable runbook, a
// folder that holds no batch, names the batch does not have. All exit 2: nothing was done.
func explainBatch(err error) (explained, bool) {
	var (
		re *batch.RunbookError
		be *batch.BatchError
		se *batch.SelectionError
	)
	switch {
	case errors.As(err, &re):
		hint := fmt.Sprintf("fix line %d of the runbook and run again; nothing was done", re.Line)
		switch {
		case errors.Is(re.Err, batch.ErrUnknownColumn):
			var cols []string
			for _, c := range re.Known {
				cols = append(cols, string(c))
			}
			hint = "a runbook's columns are " + strings.Join(cols, ", ") + " (no secrets: each org is reached through its alias)"
			if dym := didYouMean(suggest(strings.ToLower(re.Value), cols), quoteCommand); dym != "" {
				hint = dym + "; " + hint
			}
		case errors.Is(re.Err, batch.ErrMissingColumn):
			hint = "the header row needs customer, target_org and export"
		case errors.Is(re.Err, batch.ErrDuplicateCustomer):
			hint = "give each customer one line: the name is its run folder's"
		case re.Line == 0:
			hint = "pass a runbook CSV: a header row (customer,target_org,export,...) and one customer a line"
		}
		return explained{re.Error(), hint, exitUsage}, true
	case errors.As(err, &be):
		return explained{be.Error(), "pass the folder backfill batch plan wrote (its --out)", exitUsage}, true
	case errors.As(err, &se):
		return explained{se.Error(), "the batch's customers are " + joinList(se.Known, "and"), exitUsage}, true
	}
	return explained{}, false
}
