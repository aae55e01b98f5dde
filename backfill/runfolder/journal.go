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
// kill -9 at any point, resume replays it ([Folder.ReadJournal]) to know, per part, which
// Bulk job holds it and how far it got, and asks Salesforce for the rest.
//
// Parts: the plan's parts are byte ranges of to_import.csv; the load adds parts as it goes
// (a part Salesforce refused as too large is split in two, the rows still open after a job
// go to a follow-up part), each a file of its own under parts/.

// Journal event names.
const (
	EvPlanned    = "planned"     // the plan is complete; Plan holds its seal id
	EvLoadStart  = "load-start"  // the import was confirmed
	EvJobCreated = "job-created" // part -> job id (recorded right after the create call)
	EvUploaded   = "uploaded"    // the part's bytes were accepted (201)
	EvClosed     = "closed"      // UploadComplete was accepted
	EvAbandoned  = "abandoned"   // a job that will not be used (upload state unknown, interrupted, refused)
	EvJobDone    = "job-done"    // the job reached a terminal state (State, Note: its errorMessage)
	EvSaved      = "saved"       // the job's result files are in jobs/ (Sizes: rows per kind)
	EvPartAdded  = "part-added"  // a follow-up part of plan part Root (Added), holding the open rows of Parts
	EvSplit      = "split"       // Part was refused as too large; its rows went to the two parts in Added
	EvResolved   = "resolved"    // Part's fate was read from Salesforce's records (its job was gone)
	EvFinished   = "finished"    // ledger, summary and report are final (Sums: the final ledger and result files)
	// EvBeforeImage: import --plan wrote before-import.csv, what the load overwrites (Sums:
	// its SHA-256); journaled before the load starts.
	EvBeforeImage = "before-image"
	// EvLost: the journal was missing when a load went on; plan parts without a job are
	// resolved from the org's records, as their fate is unknown.
	EvLost = "lost"
)

// Pseudo-states of a part besides the Bulk job states.
const (
	// StateRefused: Salesforce refused the part as too large and it was too small to split
	// again; its rows end unprocessed.
	StateRefused = "Refused"
	// StateResolved: the part's fate was read from the org's records.
	StateResolved = "Resolved"
)

// JournalEntry is one line of the journal.
type JournalEntry struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	Plan  string    `json:"plan,omitempty"` // planned: the plan's seal id
	Part  int       `json:"part,omitempty"`
	Root  int       `json:"root,omitempty"`
	Parts []int     `json:"parts,omitempty"`
	// Added are the parts a part-added or split entry adds, their files already written.
	Added []AddedPart      `json:"added,omitempty"`
	Job   string           `json:"job,omitempty"`
	State string           `json:"state,omitempty"`
	Note  string           `json:"note,omitempty"`
	Sizes map[string]int64 `json:"sizes,omitempty"`
	// Sums seals files the load wrote (name -> SHA-256): commands that read them later
	// refuse a changed or missing one.
	Sums map[string]string `json:"sums,omitempty"`
}

// AddedPart is a part the load added: a CSV file of its own under parts/.
type AddedPart struct {
	Part int    `json:"part"`
	File string `json:"file"`
	Rows int    `json:"rows"`
	Sum  string `json:"sum"` // the file's SHA-256
	// Retry says why a follow-up part was added: "lock" (it holds rows that failed with
	// UNABLE_TO_LOCK_ROW) or "unprocessed" (rows no job processed).
	Retry string `json:"retry,omitempty"`
}

// Journal appends entries to journal.jsonl, syncing each. It is not safe for concurrent use.
type Journal struct {
	f   *os.File
	now func() time.Time
}

// OpenJournal opens the folder's journal for appending; now stamps the entries. A torn or
// garbage last line (a crash in the middle of a write) is cut off first, so the next entry
// starts on a line of its own; cut says how many bytes went.
func (f *Folder) OpenJournal(now func() time.Time) (j *Journal, cut int64, err error) {
	return f.OpenJournalFile(JournalFile, now)
}

