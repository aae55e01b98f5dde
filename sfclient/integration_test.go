package sfclient_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	demoClientID     = "3MVG9backfill.demo.client.id"
	demoClientSecret = "demo-client-secret"
	demoUser         = "northpass.integration@demo.example.com"
	demoAdmin        = "admin@demo.example.com"
	enrollment       = "nplms__Enrollment__c"
	extID            = "nplms__External_Id__c"
)

// emulated starts an sftest org and a client on it with a bare access token.
func emulated(t *testing.T, opts ...sftest.Option) (*sftest.Server, *sfclient.Client) {
	t.Helper()
	s := sftest.NewServer(t, opts...)
	c, err := sfclient.New(t.Context(), emuConfig(s, sfclient.Credentials{AccessToken: s.AccessToken()}), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// demoJWTKey returns the private key of the demo seed's connected app.
func demoJWTKey(t *testing.T) []byte {
	t.Helper()
	key, err := os.ReadFile("../testdata/orgs/demo-jwt-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func emuConfig(s *sftest.Server, cr sfclient.Credentials) sfclient.Config {
	return sfclient.Config{
		InstanceURL:  s.URL,
		LoginURL:     s.URL,
		Credentials:  cr,
		Retry:        sfclient.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond,
	}
}

func TestEmulatorQueryPaging(t *testing.T) {
	seed := sftest.DemoSeed()
	contacts := seed.Object("Contact")
	base := len(contacts.Records)
	for i := 0; i < 2500; i++ {
		contacts.Records = append(contacts.Records, map[string]any{"FirstName": "Q", "LastName": fmt.Sprintf("O'Brien %04d", i),
			"Name": fmt.Sprintf("Q O'Brien %04d", i), "Email": fmt.Sprintf("q%04d@example.com", i)})
	}
	s, c := emulated(t, sftest.WithSeed(seed))
	n, seen := 0, map[string]bool{}
	err := c.Query(t.Context(), "SELECT Id, LastName FROM Contact", func(r sfclient.Record) error {
		n++
		seen[r.String("Id")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := base + 2500; n != want || len(seen) != want {
		t.Errorf("records %d (distinct %d), want %d", n, len(seen), want)
	}
	if calls := s.Calls(); calls["query"] != 1 || calls["query-more"] != 1 {
		t.Errorf("server calls = %v, want one query and one query-more", calls)
	}
	if got := c.CallCounts()[sfclient.CallQuery]; got != 2 {
		t.Errorf("client query calls = %d", got)
	}
	cnt, err := c.Count(t.Context(), "SELECT COUNT() FROM Contact WHERE LastName LIKE "+sfclient.QuoteLike("O'Brien 00")+"")
	if err != nil || cnt != 0 { // LIKE without % matches exactly; none is named "O'Brien 00"
		t.Errorf("Count = %d, %v", cnt, err)
	}
	cnt, err = c.Count(t.Context(), "SELECT COUNT() FROM Contact WHERE LastName = "+sfclient.QuoteString("O'Brien 0042"))
	if err != nil || cnt != 1 {
		t.Errorf("Count(quoted) = %d, %v", cnt, err)
	}
}

func TestEmulatorInBatches(t *testing.T) {
	s, c := emulated(t)
	var keys []string
	for _, r := range s.Records(enrollment) {
		keys = append(keys, r[extID].(string))
	}
	keys = append(keys, `missing'\key`, "new\nline")
	found := 0
	err := sfclient.InBatches("SELECT Id, "+extID+" FROM "+enrollment+" WHERE "+extID+" IN ", "", keys, func(soql string) error {
		return c.Query(t.Context(), soql, func(sfclient.Record) error { found++; return nil })
	})
	if err != nil || found != len(keys)-2 {
		t.Errorf("found %d of %d existing keys, err %v", found, len(keys)-2, err)
	}
}

func TestEmulatorReads(t *testing.T) {
	_, c := emulated(t)
	ctx := t.Context()
	pkgs, err := c.InstalledPackages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var np *sfclient.InstalledPackage
	for i := range pkgs {
		if pkgs[i].Name == "Northpass" {
			np = &pkgs[i]
		}
	}
	if np == nil || np.Namespace != "nplms" || np.Version != (sfclient.PackageVersion{Major: 2, Minor: 1, Patch: 0, Build: 3}) {
		t.Errorf("Northpass package = %+v (all: %+v)", np, pkgs)
	}
	if min, _ := sfclient.ParsePackageVersion("2.1"); np != nil && np.Version.Compare(min) < 0 {
		t.Errorf("version %v < 2.1", np.Version)
	}
	g, err := c.DescribeGlobal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range g.SObjects {
		found = found || (o.Name == enrollment && o.Label == "Enrollment")
	}
	if !found {
		t.Errorf("describe global lacks the Enrollment object: %+v", g.SObjects)
	}
	d, err := c.Describe(ctx, enrollment)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := d.Field(extID); !ok || !f.ExternalID {
		t.Errorf("external id field = %+v", f)
	}
	if _, err := c.Describe(ctx, "Nope__c"); err == nil {
		t.Error("describe of an unknown object succeeded")
	} else if ae := new(sfclient.APIError); !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Errorf("describe unknown = %v, want 404", err)
	}
	lim, err := c.Limits(ctx)
	if err != nil || lim["DailyApiRequests"].Max != 15000 {
		t.Errorf("Limits = %v, %v", lim["DailyApiRequests"], err)
	}
	if li, ok := c.LastLimitInfo(); !ok || li.Max != 15000 || li.Used == 0 {
		t.Errorf("LastLimitInfo = %v, %v", li, ok)
	}
	ui, err := c.UserInfo(ctx)
	if err != nil || ui.PreferredUsername != demoUser || ui.UserID == "" {
		t.Fatalf("UserInfo = %+v, %v", ui, err)
	}
	uid, err := c.CurrentUserID(ctx)
	if err != nil || uid != ui.UserID {
		t.Errorf("CurrentUserID = %q, %v", uid, err)
	}
	org, err := c.Organization(ctx)
	if err != nil || org.Name != "Acme Learning (demo)" || org.IsSandbox || org.OrganizationType != "Enterprise Edition" {
		t.Errorf("Organization = %+v, %v", org, err)
	}
	u, err := c.User(ctx, uid)
	if err != nil || u.ProfileName != "Northpass Integration" || u.ProfilePermissionsModifyAllData || !u.IsActive {
		t.Errorf("User = %+v, %v", u, err)
	}
	psas, err := c.PermissionSetAssignments(ctx, uid)
	if err != nil || len(psas) != 2 {
		t.Errorf("PermissionSetAssignments = %+v, %v", psas, err)
	}
	if psas, err := c.PermissionSetAssignments(ctx, "0055g0000000102AAA"); err != nil || !modifyAll(psas) {
		t.Errorf("PermissionSetAssignments(admin) = %+v, %v: want Modify All Data", psas, err)
	}
	counts := c.CallCounts()
	for _, k := range []string{sfclient.CallTooling, sfclient.CallDescribe, sfclient.CallLimits, sfclient.CallIdentity, sfclient.CallQuery} {
		if counts[k] == 0 {
			t.Errorf("CallCounts[%s] = 0: %v", k, counts)
		}
	}
}

func TestEmulatorAuthFlows(t *testing.T) {
	key, err := os.ReadFile("../testdata/orgs/demo-jwt-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		creds sfclient.Credentials
		ver   string
		user  string
	}{
		{"Password", sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret, Username: demoUser, Password: "demo-password", SecurityToken: "DEMOTOKEN"}, "", demoUser},
		{"ClientCredentials", sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret}, "", demoUser},
		{"JWT", sfclient.Credentials{ClientID: demoClientID, Username: demoAdmin, JWTKey: key}, "", demoAdmin},
		{"SOAP", sfclient.Credentials{Username: demoUser, Password: "demo-password", SecurityToken: "DEMOTOKEN"}, "64.0", demoUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sftest.NewServer(t)
			cfg := emuConfig(s, tt.creds)
			cfg.APIVersion = tt.ver
			c, err := sfclient.New(t.Context(), cfg, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			ui, err := c.UserInfo(t.Context())
			if err != nil || ui.PreferredUsername != tt.user {
				t.Fatalf("UserInfo = %+v, %v", ui, err)
			}
			// Every session now expires after one call: each call logs in again and replays.
			s.ExpireSessionsAfter(1)
			if _, err := c.Limits(t.Context()); err != nil {
				t.Fatalf("Limits after expiry: %v", err)
			}
			if _, err := c.Organization(t.Context()); err != nil {
				t.Fatalf("Organization after expiry: %v", err)
			}
			if got := c.CallCounts()[sfclient.CallAuth]; got != 3 {
				t.Errorf("auth calls = %d, want 3 (login + two re-logins)", got)
			}
		})
	}
	t.Run("BadPassword", func(t *testing.T) {
		s := sftest.NewServer(t)
		_, err := sfclient.New(t.Context(), emuConfig(s, sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret,
			Username: demoUser, Password: "wrong"}), nil)
		var ae *sfclient.APIError
		if !errors.As(err, &ae) || ae.Code != "invalid_grant" || strings.Contains(err.Error(), "wrong") {
			t.Errorf("New = %v", err)
		}
	})
	t.Run("BadSOAPPassword", func(t *testing.T) {
		s := sftest.NewServer(t)
		cfg := emuConfig(s, sfclient.Credentials{Username: demoUser, Password: "wrong"})
		cfg.APIVersion = "62.0"
		_, err := sfclient.New(t.Context(), cfg, nil)
		var ae *sfclient.APIError
		if !errors.As(err, &ae) || ae.Code != "INVALID_LOGIN" {
			t.Errorf("New = %v", err)
		}
	})
}

// enrollmentRows returns n new enrollment rows with unique external ids.
func enrollmentRows(n int) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("bf-%04d", i), fmt.Sprintf("Learner %d", i), fmt.Sprintf("learner%d@example.com", i), "2025-12-01T10:00:00Z", "c1"}
	}
	return rows
}

