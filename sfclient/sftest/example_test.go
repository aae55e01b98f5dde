package sftest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

func ExampleNewServer() {
	t := &testing.T{} // in a test, use its *testing.T
	s := sftest.NewServer(t)
	defer s.Close()

	q := url.QueryEscape("SELECT COUNT() FROM nplms__Enrollment__c")
	req, _ := http.NewRequest("GET", s.URL+"/services/data/v62.0/query?q="+q, nil)
	req.Header.Set("Authorization", "Bearer "+s.AccessToken())
	resp, err := s.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println(resp.Header.Get("Sforce-Limit-Info"))
	fmt.Println(s.Calls()["query"])
	// Output:
	// 200 {"totalSize":12,"done":true,"records":[]}
	// api-usage=1/15000
	// 1
}
