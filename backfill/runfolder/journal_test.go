package runfolder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJournalReplay(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	j, err := folder.OpenJournal(func() time.Time { return time.Unix(0, 0).UTC() })
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []JournalEntry{
		{Event: EvPlanned}, {Event: EvLoadStart},
		{Event: EvJobCreated, Part: 1, Job: "750A"}, {Event: EvUploaded, Part: 1, Job: "750A"}, {Event: EvClosed, Part: 1, Job: "750A"},
		{Event: EvJobCreated, Part: 2, Job: "750B"},
		{Event: EvAbandoned, Part: 2, Job: "750B"},
		{Event: EvJobCreated, Part: 2, Job: "750C"}, {Event: EvUploaded, Part: 2, Job: "750C"},
		{Event: EvJobDone, Part: 1, Job: "750A", State: "JobComplete"},
		{Event: EvResultsStart, Part: 1, Job: "750A", Sizes: map[string]int64{"success.csv": 10}},
	} {
		if err := j.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// A crash in the middle of a write leaves half a line: it is ignored.
	f, _ := os.OpenFile(folder.Path(JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"event":"results-do`)
	f.Close()

	st, err := folder.ReadJournal()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Planned || !st.Started || st.Finished {
		t.Errorf("flags: %+v", st)
	}
	p1, p2 := st.Parts[1], st.Parts[2]
	if p1.Job != "750A" || !p1.Uploaded || !p1.Closed || !p1.Done || p1.State != "JobComplete" || p1.ResultsStart["success.csv"] != 10 || p1.ResultsDone {
		t.Errorf("part 1: %+v", p1)
	}
	if p2.Job != "750C" || !p2.Uploaded || p2.Closed || strings.Join(p2.Abandoned, ",") != "750B" {
		t.Errorf("part 2: %+v", p2)
	}
}

func TestJournalRejectsCorruption(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	os.WriteFile(filepath.Join(folder.Dir, JournalFile), []byte("{\"event\":\"planned\"}\nnot json\n{\"event\":\"finished\"}\n"), 0o600)
	if _, err := folder.ReadJournal(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want an error naming line 2", err)
	}
	os.WriteFile(filepath.Join(folder.Dir, JournalFile), []byte("{\"event\":\"teleported\"}\n"), 0o600)
	if _, err := folder.ReadJournal(); err == nil || !strings.Contains(err.Error(), "unknown event") {
		t.Errorf("err = %v, want unknown event", err)
	}
}

func TestResultsTable(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	job1 := `"sf__Id","sf__Created","ns__Ext__c","ns__Name__c"
"a0B1","true","k2","=SUM(A1)"
"a0B2","false","k1","Bob"
`
	job2 := `"sf__Id","sf__Created","ns__Ext__c","ns__Name__c"
"a0B3","true","k3","Cy"
`
	failed := `"sf__Id","sf__Error","ns__Ext__c","ns__Name__c"
"","FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to old timestamp:--","k4","D"
"","REQUIRED_FIELD_MISSING:Required fields are missing: [ns__Email__c]:ns__Email__c --","-k5","E"
`
	unprocessed := `"ns__Ext__c","ns__Name__c"
"k6","F"
`
	for _, x := range []struct{ file, body string }{{SuccessFile, job1}, {SuccessFile, job2}, {ErrorFile, failed}, {UnprocessedFile, unprocessed}} {
		if _, err := folder.AppendResults(x.file, strings.NewReader(x.body)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(folder.Path(SuccessFile))
	if got := string(b); got != "sf__Id,sf__Created,ns__Ext__c,ns__Name__c\na0B1,true,k2,'=SUM(A1)\na0B2,false,k1,Bob\na0B3,true,k3,Cy\n" {
		t.Errorf("success.csv:\n%s", got)
	}
	tab, err := folder.ReadResults("NS__EXT__C", nil, map[string]int64{SuccessFile: -1, ErrorFile: -1, UnprocessedFile: -1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"k1": "updated a0B2", "k2": "created a0B1", "k3": "created a0B3",
		"k4":  "already_newer FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to old timestamp:--",
		"-k5": "failed REQUIRED_FIELD_MISSING:Required fields are missing: [ns__Email__c]:ns__Email__c --",
		"k6":  "unprocessed the job ended before Salesforce processed this row"}
	for k, w := range want {
		o, d, ok := tab.Lookup(k)
		if !ok || o.String()+" "+d != w {
			t.Errorf("lookup(%s) = %v %q %v, want %q", k, o, d, ok, w)
		}
	}
	if _, _, ok := tab.Lookup("k7"); ok {
		t.Errorf("k7 was never uploaded")
	}
}
