package batch_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/batch"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// TestTwoBatchesAtOnce: two batches in one process, each with its own folder, orgs and
// logger, planned and imported at the same time, do not see each other: each org ends
// with exactly its records, each roll-up holds its own customers only, and each log
// names its own customers only.
func TestTwoBatchesAtOnce(t *testing.T) {
	t.Parallel()
	type one struct {
		f       *fleet
		names   []string
		logs    *observer.ObservedLogs
		o       batch.Options
		runbook string
	}
	var batches []*one
	for _, names := range [][]string{{"acme", "globex"}, {"initech", "umbrella"}} {
		b := &one{f: newFleet(t), names: names}
		var lines []string
		for _, n := range names {
			b.f.org(n)
			lines = append(lines, n+","+n+",export.csv")
		}
		core, logs := observer.New(zapcore.DebugLevel)
		b.logs = logs
		b.o = b.f.options(filepath.Join(t.TempDir(), "batch"))
		b.o.Logger = zap.New(core)
		b.o.Watch = batch.NewProgress(names, nil)
		b.runbook = runbook(t, "customer,target_org,export", lines...)
		batches = append(batches, b)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(batches))
	for i, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := batch.Plan(t.Context(), batch.PlanOptions{Options: b.o, Runbook: b.runbook}); err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = batch.Import(t.Context(), batch.ImportOptions{Options: b.o, Yes: true})
		}()
	}
	wg.Wait()
	for i, b := range batches {
		if errs[i] != nil {
			t.Fatalf("batch %d: %v", i, errs[i])
		}
		r, err := batch.Status(b.o)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Customers) != len(b.names) || !r.OK {
			t.Errorf("batch %d: %d customers, OK %v", i, len(r.Customers), r.OK)
		}
		for _, n := range b.names {
			if rows(r)[n].State != batch.StateDone || records(t, b.f.orgs[n]) != seeded+sampleLoaded {
				t.Errorf("batch %d: %s is %s with %d records", i, n, rows(r)[n].State, records(t, b.f.orgs[n]))
			}
		}
		other := batches[1-i].names
		for _, e := range b.logs.All() {
			c, _ := e.ContextMap()["customer"].(string)
			for _, n := range other {
				if c == n || strings.Contains(e.Message, n) {
					t.Errorf("batch %d logged the other batch's %s: %s %v", i, n, e.Message, e.ContextMap())
				}
			}
		}
		if b.logs.FilterField(zap.String("customer", b.names[0])).Len() == 0 {
			t.Errorf("batch %d logged nothing for %s", i, b.names[0])
		}
	}
}

// TestSlowOrgStallsNoOne: an org that does not answer (its first query held) holds up its
// own customer only: with Parallel 2 the other customers are planned meanwhile, never more
// than two at once, and the slow one ends ready once its org answers.
func TestSlowOrgStallsNoOne(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	slow := f.org("slow")
	for _, n := range []string{"a", "b", "c"} {
		f.org(n)
	}
	arrived, release := slow.Hold("query")
	defer release()
	o := f.options(filepath.Join(t.TempDir(), "batch"))
	o.Parallel = 2
	w := &running{ended: map[string]chan struct{}{}}
	for _, n := range []string{"slow", "a", "b", "c"} {
		w.ended[n] = make(chan struct{})
	}
	o.Watch = w
	path := runbook(t, "customer,target_org,export", "slow,slow,export.csv", "a,a,export.csv", "b,b,export.csv", "c,c,export.csv")
	done := make(chan *batch.Rollup)
	go func() {
		r, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	wait := func(what string, c <-chan struct{}) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not happen in 30 s", what)
		}
	}
	wait("slow's first query", arrived)
	for _, n := range []string{"a", "b", "c"} {
		wait(n+" ending while slow's query is held", w.ended[n])
	}
	select {
	case <-w.ended["slow"]:
		t.Fatal("slow ended while its query was held")
	default:
	}
	release()
	r := <-done
	wantStates(t, "plan", r, map[string]batch.State{"slow": batch.StateReady, "a": batch.StateReady, "b": batch.StateReady, "c": batch.StateReady})
	if w.most > 2 {
		t.Errorf("%d customers ran at once with Parallel 2", w.most)
	}
}

