package backfill

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// A before-image that lacks a column of the plan's fields cannot restore that field: undo
// refuses it, naming the file and the column, instead of panicking or emptying the field.
func TestBeforeImageMissingAColumn(t *testing.T) {
	folder := &runfolder.Folder{Dir: t.TempDir()}
	info := &runfolder.Plan{ExternalIDField: "ext__c", Fields: []string{"ext__c", "a__c", "b__c"}}
	if err := os.WriteFile(folder.Path(runfolder.BeforeFile), []byte("key,Id,a__c\nk1,a0E000000000001AAA,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := readBefore(folder, info, nil)
	var fe *FolderError
	if !errors.As(err, &fe) || !errors.Is(err, ErrBeforeImageUnusable) || !strings.Contains(err.Error(), "b__c") ||
		!strings.Contains(err.Error(), folder.Path(runfolder.BeforeFile)) {
		t.Fatalf("readBefore: %v, want ErrBeforeImageUnusable naming the file and b__c", err)
	}
	if err := os.WriteFile(folder.Path(runfolder.BeforeFile), []byte("key,Id,a__c,b__c\nk1,a0E000000000001AAA,x,y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _, err := readBefore(folder, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	if row, ok := b.get("k1"); !ok || b.value(row, "b__c") != "y" {
		t.Fatalf("k1: %v", row)
	}
}
