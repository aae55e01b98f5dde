package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// Security tests, through run() as a user runs the binary: secrets never leak into output,
// logs, errors or run folders; CSVs for people neutralise formulas; report.html escapes
// everything. (That URLs must be https, and run folders private and never overwritten, is
// said by testdata/script/https.txtar and run-folder.txtar.)

// Distinctive secret values: none may appear in anything the program writes.
const (
	secClientSecret  = "cs-SECRET-7f3a9c51e0"
	secPassword      = "pw-SECRET-b81e2d0c4f"
	secSecurityToken = "st-SECRET-44d0aa93b1"
	secRefreshToken  = "rt-SECRET-9c1f77e2a8"
	secJWTKeyMarker  = "JWTKEYSECRETc0ffee"
)

// sessionLike matches anything shaped like a Salesforce session id or access token.
var sessionLike = regexp.MustCompile(`00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]+`)

// leakCheck holds the secrets of a test and everything the runs wrote.
type leakCheck struct {
	t       *testing.T
	secrets []string
	stdlog  *syncBuffer
	ran     int
	// simpleforce counts the runs whose stderr holds simpleforce's std-log lines (routed
	// into the logger by sfclient.RedirectStdLog).
	simpleforce int
	// env is the environment every run gets (SF_ACCESS_TOKEN is set per run); keyFile the
	// fake JWT key it names.
	env     map[string]string
	keyFile string
}

// leakTurn is held by the test that captures the standard logger.
var leakTurn sync.Mutex

// newLeakCheck puts distinctive secrets in the environment (SF_ACCESS_TOKEN is set by each
// run), and captures the standard logger's output for the whole test.
func newLeakCheck(t *testing.T) *leakCheck {
	t.Helper()
	// The tests that capture the standard logger take turns; the others may run beside
	// them (none has these secrets to write).
	leakTurn.Lock()
	t.Cleanup(leakTurn.Unlock)
	keyFile := filepath.Join(t.TempDir(), "jwt-key.pem")
	if err := os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\n"+secJWTKeyMarker+"\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lc := &leakCheck{t: t, secrets: []string{secClientSecret, secPassword, secSecurityToken, secRefreshToken, secJWTKeyMarker}, stdlog: &syncBuffer{},
		keyFile: keyFile, env: map[string]string{"SF_CLIENT_SECRET": secClientSecret, "SF_PASSWORD": secPassword,
			"SF_SECURITY_TOKEN": secSecurityToken, "SF_REFRESH_TOKEN": secRefreshToken, "SF_JWT_KEY_FILE": keyFile}}
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(lc.stdlog)
	t.Cleanup(func() {
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
		lc.assertClean("the standard logger", lc.stdlog.String(), false)
	})
	return lc
}

// assertClean fails when text holds a secret, or anything shaped like a session id unless
// tokenOK.
func (lc *leakCheck) assertClean(where, text string, tokenOK bool) {
	lc.t.Helper()
	for _, s := range lc.secrets {
		if s != "" && strings.Contains(text, s) {
			lc.t.Errorf("%s leaks secret %q:\n%s", where, s, excerpt(text, s))
		}
	}
	if m := sessionLike.FindString(text); m != "" && !tokenOK {
		lc.t.Errorf("%s holds a session id %q:\n%s", where, m, excerpt(text, m))
	}
}

func excerpt(text, s string) string {
	i := strings.Index(text, s)
	return text[max(0, i-200):min(len(text), i+len(s)+100)]
}

// run runs the program with args and checks its stdout, stderr, error and every file of
// the run folders in dirs. It returns stdout, stderr and the exit code.
func (lc *leakCheck) run(ctx context.Context, token string, dirs []string, args ...string) (string, string, int) {
	lc.t.Helper()
	lc.secrets = append(lc.secrets, token)
	vars := []string{"SF_ACCESS_TOKEN=" + token}
	for k, v := range lc.env {
		vars = append(vars, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, &stdout, &stderr, vars...)
	lc.ran++
	if strings.Contains(stderr.String(), "simpleforce") {
		lc.simpleforce++
	}
	name := strings.Join(args[:1], " ")
	lc.assertClean(name+": stdout", stdout.String(), args[0] == "org")
	lc.assertClean(name+": stderr", stderr.String(), false)
	if err != nil {
		lc.assertClean(name+": error", err.Error()+"\n"+explain(err).hint, false)
	}
	for _, dir := range dirs {
		lc.assertFolder(name, dir)
	}
	return stdout.String(), stderr.String(), exitCode(err)
}

// assertFolder checks every file under dir.
func (lc *leakCheck) assertFolder(name, dir string) {
	lc.t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			lc.t.Errorf("%s: %v", name, err)
			return nil
		}
		lc.assertClean(name+": "+path, string(b), false)
		return nil
	})
}