// running is a Watch that counts the customers running at once and closes ended[c] when c ends.
type running struct {
	mu        sync.Mutex
	now, most int
	ended     map[string]chan struct{}
}

func (w *running) Observer(string) backfill.Observer { return nil }
func (w *running) Begin(string, backfill.Command) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now++
	w.most = max(w.most, w.now)
}
func (w *running) End(r batch.Row) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now--
	close(w.ended[r.Customer])
}

// TestPanicStaysWithItsCustomer: a customer's job that panics (here its progress observer)
// is that customer's error in the roll-up; the others are planned as if nothing happened.
func TestPanicStaysWithItsCustomer(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	f.org("acme")
	f.org("globex")
	o := f.options(filepath.Join(t.TempDir(), "batch"))
	o.Watch = panicky{Progress: batch.NewProgress(nil, nil), customer: "acme"}
	path := runbook(t, "customer,target_org,export", "acme,acme,export.csv", "globex,globex,export.csv")
	r, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path})
	if err != nil {
		t.Fatal(err)
	}
	acme := rows(r)["acme"]
	if acme.State == batch.StateReady || !strings.Contains(acme.Error, "internal error") || !strings.Contains(acme.Error, "observer bug") {
		t.Errorf("acme: %s, error %q", acme.State, acme.Error)
	}
	wantStates(t, "plan", r, map[string]batch.State{"globex": batch.StateReady})
	if _, err := batch.Status(o); err != nil {
		t.Errorf("status after a panic: %v", err)
	}
}

// panicky is a Watch whose observer panics on customer's first event.
type panicky struct {
	*batch.Progress
	customer string
}

func (p panicky) Observer(c string) backfill.Observer {
	if c != p.customer {
		return p.Progress.Observer(c)
	}
	return backfill.ObserverFunc(func(backfill.Event) { panic("observer bug") })
}

// TestOneBatchCommandAtATime: while a batch import works on a batch folder, a second batch
// command on it is refused (the folder's lock: it would write the same roll-up), and batch
// status reads only: it shows the customer busy and rewrites nothing.
func TestOneBatchCommandAtATime(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	acme := f.org("acme")
	o := f.options(filepath.Join(t.TempDir(), "batch"))
	path := runbook(t, "customer,target_org,export", "acme,acme,export.csv")
	if _, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path}); err != nil {
		t.Fatal(err)
	}
	arrived, release := acme.Hold("ingest-upload")
	defer release()
	done := make(chan error, 1)
	go func() {
		_, err := batch.Import(t.Context(), batch.ImportOptions{Options: o, Yes: true})
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the import did not upload in 30 s")
	}
	if _, err := batch.Import(t.Context(), batch.ImportOptions{Options: o, Yes: true}); !errors.Is(err, runfolder.ErrInUse) {
		t.Errorf("a second batch import at once: %v, want the folder in use", err)
	}
	if _, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path}); !errors.Is(err, runfolder.ErrInUse) {
		t.Errorf("a batch plan during the import: %v, want the folder in use", err)
	}
	before, _ := os.ReadFile(filepath.Join(o.Dir, batch.RollupJSON))
	r, err := batch.Status(o)
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "status during the import", r, map[string]batch.State{"acme": batch.StateBusy})
	if after, _ := os.ReadFile(filepath.Join(o.Dir, batch.RollupJSON)); string(after) != string(before) {
		t.Errorf("batch status rewrote the roll-up while the import held the folder")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r, err = batch.Status(o); err != nil || rows(r)["acme"].State != batch.StateDone || records(t, acme) != seeded+sampleLoaded {
		t.Errorf("after the import: %v, %+v", err, rows(r)["acme"])
	}
}