var enrollmentHeader = []string{extID, "nplms__Learner_Name__c", "nplms__Learner_Email__c", "nplms__Enrollment_Date__c", "nplms__Course_Id__c"}

// loadRows upserts rows in as many jobs as it takes to keep each upload (header included)
// within maxBytes (0: one job), closing each, and returns the job ids in order.
func loadRows(t *testing.T, c *sfclient.Client, maxBytes int, rows [][]string) []string {
	t.Helper()
	encode := func(rec []string) string {
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.Write(rec)
		w.Flush()
		return b.String()
	}
	header := encode(enrollmentHeader)
	var ids []string
	var body strings.Builder
	send := func() {
		if body.Len() == 0 {
			return
		}
		j, err := c.CreateIngestJob(t.Context(), sfclient.JobSpec{Object: enrollment, Operation: "upsert", ExternalIDFieldName: extID})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UploadJobData(t.Context(), j.ID, strings.NewReader(header+body.String())); err != nil {
			t.Fatalf("UploadJobData: %v", err)
		}
		if _, err := c.CloseJob(t.Context(), j.ID); err != nil {
			t.Fatalf("CloseJob: %v", err)
		}
		ids = append(ids, j.ID)
		body.Reset()
	}
	for _, r := range rows {
		rec := encode(r)
		if maxBytes > 0 && len(header)+body.Len()+len(rec) > maxBytes {
			send()
		}
		body.WriteString(rec)
	}
	send()
	return ids
}

