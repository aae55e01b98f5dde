package ui_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// The handler tests talk to a real server on loopback, with the session a browser would
// have (client, in helpers_test.go).

// do sends a request as the page sends it: the session cookie, the page's Origin and
// check value, JSON.
func (c *client) do(method, path string, body any, edit ...func(*http.Request)) (int, string) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.origin+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Origin", c.origin)
		req.Header.Set("X-Backfill-Check", c.check)
	}
	for _, e := range edit {
		e(req)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	return res.StatusCode, readAll(c.t, res)
}

// post sends a state change and decodes the answer into out (when not nil); it fails the
// test unless the status is want.
func (c *client) post(path string, body any, want int, out any) string {
	c.t.Helper()
	code, text := c.do(http.MethodPost, path, body)
	if code != want {
		c.t.Fatalf("POST %s: %d %s, want %d", path, code, text, want)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			c.t.Fatalf("POST %s: %v in %s", path, err, text)
		}
	}
	return text
}

func (c *client) get(path string, out any) {
	c.t.Helper()
	code, text := c.do(http.MethodGet, path, nil)
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, code, text)
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		c.t.Fatalf("GET %s: %v in %s", path, err, text)
	}
}

// apiState is the part of the page's state the tests read.
type apiState struct {
	Org *struct {
		Kind, Alias, Name, ID, InstanceURL string
		Sandbox                            bool
	} `json:"org"`
	Export *struct {
		Name, Path string
		Size       int64
	} `json:"export"`
	Current string     `json:"current"`
	Tasks   []pageTask `json:"tasks"`
}

// task waits for the job kind (of the run, when not "") that started after since to end,
// and returns it.
func (c *client) task(kind string, since time.Time, timeout time.Duration) pageTask {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var st apiState
		c.get("/api/state", &st)
		for _, t := range st.Tasks {
			started, _ := time.Parse(time.RFC3339Nano, t.Started)
			if t.Kind == kind && !started.Before(since) && t.State != "running" {
				return t
			}
		}
		time.Sleep(30 * time.Millisecond)
	}
	c.t.Fatalf("%s did not end within %s", kind, timeout)
	return pageTask{}
}

// run starts the job at path and waits for it to end; it returns the task.
func (c *client) run(path, kind string, body any) pageTask {
	c.t.Helper()
	since := time.Now().Add(-time.Millisecond)
	c.post(path, body, http.StatusAccepted, nil)
	return c.task(kind, since, 2*time.Minute)
}

// cliWords are what only the command line says: flags, command lines, the environment.
var cliWords = regexp.MustCompile(`(^|[\s(])--[a-z]|backfill (import|resume|verify|undo|preflight|approve|plan --)|sf org|SF_[A-Z]`)

// pageWords fails the test when a sentence the page shows names a flag or a command line.
func pageWords(t *testing.T, where, s string) {
	t.Helper()
	if m := cliWords.FindString(s); m != "" {
		t.Errorf("%s names %q: %q", where, m, s)
	}
}
