package sftest_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const notFound = `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`

// closedJob creates, uploads and closes an upsert job without waiting for it.
func closedJob(t *testing.T, s *sftest.Server, data string) string {
	t.Helper()
	info := createJob(t, s, upsertJob)
	upload(t, s, info, data)
	id := info["id"].(string)
	if r := do(t, s, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	return id
}

func TestSetJobState(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithJobDelay(time.Hour))
	data := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c\nk1,a@example.com,c1\nk2,b@example.com,c1\n"
	for _, state := range []string{"Aborted", "Failed"} {
		id := closedJob(t, s, data)
		if err := s.SetJobState(id, state, "InternalServerError : retried 20 times"); err != nil {
			t.Fatal(err)
		}
		var info map[string]any
		do(t, s, "GET", v+"/jobs/ingest/"+id, "").json(t, &info)
		if info["state"] != state || (state == "Failed") != (info["errorMessage"] == "InternalServerError : retried 20 times") {
			t.Errorf("job info = %v", info)
		}
		if rows := results(t, s, id, "unprocessedrecords"); len(rows) != 3 || rows[1][0] != "k1" {
			t.Errorf("%s: unprocessed = %v", state, rows)
		}
		if err := s.SetJobState(id, "Aborted", ""); err == nil {
			t.Error("SetJobState of an ended job: no error")
		}
	}
	if len(s.Records(enrollObj)) != 12 {
		t.Error("an ended job wrote records")
	}
	if err := s.SetJobState("750000000000000AAA", "Aborted", ""); err == nil {
		t.Error("SetJobState of an unknown job: no error")
	}
}

func TestJobRetention(t *testing.T) {
	clk := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := sftest.NewServer(t, sftest.WithClock(clk.now))
	data := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c\nk1,a@example.com,c1\n"
	old := runJob(t, s, upsertJob, data)["id"].(string)
	clk.add(2 * time.Hour)
	recent := runJob(t, s, upsertJob, data)["id"].(string)
	s.SetJobRetention(time.Hour + time.Minute)
	gone := func(id string) bool {
		t.Helper()
		for _, call := range []struct{ method, path, body string }{
			{"GET", v + "/jobs/ingest/" + id, ""}, {"PATCH", v + "/jobs/ingest/" + id, `{"state":"Aborted"}`},
			{"GET", v + "/jobs/ingest/" + id + "/successfulResults/", ""}, {"GET", v + "/jobs/ingest/" + id + "/failedResults/", ""},
			{"GET", v + "/jobs/ingest/" + id + "/unprocessedrecords/", ""}, {"DELETE", v + "/jobs/ingest/" + id, ""},
		} {
			r := do(t, s, call.method, call.path, call.body)
			if r.status != 404 {
				return false
			}
			if string(r.body) != notFound {
				t.Errorf("%s %s: %s, want %s", call.method, call.path, r.body, notFound)
			}
		}
		return true
	}
	if !gone(old) || gone(recent) {
		t.Errorf("after 2h with a 61m retention: old gone %v, recent gone %v", gone(old), gone(recent))
	}
	var list struct{ Records []map[string]any }
	do(t, s, "GET", v+"/jobs/ingest", "").json(t, &list)
	if len(list.Records) != 1 || list.Records[0]["id"] != recent {
		t.Errorf("job list = %v", list.Records)
	}
	s.ExpireJobs()
	if !gone(recent) {
		t.Error("ExpireJobs left a job")
	}
}

func TestSetMaxUploadBytes(t *testing.T) {
	s := sftest.NewServer(t)
	s.SetMaxUploadBytes(10)
	info := createJob(t, s, upsertJob)
	if r := upload(t, s, info, "nplms__External_Id__c\nk1\n"); r.status != 400 || r.errorCode(t) != "EXCEEDED_MAX_SIZE_REQUEST" {
		t.Errorf("upload over the limit: %d %s", r.status, r.body)
	}
}

func TestLockContention(t *testing.T) {
	s := sftest.NewServer(t)
	s.SetLockContention("nplms__learner_email__c", 2)
	// Batches of 2: [r1 r2] [r3 r4] [r5].
	data := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c\n" +
		"r1,a@example.com,c1\nr2,b@example.com,c1\nr3,A@example.com,c1\nr4,c@example.com,c1\nr5,b@example.com,c1\n"
	info := runJob(t, s, upsertJob, data)
	succ, fail := resultsByKey(t, s, info["id"].(string), 0)
	for _, k := range []string{"r1", "r2", "r4"} {
		if succ[k] == nil {
			t.Errorf("%s failed: %v", k, fail[k])
		}
	}
	for k, holder := range map[string]string{"r3": "r1", "r5": "r2"} {
		want := "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: " + succ[holder][0] + ":--"
		if fail[k] == nil || fail[k][1] != want {
			t.Errorf("%s: %v, want %s", k, fail[k], want)
		}
	}
	s.SetLockContention("", 0)
	info = runJob(t, s, upsertJob, data)
	if info["numberRecordsFailed"].(float64) != 0 {
		t.Errorf("contention off: %v failed", info["numberRecordsFailed"])
	}
}