// OpenJournalFile is [Folder.OpenJournal] for the journal in file name (an undo keeps its
// own journals).
func (f *Folder) OpenJournalFile(name string, now func() time.Time) (j *Journal, cut int64, err error) {
	if cut, err = f.repairJournal(name); err != nil {
		return nil, 0, err
	}
	w, err := os.OpenFile(f.Path(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, FilePerm)
	if err != nil {
		return nil, 0, fmt.Errorf("open journal: %w", err)
	}
	return &Journal{f: w, now: now}, cut, nil
}

// repairJournal truncates the journal name after its last good line.
func (f *Folder) repairJournal(name string) (int64, error) {
	b, err := os.ReadFile(f.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read journal: %w", err)
	}
	good := goodPrefix(b)
	if good == len(b) {
		if len(b) > 0 && b[len(b)-1] != '\n' {
			// A whole last entry that lost only its newline: end it.
			w, err := os.OpenFile(f.Path(name), os.O_WRONLY|os.O_APPEND, FilePerm)
			if err != nil {
				return 0, fmt.Errorf("repair journal: %w", err)
			}
			defer w.Close()
			_, err = w.Write([]byte{'\n'})
			return 0, err
		}
		return 0, nil
	}
	if err := os.Truncate(f.Path(name), int64(good)); err != nil {
		return 0, fmt.Errorf("repair journal: %w", err)
	}
	return int64(len(b) - good), nil
}

// goodPrefix is the length of b up to the end of its last line that decodes, when only the
// last line is bad; len(b) otherwise (then ReadJournal reports the bad line).
func goodPrefix(b []byte) int {
	body := bytes.TrimRight(b, "\n")
	i := bytes.LastIndexByte(body, '\n') + 1 // start of the last line
	last := body[i:]
	var e JournalEntry
	if len(last) > 0 && (json.Unmarshal(last, &e) != nil || e.Event == "") {
		return i
	}
	return len(b)
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

// PartState is what the journal says about one part.
type PartState struct {
	Root  int    // the plan part whose rows it holds (itself for a plan part)
	File  string // an added part's data file under parts/ ("" for a plan part)
	Rows  int    // an added part's rows (a plan part's are in plan.json)
	Note  string // why an added part was added
	Follo []int  // the parts whose open rows it holds
	Sum   string // an added part's SHA-256
	Retry string // why a follow-up part was added (AddedPart.Retry)

	Job       string // the job currently holding the part ("" = none yet)
	Uploaded  bool
	Closed    bool
	Done      bool
	State     string // terminal state
	JobError  string // the job's errorMessage
	Saved     bool   // its results are in jobs/
	Counts    map[string]int64
	Abandoned []string
	Split     bool // refused as too large: its rows are in two smaller parts
	Resolved  bool // its fate was read from the org's records
	Followed  bool // its open rows went to a follow-up part
}

// JournalState is the replayed journal.
type JournalState struct {
	PlanID                     string // the seal id of the plan the journal belongs to
	Planned, Started, Finished bool
	LoadStart                  time.Time
	// FinishedAt is when the load finished (its finished entry), zero before.
	FinishedAt time.Time
	Parts      map[int]*PartState
	// Missing: there is no journal at all (deleted): nothing is known of the load.
	Missing bool
	// Torn: the journal holds no planned line (its first line is torn, or it is empty),
	// so it says nothing of the load: it is read as Missing.
	Torn bool
	// Lost: the journal was missing once; plan parts without a job are resolved.
	Lost bool
	// Sums are the files the load sealed (name -> SHA-256), the latest entry's for each.
	Sums map[string]string
}

// Part returns the state of part i (1-based), creating an empty one.
func (s *JournalState) Part(i int) *PartState {
	p := s.Parts[i]
	if p == nil {
		p = &PartState{Root: i}
		s.Parts[i] = p
	}
	return p
}

// MaxPart returns the highest part number the journal knows, at least n.
func (s *JournalState) MaxPart(n int) int {
	for i := range s.Parts {
		n = max(n, i)
	}
	return n
}

// add records the parts of e, holding rows of plan part root.
func (st *JournalState) add(e JournalEntry, root int, follows []int) {
	for _, a := range e.Added {
		p := st.Part(a.Part)
		p.Root, p.File, p.Rows, p.Sum, p.Note, p.Follo, p.Retry = root, a.File, a.Rows, a.Sum, e.Note, follows, a.Retry
	}
}

// Apply replays one entry the caller has just journaled.
func (st *JournalState) Apply(e JournalEntry) {
	st.apply(e) // an error is an unknown event, which the journal's writers never write
}

// ReadJournal replays the folder's journal. A missing journal is an empty state with
// Missing set, and so is one without its first (planned) line, with Torn set. A torn or
// garbage last line is ignored; any other bad line is an error.
func (f *Folder) ReadJournal() (*JournalState, error) { return f.ReadJournalFile(JournalFile) }

// ReadJournalFile is [Folder.ReadJournal] for the journal in file name.
func (f *Folder) ReadJournalFile(name string) (*JournalState, error) {
	st := &JournalState{Parts: map[int]*PartState{}, Sums: map[string]string{}}
	b, err := os.ReadFile(f.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		st.Missing = true
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	b = b[:goodPrefix(b)]
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var e JournalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", f.Path(name), n, err)
		}
		if err := st.apply(e); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", f.Path(name), n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !st.Planned {
		// Every journal starts with its planned line: without one (torn, or emptied) it
		// says nothing of the load, and whose it is cannot be told.
		*st = JournalState{Parts: map[int]*PartState{}, Sums: map[string]string{}, Missing: true, Torn: true}
	}
	return st, nil
}

func (st *JournalState) apply(e JournalEntry) error {
	p := st.Part(e.Part)
	for name, sum := range e.Sums {
		if st.Sums == nil {
			st.Sums = map[string]string{}
		}
		st.Sums[name] = sum
	}
	switch e.Event {
	case EvPlanned:
		st.Planned, st.PlanID = true, e.Plan
	case EvLoadStart:
		st.Started = true
		if !st.Lost { // after a lost journal, when the load began is unknown
			st.LoadStart = e.Time
		}
	case EvJobCreated:
		p.Job, p.Uploaded, p.Closed, p.Done, p.State, p.JobError, p.Saved = e.Job, false, false, false, "", "", false
	case EvUploaded:
		p.Uploaded = true
	case EvClosed:
		p.Closed = true
	case EvAbandoned:
		p.Abandoned = append(p.Abandoned, e.Job)
		p.Job, p.Uploaded, p.Closed = "", false, false
	case EvJobDone:
		p.Done, p.State, p.JobError = true, e.State, e.Note
		if e.State == StateRefused {
			p.Saved, p.Counts = true, e.Sizes
		}
	case EvSaved:
		p.Saved, p.Counts = true, e.Sizes
	case EvPartAdded:
		for _, from := range e.Parts {
			st.Part(from).Followed = true
		}
		st.add(e, e.Root, e.Parts)
	case EvSplit:
		p.Split = true
		st.add(e, p.Root, nil)
	case EvResolved:
		p.Resolved, p.Done, p.Saved, p.State, p.Counts = true, true, true, StateResolved, e.Sizes
	case EvFinished:
		st.Finished, st.FinishedAt = true, e.Time
	case EvLost:
		st.Lost = true
	case EvBeforeImage:
	default:
		return fmt.Errorf("unknown event %q", e.Event)
	}
	if e.Part == 0 {
		delete(st.Parts, 0)
	}
	return nil
}
