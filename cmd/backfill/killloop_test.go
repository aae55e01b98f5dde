package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestKillLoop plans an export, then runs `import --plan` and `resume` again and again,
// each killed at a random moment (SIGKILL, or one Ctrl-C in five) after a random number of
// calls to the org, until one finishes. Between rounds the org misbehaves at random as real
// orgs do: every finished job vanishes (Salesforce's 7-day retention, as after a resume next
// week), or an admin aborts a job in Setup. The org refuses uploads over 300 KB (parts are
// split) and rows that share a learner email across internal batches fail with
// UNABLE_TO_LOCK_ROW (follow-ups). After every round the org must hold no external id
// twice and nothing that was not planned, and the journal must read back; at the end the
// org and the ledger must agree exactly. It prints the figures docs/RELIABILITY.md quotes.
//
// It runs BACKFILL_KILL_RUNS loops (default 5), each with its own seed from
// BACKFILL_KILL_SEED (default 1) on, on an export of BACKFILL_KILL_ROWS rows (default
// 20,000). Run by make soak (BACKFILL_SOAK=1).
func TestKillLoop(t *testing.T) {
	if os.Getenv("BACKFILL_SOAK") != "1" {
		t.Skip("the kill loop runs only with BACKFILL_SOAK=1 (make soak)")
	}
	rows, seed, runs := envInt(t, "BACKFILL_KILL_ROWS", 20_000), envInt(t, "BACKFILL_KILL_SEED", 1), envInt(t, "BACKFILL_KILL_RUNS", 5)
	var total killFigures
	for i := range runs {
		t.Run(fmt.Sprintf("seed %d", seed+i), func(t *testing.T) {
			f := killLoop(t, rows, seed+i)
			total.rounds += f.rounds
			total.kills += f.kills
			total.interrupts += f.interrupts
			total.exit1 += f.exit1
			total.expired += f.expired
			total.adminAborts += f.adminAborts
			total.duplicates += f.duplicates
		})
	}
	t.Logf("kill loop totals over %d runs: %d rounds, %d SIGKILL, %d Ctrl-C, %d exit 1, %d expiries, %d admin aborts, duplicates found: %d",
		runs, total.rounds, total.kills, total.interrupts, total.exit1, total.expired, total.adminAborts, total.duplicates)
}

func killLoop(t *testing.T, rows, seed int) killFigures {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	export := soakExport(t, rows)

	srv := sftest.NewServer(t)
	before := len(srv.RecordValues("nplms__Enrollment__c", "Id"))
	tok := srv.AccessToken()
	dir := filepath.Join(t.TempDir(), "run")
	if _, stderr, code := runCLIEnv(t, token(tok), "plan", "--export", export, "--instance-url", srv.URL, "--out", dir, "-q"); code != 0 {
		t.Fatalf("plan: exit %d %s", code, stderr)
	}
	planned := plannedKeys(t, dir)
	srv.SetMaxUploadBytes(300 << 10)
	srv.SetLockContention("nplms__Learner_Email__c", 500)

	var fig killFigures
	fig.rows, fig.planned, fig.seed = rows, len(planned), seed
	start := time.Now()
	for round := 1; ; round++ {
		if round > 300 {
			t.Fatalf("no finish after %d rounds", round-1)
		}
		// Until the load has started, the plan is loaded with import --plan (resume says
		// there is nothing to resume); then resume.
		args := []string{"resume", dir}
		if !journalSays(dir, runfolder.EvLoadStart) {
			args = []string{"import", "--plan", dir, "--yes"}
		}
		args = append(args, "--instance-url", srv.URL, "-q")
		srv.SetJobDelay(time.Duration(rng.IntN(150)) * time.Millisecond)
		sig := syscall.SIGKILL
		if rng.IntN(5) == 0 {
			sig = syscall.SIGINT
		}
		// Late rounds let the command run longer, so the loop ends.
		budget := srv.TotalCalls() + 1 + rng.IntN(8+round)
		ctx, stop := context.WithCancel(t.Context())
		r := runAndSignal(t, tok, whenTrue(ctx, func() bool { return srv.TotalCalls() >= budget }), sig, args...)
		stop()
		fig.rounds++
		switch {
		case r.signaled && sig == syscall.SIGKILL:
			fig.kills++
		case r.signaled:
			fig.interrupts++
			if r.code != exitInterrupted && r.code != 0 && r.code != exitRowsFailed {
				t.Fatalf("round %d: Ctrl-C: exit %d, want 130\n%s", round, r.code, r.stderr)
			}
		}
		fig.duplicates += checkRound(t, srv, dir, round)
		if !r.signaled || r.code == 0 || r.code == exitRowsFailed {
			if r.code != 0 && r.code != exitRowsFailed {
				t.Logf("round %d: exit %d: %s", round, r.code, r.stderr)
				fig.exit1++
				continue
			}
			if journalSays(dir, runfolder.EvFinished) {
				fig.finishCode = r.code
				break
			}
		}
		// Salesforce, between rounds.
		switch rng.IntN(10) {
		case 0:
			srv.ExpireJobs()
			fig.expired++
		case 1:
			for _, j := range srv.Jobs() {
				if j.Kind == "ingest" && (j.State == sftest.StateUploadComplete || j.State == sftest.StateInProgress) {
					if srv.SetJobState(j.ID, sftest.StateAborted, "") == nil {
						fig.adminAborts++
						break
					}
				}
			}
		}
	}
	fig.wall = time.Since(start)
	journal, _ := os.ReadFile(filepath.Join(dir, runfolder.JournalFile))
	for _, ev := range []string{runfolder.EvJobCreated, runfolder.EvAbandoned, runfolder.EvSplit, runfolder.EvResolved, runfolder.EvPartAdded} {
		fig.events = append(fig.events, fmt.Sprintf("%s %d", ev, bytes.Count(journal, []byte(`"event":"`+ev+`"`))))
	}
	fig.ledger = checkFinal(t, srv, dir, planned, before)
	if keep := os.Getenv("BACKFILL_KILL_KEEP"); keep != "" {
		os.RemoveAll(keep)
		if err := os.Rename(dir, keep); err == nil {
			t.Logf("run folder kept in %s", keep)
		}
	}
	if fig.duplicates != 0 {
		t.Errorf("%d duplicate external ids found over the rounds", fig.duplicates)
	}
	t.Logf("kill loop figures:\n%s", fig)
	return fig
}

