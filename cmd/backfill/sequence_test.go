package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	seqObject  = "nplms__Enrollment__c"
	seqExtID   = "nplms__External_Id__c"
	seqUpdated = "nplms__Updated_At__c"
)

// seqSystemFields are the fields Salesforce sets itself: no command writes them.
var seqSystemFields = []string{"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp", "Name"}

// TestUndoSequences is the undo guarantee as a property: after any sequence of the commands
// a user can type on one run folder (import --plan, resume, verify, retry, undo, undo --yes,
// with --force or --keep-updated-at, in any order; two rows fail until the org is fixed at a
// random step, so retry has rows to load and undo has rounds to take back), with kills (SIGKILL, Ctrl-C) at a random
// call to the org, lost files (the journal, before-import.csv, an undo's journal) and
// someone else's record made under a key the import created, the org holds, for every
// record the import touched, either the import's result or the before-image, never a third
// state; and no record the import did not write is ever changed. The org is checked after
// every step. Seeded and bounded: BACKFILL_SEQ_RUNS sequences (2 in go test, 6 with
// BACKFILL_SOAK=1, as make soak runs it) of BACKFILL_SEQ_STEPS steps (8; 24 in the soak)
// from BACKFILL_SEQ_SEED (1). It prints the figures docs/RELIABILITY.md quotes.
func TestUndoSequences(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	runs, steps := 2, 8
	if os.Getenv("BACKFILL_SOAK") == "1" {
		runs, steps = 6, 24
	}
	runs, steps = envInt(t, "BACKFILL_SEQ_RUNS", runs), envInt(t, "BACKFILL_SEQ_STEPS", steps)
	seed := envInt(t, "BACKFILL_SEQ_SEED", 1)
	t.Parallel()
	// The sequences run side by side (each has its own orgs and folder; most of a step is
	// waiting on the emulator's job delay), and the figures are added up once all are done.
	var mu sync.Mutex
	var total seqFigures
	t.Cleanup(func() { t.Logf("undo sequences: %d sequences, %s", runs, total) })
	for i := range runs {
		t.Run(fmt.Sprintf("seed %d", seed+i), func(t *testing.T) {
			t.Parallel()
			f := undoSequence(t, seed+i, steps)
			mu.Lock()
			total.add(f)
			mu.Unlock()
			t.Logf("sequence %d: %s", seed+i, f)
		})
	}
}

// seqFigures count what a sequence did and found.
type seqFigures struct {
	steps, kills, interrupts, lost, foreign, rounds, checked, wrong int
	commands                                                        map[string]int
	exits                                                           map[int]int
}

func (f *seqFigures) add(g seqFigures) {
	f.steps += g.steps
	f.kills += g.kills
	f.interrupts += g.interrupts
	f.lost += g.lost
	f.foreign += g.foreign
	f.rounds += g.rounds
	f.checked += g.checked
	f.wrong += g.wrong
	for k, v := range g.commands {
		if f.commands == nil {
			f.commands = map[string]int{}
		}
		f.commands[k] += v
	}
	for k, v := range g.exits {
		if f.exits == nil {
			f.exits = map[int]int{}
		}
		f.exits[k] += v
	}
}

func (f seqFigures) String() string {
	var cmds, exits []string
	for k, v := range f.commands {
		cmds = append(cmds, fmt.Sprintf("%s %d", k, v))
	}
	for k, v := range f.exits {
		exits = append(exits, fmt.Sprintf("%d: %d", k, v))
	}
	slices.Sort(cmds)
	slices.Sort(exits)
	return fmt.Sprintf("%d steps (%s), %d SIGKILL, %d Ctrl-C, %d files lost, %d foreign records, %d retry rounds, exits {%s}, %d record states checked, wrong states found: %d",
		f.steps, strings.Join(cmds, ", "), f.kills, f.interrupts, f.lost, f.foreign, f.rounds, strings.Join(exits, ", "), f.checked, f.wrong)
}

// seqState is what the org may hold: each record by Id as it was before the sequence, and
// for the keys the plan loads, the values the import writes (from a reference org that
// ran the same plan without faults).
type seqState struct {
	initial  map[string]map[string]string // Id -> field -> value, before the sequence
	byKey    map[string]string            // planned key (lower case) -> the Id it had before, "" for to_insert
	result   map[string]map[string]string // planned key (lower case) -> the import's values
	raw      map[string]map[string]any    // the same, as the reference org holds them
	fields   []string                     // the fields the import loads
	foreign  map[string]map[string]string // Id -> values of a record someone else made
	replaced map[string]bool              // planned to_insert keys now held by a foreign record
	failing  []string                     // planned to_insert keys the org refuses until fixed
	fixed    bool                         // the org no longer refuses them
}

// seqRowError is how the org refuses the failing rows until the admin fixes it.
const seqRowError = "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--"

