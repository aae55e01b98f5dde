package sftest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

func TestExpireSessions(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithExpireAfter(2))
	for i := 0; i < 2; i++ {
		if r := do(t, s, "GET", v+"/limits", ""); r.status != 200 {
			t.Fatalf("call %d: %d", i, r.status)
		}
	}
	r := do(t, s, "GET", v+"/limits", "")
	if r.status != 401 || string(r.body) != `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]` {
		t.Fatalf("expired: %d %s", r.status, r.body)
	}
	// A fresh token from the token endpoint works again.
	var tok map[string]string
	postForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}}).json(t, &tok)
	if r := do(t, s, "GET", v+"/limits", "", "Authorization", "Bearer "+tok["access_token"]); r.status != 200 {
		t.Errorf("fresh token: %d %s", r.status, r.body)
	}
	s.ExpireSessionsAfter(0)
	s.ExpireSessions()
	if r := do(t, s, "GET", v+"/limits", "", "Authorization", "Bearer "+tok["access_token"]); r.status != 401 {
		t.Errorf("after ExpireSessions: %d", r.status)
	}
	tok2, err := s.NewAccessToken("admin@demo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, s, "GET", "/services/oauth2/userinfo", "", "Authorization", "Bearer "+tok2); !strings.Contains(string(r.body), "admin@demo.example.com") {
		t.Errorf("NewAccessToken: %s", r.body)
	}
}

func TestFailNext(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithFail503(1))
	r := do(t, s, "GET", v+"/limits", "")
	if r.status != 503 || r.errorCode(t) != "SERVER_UNAVAILABLE" {
		t.Errorf("WithFail503: %d %s", r.status, r.body)
	}
	s.Fail503(2, "query", true)
	if r := do(t, s, "GET", v+"/limits", ""); r.status != 200 {
		t.Errorf("other endpoint failed: %d", r.status)
	}
	for i := 0; i < 2; i++ {
		r := query(t, s, "SELECT Id FROM Organization")
		if r.status != 503 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<html>") {
			t.Errorf("html 503 #%d: %d %s %s", i, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	if r := query(t, s, "SELECT Id FROM Organization"); r.status != 200 {
		t.Errorf("after faults: %d", r.status)
	}
	s.FailNext(1, sftest.Failure{Status: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded."})
	if r := do(t, s, "GET", v+"/limits", ""); r.status != 403 || r.errorCode(t) != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("403: %d %s", r.status, r.body)
	}
	if got := s.Calls()["query"]; got != 3 {
		t.Errorf("query calls = %d (faulted calls count too)", got)
	}
}

func TestDropConnection(t *testing.T) {
	s := sftest.NewServer(t)
	s.DropConnections(1, "limits")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+v+"/limits", nil)
	req.Header.Set("Authorization", "Bearer "+s.AccessToken())
	resp, err := s.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") {
		t.Logf("error: %v", err)
	}
	if r := do(t, s, "GET", v+"/limits", ""); r.status != 200 {
		t.Errorf("next call: %d", r.status)
	}
}

func TestLatency(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithLatency(20*time.Millisecond))
	start := time.Now()
	do(t, s, "GET", v+"/limits", "")
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("call took %v, want >= 20ms", el)
	}
	s.SetLatency(0)
}

// TestHold: a held call waits until it is released, and is then answered as any other;
// a held call whose client goes away ends unanswered; Close ends one still held; other
// endpoints and the calls after the held one pass.
func TestHold(t *testing.T) {
	// get calls the limits endpoint of s: its status, or the error of the call.
	get := func(ctx context.Context, s *sftest.Server) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+v+"/limits", nil)
		req.Header.Set("Authorization", "Bearer "+s.AccessToken())
		resp, err := s.Client().Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	type result struct {
		status int
		err    error
	}
	call := func(ctx context.Context, s *sftest.Server) <-chan result {
		c := make(chan result, 1)
		go func() {
			st, err := get(ctx, s)
			c <- result{st, err}
		}()
		return c
	}

	s := sftest.NewServer(t)
	arrived, release := s.Hold("limits")
	answered := call(t.Context(), s)
	<-arrived
	if r := do(t, s, "GET", v+"/sobjects", ""); r.status != 200 {
		t.Errorf("another endpoint while a call is held: %d", r.status)
	}
	select {
	case r := <-answered:
		t.Fatalf("held call answered before its release: %d %v", r.status, r.err)
	default:
	}
	release()
	release() // a second release is harmless
	if r := <-answered; r.status != 200 {
		t.Errorf("released call: %d %v", r.status, r.err)
	}
	if r := do(t, s, "GET", v+"/limits", ""); r.status != 200 {
		t.Errorf("the call after the held one: %d", r.status)
	}
	if n := s.Calls()["limits"]; n != 2 {
		t.Errorf("limits calls = %d, want 2 (the held one counted once)", n)
	}

	// The client goes away: the call ends without an answer.
	arrived, _ = s.Hold("limits")
	ctx, cancel := context.WithCancel(t.Context())
	gone := call(ctx, s)
	<-arrived
	cancel()
	if r := <-gone; !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled held call: %d %v", r.status, r.err)
	}

	// Close ends a call still held, without an answer.
	s2 := sftest.NewServer(t)
	arrived, _ = s2.Hold("limits")
	closed := call(t.Context(), s2)
	<-arrived
	s2.Close()
	if r := <-closed; r.err == nil {
		t.Errorf("a call held at Close was answered %d", r.status)
	}
}

func TestFailRowClear(t *testing.T) {
	s := sftest.NewServer(t)
	s.FailRow("r-1", "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--")
	s.ClearFaults()
	info := runJob(t, s, upsertJob, "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c\nr-1,a@example.com,c1\n")
	if info["numberRecordsFailed"].(float64) != 0 {
		t.Errorf("row failed after ClearFaults: %v", info)
	}
	if jobs := s.Jobs(); len(jobs) != 1 || jobs[0].State != "JobComplete" || jobs[0].RecordsProcessed != 1 {
		t.Errorf("jobs = %+v", jobs)
	}
}

func TestConcurrentClients(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithExpireAfter(1000))
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 20; i++ {
				req, _ := http.NewRequest("GET", s.URL+v+"/query?q="+url.QueryEscape("SELECT Id FROM Contact"), nil)
				req.Header.Set("Authorization", "Bearer "+s.AccessToken())
				resp, err := s.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				s.Calls()
				s.Records("Contact")
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	if got := s.TotalCalls(); got != 160 {
		t.Errorf("TotalCalls = %d", got)
	}
}