func modifyAll(psas []sfclient.PermissionSetAssignment) bool {
	for _, p := range psas {
		if p.PermissionsModifyAllData {
			return true
		}
	}
	return false
}

func TestEmulatorBulkUpsert(t *testing.T) {
	s, c := emulated(t)
	before := len(s.Records(enrollment))
	rows := enrollmentRows(25)
	s.FailRow("bf-0007", "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--")
	ids := loadRows(t, c, 400, rows)
	if len(ids) < 3 {
		t.Fatalf("jobs = %v, want several jobs at 400 bytes", ids)
	}
	var succeeded, failed int
	for _, id := range ids {
		j, err := c.WaitJob(t.Context(), id, nil)
		if err != nil {
			t.Fatalf("WaitJob(%s) = %v", id, err)
		}
		var ok, bad bytes.Buffer
		if _, err := c.JobResults(t.Context(), id, sfclient.ResultsSuccessful, &ok); err != nil {
			t.Fatal(err)
		}
		if _, err := c.JobResults(t.Context(), id, sfclient.ResultsFailed, &bad); err != nil {
			t.Fatal(err)
		}
		okRows, badRows := readCSV(t, &ok), readCSV(t, &bad)
		if okRows[0][0] != "sf__Id" || okRows[0][1] != "sf__Created" || badRows[0][1] != "sf__Error" {
			t.Errorf("result headers %v / %v", okRows[0], badRows[0])
		}
		succeeded += len(okRows) - 1
		failed += len(badRows) - 1
		if int64(len(okRows)-1+len(badRows)-1) != j.NumberRecordsProcessed || int64(len(badRows)-1) != j.NumberRecordsFailed {
			t.Errorf("job %s counters %d/%d vs results %d/%d", id, j.NumberRecordsProcessed, j.NumberRecordsFailed, len(okRows)-1, len(badRows)-1)
		}
	}
	if succeeded != 24 || failed != 1 {
		t.Errorf("succeeded %d, failed %d; want 24 and 1", succeeded, failed)
	}
	if got := len(s.Records(enrollment)); got != before+24 {
		t.Errorf("records %d, want %d", got, before+24)
	}
	for _, j := range s.Jobs() {
		if j.UploadedBytes > 400 {
			t.Errorf("job %s uploaded %d bytes > 400", j.ID, j.UploadedBytes)
		}
	}
	counts := c.CallCounts()
	if counts[sfclient.CallBulkCreate] != len(ids) || counts[sfclient.CallBulkUpload] != len(ids) || counts[sfclient.CallBulkClose] != len(ids) {
		t.Errorf("CallCounts = %v for %d jobs", counts, len(ids))
	}
	// Upserting the same rows again updates them (sf__Created false).
	ids = loadRows(t, c, 0, rows[:3])
	if len(ids) != 1 {
		t.Fatalf("jobs = %v", ids)
	}
	if _, err := c.WaitJob(t.Context(), ids[0], nil); err != nil {
		t.Fatal(err)
	}
	var ok bytes.Buffer
	c.JobResults(t.Context(), ids[0], sfclient.ResultsSuccessful, &ok)
	for _, r := range readCSV(t, &ok)[1:] {
		if r[1] != "false" {
			t.Errorf("re-upsert row %v: sf__Created should be false", r)
		}
	}
}

