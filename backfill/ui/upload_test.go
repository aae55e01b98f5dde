package ui_test

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill/ui"
)

// upload sends the file at path as the export of step 2, as the page does.
func upload(t *testing.T, c *client, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	code, body := c.send(filepath.Base(path), f, st.Size())
	if code != http.StatusOK {
		t.Fatalf("upload %s: %d %s", path, code, body)
	}
}

// send posts body (size bytes) as the export named name.
func (c *client) send(name string, body io.Reader, size int64) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.origin+"/api/export", body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Origin", c.origin)
	req.Header.Set("X-Backfill-Check", c.check)
	req.Header.Set("X-File-Name", url.QueryEscape(name))
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("upload: %v", err)
	}
	defer res.Body.Close()
	return res.StatusCode, readAll(c.t, res)
}

// exportRows is a reader of n bytes of CSV export rows, generated as it is read.
type exportRows struct {
	left int64
	line int
	buf  []byte
}

func (r *exportRows) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		if len(r.buf) == 0 {
			if r.line == 0 {
				r.buf = []byte("External Id,Learner Email,Enrollment Date,Progress Percentage,Updated At\n")
			} else {
				r.buf = fmt.Appendf(nil, "k-%09d,learner%d@example.com,2025-12-01T09:00:00Z,%d,2025-12-02T09:00:00Z\n", r.line, r.line, r.line%100)
			}
			r.line++
		}
		m := copy(p[n:], r.buf)
		if int64(m) > r.left {
			m = int(r.left)
		}
		r.buf, r.left, n = r.buf[m:], r.left-int64(m), n+m
	}
	return n, nil
}

// TestUploadLarge streams a 48 MB export to disk with bounded memory: the heap in use
// stays far below the file's size, and the file on disk is the bytes sent.
func TestUploadLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 48 MB")
	}
	s := serve(t, ui.Options{})
	c := session(t, s)
	const size = 48 << 20 // four times the heap growth allowed below (it grows by about 4 MB)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	sent := sha256.New()
	started := time.Now()
	code, body := c.send("big export.csv", io.TeeReader(&exportRows{left: size}, sent), size)
	took := time.Since(started)
	close(stop)
	<-sampled
	if code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, body)
	}
	var st apiState
	c.get("/api/state", &st)
	if st.Export == nil || st.Export.Size != size || st.Export.Name != "big export.csv" || !strings.HasSuffix(st.Export.Path, "-big_export.csv") {
		t.Fatalf("export %+v", st.Export)
	}
	f, err := os.Open(st.Export.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := sha256.New()
	if _, err := io.Copy(got, bufio.NewReaderSize(f, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if string(got.Sum(nil)) != string(sent.Sum(nil)) {
		t.Fatal("the file on disk is not the bytes sent")
	}
	grew := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("%d MB uploaded in %s; heap in use grew by at most %.1f MB", size>>20, took.Round(time.Millisecond), float64(grew)/(1<<20))
	if grew > size/4 {
		t.Fatalf("the heap grew by %d MB for a %d MB upload: the file is held in memory", grew>>20, size>>20)
	}
}

// TestUploadCut: an upload that stops before its end leaves no file and no export.
func TestUploadCut(t *testing.T) {
	s := serve(t, ui.Options{})
	c := session(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.Origin(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	cookie := c.hc.Jar.Cookies(mustURL(t, s.Origin()))[0]
	fmt.Fprintf(conn, "POST /api/export HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nX-Backfill-Check: %s\r\nCookie: %s=%s\r\nX-File-Name: cut.csv\r\nContent-Length: 100000\r\n\r\nExternal Id,Learner Email\n",
		strings.TrimPrefix(s.Origin(), "http://"), s.Origin(), c.check, cookie.Name, cookie.Value)
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(s.runs, ui.ExportsDir, "*"))
		if len(files) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a cut upload left %v", files)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var st apiState
	c.get("/api/state", &st)
	if st.Export != nil {
		t.Fatalf("a cut upload became the export: %+v", st.Export)
	}
	// An empty file is refused with the page's sentence.
	code, body := c.send("empty.csv", strings.NewReader(""), 0)
	if code != http.StatusBadRequest || !strings.Contains(body, "empty.csv is empty") {
		t.Fatalf("an empty upload: %d %s", code, body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkNoSecret fails the test when a file of the run folder dir holds one of secrets.
func checkNoSecret(t *testing.T, dir string, secrets []string) {
	t.Helper()
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds a secret", path)
			}
		}
		return nil
	})
}