// TestNoSecretLeaks runs every command, with debug logs in both formats, successful and
// failing, and checks no secret and no access token reaches stdout, stderr, errors, run
// folders or the standard logger.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	lc := newLeakCheck(t)
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			lc.t = t
			defer func() { lc.t = t }()
			srv := sftest.NewServer(t)
			tok := srv.AccessToken()
			dir := t.TempDir()
			tmp := func(name string) string { return filepath.Join(dir, name) }
			common := []string{"-v", "--log-format", format}
			org := []string{"--instance-url", srv.URL}
			args := func(a ...string) []string { return append(append(a, common...), org...) }
			ctx := t.Context()

			expect := func(code int, want ...int) {
				t.Helper()
				for _, w := range want {
					if code == w {
						return
					}
				}
				t.Errorf("exit %d, want one of %v", code, want)
			}
			_, _, code := lc.run(ctx, tok, []string{tmp("clean")}, append([]string{"clean", "--export", sampleExport,
				"--existing", sampleExisting, "--out", tmp("clean")}, common...)...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, nil, args("preflight", "--export", sampleExport)...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, nil, args("preflight", "--json")...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, []string{tmp("plan")}, args("plan", "--export", sampleExport, "--out", tmp("plan"))...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, []string{tmp("plan")}, args("import", "--plan", tmp("plan"), "--yes")...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, []string{tmp("plan")}, args("resume", tmp("plan"))...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, []string{tmp("import")}, args("import", "--export", sampleExport, "--out", tmp("import"), "--yes")...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, []string{tmp("demo")}, append([]string{"demo", "--out", tmp("demo"), "--job-delay", "0"}, common...)...)
			expect(code, 0)
			_, _, code = lc.run(ctx, tok, nil, "version")
			expect(code, 0)
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			stdout, _, code := lc.run(cancelled, tok, nil, append([]string{"org"}, common...)...)
			expect(code, 0)
			if !strings.HasPrefix(stdout, "instance_url=http://127.0.0.1:") || strings.Count(stdout, "\n") != 1 {
				t.Errorf("org printed %q, want one instance_url=... access_token=... line", stdout)
			}

			// Failing runs: a wrong token, a session that expires mid-run, bad flags.
			wrong := "00D5g0000000001!WRONGtoken.SECRET_value"
			_, _, code = lc.run(ctx, wrong, []string{tmp("wrong")}, args("plan", "--export", sampleExport, "--out", tmp("wrong"))...)
			expect(code, 1, 2)
			_, _, code = lc.run(ctx, wrong, nil, args("preflight", "--json")...)
			expect(code, 1, exitPreflight)
			// A session that expires mid-import (a bare token cannot log in again), then
			// resume with a new token; and one that expires mid-plan.
			srv2 := sftest.NewServer(t) // an org the sample was not loaded into yet
			args2 := func(a ...string) []string { return append(append(a, common...), "--instance-url", srv2.URL) }
			fresh := func() string {
				t.Helper()
				tok, err := srv2.NewAccessToken("northpass.integration@demo.example.com")
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			srv2.ExpireSessionsAfter(17) // an import makes 22 calls (plan, preflight, load): this one ends after its job is closed
			_, _, code = lc.run(ctx, fresh(), []string{tmp("expired")}, args2("import", "--export", sampleExport, "--out", tmp("expired"), "--yes")...)
			expect(code, 1)
			if _, err := os.Stat(filepath.Join(tmp("expired"), "plan.json")); err != nil {
				t.Errorf("the session expired before the load: %v", err)
			}
			srv2.ExpireSessionsAfter(0)
			_, _, code = lc.run(ctx, fresh(), []string{tmp("expired")}, args2("resume", tmp("expired"))...)
			expect(code, 0)
			srv2.ExpireSessionsAfter(3)
			_, _, code = lc.run(ctx, fresh(), []string{tmp("expired2")}, args2("plan", "--export", sampleExport, "--out", tmp("expired2"))...)
			expect(code, 1)
			srv2.ExpireSessionsAfter(0)
			for _, bad := range [][]string{
				{"plan", "--bogus"}, {"import", "--yes=maybe"}, {"preflight", "--sandbox=maybe"}, {"resume"}, {"clean", "--since", "someday"},
				{"org", "--addr", "0.0.0.0:0"}, {"demo", "--job-delay", "soon"}, {"version", "--x"},
			} {
				_, _, code = lc.run(ctx, tok, nil, append(bad, common...)...)
				expect(code, 2)
			}
		})
	}
	lc.t = t
	if lc.ran < 40 || lc.simpleforce == 0 {
		t.Errorf("%d runs, %d with simpleforce log lines; want every command run, and simpleforce's std log exercised", lc.ran, lc.simpleforce)
	}
}

