package runfolder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func epoch() time.Time { return time.Unix(0, 0).UTC() }

func writeJournal(t *testing.T, folder *Folder, entries ...JournalEntry) {
	t.Helper()
	j, cut, err := folder.OpenJournal(epoch)
	if err != nil || cut != 0 {
		t.Fatalf("OpenJournal: cut %d, %v", cut, err)
	}
	defer j.Close()
	for _, e := range entries {
		if err := j.Add(e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestJournalReplay(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	writeJournal(t, folder,
		JournalEntry{Event: EvPlanned, Plan: "p1"}, JournalEntry{Event: EvLoadStart},
		JournalEntry{Event: EvJobCreated, Part: 1, Job: "750A"}, JournalEntry{Event: EvUploaded, Part: 1, Job: "750A"},
		JournalEntry{Event: EvClosed, Part: 1, Job: "750A"},
		JournalEntry{Event: EvJobCreated, Part: 2, Job: "750B"},
		JournalEntry{Event: EvAbandoned, Part: 2, Job: "750B"},
		JournalEntry{Event: EvJobCreated, Part: 2, Job: "750C"}, JournalEntry{Event: EvUploaded, Part: 2, Job: "750C"},
		JournalEntry{Event: EvJobDone, Part: 1, Job: "750A", State: "JobComplete"},
		JournalEntry{Event: EvSaved, Part: 1, Job: "750A", Sizes: map[string]int64{"success": 10}},
		JournalEntry{Event: EvPartAdded, Part: 3, Root: 1, Parts: []int{1}, Added: []AddedPart{{Part: 3, File: "parts/part-3.csv", Sum: "ab", Rows: 4}}},
		JournalEntry{Event: EvSplit, Part: 2, Added: []AddedPart{{Part: 6, File: "parts/part-6.csv", Rows: 1}, {Part: 7, File: "parts/part-7.csv", Rows: 2}}},
		JournalEntry{Event: EvJobDone, Part: 4, State: StateRefused, Sizes: map[string]int64{"unprocessed": 2}},
		JournalEntry{Event: EvResolved, Part: 5, Sizes: map[string]int64{"success": 1}},
	)
	st, err := folder.ReadJournal()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Planned || st.PlanID != "p1" || !st.Started || st.Finished || st.Missing || !st.LoadStart.Equal(epoch()) {
		t.Errorf("flags: %+v", st)
	}
	p1, p2, p3 := st.Parts[1], st.Parts[2], st.Parts[3]
	if p1.Job != "750A" || !p1.Uploaded || !p1.Closed || !p1.Done || p1.State != "JobComplete" || !p1.Saved || p1.Counts["success"] != 10 || !p1.Followed {
		t.Errorf("part 1: %+v", p1)
	}
	if p2.Job != "750C" || !p2.Uploaded || p2.Closed || strings.Join(p2.Abandoned, ",") != "750B" || !p2.Split {
		t.Errorf("part 2: %+v", p2)
	}
	if p3.Root != 1 || p3.File != "parts/part-3.csv" || p3.Rows != 4 || p3.Sum != "ab" || len(p3.Follo) != 1 {
		t.Errorf("part 3: %+v", p3)
	}
	if p4 := st.Parts[4]; !p4.Done || !p4.Saved || p4.Counts["unprocessed"] != 2 {
		t.Errorf("part 4 (refused): %+v", p4)
	}
	if p5 := st.Parts[5]; !p5.Resolved || !p5.Done || p5.State != StateResolved {
		t.Errorf("part 5 (resolved): %+v", p5)
	}
	if p6, p7 := st.Parts[6], st.Parts[7]; p6.Root != 2 || p6.Rows != 1 || p7.File != "parts/part-7.csv" || len(p7.Follo) != 0 {
		t.Errorf("halves of part 2: %+v %+v", p6, p7)
	}
	if st.MaxPart(2) != 7 {
		t.Errorf("MaxPart = %d", st.MaxPart(2))
	}
}

// A crash or a full disk in the middle of a write leaves a torn last line: reading ignores
// it, and opening the journal for appending cuts it off, so the next entry starts on a line
// of its own and every later read succeeds.
func TestJournalTornLastLine(t *testing.T) {
	for name, tail := range map[string]string{
		"torn":            `{"event":"job-cre`,
		"garbage":         "\x00\x00\x00\x00",
		"garbage line":    "not json at all\n",
		"no event":        "{}\n",
		"torn after good": `{"event":"closed","part":1}` + "\n" + `{"ev`,
	} {
		t.Run(name, func(t *testing.T) {
			folder := &Folder{Dir: t.TempDir()}
			writeJournal(t, folder, JournalEntry{Event: EvPlanned, Plan: "p"}, JournalEntry{Event: EvLoadStart})
			f, _ := os.OpenFile(folder.Path(JournalFile), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(tail)
			f.Close()
			if _, err := folder.ReadJournal(); err != nil {
				t.Fatalf("read with a torn line: %v", err)
			}
			j, cut, err := folder.OpenJournal(epoch)
			if err != nil {
				t.Fatal(err)
			}
			if cut == 0 {
				t.Errorf("cut = 0, want the torn line's bytes")
			}
			j.Add(JournalEntry{Event: EvFinished})
			j.Close()
			st, err := folder.ReadJournal()
			if err != nil {
				t.Fatalf("read after the append: %v", err)
			}
			if !st.Finished || st.PlanID != "p" {
				t.Errorf("state after repair: %+v", st)
			}
		})
	}
}

// A last entry that lost only its newline is kept (and ended).
func TestJournalLastLineWithoutNewline(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	os.WriteFile(folder.Path(JournalFile), []byte(`{"event":"planned","plan":"p"}`+"\n"+`{"event":"load-start"}`), 0o600)
	j, cut, err := folder.OpenJournal(epoch)
	if err != nil || cut != 0 {
		t.Fatalf("cut %d, err %v", cut, err)
	}
	j.Add(JournalEntry{Event: EvFinished})
	j.Close()
	st, err := folder.ReadJournal()
	if err != nil || !st.Started || !st.Finished {
		t.Fatalf("state %+v, err %v", st, err)
	}
}

func TestJournalRejectsCorruption(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	os.WriteFile(filepath.Join(folder.Dir, JournalFile), []byte("{\"event\":\"planned\"}\nnot json\n{\"event\":\"finished\"}\n"), 0o600)
	if _, err := folder.ReadJournal(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want an error naming line 2", err)
	}
	os.WriteFile(filepath.Join(folder.Dir, JournalFile), []byte("{\"event\":\"teleported\"}\n{\"event\":\"planned\"}\n"), 0o600)
	if _, err := folder.ReadJournal(); err == nil || !strings.Contains(err.Error(), "unknown event") {
		t.Errorf("err = %v, want unknown event", err)
	}
}

func TestJournalMissing(t *testing.T) {
	st, err := (&Folder{Dir: t.TempDir()}).ReadJournal()
	if err != nil || !st.Missing || st.Started {
		t.Fatalf("state %+v, err %v", st, err)
	}
}

// After a lost journal, the time a recreated journal's load-start carries is not when the
// load began: LoadStart stays unknown.
func TestJournalLostKeepsLoadStartUnknown(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	writeJournal(t, folder, JournalEntry{Event: EvPlanned, Plan: "p"}, JournalEntry{Event: EvLost}, JournalEntry{Event: EvLoadStart})
	st, err := folder.ReadJournal()
	if err != nil || !st.Lost || !st.Started || !st.LoadStart.IsZero() {
		t.Fatalf("state %+v, err %v", st, err)
	}
}
