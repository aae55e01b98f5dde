package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveOrg runs `backfill args...` (org and its flags) in process until ctx is cancelled,
// and waits for the first line it prints on stdout (read from a pipe: no polling). done
// gives run's error once it returns; rest, then, what stdout got after the first line.
func serveOrg(t *testing.T, ctx context.Context, stderr io.Writer, args ...string) (line string, done <-chan error, rest func() string) {
	t.Helper()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, stderr)
		pw.Close()
		errc <- err
	}()
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("backfill %s printed %q, then: %v (run: %v)", strings.Join(args, " "), line, err, <-errc)
	}
	var after bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&after, r)
		close(copied)
	}()
	return line, errc, func() string { <-copied; return after.String() }
}

func TestOrgServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr syncBuffer
	line, done, rest := serveOrg(t, ctx, &stderr, "org", "--extra-contacts", "3", "--log-format", "json")
	line = strings.TrimSuffix(line, "\n")
	var instanceURL, token string
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "instance_url":
			instanceURL = v
		case "access_token":
			token = v
		}
	}
	if !strings.HasPrefix(instanceURL, "http://127.0.0.1:") || token == "" {
		t.Fatalf("stdout line = %q", line)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", instanceURL+"/services/data/v62.0/query?q=SELECT+COUNT()+FROM+Contact", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"totalSize":13,"done":true,"records":[]}` {
		t.Errorf("query: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("org did not stop after cancel")
	}
	if more := rest(); more != "" {
		t.Errorf("stdout after its line: %q, want nothing", more)
	}
	if _, err := http.Get(instanceURL + "/services/data/"); err == nil {
		t.Error("server still answers after shutdown")
	}
	if !strings.Contains(stderr.String(), "stopped emulated org") {
		t.Errorf("stderr = %s", stderr.String())
	}
}

func TestOrgSeedFileAndFaults(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	line, done, _ := serveOrg(t, ctx, io.Discard, "org", "--seed", "../../sfclient/sftest/seeds/other-names.json", "--fail-503", "1", "--expire-after", "1", "-q")
	f := strings.Fields(line)
	if len(f) != 2 {
		cancel()
		t.Fatalf("stdout = %q", line)
	}
	url := strings.TrimPrefix(f[0], "instance_url=") + "/services/data/v62.0/sobjects/np2__Course_Enrollment__c/describe"
	tok := strings.TrimPrefix(f[1], "access_token=")
	var statuses []int
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []int{503, 200, 401}; statuses[0] != want[0] || statuses[1] != want[1] || statuses[2] != want[2] {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
}