// TestNoSecretLeaksOtherFlows logs in with each flow that sends a secret, once with the right
// secrets (an org whose users and connected app hold the distinctive values) and once with
// wrong ones, and checks no secret appears anywhere.
func TestNoSecretLeaksOtherFlows(t *testing.T) {
	t.Parallel()
	lc := newLeakCheck(t)
	seed := sftest.DemoSeed()
	for i := range seed.Users {
		if seed.Users[i].Username == "northpass.integration@demo.example.com" {
			seed.Users[i].Password, seed.Users[i].SecurityToken = secPassword, secSecurityToken
		}
	}
	for i := range seed.ConnectedApps {
		seed.ConnectedApps[i].ClientSecret = secClientSecret
	}
	srv := sftest.NewServer(t, sftest.WithSeed(seed))
	lc.env["SF_CLIENT_ID"] = "3MVG9backfill.demo.client.id"
	lc.env["SF_USERNAME"] = "northpass.integration@demo.example.com"
	base := maps.Clone(lc.env)
	demoKey, err := filepath.Abs("../../testdata/orgs/demo-jwt-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(demoKey); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if len(line) > 40 && !strings.HasPrefix(line, "-----") {
				lc.secrets = append(lc.secrets, line) // the real key's body
			}
		}
	}
	dir := t.TempDir()
	flows := []struct {
		name string
		env  map[string]string // set; every other secret variable is emptied
		ok   bool
	}{
		{"Password", map[string]string{"SF_CLIENT_SECRET": secClientSecret, "SF_PASSWORD": secPassword, "SF_SECURITY_TOKEN": secSecurityToken}, true},
		{"PasswordWrong", map[string]string{"SF_CLIENT_SECRET": secClientSecret, "SF_PASSWORD": secPassword + "x", "SF_SECURITY_TOKEN": secSecurityToken}, false},
		{"SOAPWrong", map[string]string{"SF_CLIENT_ID": "", "SF_PASSWORD": secPassword + "y", "SF_SECURITY_TOKEN": secSecurityToken}, false},
		{"ClientCredentialsWrong", map[string]string{"SF_CLIENT_SECRET": secClientSecret + "z"}, false},
		{"RefreshTokenWrong", map[string]string{"SF_REFRESH_TOKEN": secRefreshToken}, false},
		{"JWT", map[string]string{"SF_JWT_KEY_FILE": demoKey}, true},
		{"JWTBadKey", map[string]string{"SF_JWT_KEY_FILE": lc.keyFile}, false},
	}
	for _, fl := range flows {
		t.Run(fl.name, func(t *testing.T) {
			lc.t = t
			defer func() { lc.t = t }()
			lc.env = maps.Clone(base)
			for _, k := range []string{"SF_CLIENT_SECRET", "SF_PASSWORD", "SF_SECURITY_TOKEN", "SF_REFRESH_TOKEN", "SF_JWT_KEY_FILE"} {
				lc.env[k] = fl.env[k]
			}
			if v, ok := fl.env["SF_CLIENT_ID"]; ok {
				lc.env["SF_CLIENT_ID"] = v
			}
			for _, format := range []string{"json", "console"} {
				out := filepath.Join(dir, fl.name+"-"+format)
				_, stderr, code := lc.run(t.Context(), "", []string{out}, "plan", "--export", sampleExport, "--out", out,
					"--instance-url", srv.URL, "--login-url", srv.URL, "-v", "--log-format", format)
				if fl.ok != (code == 0) {
					t.Errorf("%s: exit %d\n%s", format, code, stderr)
				}
			}
		})
	}
}

