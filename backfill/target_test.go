package backfill

import (
	"errors"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

func demoTarget() *Target {
	fields := []*sfclient.Field{
		{Name: "Id", Label: "Record ID", Type: "id"},
		{Name: "ns__External_Id__c", Label: "External id", Type: "string", Createable: true, Updateable: true, Nillable: true, ExternalID: true},
		{Name: "ns__Learner_Email__c", Label: "Learner Email", Type: "email", Createable: true, Updateable: true},
		{Name: "ns__Enrollment_Date__c", Label: "Enrollment Date", Type: "datetime", Createable: true, Updateable: true, Nillable: true},
		{Name: "ns__Progress__c", Label: "Progress Percentage", Type: "percent", Createable: true, Updateable: true, Nillable: true},
		{Name: "ns__Start__c", Label: "Start", Type: "date", Createable: true, Updateable: true, Nillable: true},
		{Name: "ns__Formula__c", Label: "Score", Type: "double", Nillable: true},
		{Name: "ns__A__c", Label: "Twin", Type: "string", Createable: true, Nillable: true},
		{Name: "ns__B__c", Label: "Twin", Type: "string", Createable: true, Nillable: true},
	}
	t := &Target{Object: "ns__Enrollment__c", ExternalIDField: "ns__External_Id__c", Fields: map[string]*sfclient.Field{}}
	for _, f := range fields {
		t.Fields[strings.ToLower(f.Name)] = f
	}
	return t
}

func TestMapColumns(t *testing.T) {
	h := &csvdiff.Header{Names: []string{"External Id", "Learner Email", "ns__Enrollment_Date__c", "progress_percentage", "Score", "Twin", "Notes", "Id"}, Key: 0}
	tg := demoTarget()
	if err := tg.mapColumns(PlainWords{}, h, nil, nil, ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tg.Columns {
		got = append(got, c.Column+"="+c.Field.Name+"/"+c.Source)
	}
	want := "External Id=ns__External_Id__c/key Learner Email=ns__Learner_Email__c/label ns__Enrollment_Date__c=ns__Enrollment_Date__c/api name progress_percentage=ns__Progress__c/label"
	if strings.Join(got, " ") != want {
		t.Errorf("mapped:\ngot  %s\nwant %s", strings.Join(got, " "), want)
	}
	var un []string
	for _, u := range tg.Unmapped {
		un = append(un, u.Column+": "+u.Why)
	}
	wantUn := []string{"Score: ns__Formula__c is read-only for this user", "Twin: several fields have this label: ns__A__c, ns__B__c; map it in a .sdl file", "Notes: no field with this API name or label", "Id: Id is read-only for this user"}
	if strings.Join(un, "|") != strings.Join(wantUn, "|") {
		t.Errorf("unmapped:\ngot  %q\nwant %q", un, wantUn)
	}
	if miss := tg.missingRequired(); len(miss) != 0 {
		t.Errorf("missing required = %v", miss)
	}
}

func TestMapColumnsSDL(t *testing.T) {
	h := &csvdiff.Header{Names: []string{"Key", "Mail", "When"}, Key: 0}
	sdl, err := ParseSDL(strings.NewReader("Mail=ns__Learner_Email__c\nWhen=ns__Enrollment_Date__c\n\"import\"=ns__A__c\n"), "m.sdl")
	if err != nil {
		t.Fatal(err)
	}
	tg := demoTarget()
	if err := tg.mapColumns(PlainWords{}, h, nil, sdl, "m.sdl"); err != nil {
		t.Fatal(err)
	}
	if len(tg.Columns) != 3 || tg.Columns[1].Field.Name != "ns__Learner_Email__c" || tg.Columns[1].Source != "sdl" || tg.Constants["ns__A__c"] != "import" {
		t.Errorf("columns %+v constants %v", tg.Columns, tg.Constants)
	}
	for _, bad := range []string{"Nope=ns__A__c\n", "Mail=ns__Nope__c\n", "Mail=ns__A__c\nWhen=ns__A__c\n"} {
		sdl, _ := ParseSDL(strings.NewReader(bad), "m.sdl")
		var te *TargetError
		if err := demoTarget().mapColumns(PlainWords{}, h, nil, sdl, "m.sdl"); !errors.As(err, &te) || te.Option != OptMapping {
			t.Errorf("mapping %q: err %v, want a TargetError about the mapping", bad, err)
		}
	}
}

func TestMissingRequired(t *testing.T) {
	h := &csvdiff.Header{Names: []string{"External Id"}, Key: 0}
	tg := demoTarget()
	tg.mapColumns(PlainWords{}, h, nil, nil, "")
	if got := tg.missingRequired(); strings.Join(got, ",") != "ns__Learner_Email__c" {
		t.Errorf("missingRequired = %v", got)
	}
}

func TestBulkValues(t *testing.T) {
	var dp csvdiff.DateParser
	tests := []struct {
		typ, in, want string
		bad           bool
	}{
		{"datetime", "2025-12-01T10:00:00+01:00", "2025-12-01T09:00:00.000Z", false},
		{"datetime", "12/1/2025 3:04 PM", "2025-12-01T15:04:00.000Z", false},
		{"date", "2025-12-01T23:30:00Z", "2025-12-01", false},
		{"date", "1/2/2026", "2026-01-02", false},
		{"percent", "45%", "45", false},
		{"percent", " 45.50 ", "45.5", false},
		{"double", "1e3", "1000", false},
		{"double", "12,5", "", true},
		{"int", "2.5", "", true},
		{"boolean", "Yes", "true", false},
		{"boolean", "0", "false", false},
		{"boolean", "maybe", "", true},
		{"string", " keep  spaces ", " keep  spaces ", false},
		{"datetime", "", "", false},
		{"datetime", "soon", "", true},
	}
	for _, tt := range tests {
		got, err := appendBulkValue(nil, tt.typ, []byte(tt.in), dp)
		if (err != nil) != tt.bad || string(got) != tt.want {
			t.Errorf("appendBulkValue(%s, %q) = %q, %v; want %q (error %v)", tt.typ, tt.in, got, err, tt.want, tt.bad)
		}
	}
	// Salesforce's own forms compare equal to the converted export values.
	same := []struct {
		typ string
		sf  any
		csv string
	}{
		{"datetime", "2025-12-01T09:00:00.000+0000", "2025-12-01T10:00:00+01:00"},
		{"percent", 45.0, "45%"},
		{"double", 1.0, "1"},
		{"boolean", true, "yes"},
		{"date", "2026-01-02", "1/2/2026"},
		{"string", nil, ""},
	}
	for _, s := range same {
		got, _ := appendBulkValue(nil, s.typ, []byte(s.csv), dp)
		if sfCanonical(s.typ, s.sf) != string(got) {
			t.Errorf("%s: Salesforce %v -> %q, export %q -> %q", s.typ, s.sf, sfCanonical(s.typ, s.sf), s.csv, got)
		}
	}
}
