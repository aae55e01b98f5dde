package sftest_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	v         = "/services/data/v62.0"
	enrollObj = "nplms__Enrollment__c"
	extField  = "nplms__External_Id__c"
)

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the errorCode of a Salesforce error array body.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var errs []struct{ ErrorCode, Message string }
	r.json(t, &errs)
	if len(errs) != 1 {
		t.Fatalf("error body %s: want one error", r.body)
	}
	return errs[0].ErrorCode
}

// do sends a request with the server's access token (unless headers sets Authorization).
func do(t *testing.T, s *sftest.Server, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.AccessToken())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func query(t *testing.T, s *sftest.Server, soql string, headers ...string) response {
	t.Helper()
	return do(t, s, "GET", v+"/query?q="+url.QueryEscape(soql), "", headers...)
}

type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func mustQuery(t *testing.T, s *sftest.Server, soql string) queryResult {
	t.Helper()
	r := query(t, s, soql)
	if r.status != 200 {
		t.Fatalf("query %q: %d %s", soql, r.status, r.body)
	}
	var qr queryResult
	r.json(t, &qr)
	return qr
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("results CSV %q: %v", b, err)
	}
	return rows
}
