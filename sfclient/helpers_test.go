package sfclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/sfclient"
)

// fake is a hand-written Salesforce stand-in for fixture and fault tests: an httptest server
// whose handlers serve the bodies in testdata/fixtures (docs/SALESFORCE.md names their sources). Unknown paths fail the test.
type fake struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu     sync.Mutex
	calls  map[string]int // "METHOD path"
	sleeps []time.Duration
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{t: t, mux: http.NewServeMux(), calls: make(map[string]int)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls[r.Method+" "+r.URL.Path]++
		f.mu.Unlock()
		h, pattern := f.mux.Handler(r)
		if pattern == "" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) calls1(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

// fixture returns a fixture with the documentation's instance URL replaced by the server's.
func (f *fake) fixture(name string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		f.t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), "https://yourInstance.salesforce.com", f.srv.URL))
}

// serve answers with a fixture.
func (f *fake) serve(status int, contentType, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Sforce-Limit-Info", "api-usage=18/5000")
		w.WriteHeader(status)
		w.Write(f.fixture(name))
	}
}

// config returns a Config for the access-token flow against the fake, with fast retries and
// a Sleep hook that records delays without sleeping.
func (f *fake) config() sfclient.Config {
	return sfclient.Config{
		InstanceURL: f.srv.URL,
		LoginURL:    f.srv.URL,
		Credentials: sfclient.Credentials{AccessToken: "00Dx0000000BV7z!TESTTOKEN"},
		Retry:       sfclient.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond},
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
}

func (f *fake) client(cfg sfclient.Config) *sfclient.Client {
	f.t.Helper()
	c, err := sfclient.New(f.t.Context(), cfg, zaptest.NewLogger(f.t))
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return c
}

const v = "/services/data/v62.0/"

func TestMain(m *testing.M) {
	// Keep simpleforce's std-log lines out of the test output, as main does.
	restore := sfclient.RedirectStdLog(nil)
	code := m.Run()
	restore()
	os.Exit(code)
}
