package backfill_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
)

func TestParseSDL(t *testing.T) {
	in := "\uFEFF#Mapping values\n#Thu Nov 20 10:00:00 UTC 2025\n" +
		"External\\ Id=nplms__External_Id__c\n" +
		"Learner\\ Email = nplms__Learner_Email__c, nplms__Email_Copy__c\n" +
		"Course\\:Name:nplms__Course_Name__c\n" +
		"Unused=\n" +
		"! another comment\n" +
		"\"Backfill 2025\"=nplms__Source__c\n" +
		"Long\\ \\\n    Header=nplms__Long__c\n"
	m, err := backfill.ParseSDL(strings.NewReader(in), "map.sdl")
	if err != nil {
		t.Fatal(err)
	}
	wantCols := map[string][]string{
		"External Id":   {"nplms__External_Id__c"},
		"Learner Email": {"nplms__Learner_Email__c", "nplms__Email_Copy__c"},
		"Course:Name":   {"nplms__Course_Name__c"},
		"Long Header":   {"nplms__Long__c"},
	}
	if !reflect.DeepEqual(m.Columns, wantCols) {
		t.Errorf("Columns = %q\nwant      %q", m.Columns, wantCols)
	}
	if m.Constants["nplms__Source__c"] != "Backfill 2025" {
		t.Errorf("Constants = %q", m.Constants)
	}
	if got := strings.Join(m.Order, "|"); got != "External Id|Learner Email|Course:Name|Long Header" {
		t.Errorf("Order = %q", got)
	}
}

func TestParseSDLErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"just a header\n", "map.sdl:1: no '=' in \"just a header\""},
		{"# c\n\nA=x__c\nA=y__c\n", "map.sdl:4: header \"A\" is mapped twice"},
		{"=Field__c\n", "map.sdl:1: empty CSV header"},
		{"A=\\\n", "map.sdl:1: the file ends inside a continued line"},
	}
	for _, tt := range tests {
		_, err := backfill.ParseSDL(strings.NewReader(tt.in), "map.sdl")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSDL(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseSDL(f *testing.F) {
	f.Add("External\\ Id=ns__External_Id__c\n\"c\"=F__c\n#x\nA:B,C\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := backfill.ParseSDL(strings.NewReader(in), "f.sdl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.sdl") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(m.Order) != len(m.Columns) {
			t.Fatalf("Order %d != Columns %d", len(m.Order), len(m.Columns))
		}
		for _, h := range m.Order {
			if len(m.Columns[h]) == 0 {
				t.Fatalf("header %q maps to no field", h)
			}
		}
	})
}