// whenTrue returns a channel closed once cond holds, polled every millisecond until ctx
// ends: the kill loop's moments are counts of calls, which the emulator has no event for.
func whenTrue(ctx context.Context, cond func() bool) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if cond() {
					close(c)
					return
				}
			}
		}
	}()
	return c
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q", name, s)
	}
	return n
}

// plannedKeys reads the planned rows of the plan's ledger: line -> key.
func plannedKeys(t *testing.T, dir string) map[int]string {
	t.Helper()
	keys := map[int]string{}
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		if e.Outcome.Planned() {
			keys[e.Line] = e.Key
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func journalSays(dir, event string) bool {
	b, _ := os.ReadFile(filepath.Join(dir, runfolder.JournalFile))
	return bytes.Contains(b, []byte(`"event":"`+event+`"`))
}

// checkRound checks the org after a round: no external id twice, and a journal that reads
// back. It returns the duplicates found.
func checkRound(t *testing.T, srv *sftest.Server, dir string, round int) int {
	t.Helper()
	seen := map[string]bool{}
	dups := 0
	for _, v := range srv.RecordValues("nplms__Enrollment__c", "nplms__External_Id__c") {
		k, _ := v[0].(string)
		if seen[strings.ToLower(k)] {
			dups++
			t.Errorf("round %d: external id %s is in the org twice", round, k)
		}
		seen[strings.ToLower(k)] = true
	}
	if _, err := (&runfolder.Folder{Dir: dir}).ReadJournal(); err != nil {
		t.Fatalf("round %d: the journal does not read back: %v", round, err)
	}
	return dups
}

// checkFinal checks the finished run: every planned key that the ledger says created is in
// the org with that Id; one that failed or stayed unprocessed is not; the org holds the
// seed records plus exactly the created ones; the ledger has a line per export row.
func checkFinal(t *testing.T, srv *sftest.Server, dir string, planned map[int]string, before int) map[string]int {
	t.Helper()
	org := map[string]string{}
	for _, v := range srv.RecordValues("nplms__Enrollment__c", "nplms__External_Id__c", "Id") {
		k, _ := v[0].(string)
		org[k], _ = v[1].(string)
	}
	counts := map[string]int{}
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		counts[e.Outcome.String()]++
		if key, ok := planned[e.Line]; !ok {
			return nil
		} else if key != e.Key {
			t.Errorf("ledger line %d: key %q, the plan's %q", e.Line, e.Key, key)
		}
		switch e.Outcome {
		case runfolder.Created, runfolder.Updated:
			if org[e.Key] != e.Detail {
				t.Errorf("ledger line %d: %s %s, the org has %q", e.Line, e.Outcome, e.Detail, org[e.Key])
			}
		case runfolder.Failed, runfolder.Unprocessed:
			if _, ok := org[e.Key]; ok {
				t.Errorf("ledger line %d: %s, but the org has the record", e.Line, e.Outcome)
			}
		default:
			t.Errorf("ledger line %d: planned row ended %s", e.Line, e.Outcome)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(planned) != counts["created"]+counts["updated"]+counts["failed"]+counts["unprocessed"]+counts["already_newer"] {
		t.Errorf("ledger outcomes %v do not account for the %d planned rows", counts, len(planned))
	}
	if got, want := len(org), before+counts["created"]; got != want {
		t.Errorf("org has %d records, want %d (seed %d + created %d)", got, want, before, counts["created"])
	}
	return counts
}

type killFigures struct {
	rows, planned, seed              int
	rounds, kills, interrupts, exit1 int
	expired, adminAborts, duplicates int
	finishCode                       int
	events                           []string
	ledger                           map[string]int
	wall                             time.Duration
}

func (f killFigures) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rows %d (planned %d), seed %d\n", f.rows, f.planned, f.seed)
	fmt.Fprintf(&b, "rounds %d: SIGKILL %d, Ctrl-C %d, exit 1 %d; finished with exit %d\n", f.rounds, f.kills, f.interrupts, f.exit1, f.finishCode)
	fmt.Fprintf(&b, "org events between rounds: all finished jobs expired %d times, admin aborts %d\n", f.expired, f.adminAborts)
	fmt.Fprintf(&b, "journal: %s\n", strings.Join(f.events, ", "))
	fmt.Fprintf(&b, "duplicates found: %d\n", f.duplicates)
	fmt.Fprintf(&b, "ledger: %s\n", sortedCounts(f.ledger, ""))
	fmt.Fprintf(&b, "wall time %s\n", f.wall.Round(time.Second))
	return b.String()
}
