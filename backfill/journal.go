package backfill

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

// The journal (journal.jsonl in the run folder) records each irreversible step of an import
// before and after it happens, one JSON line each, synced to disk before the step goes on.
// After a crash or kill -9 at any point, [Resume] replays it to know, per part of
// to_import.csv, which Bulk job holds it and how far it got, and asks Salesforce for the
// rest: it never uploads a part again without first reading the state of the job it was
// given to. Because the load is an upsert on the external id, even a part sent twice cannot
// duplicate a record; the journal makes sure no row is lost or left without a result.
const journalName = "journal.jsonl"

// Journal event names.
const (
	evPlanned      = "planned"       // the plan is complete; parts are in plan.json
	evLoadStart    = "load-start"    // the import was confirmed
	evJobCreated   = "job-created"   // part -> job id (recorded right after the create call)
	evUploaded     = "uploaded"      // the part's bytes were accepted (201)
	evClosed       = "closed"        // UploadComplete was accepted
	evAbandoned    = "abandoned"     // a job whose upload state was unknown was aborted
	evJobDone      = "job-done"      // the job reached a terminal state
	evResultsStart = "results-start" // results are being appended; sizes before appending
	evResultsDone  = "results-done"  // the part's results are in the result files
	evFinished     = "finished"      // ledger, summary and report are final
)

type journalEntry struct {
	Time  time.Time        `json:"time"`
	Event string           `json:"event"`
	Part  int              `json:"part,omitempty"`
	Job   string           `json:"job,omitempty"`
	State string           `json:"state,omitempty"`
	Note  string           `json:"note,omitempty"`
	Sizes map[string]int64 `json:"sizes,omitempty"`
}

// journal appends entries to journal.jsonl, syncing each.
type journal struct {
	f   *os.File
	now func() time.Time
}

func openJournal(folder *RunFolder, now func() time.Time) (*journal, error) {
	f, err := os.OpenFile(folder.Path(journalName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, filePerm)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &journal{f: f, now: now}, nil
}

func (j *journal) add(e journalEntry) error {
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

func (j *journal) Close() error { return j.f.Close() }

// partState is what the journal says about one part of to_import.csv.
type partState struct {
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

// journalState is the replayed journal.
type journalState struct {
	Planned, Started, Finished bool
	Parts                      map[int]*partState
}

func (s *journalState) part(i int) *partState {
	p := s.Parts[i]
	if p == nil {
		p = &partState{}
		s.Parts[i] = p
	}
	return p
}

// readJournal replays the journal of folder. A missing journal is an empty state. A last
// line cut short by a crash is ignored; any other bad line is an error.
func readJournal(folder *RunFolder) (*journalState, error) {
	st := &journalState{Parts: map[int]*partState{}}
	b, err := os.ReadFile(folder.Path(journalName))
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
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			if n == lines+1 && !complete {
				break // the write a crash interrupted
			}
			return nil, fmt.Errorf("%s line %d: %w", folder.Path(journalName), n, err)
		}
		switch e.Event {
		case evPlanned:
			st.Planned = true
		case evLoadStart:
			st.Started = true
		case evJobCreated:
			p := st.part(e.Part)
			*p = partState{Job: e.Job, Abandoned: p.Abandoned}
		case evUploaded:
			st.part(e.Part).Uploaded = true
		case evClosed:
			st.part(e.Part).Closed = true
		case evAbandoned:
			p := st.part(e.Part)
			*p = partState{Abandoned: append(p.Abandoned, e.Job)}
		case evJobDone:
			p := st.part(e.Part)
			p.Done, p.State = true, e.State
		case evResultsStart:
			st.part(e.Part).ResultsStart = e.Sizes
		case evResultsDone:
			p := st.part(e.Part)
			p.ResultsDone, p.ResultsCounts = true, e.Sizes
		case evFinished:
			st.Finished = true
		default:
			return nil, fmt.Errorf("%s line %d: unknown event %q", folder.Path(journalName), n, e.Event)
		}
	}
	return st, sc.Err()
}