func TestBulkBatchAllocation(t *testing.T) {
	s := sftest.NewServer(t)
	var limits map[string]map[string]int
	do(t, s, "GET", v+"/limits", "").json(t, &limits)
	if l := limits["DailyBulkApiBatches"]; l["Max"] != 15000 || l["Remaining"] != 15000 {
		t.Errorf("DailyBulkApiBatches = %v", l)
	}
	s.SetBulkBatchesRemaining(1)
	data := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c\nk1,a@example.com,c1\nk2,b@example.com,c1\n"
	if info := runJob(t, s, upsertJob, data); info["state"] != "JobComplete" {
		t.Fatalf("first job: %v", info)
	}
	info := runJob(t, s, upsertJob, data)
	msg, _ := info["errorMessage"].(string)
	if info["state"] != "Failed" || !strings.HasPrefix(msg, "ExceededQuota : ") || !strings.Contains(msg, "DailyBulkApiBatches") {
		t.Errorf("job over the allocation: %v", info)
	}
	if rows := results(t, s, info["id"].(string), "unprocessedrecords"); len(rows) != 3 {
		t.Errorf("unprocessed = %v", rows)
	}
	if got := s.Limits()["DailyBulkApiBatches"].Remaining; got != 0 {
		t.Errorf("remaining = %d", got)
	}
}

// TestSalesforceCLIEndpoints: what the sf CLI calls besides the data APIs.
func TestSalesforceCLIEndpoints(t *testing.T) {
	s := sftest.NewServer(t)
	var res map[string]string
	if r := do(t, s, "GET", v, ""); r.status != 200 {
		t.Fatalf("resources: %d %s", r.status, r.body)
	} else {
		r.json(t, &res)
	}
	if res["sobjects"] != v+"/sobjects" || res["query"] != v+"/query" || !strings.Contains(res["identity"], "/id/") {
		t.Errorf("resources = %v", res)
	}
	userID := sftest.DemoSeed().User(apiUser).ID
	var user map[string]any
	do(t, s, "GET", v+"/sobjects/User/"+userID, "").json(t, &user)
	if user["Username"] != apiUser || user["Id"] != userID || user["attributes"].(map[string]any)["type"] != "User" {
		t.Errorf("user = %v", user)
	}
	if r := do(t, s, "GET", v+"/sobjects/User/005000000000000AAA", ""); r.status != 404 || string(r.body) != notFound {
		t.Errorf("unknown user: %d %s", r.status, r.body)
	}
	if r := do(t, s, "GET", "/"+v+"//limits", ""); r.status != 200 {
		t.Errorf("//services path: %d %s", r.status, r.body)
	}
	var cols map[string]any
	do(t, s, "GET", v+"/query?columns=true&q=SELECT+Id,+Email,+CreatedBy.Name,+CreatedBy.Profile.Name+FROM+Contact", "").json(t, &cols)
	got := fmt.Sprint(cols["entityName"], " ", columnNames(cols["columnMetadata"]))
	if got != "Contact [Id Email CreatedBy[Name Profile[Name]]]" {
		t.Errorf("columns = %s", got)
	}
}

// columnNames flattens columnMetadata as name[joins].
func columnNames(v any) []string {
	var out []string
	for _, c := range v.([]any) {
		m := c.(map[string]any)
		name := m["columnName"].(string)
		if joins := m["joinColumns"].([]any); len(joins) > 0 {
			name += fmt.Sprint(columnNames(joins))
		}
		out = append(out, name)
	}
	return out
}

// TestQueryJobHeaderSpelling reads the raw response: Salesforce spells the header
// Sforce-NumberOfRecords, which Go's Header.Set would write Sforce-Numberofrecords.
func TestQueryJobHeaderSpelling(t *testing.T) {
	s := sftest.NewServer(t)
	var info map[string]any
	do(t, s, "POST", v+"/jobs/query", `{"operation":"query","query":"SELECT Id FROM Contact"}`).json(t, &info)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s/jobs/query/%s/results HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", v, info["id"], s.AccessToken())
	raw, _ := io.ReadAll(bufio.NewReader(conn))
	for _, h := range []string{"\r\nSforce-NumberOfRecords: 10\r\n", "\r\nSforce-Locator: null\r\n", "\r\nSforce-Limit-Info: api-usage="} {
		if !strings.Contains(string(raw), h) {
			t.Errorf("response lacks %q:\n%s", strings.TrimSpace(h), raw)
		}
	}
}