func undoSequence(t *testing.T, seed, steps int) seqFigures {
	rng := rand.New(rand.NewPCG(uint64(seed), 23))
	fig := seqFigures{commands: map[string]int{}, exits: map[int]int{}}
	export := filepath.Join("..", "..", "backfill", "demo", "sample", "export.csv")
	srv := sftest.NewServer(t)
	tok := srv.AccessToken()
	dir := filepath.Join(t.TempDir(), "run")
	if _, stderr, code := runCLIEnv(t, token(tok), "plan", "--export", export, "--instance-url", srv.URL, "--update-stale", "--out", dir, "-q"); code != 0 {
		t.Fatalf("plan: exit %d %s", code, stderr)
	}
	st := seqReference(t, srv, dir, export)
	for _, k := range st.failing {
		srv.FailRow(k, seqRowError)
	}
	// The first step loads the plan; then any command, in any order.
	type command struct {
		name string
		args []string
	}
	commands := []command{
		{"resume", []string{"resume", dir}},
		{"verify", []string{"verify", dir}},
		{"undo", []string{"undo", dir}},
		{"undo --yes", []string{"undo", dir, "--yes"}},
		{"undo --yes --force", []string{"undo", dir, "--yes", "--force"}},
		{"undo --yes --keep-updated-at", []string{"undo", dir, "--yes", "--keep-updated-at"}},
		{"retry --yes", []string{"retry", dir, "--yes"}},
		{"import --plan", []string{"import", "--plan", dir, "--yes"}},
	}
	for step := 0; step < steps; step++ {
		c := commands[len(commands)-1]
		_, lostJournal := os.Stat(filepath.Join(dir, runfolder.JournalFile))
		switch {
		case step == 0:
		case !journalSays(dir, runfolder.EvLoadStart) && rng.IntN(2) == 0:
			// As a user would half the time: load the plan not loaded yet, or go on from a
			// lost journal as every command then says.
			if lostJournal != nil {
				c = commands[0]
			}
		default:
			c = commands[rng.IntN(len(commands))]
		}
		srv.SetJobDelay(time.Duration(rng.IntN(60)) * time.Millisecond)
		var at <-chan struct{}
		sig := syscall.SIGKILL
		kill := rng.IntN(3) == 0
		ctx, stop := context.WithCancel(t.Context())
		if kill {
			if rng.IntN(3) == 0 {
				sig = syscall.SIGINT
			}
			budget := srv.TotalCalls() + 1 + rng.IntN(12)
			at = whenTrue(ctx, func() bool { return srv.TotalCalls() >= budget })
		}
		// No --instance-url: every command on the folder takes the plan's.
		r := runAndSignal(t, tok, at, sig, append(c.args, "-q")...)
		stop()
		fig.steps++
		fig.commands[c.name]++
		switch {
		case r.signaled && sig == syscall.SIGKILL:
			fig.kills++
			t.Logf("step %d, %s: SIGKILL", step, c.name)
		case r.signaled:
			fig.interrupts++
			t.Logf("step %d, %s: Ctrl-C, exit %d", step, c.name, r.code)
		default:
			fig.exits[r.code]++
			if r.code != 0 {
				t.Logf("step %d, %s: exit %d: %s", step, c.name, r.code, lastLines(r.stderr, 2))
			}
			if r.code != 0 && r.code != exitUsage && r.code != exitRowsFailed {
				t.Errorf("step %d, %s: exit %d\n%s", step, c.name, r.code, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "panic:") {
			t.Fatalf("step %d, %s: panic\n%s", step, c.name, r.stderr)
		}
		checked, wrong := st.check(t, srv, fmt.Sprintf("step %d (%s)", step, c.name))
		fig.checked += checked
		fig.wrong += wrong

		// Between steps: a file is lost (odd seeds), or someone else makes a record under a
		// key the import created, once the import has finished (even seeds). Not both in one
		// sequence: resume after a lost journal loads the plan again over whatever holds its
		// keys, which is the import writing, not undo.
		// The admin fixes what refused the failing rows, some time: retry then loads them.
		if !st.fixed && rng.IntN(6) == 0 {
			srv.ClearFaults()
			st.fixed = true
			t.Logf("step %d: the failing rows' cause is fixed", step)
		}
		switch {
		case seed%2 == 1 && rng.IntN(4) == 0:
			name := []string{runfolder.JournalFile, runfolder.BeforeImportFile, runfolder.UndoDeleteJournal, runfolder.UndoUpdateJournal}[rng.IntN(4)]
			if os.Remove(filepath.Join(dir, name)) == nil {
				fig.lost++
				t.Logf("step %d: %s lost", step, name)
			}
		case seed%2 == 0 && rng.IntN(4) == 0:
			if journalSays(dir, runfolder.EvFinished) && st.makeForeign(t, srv, rng) {
				fig.foreign++
			}
		}
	}
	fig.rounds = len(backfill.RetryRounds(dir))
	if keep := os.Getenv("BACKFILL_SEQ_KEEP"); keep != "" {
		os.RemoveAll(keep)
		if err := os.Rename(dir, keep); err == nil {
			t.Logf("run folder kept in %s", keep)
		}
	}
	return fig
}

// seqReference reads the org as it is before the sequence and the import's result: the same
// plan (the same export, the same seed org) loaded without faults into a second org.
func seqReference(t *testing.T, srv *sftest.Server, dir, export string) *seqState {
	t.Helper()
	st := &seqState{initial: map[string]map[string]string{}, byKey: map[string]string{}, result: map[string]map[string]string{},
		raw: map[string]map[string]any{}, foreign: map[string]map[string]string{}, replaced: map[string]bool{}}
	var plan runfolder.Plan
	if err := (&runfolder.Folder{Dir: dir}).ReadJSON(runfolder.PlanFile, &plan); err != nil {
		t.Fatal(err)
	}
	st.fields = plan.Fields
	for _, r := range seqRecords(srv) {
		st.initial[r["Id"]] = r
	}
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		switch e.Outcome {
		case runfolder.ToInsert:
			st.byKey[strings.ToLower(e.Key)] = ""
		case runfolder.ToUpdate:
			id, _, _ := strings.Cut(e.Detail, ":")
			st.byKey[strings.ToLower(e.Key)] = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two rows to create fail until the admin fixes their cause; the reference loads them
	// with a retry, once fixed.
	var inserts []string
	for k, id := range st.byKey {
		if id == "" {
			inserts = append(inserts, k)
		}
	}
	slices.Sort(inserts)
	st.failing = inserts[:2]
	ref := sftest.NewServer(t)
	for _, k := range st.failing {
		ref.FailRow(k, seqRowError)
	}
	refDir := filepath.Join(t.TempDir(), "ref")
	if _, stderr, code := runCLIEnv(t, token(ref.AccessToken()), "import", "--export", export, "--instance-url", ref.URL, "--update-stale", "--out", refDir, "--yes", "-q"); code != exitRowsFailed {
		t.Fatalf("reference import: exit %d %s", code, stderr)
	}
	ref.ClearFaults()
	if _, stderr, code := runCLIEnv(t, token(ref.AccessToken()), "retry", refDir, "--yes", "-q"); code != 0 {
		t.Fatalf("reference retry: exit %d %s", code, stderr)
	}
	for i, r := range seqRecords(ref) {
		if k := strings.ToLower(r[seqExtID]); k != "" {
			if _, planned := st.byKey[k]; planned {
				st.result[k], st.raw[k] = r, ref.Records(seqObject)[i]
			}
		}
	}
	if len(st.result) != len(st.byKey) || len(st.byKey) == 0 {
		t.Fatalf("the reference import loaded %d of the %d planned keys", len(st.result), len(st.byKey))
	}
	updates := 0
	for _, id := range st.byKey {
		if id != "" {
			updates++
		}
	}
	if updates == 0 {
		t.Fatalf("the plan updates no record: the sequence would not test restores")
	}
	return st
}

// seqRecords are the org's live records of the Enrollment object, each field as text.
func seqRecords(srv *sftest.Server) []map[string]string {
	var out []map[string]string
	for _, r := range srv.Records(seqObject) {
		m := make(map[string]string, len(r))
		for f, v := range r {
			if v != nil {
				m[f] = fmt.Sprint(v)
			}
		}
		out = append(out, m)
	}
	return out
}

// same reports whether a and b hold the same value of each field of fields, but skip.
func same(a, b map[string]string, fields []string, skip string) bool {
	for _, f := range fields {
		if f != skip && a[f] != b[f] {
			return false
		}
	}
	return true
}

// userFields are the fields of r that are not system fields.
func userFields(r map[string]string) []string {
	var out []string
	for f := range r {
		if !slices.Contains(seqSystemFields, f) {
			out = append(out, f)
		}
	}
	return out
}

// check checks the property on the org now and returns how many records it checked and
// how many were in a wrong state (each one reported).
func (st *seqState) check(t *testing.T, srv *sftest.Server, when string) (checked, wrong int) {
	t.Helper()
	bad := func(format string, args ...any) {
		t.Errorf("%s: "+format, append([]any{when}, args...)...)
		wrong++
	}
	live := map[string]map[string]string{}
	byKey := map[string][]map[string]string{}
	for _, r := range seqRecords(srv) {
		live[r["Id"]] = r
		k := strings.ToLower(r[seqExtID])
		byKey[k] = append(byKey[k], r)
	}
	// Records the import did not write: the seed's, other than the planned updates, and
	// someone else's: never changed, never deleted.
	for id, before := range st.initial {
		if _, planned := st.byKey[strings.ToLower(before[seqExtID])]; planned {
			continue
		}
		checked++
		if now, ok := live[id]; !ok {
			bad("%s (%s), which the import did not write, is gone", id, before[seqExtID])
		} else if fs := userFields(before); !same(now, before, fs, "") || len(userFields(now)) != len(fs) {
			bad("%s (%s), which the import did not write, changed: %v, was %v", id, before[seqExtID], now, before)
		}
	}
	for id, made := range st.foreign {
		checked++
		if now, ok := live[id]; !ok || !same(now, made, userFields(made), "") {
			bad("someone else's record %s (%s) was touched: %v, was %v", id, made[seqExtID], now, made)
		}
	}
	// The records the import touched: the import's result, or the before-image.
	for k, id := range st.byKey {
		checked++
		recs, result := byKey[k], st.result[k]
		switch {
		case id == "" && st.replaced[k]:
			if len(recs) != 1 {
				bad("%s: %d records; someone else's alone should hold the key", k, len(recs))
			}
		case id == "":
			if len(recs) > 1 || (len(recs) == 1 && !same(recs[0], result, st.fields, "")) {
				bad("%s: neither absent (the before-image) nor the import's result: %v", k, recs)
			}
		default:
			before := st.initial[id]
			now, ok := live[id]
			switch {
			case !ok || len(recs) != 1 || recs[0]["Id"] != id:
				bad("%s: the updated record %s is gone or not alone under its key: %v", k, id, recs)
			case !same(now, before, userFields(before), seqUpdated) && !same(now, result, st.fields, seqUpdated):
				bad("%s (%s): neither the before-image nor the import's result: %v\nbefore %v\nresult %v", k, id, now, before, result)
			case now[seqUpdated] != before[seqUpdated] && now[seqUpdated] != result[seqUpdated]:
				bad("%s (%s): %s %s is neither the before-image's nor the import's", k, id, seqUpdated, now[seqUpdated])
			}
			// Undo with --keep-updated-at restores every field but Updated At: the other
			// fields are all of one state, which the cases above check.
		}
	}
	return checked, wrong
}

// makeForeign deletes a record the import created (its key's record now) and makes another
// one under the same external id, as someone else would, and reports whether it did.
func (st *seqState) makeForeign(t *testing.T, srv *sftest.Server, rng *rand.Rand) bool {
	t.Helper()
	var keys []string
	for k, id := range st.byKey {
		if id == "" && !st.replaced[k] && !slices.Contains(st.failing, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return false
	}
	k := keys[rng.IntN(len(keys))]
	for _, r := range seqRecords(srv) {
		if strings.ToLower(r[seqExtID]) == k {
			if err := srv.DeleteRecord(seqObject, r["Id"]); err != nil {
				t.Fatal(err)
			}
		}
	}
	values := map[string]any{}
	for f, v := range st.raw[k] {
		if strings.HasPrefix(f, "nplms__") && f != seqUpdated {
			values[f] = v
		}
	}
	id, err := srv.AddRecord(seqObject, values)
	if err != nil {
		t.Logf("someone else's record under %s: %v", k, err)
		return false
	}
	for _, r := range seqRecords(srv) {
		if r["Id"] == id {
			st.foreign[id] = r
		}
	}
	st.replaced[k] = true
	return true
}

// lastLines are the last n lines of s, joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// After undo --force, what is left alone is a record the import did not write (another one
// under its key): the hint says so, and does not suggest the --force just given.
func TestUndoForceHintOnAnotherRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := filepath.Join(t.TempDir(), "run")
	tok := token(srv.AccessToken())
	if _, stderr, code := runCLIEnv(t, tok, "import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes", "-q"); code != 0 {
		t.Fatalf("import: exit %d %s", code, stderr)
	}
	var created runfolder.Entry
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		if e.Outcome == runfolder.Created && created.Key == "" {
			created = e
		}
		return nil
	})
	if err != nil || created.Key == "" {
		t.Fatalf("no created record in the ledger: %v", err)
	}
	if err := srv.DeleteRecord(seqObject, created.Detail); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddRecord(seqObject, map[string]any{seqExtID: created.Key, "nplms__Learner_Email__c": "someone@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		args := []string{"undo", dir, "--yes", "-q"}
		want := "--force undoes those too"
		if force {
			args, want = append(args, "--force"), "with --force, a record left alone is not the one the import wrote"
		}
		_, stderr, code := runCLIEnv(t, tok, args...)
		if code != exitRowsFailed || !strings.Contains(stderr, want) || (force && strings.Contains(stderr, "--force undoes")) {
			t.Errorf("undo (force %v): exit %d\n%s", force, code, stderr)
		}
	}
}