// Script-injection payloads for every column of an export.
var payloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`=HYPERLINK("javascript:alert(1)","click")`,
	`<svg onload=alert(1)>`,
	`'><a href="javascript:alert(1)">x</a>`,
	`+cmd|' /C calc'!A0`,
	`-2+3`,
	`@SUM(A1)`,
}

// injectionExport writes an export whose every column, header included, holds payloads: as
// the key, the names, the course, the status, the dates and the numbers.
func injectionExport(t *testing.T, dir string) (export, existing string) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := []string{"External Id", "Learner Email", "Learner Name", "Course ID", "Course Name", "Course Attempt Number",
		"Enrollment Date", "Progress Percentage", "Status", "Completion Date", "Updated At", payloads[0], payloads[1], payloads[3]}
	w.Write(header)
	row := func(key, p string) []string {
		return []string{key, p, p, p, p, "1", "2025-12-01", "10", p, "", "2025-12-02T10:00:00Z", p, p, p}
	}
	for i, p := range payloads {
		r := row(p, p) // the payload as key and in every text column but email and status (so it loads)
		r[1], r[8] = fmt.Sprintf("learner%d@example.com", i), "in_progress"
		w.Write(r)
		w.Write(row(fmt.Sprintf("dup-%d", i), p))     // duplicate of the next row
		w.Write(row(fmt.Sprintf("dup-%d", i), p+"'")) // (later Updated At wins on a tie)
		r = row(fmt.Sprintf("date-%d", i), p)         // a payload where a date goes
		r[6] = p
		w.Write(r)
		r = row(fmt.Sprintf("number-%d", i), p) // and where a number goes
		r[5], r[7], r[9] = p, p, p
		w.Write(r)
		r = row(fmt.Sprintf("updated-%d", i), p)
		r[10] = p
		w.Write(r)
	}
	w.Write(row("exists-1", payloads[0]))
	w.Flush()
	export = filepath.Join(dir, "inject.csv")
	existing = filepath.Join(dir, "existing.csv")
	if err := os.WriteFile(export, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ex := "External Id,Id\n" + "exists-1,a0E000000000001AAA\n" + `"` + strings.ReplaceAll(payloads[2], `"`, `""`) + `",a0E000000000002AAA` + "\n"
	if err := os.WriteFile(existing, []byte(ex), 0o600); err != nil {
		t.Fatal(err)
	}
	return export, existing
}

