package runfolder

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestLedgerRoundTrip(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	f, err := folder.Create(LedgerFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewLedgerWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{12, "k,1", Duplicate, "kept line 40"},
		{13, "=HYPERLINK()", Rejected, `column 2 "Date": unparseable date "x"`},
		{14, "'=x", Failed, "-bad: =formula"},
		{15, "k2", Created, ""},
	}
	for _, e := range want {
		if err := w.Write(e.Line, []byte(e.Key), e.Outcome, e.Detail); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(folder.Path(LedgerFile))
	wantText := "line,key,outcome,detail\n12,\"k,1\",duplicate,kept line 40\n13,'=HYPERLINK(),rejected,\"column 2 \"\"Date\"\": unparseable date \"\"x\"\"\"\n14,''=x,failed,'-bad: =formula\n15,k2,created,\n"
	if string(b) != wantText {
		t.Errorf("ledger.csv:\n%s\nwant\n%s", b, wantText)
	}
	var got []Entry
	if err := folder.ReadLedger(LedgerFile, func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReadLedgerRejectsUnknownOutcome(t *testing.T) {
	folder := &Folder{Dir: t.TempDir()}
	os.WriteFile(folder.Path(LedgerFile), []byte("line,key,outcome,detail\n2,k,teleported,\n"), FilePerm)
	err := folder.ReadLedger(LedgerFile, func(Entry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "teleported") {
		t.Errorf("err = %v", err)
	}
}

func BenchmarkLedgerWrite(b *testing.B) {
	var buf bytes.Buffer
	w, _ := NewLedgerWriter(&buf)
	key := []byte("3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a10")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if buf.Len() > 1<<20 {
			buf.Reset()
		}
		w.Write(i, key, BeforeCutoff, "")
	}
}
