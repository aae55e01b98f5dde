package backfill

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// TestFailureClassGroups feeds sf__Error values as Bulk API 2.0 writes them in
// failedResults ("CODE:message:fields --") for several rows each: the rows of a case must
// make one reason, named by the status code and the message without the rows' values, with
// the first message as its example.
func TestFailureClassGroups(t *testing.T) {
	long := strings.Repeat("Introduction to Salesforce Administration, part two: ", 6)[:300]
	tests := []struct {
		name    string
		details []string
		want    string
		example string // the first message as the report shows it; "" when want is it
	}{
		{"STRING_TOO_LONG with the value",
			[]string{"STRING_TOO_LONG:Course Name: data value too large: " + long + " (max length=255):nplms__Course_Name__c --",
				"STRING_TOO_LONG:Course Name: data value too large: Übersicht: Teil 2 (max length=255):nplms__Course_Name__c --"},
			"STRING_TOO_LONG:Course Name: data value too large: <value> (max length=<n>)",
			"STRING_TOO_LONG:Course Name: data value too large: " + long + " (max length=255):nplms__Course_Name__c"},
		{"INVALID_EMAIL_ADDRESS", append(emails(68), "INVALID_EMAIL_ADDRESS:Email: invalid email address: jane doe at example.com:nplms__Email__c --"),
			"INVALID_EMAIL_ADDRESS:Email: invalid email address: <value>",
			"INVALID_EMAIL_ADDRESS:Email: invalid email address: learner0@@example.com"},
		{"REQUIRED_FIELD_MISSING keeps its field list",
			[]string{"REQUIRED_FIELD_MISSING:Required fields are missing: [nplms__Course__c, nplms__User__c]:nplms__Course__c nplms__User__c --",
				"REQUIRED_FIELD_MISSING:Required fields are missing: [nplms__Course__c, nplms__User__c]:nplms__Course__c nplms__User__c --"},
			"REQUIRED_FIELD_MISSING:Required fields are missing: [nplms__Course__c, nplms__User__c]", ""},
		{"FIELD_CUSTOM_VALIDATION_EXCEPTION without values",
			[]string{"FIELD_CUSTOM_VALIDATION_EXCEPTION:Completion date cannot be before the enrollment date:nplms__Completed_At__c --",
				"FIELD_CUSTOM_VALIDATION_EXCEPTION:Completion date cannot be before the enrollment date:nplms__Completed_At__c --"},
			"FIELD_CUSTOM_VALIDATION_EXCEPTION:Completion date cannot be before the enrollment date", ""},
		{"FIELD_CUSTOM_VALIDATION_EXCEPTION with a value in quotes",
			[]string{`FIELD_CUSTOM_VALIDATION_EXCEPTION:Status "Finished" is not allowed for a course that's not started:--`,
				`FIELD_CUSTOM_VALIDATION_EXCEPTION:Status "Done!" is not allowed for a course that's not started:--`},
			`FIELD_CUSTOM_VALIDATION_EXCEPTION:Status "<value>" is not allowed for a course that's not started`,
			`FIELD_CUSTOM_VALIDATION_EXCEPTION:Status "Finished" is not allowed for a course that's not started`},
		{"DUPLICATE_VALUE with an Id",
			[]string{"DUPLICATE_VALUE:duplicate value found: nplms__External_Id__c duplicates value on record with id: a0E5g000001AbCdEAK:--",
				"DUPLICATE_VALUE:duplicate value found: nplms__External_Id__c duplicates value on record with id: a0E5g000002XyZwQAS:--",
				"DUPLICATE_VALUE:duplicate value found: nplms__External_Id__c duplicates value on record with id: a0E5g000002XyZw:--"},
			"DUPLICATE_VALUE:duplicate value found: nplms__External_Id__c duplicates value on record with id: <Id>",
			"DUPLICATE_VALUE:duplicate value found: nplms__External_Id__c duplicates value on record with id: a0E5g000001AbCdEAK"},
		{"INVALID_FIELD for a date value",
			[]string{"INVALID_FIELD:Failed to deserialize field at col 5. Due to, '2025-13-45' is not a valid value for the type xsd:date:--",
				"INVALID_FIELD:Failed to deserialize field at col 5. Due to, 31/12/2025 is not a valid value for the type xsd:date:--",
				"INVALID_FIELD:Failed to deserialize field at col 5. Due to, yesterday is not a valid value for the type xsd:date:--"},
			"INVALID_FIELD:Failed to deserialize field at col <n>. Due to, <value> is not a valid value for the type xsd:date",
			"INVALID_FIELD:Failed to deserialize field at col 5. Due to, '2025-13-45' is not a valid value for the type xsd:date"},
		{"INVALID_TYPE_ON_FIELD_IN_RECORD",
			[]string{"INVALID_TYPE_ON_FIELD_IN_RECORD:Progress: value not of required type: 45%:nplms__Progress__c --",
				"INVALID_TYPE_ON_FIELD_IN_RECORD:Progress: value not of required type: half:nplms__Progress__c --"},
			"INVALID_TYPE_ON_FIELD_IN_RECORD:Progress: value not of required type: <value>",
			"INVALID_TYPE_ON_FIELD_IN_RECORD:Progress: value not of required type: 45%:nplms__Progress__c"},
		{"UNABLE_TO_LOCK_ROW",
			[]string{"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 005xx000001Sv6XAAS:--",
				"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 3 records: 005xx000001Sv7YAAS:--"},
			"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or <n> records: <Id>",
			"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 005xx000001Sv6XAAS"},
		{"a last part that is a value",
			[]string{"FIELD_INTEGRITY_EXCEPTION:Learner Score: out of range: 1e9:nplms__Score__c --",
				"FIELD_INTEGRITY_EXCEPTION:Learner Score: out of range: -3.5:nplms__Score__c --"},
			"FIELD_INTEGRITY_EXCEPTION:Learner Score: out of range: <value>",
			"FIELD_INTEGRITY_EXCEPTION:Learner Score: out of range: 1e9:nplms__Score__c"},
		{"a row no job processed",
			[]string{"no result from Salesforce for this row: its job ended without one", "no result from Salesforce for this row: its job ended without one"},
			"no result from Salesforce for this row: its job ended without one", ""},
		{"a refused job's error",
			[]string{"InvalidBatch : Field name not found : nplms__Grade__c", "InvalidBatch : Field name not found : nplms__Grade__c"},
			"InvalidBatch : Field name not found : nplms__Grade__c", ""},
		{"DUPLICATE_EXTERNAL_ID", []string{"DUPLICATE_EXTERNAL_ID:Duplicate external id specified: enr-0042:nplms__External_Id__c --",
			"DUPLICATE_EXTERNAL_ID:Duplicate external id specified: ENR-ABC:nplms__External_Id__c --"},
			"DUPLICATE_EXTERNAL_ID:Duplicate external id specified: <value>",
			"DUPLICATE_EXTERNAL_ID:Duplicate external id specified: enr-0042:nplms__External_Id__c"},
		{"INVALID_FIELD for a lookup by external id", []string{
			"INVALID_FIELD:Foreign key external ID: course-17 not found for field nplms__External_Id__c in entity nplms__Course__c:--",
			"INVALID_FIELD:Foreign key external ID: intro to sf not found for field nplms__External_Id__c in entity nplms__Course__c:--"},
			"INVALID_FIELD:Foreign key external ID: <value> not found for field nplms__External_Id__c in entity nplms__Course__c",
			"INVALID_FIELD:Foreign key external ID: course-17 not found for field nplms__External_Id__c in entity nplms__Course__c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStats(nil)
			for i, d := range tt.details {
				s.reason(runfolder.Failed, failureClass(d), 10+i)
			}
			got := s.Reasons()
			if len(got) != 1 {
				t.Fatalf("%d reasons, want 1:\n%s", len(got), reasonList(got))
			}
			r := got[0]
			if r.Reason != tt.want {
				t.Errorf("reason\n got %q\nwant %q", r.Reason, tt.want)
			}
			if r.Example != tt.example {
				t.Errorf("example\n got %q\nwant %q", r.Example, tt.example)
			}
			wantLines := []int{10, 11, 12, 13, 14}[:min(maxExamples, len(tt.details))]
			if r.Count != len(tt.details) || r.Outcome != "failed" || !slices.Equal(r.Examples, wantLines) {
				t.Errorf("%s: %d rows, lines %v; want failed: %d rows, lines %v", r.Outcome, r.Count, r.Examples, len(tt.details), wantLines)
			}
		})
	}
}

