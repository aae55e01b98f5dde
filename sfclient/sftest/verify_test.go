package sftest_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	updateJob = `{"object":"nplms__Enrollment__c","operation":"update"}`
	deleteJob = `{"object":"nplms__Enrollment__c","operation":"delete"}`
	avaKey    = "ca3018cc-52fa-4db6-966d-d3bf303d804c"
	avaID     = "a0E5g0000000301EAA"
)

// resultsByKey returns the result rows of job id (successfulResults, failedResults) keyed
// by the value of column col of the upload.
func resultsByKey(t *testing.T, s *sftest.Server, id string, col int) (succ, fail map[string][]string) {
	t.Helper()
	succ, fail = map[string][]string{}, map[string][]string{}
	for _, r := range results(t, s, id, "successfulResults")[1:] {
		succ[r[2+col]] = r
	}
	for _, r := range results(t, s, id, "failedResults")[1:] {
		fail[r[2+col]] = r
	}
	return succ, fail
}

// TestExternalIDCase: external ids compare case-insensitively unless the field is
// caseSensitive, in upsert matching, in the duplicate check of one job and in SOQL.
func TestExternalIDCase(t *testing.T) {
	for _, sensitive := range []bool{false, true} {
		t.Run(map[bool]string{false: "insensitive", true: "caseSensitive"}[sensitive], func(t *testing.T) {
			seed := sftest.DemoSeed()
			for i, f := range seed.Object(enrollObj).Fields {
				if f.Name == extField {
					seed.Object(enrollObj).Fields[i].CaseSensitive = sensitive
				}
			}
			s := sftest.NewServer(t, sftest.WithSeed(seed))
			var desc struct{ Fields []map[string]any }
			do(t, s, "GET", v+"/sobjects/"+enrollObj+"/describe", "").json(t, &desc)
			for _, f := range desc.Fields {
				if f["name"] == extField && f["caseSensitive"] != sensitive {
					t.Errorf("describe caseSensitive = %v", f["caseSensitive"])
				}
			}
			upper := strings.ToUpper(avaKey)
			data := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Updated_At__c,nplms__Course_Id__c\n" +
				upper + ",ava@example.com,2026-01-01T00:00:00Z,c1\nCaseKey,k1@example.com,,c1\ncasekey,k2@example.com,,c1\n"
			info := runJob(t, s, upsertJob, data)
			succ, fail := resultsByKey(t, s, info["id"].(string), 0)
			if got := succ[upper]; got == nil || (got[0] == avaID) == sensitive || got[1] != map[bool]string{false: "false", true: "true"}[sensitive] {
				t.Errorf("upsert of %s: %v", upper, got)
			}
			for _, k := range []string{"CaseKey", "casekey"} {
				dupFailed := fail[k] != nil && strings.HasPrefix(fail[k][1], "DUPLICATE_EXTERNAL_ID:Duplicate external id specified: "+k)
				if dupFailed == sensitive {
					t.Errorf("%s: failed %v, want DUPLICATE_EXTERNAL_ID %v", k, fail[k], !sensitive)
				}
			}
			want := map[bool]int{false: 1, true: 0}[sensitive]
			for _, q := range []string{
				"SELECT Id FROM nplms__Enrollment__c WHERE nplms__External_Id__c = '" + upper + "' AND Id = '" + avaID + "'",
				"SELECT Id FROM nplms__Enrollment__c WHERE nplms__External_Id__c IN ('x', '" + upper + "') AND Id = '" + avaID + "'",
				"SELECT Id FROM nplms__Enrollment__c WHERE Id = '" + avaID + "' AND (NOT nplms__External_Id__c != '" + upper + "')",
				"SELECT Id FROM nplms__Enrollment__c WHERE Id = '" + avaID + "' AND (NOT nplms__External_Id__c NOT IN ('" + upper + "'))",
			} {
				if got := mustQuery(t, s, q).TotalSize; got != want {
					t.Errorf("%s: %d records, want %d", q, got, want)
				}
			}
		})
	}
}

