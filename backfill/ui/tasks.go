package ui

import (
	"context"
	"errors"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
)

// A task is one job the page started: it runs in the server (closing the tab does not stop
// it), reports its progress through the job's Observer, and ends with an outcome the page
// shows in its own sentences.

// The kinds of task, as the page names them.
const (
	kindCheck    = "check"
	kindPlan     = "plan"
	kindApprove  = "approve"
	kindImport   = "import"
	kindResume   = "resume"
	kindVerify   = "verify"
	kindUndoPlan = "undo_plan"
	kindUndo     = "undo"
)

// Task states.
const (
	taskRunning = "running"
	taskDone    = "done"
	taskFailed  = "failed"
	taskStopped = "stopped"
)

// task is one job of the page.
type task struct {
	mu      sync.Mutex
	key     string
	kind    string
	run     string // the run folder's name ("" for check; for plan, the folder it writes)
	state   string
	started time.Time
	ended   time.Time
	steps   map[int64]*stepView
	outcome *sentence
	result  any // what the page shows of the job's result
	cancel  context.CancelFunc
	changed func()
}

// stepView is one step of a job, as the page shows it.
type stepView struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
	Step  string `json:"step"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	Unit  string `json:"unit"`
	Part  int    `json:"part,omitempty"`
	Parts int    `json:"parts,omitempty"`
	Job   string `json:"job,omitempty"`
	Ended bool   `json:"ended"`
}

// Observe implements [backfill.Observer]: it keeps the latest state of each step and tells
// the page; it never blocks.
func (t *task) Observe(e backfill.Event) {
	t.mu.Lock()
	st := t.steps[e.ID]
	if st == nil {
		st = &stepView{ID: e.ID, Label: report.Label(e), Step: string(e.Step), Unit: string(e.Unit), Part: e.Part, Parts: e.Parts, Job: e.Job}
		t.steps[e.ID] = st
	}
	st.Done, st.Total = e.Done, e.Total
	if e.Job != "" {
		st.Job = e.Job
	}
	st.Ended = e.Phase == backfill.PhaseEnd
	t.mu.Unlock()
	t.changed()
}

// taskView is a task as the page sees it.
type taskView struct {
	Kind    string      `json:"kind"`
	Run     string      `json:"run,omitempty"`
	State   string      `json:"state"`
	Started time.Time   `json:"started"`
	Ended   *time.Time  `json:"ended,omitempty"`
	Steps   []*stepView `json:"steps"`
	Outcome *sentence   `json:"outcome,omitempty"`
	Result  any         `json:"result,omitempty"`
}

func (t *task) view() taskView {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := taskView{Kind: t.kind, Run: t.run, State: t.state, Started: t.started, Outcome: t.outcome, Result: t.result, Steps: []*stepView{}}
	if !t.ended.IsZero() {
		e := t.ended
		v.Ended = &e
	}
	for _, st := range t.steps {
		c := *st
		v.Steps = append(v.Steps, &c)
	}
	sort.Slice(v.Steps, func(i, j int) bool { return v.Steps[i].ID < v.Steps[j].ID })
	return v
}

func (t *task) running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state == taskRunning
}

// errBusy is a job asked for while another of the page runs on the same thing.
var errBusy = errors.New("busy")

// start runs fn as the task kind under key (one task per key at a time), in the server's
// context: fn gets the task (its Observer) and returns what the page shows of the result
// and how it ended. The finished task stays until the next one with the same key.
func (s *Server) start(key, kind, run string, fn func(ctx context.Context, t *task) (any, *sentence, error)) (*task, error) {
	s.probeMu.Lock() // no look at a run's lock while it is claimed (inUse)
	defer s.probeMu.Unlock()
	s.mu.Lock()
	if old := s.tasks[key]; old != nil && old.running() {
		s.mu.Unlock()
		return nil, errBusy
	}
	ctx, cancel := context.WithCancel(s.base)
	t := &task{key: key, kind: kind, run: run, state: taskRunning, started: time.Now(), steps: map[int64]*stepView{},
		cancel: cancel, changed: s.events.notify}
	s.tasks[key] = t
	s.jobs.Add(1)
	s.mu.Unlock()
	s.events.notify()
	go func() {
		defer s.jobs.Done()
		defer cancel()
		res, out, err := s.runTask(ctx, t, fn)
		t.mu.Lock()
		t.result, t.ended = res, time.Now()
		switch {
		case err != nil:
			t.state, t.outcome = taskFailed, explain(err)
			if ctx.Err() != nil {
				t.state = taskStopped
			}
			s.log.Info("job ended with an error", zap.String("job", kind), zap.String("run", t.run), zap.Error(err))
		default:
			t.state, t.outcome = taskDone, out
		}
		t.mu.Unlock()
		s.events.notifyRuns()
	}()
	return t, nil
}

// runTask runs fn, turning a panic into an error: the server outlives a job's bug.
func (s *Server) runTask(ctx context.Context, t *task, fn func(context.Context, *task) (any, *sentence, error)) (res any, out *sentence, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("job panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			err = errors.New("the job stopped on an internal error (the log has the details)")
		}
	}()
	return fn(ctx, t)
}

// running counts the tasks still running.
func (s *Server) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tasks {
		if t.running() {
			n++
		}
	}
	return n
}

// busyRuns are the run folders a task of the page works on now.
func (s *Server) busyRuns() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, t := range s.tasks {
		if t.running() && t.run != "" {
			out[t.run] = true
		}
	}
	return out
}

// stopTask stops the task under key, as Ctrl-C does; it reports whether one was running.
func (s *Server) stopTask(key string) bool {
	s.mu.Lock()
	t := s.tasks[key]
	s.mu.Unlock()
	if t == nil || !t.running() {
		return false
	}
	t.cancel()
	return true
}

// runKey is the key of the tasks on a run folder.
func runKey(name string) string { return "run:" + name }

// broadcaster tells the event streams that something changed: the state (tasks, org,
// export) or the list of runs. Notifications coalesce; nobody blocks.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan int]struct{}
}

const (
	changedState = 1 << iota
	changedRuns
)

func newBroadcaster() *broadcaster { return &broadcaster{subs: map[chan int]struct{}{}} }

func (b *broadcaster) subscribe() chan int {
	c := make(chan int, 1)
	b.mu.Lock()
	b.subs[c] = struct{}{}
	b.mu.Unlock()
	return c
}

func (b *broadcaster) unsubscribe(c chan int) {
	b.mu.Lock()
	delete(b.subs, c)
	b.mu.Unlock()
}

func (b *broadcaster) send(what int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.subs {
		select {
		case c <- what:
		default: // a change is pending; merge this one into it
			select {
			case old := <-c:
				c <- old | what
			default:
				c <- what
			}
		}
	}
}

func (b *broadcaster) notify()     { b.send(changedState) }
func (b *broadcaster) notifyRuns() { b.send(changedState | changedRuns) }