// emails are n INVALID_EMAIL_ADDRESS errors of as many rows, each with its own address.
func emails(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("INVALID_EMAIL_ADDRESS:Email: invalid email address: learner%d@@example.com:--", i)
	}
	return out
}

// TestFailureClassApart: messages that differ by more than a value stay apart.
func TestFailureClassApart(t *testing.T) {
	details := []string{
		"REQUIRED_FIELD_MISSING:Required fields are missing: [nplms__Course__c]:nplms__Course__c --",
		"REQUIRED_FIELD_MISSING:Required fields are missing: [nplms__User__c]:nplms__User__c --",
		"STRING_TOO_LONG:Course Name: data value too large: abc (max length=3):nplms__Course_Name__c --",
		"STRING_TOO_LONG:Learner Name: data value too large: abc (max length=3):nplms__Learner_Name__c --",
		"INVALID_EMAIL_ADDRESS:Email: invalid email address: x@@y:--",
		"INVALID_EMAIL_ADDRESS:Manager Email: invalid email address: x@@y:--",
		"FIELD_CUSTOM_VALIDATION_EXCEPTION:Completion date cannot be before the enrollment date:--",
		"FIELD_CUSTOM_VALIDATION_EXCEPTION:Progress is required for completed enrollments:--",
		"INVALID_FIELD:Failed to deserialize field at col 5. Due to, x is not a valid value for the type xsd:date:--",
		"INVALID_FIELD:Failed to deserialize field at col 5. Due to, x is not a valid value for the type xsd:dateTime:--",
	}
	s := newStats(nil)
	for i, d := range details {
		s.reason(runfolder.Failed, failureClass(d), i+2)
	}
	if got := s.Reasons(); len(got) != len(details) {
		t.Errorf("%d reasons, want %d (one per message):\n%s", len(got), len(details), reasonList(got))
	}
}

