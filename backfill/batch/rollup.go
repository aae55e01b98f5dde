package batch

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Rollup is the batch's roll-up, batch.json: a row per customer, where each stands. Every
// batch command rewrites it (batch.csv and batch.html too), as each customer ends and once
// at the end.
type Rollup struct {
	Dir     string           `json:"dir"`
	Command backfill.Command `json:"command"` // the batch command that wrote it
	At      time.Time        `json:"at"`
	// OK says whether every customer the command was about stands where the command wants
	// it: plan and status, ready or loaded without failures; import and resume, loaded
	// without failures; verify, verified; undo, undone (its dry run: an undo planned).
	OK bool `json:"ok"`
	// NotOK names the customers that do not (their rows say why).
	NotOK []string `json:"not_ok,omitempty"`
	// Interrupted: the command was stopped before it had worked on every customer.
	Interrupted bool `json:"interrupted,omitempty"`
	// Pending are the loads a batch import (or undo) was confirmed for and has not worked
	// on yet, by customer: batch resume does them.
	Pending   map[string]backfill.Command `json:"pending,omitempty"`
	Counts    map[State]int               `json:"counts"`
	Customers []Row                       `json:"customers"`
}

// finish writes the roll-up and returns it with err.
func (b *batch) finish(err error) (*Rollup, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if werr := b.write(); werr != nil && err == nil {
		err = werr
	}
	return b.rollup(err != nil), err
}

// rollup is the roll-up of the rows as they are now.
func (b *batch) rollup(interrupted bool) *Rollup {
	r := &Rollup{Dir: b.o.Dir, Command: b.cmd, At: b.now(), Counts: map[State]int{}, Customers: b.rows,
		Interrupted: interrupted, OK: true, Pending: b.pending}
	for _, row := range b.rows {
		r.Counts[row.State]++
		if !b.about(row.Customer) {
			continue
		}
		if !b.good(row) {
			r.OK = false
			r.NotOK = append(r.NotOK, row.Customer)
		}
	}
	return r
}

// about reports whether the command is about customer name: every one, or those of Only.
func (b *batch) about(name string) bool {
	if len(b.o.Only) == 0 {
		return true
	}
	for _, n := range b.o.Only {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// good reports whether r stands where the command wants it.
func (b *batch) good(r Row) bool {
	if r.Error != "" {
		return false
	}
	switch b.cmd {
	case CmdBatchImport, CmdBatchResume:
		return r.State == StateDone || r.State == StateVerified
	case CmdBatchVerify:
		return r.State == StateVerified
	case CmdBatchUndo:
		return r.State == StateUndone || r.State == StateUndoPlanned
	}
	return r.State == StateReady || r.State == StateDone || r.State == StateVerified
}

// write writes batch.json, batch.csv and batch.html, each atomically. b.mu is held.
func (b *batch) write() error {
	if b.lock == nil {
		return nil // batch status while another batch command writes the folder
	}
	f := &runfolder.Folder{Dir: b.o.Dir}
	r := b.rollup(false)
	if err := f.WriteJSON(RollupJSON, r); err != nil {
		return err
	}
	var csvBuf bytes.Buffer
	if err := writeCSV(&csvBuf, r.Customers); err != nil {
		return err
	}
	if err := f.WriteFile(RollupCSV, csvBuf.Bytes()); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := writeHTML(&page, r); err != nil {
		return err
	}
	return f.WriteFile(RollupHTML, page.Bytes())
}

// readRollup reads the last roll-up: its rows by customer (lower case) and its pending
// work; none when there is none.
func readRollup(dir string) (map[string]*Row, map[string]backfill.Command) {
	out := map[string]*Row{}
	b, err := os.ReadFile(filepath.Join(dir, RollupJSON))
	if err != nil {
		return out, nil
	}
	var r Rollup
	if json.Unmarshal(b, &r) != nil {
		return out, nil
	}
	for i := range r.Customers {
		out[strings.ToLower(r.Customers[i].Customer)] = &r.Customers[i]
	}
	return out, r.Pending
}

// CSVHeader is batch.csv's header.
var CSVHeader = []string{"customer", "target_org", "org_id", "org_name", "state", "preflight", "failed_checks",
	"rows", "to_insert", "to_update", "stale", "rejected", "rejected_percent", "created", "updated", "already_newer",
	"failed", "unprocessed", "warnings", "api_calls", "folder", "report", "reason", "next", "error"}

// writeCSV writes the rows as batch.csv; cells that a spreadsheet would run as a formula
// are neutralized.
func writeCSV(w io.Writer, rows []Row) error {
	cw := csvdiff.NewWriter(w, true)
	if err := cw.WriteStrings(CSVHeader...); err != nil {
		return err
	}
	for _, r := range rows {
		n := strconv.Itoa
		if err := cw.WriteStrings(r.Customer, r.TargetOrg, r.OrgID, r.OrgName, string(r.State), r.Preflight, checkNames(r.FailedChecks),
			n(r.Rows), n(r.ToInsert), n(r.ToUpdate), n(r.Stale), n(r.Rejected), strconv.FormatFloat(r.RejectedPercent, 'f', 1, 64),
			n(r.Created), n(r.Updated), n(r.AlreadyNewer), n(r.Failed), n(r.Unprocessed), strings.Join(r.Warnings, " | "),
			n(r.APICalls), r.Folder, r.Report, r.Reason, r.Next, r.Error); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// checkNames lists failed checks as "3 (integration user); 5 (api limits)".
func checkNames(cs []backfill.Check) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%d (%s)", c.ID, strings.ToLower(c.Name)))
	}
	return strings.Join(out, "; ")
}

//go:embed rollup.html.tmpl
var pageTemplate string

// page is parsed once, when a roll-up is first written.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("batch").Funcs(template.FuncMap{
		"group":   func(n int) string { return backfill.Group(n) },
		"checks":  checkNames,
		"link":    func(p string) string { return (&url.URL{Path: p}).String() },
		"tone":    tone,
		"label":   func(s State) string { return strings.ReplaceAll(string(s), "_", " ") },
		"command": func(c backfill.Command) string { return strings.ReplaceAll(string(c), "_", " ") },
		"pct":     func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
	}).Parse(pageTemplate))
})

// tone is how a state is coloured: good, wait, bad.
func tone(s State) string {
	switch s {
	case StateReady, StateDone, StateVerified:
		return "good"
	case StateNotPlanned, StateBusy, StateInterrupted, StateUndoPlanned, StateUndone:
		return "wait"
	}
	return "bad"
}

// pageView is what batch.html shows.
type pageView struct {
	*Rollup
	Total  int
	States []stateCount
	Look   []string // the customers that are neither ready nor loaded without failures
}

type stateCount struct {
	State State
	N     int
}

// writeHTML writes batch.html: self-contained (no script, no outside resource), every value
// escaped by html/template.
func writeHTML(w io.Writer, r *Rollup) error {
	v := pageView{Rollup: r, Total: len(r.Customers)}
	for _, row := range r.Customers {
		if tone(row.State) != "good" || row.Error != "" {
			v.Look = append(v.Look, row.Customer)
		}
	}
	for _, s := range []State{StateReady, StateDone, StateVerified, StateNotPlanned, StatePlanFailed, StatePreflightFailed,
		StateTooManyRejected, StateBusy, StateInterrupted, StateRowsFailed, StateVerifyFailed, StateUndoPlanned, StateUndone,
		StateUndoIncomplete, StateUnusable} {
		if n := r.Counts[s]; n > 0 {
			v.States = append(v.States, stateCount{s, n})
		}
	}
	return page().Execute(w, v)
}
