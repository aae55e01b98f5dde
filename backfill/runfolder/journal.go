package runfolder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// The journal (journal.jsonl) records each irreversible step of an import before and after
// it happens, one JSON line each, synced to disk before the step goes on. After a crash or
// kill -9 at any point, resume replays it ([Folder.ReadJournal]) to know, per part of
// to_import.csv, which Bulk job holds it and how far it got, and asks Salesforce for the
// rest.

// Journal event names.
const (
	EvPlanned      = "planned"       // the plan is complete; parts are in plan.json
	EvLoadStart    = "load-start"    // the import was confirmed
	EvJobCreated   = "job-created"   // part -> job id (recorded right after the create call)
	EvUploaded     = "uploaded"      // the part's bytes were accepted (201)
	EvClosed       = "closed"        // UploadComplete was accepted
	EvAbandoned    = "abandoned"     // a job whose upload state was unknown was aborted
	EvJobDone      = "job-done"      // the job reached a terminal state
	EvResultsStart = "results-start" // results are being appended; sizes before appending
	EvResultsDone  = "results-done"  // the part's results are in the result files
	EvFinished     = "finished"      // ledger, summary and report are final
)

// JournalEntry is one line of the journal.
type JournalEntry struct {
	Time  time.Time        `json:"time"`
	Event string           `json:"event"`
	Part  int              `json:"part,omitempty"`
	Job   string           `json:"job,omitempty"`
	State string           `json:"state,omitempty"`
	Note  string           `json:"note,omitempty"`
	Sizes map[string]int64 `json:"sizes,omitempty"`
}

// Journal appends entries to journal.jsonl, syncing each. It is not safe for concurrent use.
type Journal struct {
	f   *os.File
	now func() time.Time
}

// OpenJournal opens the folder's journal for appending; now stamps the entries.
func (f *Folder) OpenJournal(now func() time.Time) (*Journal, error) {
	w, err := os.OpenFile(f.Path(JournalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, FilePerm)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &Journal{f: w, now: now}, nil
}

// Add appends e and syncs it to disk.
func (j *Journal) Add(e JournalEntry) error {
	e.Time = j.now()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// PartState is what the journal says about one part of to_import.csv.
type PartState struct {
	Job          string // the job currently holding the part ("" = none yet)
	Uploaded     bool
	Closed       bool
	Done         bool
	State        string // terminal state
	ResultsStart map[string]int64
	ResultsDone  bool
	// ResultsCounts holds the rows per result file and "created", "updated",
	// "already_newer".
	ResultsCounts map[string]int64
	Abandoned     []string
}

// JournalState is the replayed journal.
type JournalState struct {
	Planned, Started, Finished bool
	Parts                      map[int]*PartState
}

// Part returns the state of part i (1-based), creating an empty one.
func (s *JournalState) Part(i int) *PartState {
	p := s.Parts[i]
	if p == nil {
		p = &PartState{}
		s.Parts[i] = p
	}
	return p
}

// ReadJournal replays the folder's journal. A missing journal is an empty state. A last
// line cut short by a crash is ignored; any other bad line is an error.
func (f *Folder) ReadJournal() (*JournalState, error) {
	st := &JournalState{Parts: map[int]*PartState{}}
	b, err := os.ReadFile(f.Path(JournalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	complete := len(b) == 0 || b[len(b)-1] == '\n'
	lines := bytes.Count(b, []byte{'\n'})
	for sc.Scan() {
		n++
		var e JournalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			if n == lines+1 && !complete {
				break // the write a crash interrupted
			}
			return nil, fmt.Errorf("%s line %d: %w", f.Path(JournalFile), n, err)
		}
		if err := st.apply(e); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", f.Path(JournalFile), n, err)
		}
	}
	return st, sc.Err()
}

func (st *JournalState) apply(e JournalEntry) error {
	switch e.Event {
	case EvPlanned:
		st.Planned = true
	case EvLoadStart:
		st.Started = true
	case EvJobCreated:
		p := st.Part(e.Part)
		*p = PartState{Job: e.Job, Abandoned: p.Abandoned}
	case EvUploaded:
		st.Part(e.Part).Uploaded = true
	case EvClosed:
		st.Part(e.Part).Closed = true
	case EvAbandoned:
		p := st.Part(e.Part)
		*p = PartState{Abandoned: append(p.Abandoned, e.Job)}
	case EvJobDone:
		p := st.Part(e.Part)
		p.Done, p.State = true, e.State
	case EvResultsStart:
		st.Part(e.Part).ResultsStart = e.Sizes
	case EvResultsDone:
		p := st.Part(e.Part)
		p.ResultsDone, p.ResultsCounts = true, e.Sizes
	case EvFinished:
		st.Finished = true
	default:
		return fmt.Errorf("unknown event %q", e.Event)
	}
	return nil
}
