package backfill

import "sync/atomic"

// Step is one long step of a job, as its progress [Event]s name it.
type Step string

// The steps.
const (
	StepReadExport Step = "read_export"  // the first pass over the export (bytes)
	StepExistence  Step = "existence"    // which candidate keys Salesforce holds (keys)
	StepScan       Step = "scan"         // the same, by one scan of the object (records)
	StepWriteRun   Step = "write_folder" // the second pass, into the run folder (bytes)
	StepUpload     Step = "upload"       // one part's upload into its Bulk job (bytes)
	StepProcess    Step = "process"      // Salesforce processing the closed jobs (rows)
	StepResults    Step = "results"      // one part's result files, downloaded (rows)
	StepFinal      Step = "final_files"  // the final ledger and result files (rows)
)

// Unit is what an event's Done and Total count.
type Unit string

// The units.
const (
	UnitBytes   Unit = "bytes"
	UnitRows    Unit = "rows"
	UnitKeys    Unit = "keys"
	UnitRecords Unit = "records"
)

// Phase says where in its step an event is.
type Phase int

// The phases: every step starts once, progresses any number of times and ends once.
const (
	PhaseStart Phase = iota
	PhaseProgress
	PhaseEnd
)

// Event is the progress of one step of a job. A step's events share its ID, unique within
// the job's run; they arrive in order for one step, and steps may overlap (the uploads of
// several parts).
type Event struct {
	ID    int64 // the step's id
	Step  Step
	Phase Phase
	Done  int64 // how much is done, in Unit
	Total int64 // the whole, in Unit; 0 when not known
	Unit  Unit
	// Part is the plan part an upload is of (1-based), Parts how many the plan has; Job is
	// the Bulk job holding it. Zero when the step is not about one part.
	Part, Parts int
	Job         string
}

// Observer receives a job's progress events: a terminal bar, a JSON log, a web page and a
// batch roll-up each implement it. Observe must be safe for concurrent use and must not
// block: the job waits for it.
type Observer interface {
	Observe(Event)
}

// ObserverFunc is a function that observes events.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// stepIDs numbers steps across all jobs of a process: a batch's events stay apart.
var stepIDs atomic.Int64

// meter reports one step's progress to an observer.
type meter struct {
	obs  Observer
	ev   Event
	done atomic.Int64
}

// start begins a step described by e (its Step, Total, Unit and, for a part, Part, Parts
// and Job): its events go to obs (nil for none).
func start(obs Observer, e Event) *meter {
	e.ID = stepIDs.Add(1)
	m := &meter{obs: obs, ev: e}
	m.emit(PhaseStart, 0)
	return m
}

func (m *meter) emit(ph Phase, done int64) {
	if m == nil || m.obs == nil {
		return
	}
	e := m.ev
	e.Phase, e.Done = ph, done
	m.obs.Observe(e)
}

// set reports how much is done; add adds to it.
func (m *meter) set(done int64) { m.done.Store(done); m.emit(PhaseProgress, done) }
func (m *meter) add(n int64)    { m.emit(PhaseProgress, m.done.Add(n)) }

// end ends the step.
func (m *meter) end() { m.emit(PhaseEnd, m.done.Load()) }