// TestRejectClassGroups: rows rejected for the same cause in different rows, with
// different values, make one reason; another column or cause is another reason.
func TestRejectClassGroups(t *testing.T) {
	rejected := func(line int, e *csvdiff.RowError) *csvdiff.Row {
		e.Line = line
		return &csvdiff.Row{Line: line, Outcome: csvdiff.Rejected, Err: e, Detail: e.Reason()}
	}
	badDate := func(line int, value string) *csvdiff.Row {
		return rejected(line, &csvdiff.RowError{Column: 5, Field: "Enrollment Date", Err: csvdiff.ErrBadDate, Value: value})
	}
	rows := []*csvdiff.Row{
		badDate(3, "31/31/2025"), badDate(7, "2025-13-01"), badDate(8, "yesterday"), badDate(12, ""), badDate(15, "01.02.2025 25:00"),
		badDate(20, "32/01/2025"),
		rejected(4, &csvdiff.RowError{Column: 7, Field: "Updated At", Err: csvdiff.ErrBadDate, Value: "31/31/2025"}),
		rejected(5, &csvdiff.RowError{Err: fmt.Errorf("%w: %d fields, the header has %d", csvdiff.ErrFieldCount, 5, 7)}),
		rejected(6, &csvdiff.RowError{Err: fmt.Errorf("%w: %d fields, the header has %d", csvdiff.ErrFieldCount, 9, 7)}),
		rejected(9, &csvdiff.RowError{Column: 3, Field: "Learner Name", Err: fmt.Errorf("%w at byte %d of the field", csvdiff.ErrInvalidUTF8, 4)}),
		rejected(10, &csvdiff.RowError{Column: 3, Field: "Learner Name", Err: fmt.Errorf("%w at byte %d of the field", csvdiff.ErrInvalidUTF8, 17)}),
	}
	s := newStats(nil)
	for _, r := range rows {
		s.observe(r)
	}
	want := []Reason{
		{Outcome: "rejected", Reason: `column "Enrollment Date": unparseable date`, Count: 6, Examples: []int{3, 7, 8, 12, 15}},
		{Outcome: "rejected", Reason: `column "Learner Name": invalid UTF-8`, Count: 2, Examples: []int{9, 10}},
		{Outcome: "rejected", Reason: "wrong number of fields", Count: 2, Examples: []int{5, 6}},
		{Outcome: "rejected", Reason: `column "Updated At": unparseable date`, Count: 1, Examples: []int{4}},
	}
	got := s.Reasons()
	if reasonList(got) != reasonList(want) {
		t.Errorf("reasons\n got:\n%s\nwant:\n%s", reasonList(got), reasonList(want))
	}
}

// TestReasonsBounded: past maxReasons distinct reasons, the rest count as "other reasons".
func TestReasonsBounded(t *testing.T) {
	s := newStats(nil)
	for i := range maxReasons + 50 {
		s.reason(runfolder.Failed, failureClass(fmt.Sprintf("FIELD_CUSTOM_VALIDATION_EXCEPTION:rule %c%c fired:--", 'a'+i/26, 'a'+i%26)), i+2)
	}
	got := s.Reasons()
	if len(got) != maxReasons+1 {
		t.Fatalf("%d reasons, want %d", len(got), maxReasons+1)
	}
	if r := got[0]; r.Reason != "other reasons" || r.Count != 50 || r.Example != "" {
		t.Errorf("first reason %+v, want other reasons of 50 rows", r)
	}
}

func reasonList(rs []Reason) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s %q %d %v %q\n", r.Outcome, r.Reason, r.Count, r.Examples, r.Example)
	}
	return b.String()
}
