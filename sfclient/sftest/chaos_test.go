package sftest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// statuses makes n calls to /limits and returns their status codes.
func statuses(t *testing.T, s *sftest.Server, n int) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = do(t, s, "GET", v+"/limits", "").status
	}
	return out
}

func TestSetFailureRate(t *testing.T) {
	s := sftest.NewServer(t)
	s.SetFailureRate(0.2, 42)
	got := statuses(t, s, 1000)
	failed := 0
	for _, st := range got {
		switch st {
		case 503:
			failed++
		case 200:
		default:
			t.Fatalf("status %d", st)
		}
	}
	if failed < 150 || failed > 250 {
		t.Errorf("%d of 1000 calls failed at rate 0.2", failed)
	}
	if f := s.Faults(); f.Calls["limits"] != failed || f.CallTotal() != failed {
		t.Errorf("Faults() = %+v, want %d limits failures", f, failed)
	}
	// The login endpoints are not REST calls: they never fail at random.
	for i := 0; i < 50; i++ {
		r := postForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}})
		if r.status != 200 {
			t.Fatalf("token call %d: %d %s", i, r.status, r.body)
		}
	}

	// The same seed gives the same faults in the same call order; another seed differs.
	again := sftest.NewServer(t)
	again.SetFailureRate(0.2, 42)
	if a, b := fmt.Sprint(got), fmt.Sprint(statuses(t, again, 1000)); a != b {
		t.Error("the same seed gave other faults")
	}
	other := sftest.NewServer(t)
	other.SetFailureRate(0.2, 43)
	if fmt.Sprint(got) == fmt.Sprint(statuses(t, other, 1000)) {
		t.Error("another seed gave the same faults")
	}

	// Named endpoints only; queued failures come first and draw nothing.
	s.SetFailureRate(1, 1, "query")
	if r := do(t, s, "GET", v+"/limits", ""); r.status != 200 {
		t.Errorf("limits failed with only query chosen: %d", r.status)
	}
	if r := query(t, s, "SELECT Id FROM Organization"); r.status != 503 || r.errorCode(t) != "SERVER_UNAVAILABLE" {
		t.Errorf("query at rate 1: %d %s", r.status, r.body)
	}
	s.SetFailureRate(0, 0)
	if r := query(t, s, "SELECT Id FROM Organization"); r.status != 200 {
		t.Errorf("rate 0: %d", r.status)
	}
	s.SetFailureRate(1, 1)
	s.ClearFaults()
	if r := query(t, s, "SELECT Id FROM Organization"); r.status != 200 {
		t.Errorf("after ClearFaults: %d", r.status)
	}
	if f := s.Faults(); f.Calls["query"] != 1 {
		t.Errorf("ClearFaults reset the counts: %+v", f)
	}
}

// TestSetFailureRateConcurrent is for the race detector: the knob and the counters are
// used while calls are served.
func TestSetFailureRateConcurrent(t *testing.T) {
	s := sftest.NewServer(t)
	s.SetFailureRate(0.5, 7)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				st, err := limitsStatus(s)
				if err != nil {
					t.Error(err)
					return
				}
				if st == 503 {
					mu.Lock()
					failed++
					mu.Unlock()
				}
				_ = s.Faults()
			}
		}()
	}
	s.SetFailureRate(0.5, 8)
	wg.Wait()
	if got := s.Faults().Calls["limits"]; got != failed {
		t.Errorf("counted %d faults, clients saw %d", got, failed)
	}
}

// limitsStatus calls /limits and returns the status; it is safe to use off the test's
// goroutine.
func limitsStatus(s *sftest.Server) (int, error) {
	req, err := http.NewRequest("GET", s.URL+v+"/limits", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.AccessToken())
	resp, err := s.Client().Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestFailRowsWhere(t *testing.T) {
	s := sftest.NewServer(t)
	const sfErr = "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--"
	s.FailRowsWhere(func(key string) bool { return strings.HasPrefix(key, "bad-") }, sfErr)
	data := enrollHeader + "\n" +
		"ok-1,a@example.com,A,enrolled,0,,,c1\n" +
		"bad-1,b@example.com,B,enrolled,0,,,c1\n" +
		"ok-2,c@example.com,C,enrolled,0,,,c1\n" +
		"bad-2,d@example.com,D,enrolled,0,,,c1\n"
	info := runJob(t, s, upsertJob, data)
	if info["state"] != "JobComplete" || info["numberRecordsFailed"].(float64) != 2 {
		t.Fatalf("job = %v", info)
	}
	fail := results(t, s, info["id"].(string), "failedResults")
	got := map[string]string{}
	for _, r := range fail[1:] {
		got[r[2]] = r[1]
	}
	if len(got) != 2 || got["bad-1"] != sfErr || got["bad-2"] != sfErr {
		t.Errorf("failed rows = %v", got)
	}
	if f := s.Faults(); f.Rows != 2 {
		t.Errorf("Faults().Rows = %d, want 2", f.Rows)
	}
	keys := map[any]bool{}
	for _, r := range s.RecordValues(enrollObj, extField, "Id") {
		keys[r[0]] = true
		if id, _ := r[1].(string); id == "" {
			t.Errorf("record %v without Id", r[0])
		}
	}
	if !keys["ok-1"] || !keys["ok-2"] || keys["bad-1"] || keys["bad-2"] {
		t.Errorf("org keys: ok rows must be there, bad rows absent: %v", keys)
	}
	if n := len(s.RecordValues(enrollObj, extField)); n != len(s.Records(enrollObj)) {
		t.Errorf("RecordValues has %d records, Records %d", n, len(s.Records(enrollObj)))
	}

	// nil removes the predicate.
	s.FailRowsWhere(nil, "")
	info = runJob(t, s, upsertJob, enrollHeader+"\nbad-3,e@example.com,E,enrolled,0,,,c1\n")
	if info["numberRecordsFailed"].(float64) != 0 {
		t.Errorf("after FailRowsWhere(nil): %v", info)
	}
}

func TestFaultsCountsExpiredSessions(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithExpireAfter(2))
	st := statuses(t, s, 4)
	if fmt.Sprint(st) != "[200 200 401 401]" {
		t.Fatalf("statuses %v", st)
	}
	if f := s.Faults(); f.SessionsExpired != 1 {
		t.Errorf("SessionsExpired = %d, want 1 (one session reached its limit)", f.SessionsExpired)
	}
}