func TestEmulatorBulkFailedJob(t *testing.T) {
	_, c := emulated(t)
	job, err := c.CreateIngestJob(t.Context(), sfclient.JobSpec{Object: enrollment, Operation: "upsert", ExternalIDFieldName: extID})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadJobData(t.Context(), job.ID, strings.NewReader(extID+",No_Such_Field__c\nk1,x\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CloseJob(t.Context(), job.ID); err != nil {
		t.Fatal(err)
	}
	ids := []string{job.ID}
	j, err := c.WaitJob(t.Context(), ids[0], nil)
	if !errors.Is(err, sfclient.ErrJobFailed) || !strings.Contains(j.ErrorMessage, "No_Such_Field__c") {
		t.Errorf("WaitJob = %+v, %v", j, err)
	}
	var un bytes.Buffer
	if _, err := c.JobResults(t.Context(), ids[0], sfclient.ResultsUnprocessed, &un); err != nil {
		t.Errorf("UnprocessedRecords: %v", err)
	}
}

func TestEmulatorIngestWithExpiringSessions(t *testing.T) {
	// Every token is good for one call, so the upload itself meets a 401: it must be replayed
	// without losing the streamed data (the body is held back by Expect: 100-continue).
	s := sftest.NewServer(t)
	c, err := sfclient.New(t.Context(), emuConfig(s, sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret}), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	before := len(s.Records(enrollment))
	s.ExpireSessionsAfter(1)
	ids := loadRows(t, c, 300, enrollmentRows(6))
	for _, id := range ids {
		if j, err := c.WaitJob(t.Context(), id, nil); err != nil || j.NumberRecordsFailed != 0 {
			t.Fatalf("WaitJob = %+v, %v", j, err)
		}
	}
	if got := len(s.Records(enrollment)); got != before+6 {
		t.Errorf("records %d, want %d", got, before+6)
	}
	if got, want := s.Calls()["ingest-upload"], 2*len(ids); got != want {
		t.Errorf("ingest-upload calls %d, want %d (each refused once, then replayed)", got, want)
	}
}

func TestEmulatorFaults(t *testing.T) {
	t.Run("503ThenSuccess", func(t *testing.T) {
		s, c := emulated(t)
		s.Fail503(2, "limits", true)
		if _, err := c.Limits(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s.Calls()["limits"] != 3 {
			t.Errorf("limits calls %d", s.Calls()["limits"])
		}
	})
	t.Run("QueryPage503", func(t *testing.T) {
		s, c := emulated(t)
		s.FailNext(1, sftest.Failure{Endpoint: "query", Status: 502})
		if _, err := c.Organization(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RequestLimit", func(t *testing.T) {
		s, c := emulated(t)
		s.SetAPIRequestsRemaining(0)
		err := c.Query(t.Context(), "SELECT Id FROM Contact", func(sfclient.Record) error { return nil })
		if !errors.Is(err, sfclient.ErrRequestLimit) || !strings.Contains(err.Error(), "/15000") {
			t.Fatalf("Query = %v", err)
		}
		if s.Calls()["query"] != 1 {
			t.Errorf("query calls %d, want 1", s.Calls()["query"])
		}
	})
	t.Run("RequestLimitPerApp", func(t *testing.T) {
		// A connected app's session: the 403 carries the documented semicolon form
		// "api-usage=15000/15000; per-app-api-usage=0/15000(appName=Backfill Demo)".
		s := sftest.NewServer(t)
		c, err := sfclient.New(t.Context(), emuConfig(s, sfclient.Credentials{ClientID: demoClientID, Username: demoUser, JWTKey: demoJWTKey(t)}), nil)
		if err != nil {
			t.Fatal(err)
		}
		s.SetAPIRequestsRemaining(0)
		_, err = c.Limits(t.Context())
		want := "(api-usage 15000/15000, per-app-api-usage 0/15000 for Backfill Demo in the last 24 hours;"
		if !errors.Is(err, sfclient.ErrRequestLimit) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Limits = %v\nwant ErrRequestLimit with %q", err, want)
		}
		if li, ok := c.LastLimitInfo(); !ok || li.Used != 15000 || li.AppName != "Backfill Demo" {
			t.Errorf("LastLimitInfo = %+v, %v", li, ok)
		}
	})
	t.Run("BareTokenExpired", func(t *testing.T) {
		s, c := emulated(t)
		s.ExpireSessions()
		if _, err := c.Limits(t.Context()); !errors.Is(err, sfclient.ErrSessionExpired) || !strings.Contains(err.Error(), "SF_ACCESS_TOKEN") {
			t.Errorf("Limits = %v", err)
		}
	})
	t.Run("UploadDropped", func(t *testing.T) {
		// sftest drops the connection before reading the body: with Expect: 100-continue
		// nothing was consumed, so one replay is safe and the row is loaded exactly once.
		s, c := emulated(t)
		before := len(s.Records(enrollment))
		s.DropConnections(1, "ingest-upload")
		j, err := c.CreateIngestJob(t.Context(), sfclient.JobSpec{Object: enrollment, Operation: "upsert", ExternalIDFieldName: extID})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UploadJobData(t.Context(), j.ID, strings.NewReader(strings.Join(enrollmentHeader, ",")+"\nk1,Ann,a@example.com,2025-12-01T10:00:00Z,c1\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CloseJob(t.Context(), j.ID); err != nil {
			t.Fatal(err)
		}
		if j, err := c.WaitJob(t.Context(), j.ID, nil); err != nil || j.NumberRecordsProcessed != 1 {
			t.Fatalf("WaitJob = %+v, %v", j, err)
		}
		if got := len(s.Records(enrollment)); got != before+1 {
			t.Errorf("records %d, want %d", got, before+1)
		}
	})
	t.Run("CancelledWait", func(t *testing.T) {
		s, c := emulated(t)
		s.SetJobDelay(time.Hour)
		ids := loadRows(t, c, 0, enrollmentRows(1))
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		if _, err := c.WaitJob(ctx, ids[0], nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitJob = %v", err)
		}
	})
}

func readCSV(t *testing.T, b *bytes.Buffer) [][]string {
	t.Helper()
	rows, err := csv.NewReader(b).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("result CSV: %v %q", err, b.String())
	}
	return rows
}

// TestLoginRetriesTransientFailures: a 503 from the token endpoint, at the first login or
// at a re-login after the session expired, is retried like any other call; a refusal is not.
func TestLoginRetriesTransientFailures(t *testing.T) {
	key, err := os.ReadFile("../testdata/orgs/demo-jwt-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	s := sftest.NewServer(t)
	cfg := emuConfig(s, sfclient.Credentials{ClientID: demoClientID, Username: demoUser, JWTKey: key})
	s.Fail503(2, "token", true)
	c, err := sfclient.New(t.Context(), cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("first login through two 503s: %v", err)
	}
	s.ExpireSessions()
	s.Fail503(2, "token", false)
	if _, err := c.UserInfo(t.Context()); err != nil {
		t.Fatalf("re-login through two 503s: %v", err)
	}
	if got := c.CallCounts()[sfclient.CallAuth]; got != 6 {
		t.Errorf("auth calls = %d, want 6 (2 logins, each after two 503s)", got)
	}
	bad := emuConfig(s, sfclient.Credentials{ClientID: demoClientID, Username: "nobody@example.com", JWTKey: key})
	before := s.Calls()["token"]
	if _, err := sfclient.New(t.Context(), bad, zaptest.NewLogger(t)); err == nil {
		t.Fatal("an unknown user logged in")
	}
	if got := s.Calls()["token"] - before; got != 1 {
		t.Errorf("a refused login was tried %d times, want 1", got)
	}
}