// TestUpdateAndDeleteJobs: update and delete jobs by Id, soft delete to the Recycle Bin,
// and the row errors of unknown, deleted and malformed ids.
func TestUpdateAndDeleteJobs(t *testing.T) {
	s := sftest.NewServer(t)
	other := s.Records(enrollObj)[1]["Id"].(string)
	data := "Id,nplms__Status__c,nplms__Updated_At__c\n" +
		avaID + ",completed,2026-01-01T00:00:00Z\n" +
		other + ",completed,2020-01-01T00:00:00Z\n" +
		"a0E5g0000000999EAA,completed,\nbogus,completed,\n"
	info := runJob(t, s, updateJob, data)
	succ, fail := resultsByKey(t, s, info["id"].(string), 0)
	if r := succ[avaID]; r == nil || r[0] != avaID || r[1] != "false" {
		t.Errorf("update: %v", r)
	}
	wantErr := map[string]string{
		other:                "FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to old timestamp:--",
		"a0E5g0000000999EAA": "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
		"bogus":              "MALFORMED_ID:Enrollment ID: id value of incorrect type: bogus:Id --",
	}
	for id, want := range wantErr {
		if r := fail[id]; r == nil || r[1] != want {
			t.Errorf("update %s: %v, want %s", id, r, want)
		}
	}

	info = runJob(t, s, deleteJob, "Id\n"+avaID+"\n")
	if succ := results(t, s, info["id"].(string), "successfulResults"); len(succ) != 2 || succ[1][0] != avaID || succ[1][1] != "false" {
		t.Fatalf("delete results: %v", succ)
	}
	q := "SELECT Id, IsDeleted FROM nplms__Enrollment__c WHERE Id = '" + avaID + "'"
	if n := mustQuery(t, s, q).TotalSize; n != 0 {
		t.Errorf("query sees the deleted record")
	}
	var all queryResult
	do(t, s, "GET", v+"/queryAll?q="+strings.ReplaceAll(q, " ", "+"), "").json(t, &all)
	if all.TotalSize != 1 || all.Records[0]["IsDeleted"] != true {
		t.Errorf("queryAll: %+v", all)
	}
	for _, r := range s.Records(enrollObj) {
		if r["Id"] == avaID {
			t.Error("Records lists the deleted record")
		}
	}
	if del := s.DeletedRecords(enrollObj); len(del) != 1 || del[0]["Id"] != avaID || del[0]["IsDeleted"] != true {
		t.Errorf("DeletedRecords = %v", del)
	}
	for _, job := range []struct{ create, data string }{{updateJob, "Id,nplms__Status__c\n" + avaID + ",enrolled\n"}, {deleteJob, "Id\n" + avaID + "\n"}} {
		info := runJob(t, s, job.create, job.data)
		if fail := results(t, s, info["id"].(string), "failedResults"); len(fail) != 2 || fail[1][1] != "ENTITY_IS_DELETED:entity is deleted:--" {
			t.Errorf("%s of a deleted record: %v", job.create, fail)
		}
	}
}

// clock is a settable server clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

func TestEditAndDeleteRecord(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := sftest.NewServer(t, sftest.WithClock(newClock(at).now))
	if err := s.EditRecord(enrollObj, avaID, map[string]any{"nplms__Status__c": "completed", "nplms__Progress_Percentage__c": 100.0}); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	for _, r := range s.Records(enrollObj) {
		if r["Id"] == avaID {
			rec = r
		}
	}
	admin := sftest.DemoSeed().User(adminUser).ID
	if rec["nplms__Status__c"] != "completed" || rec["nplms__Progress_Percentage__c"] != 100.0 || rec["LastModifiedById"] != admin ||
		!rec["LastModifiedDate"].(time.Time).Equal(at) || !rec["SystemModstamp"].(time.Time).Equal(at) {
		t.Errorf("edited record = %v", rec)
	}
	if err := s.EditRecord(enrollObj, avaID, map[string]any{"Nope__c": 1.0}); err == nil {
		t.Error("EditRecord of an unknown field: no error")
	}
	if err := s.DeleteRecord(enrollObj, avaID); err != nil {
		t.Fatal(err)
	}
	if del := s.DeletedRecords(enrollObj); len(del) != 1 || del[0]["LastModifiedById"] != admin {
		t.Errorf("DeletedRecords = %v", del)
	}
	if err := s.DeleteRecord(enrollObj, avaID); err == nil {
		t.Error("second DeleteRecord: no error")
	}
	if err := s.EditRecord(enrollObj, "a0E5g0000000999EAA", nil); err == nil {
		t.Error("EditRecord of an unknown record: no error")
	}
}