// TestReportEscapesAndCSVsNeutralise builds an export full of script-injection and formula
// payloads and runs clean, plan and import against the emulator: report.html never contains
// a <script> element, an on* attribute or a javascript: URL, nor a payload unescaped; every
// CSV for people (ledger, skipped, rejects, success, error, unprocessed) neutralises formula
// cells, while to_import.csv keeps every value byte for byte.
func TestReportEscapesAndCSVsNeutralise(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	export, existing := injectionExport(t, dir)
	srv := sftest.NewServer(t)
	srv.FailRow(payloads[1], `FIELD_CUSTOM_VALIDATION_EXCEPTION:<script>alert(2)</script> =HYPERLINK("javascript:alert(2)"):--`)
	srv.FailRow(payloads[4], `=1+2 <img src=x onerror=alert(3)>`)
	tok := token(srv.AccessToken())
	// Payloads in date columns are rejected rows: --max-rejected 100 lets them through, the
	// point here is how every file shows them.

	clean := filepath.Join(dir, "clean")
	if _, stderr, code := runCLIEnv(t, tok, "clean", "--export", export, "--existing", existing, "--out", clean, "--max-rejected", "100", "-q"); code != 0 {
		t.Fatalf("clean: exit %d\n%s", code, stderr)
	}
	checkReport(t, clean)
	checkHumanCSVs(t, clean)
	// clean's to_import.csv is the export's own rows, byte for byte.
	exp, _ := os.ReadFile(export)
	lines := map[string]bool{}
	for _, l := range strings.Split(string(exp), "\n") {
		lines[l] = true
	}
	ti, err := os.ReadFile(filepath.Join(clean, "to_import.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tiLines := strings.Split(strings.TrimSuffix(string(ti), "\n"), "\n")
	for _, l := range tiLines {
		if !lines[l] {
			t.Errorf("clean to_import.csv line %q is not a line of the export", l)
		}
	}
	if !strings.Contains(string(ti), `"=HYPERLINK(""javascript:alert(1)"",""click"")"`) {
		t.Errorf("clean to_import.csv lacks the formula key unaltered:\n%s", ti)
	}

	plan := filepath.Join(dir, "plan")
	if _, stderr, code := runCLIEnv(t, tok, "plan", "--export", export, "--instance-url", srv.URL, "--out", plan, "--max-rejected", "100", "-q"); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	checkReport(t, plan)
	checkHumanCSVs(t, plan)
	checkToImportVerbatim(t, plan)

	if _, stderr, code := runCLIEnv(t, tok, "import", "--plan", plan, "--instance-url", srv.URL, "--yes", "--max-rejected", "100", "-q"); code != 0 && code != exitRowsFailed {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	checkReport(t, plan)
	checkHumanCSVs(t, plan)
	checkToImportVerbatim(t, plan)
	for _, f := range []string{"success.csv", "error.csv"} {
		if b, err := os.ReadFile(filepath.Join(plan, f)); err != nil || bytes.Count(b, []byte("\n")) < 2 {
			t.Errorf("%s: %v, %d lines: the import should have rows there", f, err, bytes.Count(b, []byte("\n")))
		}
	}
	// The payload keys came back from Salesforce and matched their rows.
	var created int
	for _, rec := range csvRecords(t, filepath.Join(plan, "ledger.csv")) {
		if rec[2] == "created" {
			created++
		}
	}
	if created < len(payloads)-2 {
		t.Errorf("only %d rows created", created)
	}
	for _, r := range srv.Records("nplms__Enrollment__c") {
		if r["nplms__External_Id__c"] == payloads[3] {
			return
		}
	}
	t.Errorf("the formula key %q did not reach Salesforce verbatim", payloads[3])
}

// checkReport parses report.html and fails on any active content.
func checkReport(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script", "<img", "<svg onload", `<a href="javascript`} {
		if bytes.Contains(bytes.ToLower(b), []byte(raw)) {
			t.Errorf("%s/report.html contains %q unescaped", dir, raw)
		}
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("report.html does not parse: %v", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch strings.ToLower(n.Data) {
			case "script", "iframe", "object", "embed", "img", "link", "base", "meta":
				if strings.ToLower(n.Data) != "meta" || hasAttr(n, "http-equiv") {
					t.Errorf("report.html has a <%s> element", n.Data)
				}
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") {
					t.Errorf("report.html: <%s %s=%q>: an event handler attribute", n.Data, a.Key, a.Val)
				}
				v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				if strings.Contains(v, "javascript:") || strings.HasPrefix(v, "data:text/html") {
					t.Errorf("report.html: <%s %s=%q>: a script URL", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if !bytes.Contains(b, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Errorf("%s/report.html does not show the payloads escaped: the test checks nothing", dir)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

// checkHumanCSVs: no cell of a CSV for people starts like a formula.
func checkHumanCSVs(t *testing.T, dir string) {
	t.Helper()
	seen := 0
	// The final success/error/unprocessed.csv hold the upload verbatim, as Data Loader's
	// files do (checkToImportVerbatim checks them).
	for _, name := range []string{"ledger.csv", "skipped.csv", "rejects.csv", "plan-ledger.csv"} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		seen++
		for i, rec := range csvRecords(t, path) {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s record %d: cell %q is not neutralised", name, i+1, cell)
				}
			}
		}
	}
	if seen < 3 {
		t.Errorf("%s: only %d CSVs for people", dir, seen)
	}
}

// checkToImportVerbatim: to_import.csv holds the formula payloads without an apostrophe,
// and so do the final result files once the import wrote them.
func checkToImportVerbatim(t *testing.T, dir string) {
	t.Helper()
	keys := map[string]bool{}
	for _, name := range []string{"to_import.csv", "success.csv", "error.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil && name != "to_import.csv" {
			continue
		}
		for _, rec := range csvRecords(t, filepath.Join(dir, name)) {
			for _, c := range rec {
				keys[name+"\x00"+c], keys[c] = true, true
			}
		}
	}
	for _, name := range []string{"success.csv", "error.csv"} {
		for c := range keys {
			if v, ok := strings.CutPrefix(c, name+"\x00"); ok && strings.HasPrefix(v, "'") && keys["'"+v] {
				t.Errorf("%s/%s holds %q with an apostrophe added", dir, name, v)
			}
		}
	}
	for _, p := range []string{payloads[3], payloads[6], payloads[0]} {
		if !keys[p] {
			t.Errorf("%s/to_import.csv lacks %q verbatim", dir, p)
		}
	}
}

func csvRecords(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}
