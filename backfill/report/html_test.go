package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// compareGolden compares got with the file at path, or rewrites it under -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (make golden rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestReportCleanGolden renders the report of the golden clean runs' summary.json (written
// by backfill's TestCleanGolden), checks it against the summary, and compares the page's
// outline (headings, chart bars, table rows, not its markup) with
// testdata/golden/report-<case>/report-outline.txt.
func TestReportCleanGolden(t *testing.T) {
	for _, name := range []string{"clean-sample", "clean-excel-1252"} {
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join("..", "..", "testdata", "golden")
			b, err := os.ReadFile(filepath.Join(golden, name, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			sum := &backfill.Summary{}
			if err := json.Unmarshal(b, sum); err != nil {
				t.Fatal(err)
			}
			if !hasFile(sum, "report.html") {
				t.Errorf("summary files %v do not list report.html", sum.Files)
			}
			doc := checkReport(t, nil, sum)
			compareGolden(t, filepath.Join(golden, "report-"+name, "report-outline.txt"), []byte(reportOutline(doc)))
		})
	}
}

// TestReportImport covers what only plan and import fill: the object, the mapping, the
// columns left out, Bulk jobs, API calls and failures.
func TestReportImport(t *testing.T) {
	s := importSummary()
	doc := renderReport(t, s)
	checkReport(t, nil, s)

	jobs := findAll(doc, func(n *html.Node) bool { return n.Data == "tbody" && hasClass(n, "job") })
	if len(jobs) != len(s.Jobs) {
		t.Fatalf("%d job rows, want %d", len(jobs), len(s.Jobs))
	}
	for i, j := range s.Jobs {
		row := textOf(jobs[i])
		for _, want := range []string{j.ID, j.SetupURL, j.State, "created 2026-11-24 12:00:05 UTC", strconv.Itoa(j.Rows),
			strconv.Itoa(j.Failed), strconv.Itoa(j.Unprocessed)} {
			if !strings.Contains(row, want) {
				t.Errorf("job row %d %q lacks %q", i, row, want)
			}
		}
	}
	if got := textOf(jobs[1]); !strings.Contains(got, "took 1m30s") || !strings.Contains(got, "4.0 KiB uploaded") {
		t.Errorf("job row 2 %q: want its duration (1m30s) and size (4.0 KiB uploaded)", got)
	}
	if got := textOf(jobs[2]); !strings.Contains(got, s.Jobs[2].ErrorMessage) {
		t.Errorf("failed job row %q lacks its error message", got)
	}
	unmapped := textOf(findID(doc, "unmapped"))
	for _, c := range s.Unmapped {
		if !strings.Contains(unmapped, c) {
			t.Errorf("left-out columns %q lack %q", unmapped, c)
		}
	}
	calls := textOf(findID(doc, "api-calls"))
	if !strings.Contains(calls, "bulk_ingest") || !strings.Contains(calls, "17") {
		t.Errorf("API calls section %q lacks bulk_ingest 17", calls)
	}
	verdict := textOf(findID(doc, "verdict"))
	for _, want := range []string{"30 of 34 planned rows loaded", "2 rows failed", "1 row left unprocessed", "Exit status 3", "failed or were left unprocessed"} {
		if !strings.Contains(verdict, want) {
			t.Errorf("verdict %q lacks %q", verdict, want)
		}
	}
	if legend, want := textOf(findClass(doc, "legend")), "loaded 30 already present 3 stale 0 failed 2 unprocessed 1"; legend != want {
		t.Errorf("legend %q, want %q: failed and unprocessed rows apart from the loaded ones", legend, want)
	}
	compareGolden(t, filepath.Join("..", "..", "testdata", "golden", "report-import", "report-outline.txt"), []byte(reportOutline(doc)))
}

// TestReportDayBuckets checks the per-day chart: one bar per day from the cutoff, by week
// past maxDayBars days and by month past two years, and every row counted once.
func TestReportDayBuckets(t *testing.T) {
	cutoff := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)
	daily := func(from time.Time, n, every int) []backfill.DayCount {
		var out []backfill.DayCount
		for i := 0; i < n; i += every {
			out = append(out, backfill.DayCount{Day: from.AddDate(0, 0, i).Format(time.DateOnly),
				Outcomes: map[string]int{"to_insert": 1 + i%3, "exists": i % 2, "stale": i % 5 / 4}})
		}
		return out
	}
	tests := []struct {
		name     string
		cutoff   time.Time
		days     []backfill.DayCount
		unit     string
		bars     int
		withRows int
	}{
		{"one day on the cutoff", cutoff, daily(cutoff, 1, 1), "day", 1, 1},
		{"one day a week after", cutoff, daily(cutoff.AddDate(0, 0, 7), 1, 1), "day", 8, 1},
		{"every other day", cutoff, daily(cutoff, 59, 2), "day", 59, 30},
		{"92 days", cutoff, daily(cutoff, 92, 1), "day", 92, 92},
		// 2025-11-20 is a Thursday: weeks from Monday 2025-11-17 to the week of 2026-12-23;
		// three years of rows every 10 days run from November 2025 to November 2028.
		{"400 days", cutoff, daily(cutoff, 400, 1), "week", 58, 58},
		{"three years", cutoff, daily(cutoff, 3*365, 10), "month", 37, 37},
		{"no cutoff", time.Time{}, daily(cutoff, 3, 1), "day", 3, 3},
		{"cutoff decades before", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), daily(cutoff, 3, 1), "day", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &backfill.Summary{Command: "clean", Cutoff: tt.cutoff, ByDay: tt.days, Outcomes: map[string]int{}}
			for _, d := range tt.days {
				for o, n := range d.Outcomes {
					s.Outcomes[o] += n
					s.Rows += n
				}
			}
			doc := renderReport(t, s)
			checkReport(t, nil, s)
			chart := findID(doc, "by-day")
			if h := textOf(find(chart, func(n *html.Node) bool { return n.Data == "h2" })); h != "Rows per "+tt.unit+" since the cutoff" {
				t.Errorf("heading %q, want rows per %s", h, tt.unit)
			}
			bars, withRows := dayBars(chart)
			if bars != tt.bars || withRows != tt.withRows {
				t.Errorf("%d bars, %d with rows; want %d and %d", bars, withRows, tt.bars, tt.withRows)
			}
			labels := findAll(chart, func(n *html.Node) bool { return n.Data == "text" && n.Parent != nil && hasClass(n.Parent, "axis") })
			if len(labels) < 3 || len(labels) > 18 {
				t.Errorf("%d axis labels, want a readable handful", len(labels))
			}
		})
	}
}

// TestReportEscaping puts markup in every string of a Summary: none of it may reach the
// page as markup.
func TestReportEscaping(t *testing.T) {
	for _, evil := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`} {
		t.Run(evil, func(t *testing.T) {
			s := importSummary()
			s.Command = evil
			s.Object, s.ExternalIDField, s.KeyColumn, s.UpdatedColumn = evil, evil, evil, evil
			s.DateColumns = []string{evil, evil + "2"}
			s.Unmapped = []string{evil}
			s.Mapping = []runfolder.Mapping{{Column: evil, Field: evil, Type: evil, Source: evil}}
			s.Export = backfill.InputInfo{File: evil, Columns: []string{evil, "x" + evil}, Delimiter: evil, Encoding: evil}
			s.Existing = &backfill.ExistingInfo{File: evil, KeyColumn: evil, IDColumn: evil, Rows: 1}
			s.APICalls = map[string]int{evil: 1}
			s.Reasons = []backfill.Reason{{Outcome: evil, Reason: evil, Count: 1, Examples: []int{2}}}
			s.Files = []backfill.RunFile{{Name: evil, Desc: evil}, {Name: "ledger.csv", Desc: evil}}
			s.RunFolder = evil
			s.ByDay = append(s.ByDay, backfill.DayCount{Day: evil, Outcomes: map[string]int{evil: 1}})
			s.Outcomes[evil] = 1
			for i := range s.Jobs {
				s.Jobs[i].ID, s.Jobs[i].State, s.Jobs[i].ErrorMessage, s.Jobs[i].SetupURL = evil, evil, evil, evil
			}
			var buf bytes.Buffer
			if err := report.Render(&buf, s, report.CLIView); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, bad := range []string{evil, "<script", "<img"} {
				if strings.Contains(out, bad) {
					t.Errorf("the page contains %q unescaped", bad)
				}
			}
			// The escaped text is still there for people to read.
			doc, err := html.Parse(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(textOf(doc), evil); n < 20 {
				t.Errorf("the text shows the value %d times, want it everywhere it was put (20 or more)", n)
			}
			checkSelfContained(t, doc, buf.Bytes())
		})
	}
}

// importSummary is a hand-built Summary of an import with three Bulk jobs, the last one
// failed, as the import command will fill it.
func importSummary() *backfill.Summary {
	at := func(min, sec int) time.Time { return time.Date(2026, 11, 24, 12, min, sec, 0, time.UTC) }
	s := &backfill.Summary{
		Command: "import", Rows: 40,
		Outcomes: map[string]int{"rejected": 1, "before_cutoff": 2, "duplicate": 1, "exists": 2, "created": 20,
			"updated": 10, "already_newer": 1, "failed": 2, "unprocessed": 1},
		Cutoff: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), Object: "nplms__Enrollment__c",
		ExternalIDField: "nplms__External_Id__c", KeyColumn: "External Id",
		DateColumns: []string{"Enrollment Date"}, UpdatedColumn: "Updated At",
		Mapping: []runfolder.Mapping{
			{Column: "External Id", Field: "nplms__External_Id__c", Type: "string", Source: "sdl"},
			{Column: "Learner Email", Field: "nplms__Email__c", Type: "email", Source: "label"},
			{Column: "Enrollment Date", Field: "nplms__Enrollment_Date__c", Type: "datetime", Source: "api name"},
			{Column: "Progress Percentage", Field: "nplms__Progress__c", Type: "percent", Source: "label"},
		},
		Unmapped: []string{"Course Name", "Learner Name"},
		Export: backfill.InputInfo{File: "enrollments.csv", Columns: []string{"External Id", "Learner Email", "Learner Name",
			"Course Name", "Enrollment Date", "Progress Percentage", "Updated At"}, Delimiter: "comma", Encoding: "utf-8"},
		APICalls: map[string]int{"query": 3, "bulk_ingest": 17, "describe": 2},
		Jobs: []backfill.JobSummary{
			{ID: "750xx0000000001AAA", Part: 1, Rows: 20, Bytes: 5000, State: "JobComplete", Processed: 20, Created: 15,
				Updated: 4, AlreadyNewer: 1, CreatedAt: at(0, 5), FinishedAt: at(0, 40),
				SetupURL: "/lightning/setup/AsyncApiJobStatus/page?address=%2F750xx0000000001AAA"},
			{ID: "750xx0000000002AAA", Part: 2, Rows: 12, Bytes: 4096, State: "JobComplete", Processed: 12, Created: 5,
				Updated: 6, Failed: 1, CreatedAt: at(0, 5), FinishedAt: at(1, 35),
				SetupURL: "/lightning/setup/AsyncApiJobStatus/page?address=%2F750xx0000000002AAA"},
			{ID: "750xx0000000003AAA", Part: 3, Rows: 2, Bytes: 700, State: "Failed", ErrorMessage: "InvalidBatch : Field name not found",
				Processed: 1, Failed: 1, Unprocessed: 1, CreatedAt: at(0, 5), FinishedAt: at(2, 0),
				SetupURL: "/lightning/setup/AsyncApiJobStatus/page?address=%2F750xx0000000003AAA"},
		},
		Reasons: []backfill.Reason{
			{Outcome: "failed", Reason: "REQUIRED_FIELD_MISSING:Required fields are missing", Count: 2, Examples: []int{14, 30}},
			{Outcome: "rejected", Reason: `column "Enrollment Date": unparseable date`, Count: 1, Examples: []int{9}},
		},
		Files: []backfill.RunFile{{Name: "summary.json", Desc: "counts"}, {Name: "ledger.csv", Desc: "one line per data row"},
			{Name: "success.csv", Desc: "30 rows"}, {Name: "error.csv", Desc: "2 rows"}, {Name: "unprocessed.csv", Desc: "1 row"},
			{Name: "report.html", Desc: "the report"}},
		RunFolder: "backfill-runs/20261124T120000Z",
		StartedAt: at(0, 0), FinishedAt: at(2, 1),
	}
	day := s.Cutoff
	for i, o := range []map[string]int{{"created": 8, "exists": 1}, {"updated": 10, "failed": 1}, {},
		{"created": 12, "already_newer": 1, "exists": 1}, {"failed": 1, "unprocessed": 1}} {
		if len(o) > 0 {
			s.ByDay = append(s.ByDay, backfill.DayCount{Day: day.AddDate(0, 0, i).Format(time.DateOnly), Outcomes: o})
		}
	}
	return s
}

func renderReport(t *testing.T, s *backfill.Summary) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Render(&buf, s, report.CLIView); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkReport asserts what every report must show for s: its sections, one outcome bar
// per non-zero outcome with its count, the per-day totals, every mapped column, every
// reason with its example lines, and nothing loaded from anywhere. page is the file
// written, or nil to render s.
func checkReport(t *testing.T, page []byte, s *backfill.Summary) *html.Node {
	t.Helper()
	if page == nil {
		var buf bytes.Buffer
		if err := report.Render(&buf, s, report.CLIView); err != nil {
			t.Fatal(err)
		}
		page = buf.Bytes()
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc, page)
	if title := textOf(find(doc, func(n *html.Node) bool { return n.Data == "title" })); title != "backfill "+s.Command+" report" {
		t.Errorf("title %q", title)
	}
	for _, id := range []string{"run", "verdict", "outcomes", "by-day", "reasons", "columns", "final", "files"} {
		if findID(doc, id) == nil {
			t.Errorf("no section #%s", id)
		}
	}
	if (findID(doc, "jobs") != nil) != (len(s.Jobs) > 0) {
		t.Errorf("jobs section shown: %v, with %d jobs", findID(doc, "jobs") != nil, len(s.Jobs))
	}

	// Outcomes: one bar per non-zero outcome, in report order, with its count.
	bars := findAll(findID(doc, "outcomes"), func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bar") })
	want := 0
	for _, n := range s.Outcomes {
		if n > 0 {
			want++
		}
	}
	if len(bars) != want {
		t.Errorf("%d outcome bars, want %d (one per non-zero outcome)", len(bars), want)
	}
	for _, b := range bars {
		o, n := attr(b, "data-outcome"), attr(b, "data-count")
		if got := strconv.Itoa(s.Outcomes[o]); n != got {
			t.Errorf("bar %s: data-count %s, want %s", o, n, got)
		}
		if find(b, func(n *html.Node) bool { return n.Data == "rect" }) == nil || !strings.Contains(textOf(b), backfill.Group(s.Outcomes[o])) {
			t.Errorf("bar %s has no rect or does not show its count", o)
		}
	}

	// Rows per day: the bars add up to by_day.
	perDay := 0
	for _, d := range s.ByDay {
		if _, err := time.Parse(time.DateOnly, d.Day); err != nil {
			continue
		}
		for o, n := range d.Outcomes {
			switch o {
			case "to_insert", "to_update", "created", "updated", "exists", "already_newer", "stale", "failed", "unprocessed":
				perDay += n
			}
		}
	}
	got := 0
	for _, r := range findAll(findID(doc, "by-day"), func(n *html.Node) bool { return n.Data == "rect" }) {
		n, err := strconv.Atoi(attr(r, "data-n"))
		if err != nil {
			t.Fatalf("per-day rect without data-n: %v", err)
		}
		got += n
	}
	if got != perDay {
		t.Errorf("per-day bars hold %d rows, by_day %d", got, perDay)
	}

	// Columns, mapping and reasons.
	cols := textOf(findID(doc, "columns"))
	for _, c := range append(append([]string{s.KeyColumn, s.UpdatedColumn}, s.DateColumns...), s.Export.Columns...) {
		if !strings.Contains(cols, c) {
			t.Errorf("columns section lacks %q", c)
		}
	}
	mapped := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "mapped") })
	if len(mapped) != len(s.Mapping) {
		t.Errorf("%d mapping rows, want %d", len(mapped), len(s.Mapping))
	}
	for i, m := range s.Mapping {
		if i < len(mapped) {
			if got, want := cells(mapped[i]), []string{m.Column, "→", m.Field, m.Type, m.Source}; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("mapping row %d = %q, want %q", i, got, want)
			}
		}
	}
	reasons := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "reason") })
	if len(reasons) != len(s.Reasons) {
		t.Errorf("%d reason rows, want %d", len(reasons), len(s.Reasons))
	}
	for i, r := range s.Reasons {
		if i >= len(reasons) {
			break
		}
		c := cells(reasons[i])
		lines := make([]string, len(r.Examples))
		for k, l := range r.Examples {
			lines[k] = strconv.Itoa(l)
		}
		reason := r.Reason
		if r.Example != "" {
			reason += " e.g. " + r.Example
		}
		if c[0] != r.Outcome || c[1] != reason || c[2] != backfill.Group(r.Count) || !strings.HasPrefix(c[3], strings.Join(lines, ", ")) {
			t.Errorf("reason row %d = %q, want %s %q %s lines %v", i, c, r.Outcome, reason, backfill.Group(r.Count), r.Examples)
		}
	}
	files := textOf(findID(doc, "files"))
	for _, f := range s.Files {
		if !strings.Contains(files, f.Name) {
			t.Errorf("files section lacks %s", f.Name)
		}
	}
	return doc
}

// checkSelfContained fails on anything a browser would fetch or run: scripts, external
// stylesheets, images, frames, URLs in attributes or CSS, event handlers. The one link
// allowed is to a file of the run folder, beside the report (plan-report.html).
func checkSelfContained(t *testing.T, doc *html.Node, page []byte) {
	t.Helper()
	for _, s := range []string{"http://", "https://", "//cdn", "@import", "url("} {
		if bytes.Contains(bytes.ToLower(page), []byte(s)) {
			t.Errorf("the page contains %q", s)
		}
	}
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "video", "audio", "source", "base", "image", "use", "foreignObject":
			t.Errorf("the page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if n.Data == "a" && k == "href" && runFolderFile.MatchString(a.Val) {
				continue
			}
			if strings.HasPrefix(k, "on") || k == "src" || k == "srcset" || k == "href" || k == "action" || k == "formaction" {
				t.Errorf("<%s> has a %s attribute", n.Data, a.Key)
			}
		}
	}
}

// runFolderFile is a link to a file beside the report: a name, no scheme, no folder.
var runFolderFile = regexp.MustCompile(`^[A-Za-z0-9_-]+\.(html|csv|json)$`)

// reportOutline is the page's structure as text: what golden files compare.
func reportOutline(doc *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "title":
				if n.Parent != nil && n.Parent.Data == "head" {
					fmt.Fprintf(&b, "title: %s\n", textOf(n))
				}
				return
			case n.Data == "h1" || n.Data == "h2" || n.Data == "h3":
				fmt.Fprintf(&b, "\n%s %s\n", strings.Repeat("#", int(n.Data[1]-'0')), textOf(n))
				return
			case n.Data == "p" || n.Data == "li" || n.Data == "dt" || n.Data == "footer":
				fmt.Fprintf(&b, "%s: %s\n", n.Data, textOf(n))
				return
			case n.Data == "dd":
				fmt.Fprintf(&b, "  %s\n", textOf(n))
				return
			case hasClass(n, "tile"):
				fmt.Fprintf(&b, "tile: %s\n", textOf(n))
				return
			case n.Data == "tr":
				fmt.Fprintf(&b, "row: %s\n", strings.Join(cells(n), " | "))
				return
			case n.Data == "g" && hasClass(n, "bar"):
				fmt.Fprintf(&b, "bar: %s %s (%s)\n", attr(n, "data-outcome"), attr(n, "data-count"), textOf(n))
				return
			case n.Data == "g" && hasClass(n, "plot"):
				bars, withRows := dayBars(n)
				fmt.Fprintf(&b, "day bars: %d, %d with rows\n", bars, withRows)
				for _, g := range findAll(n, func(m *html.Node) bool { return m.Data == "g" && attr(m, "data-total") != "0" && hasClass(m, "bucket") }) {
					fmt.Fprintf(&b, "  %s\n", textOf(find(g, func(m *html.Node) bool { return m.Data == "title" })))
				}
				return
			case n.Data == "g" && hasClass(n, "axis"):
				var labels []string
				for _, l := range findAll(n, func(m *html.Node) bool { return m.Data == "text" }) {
					labels = append(labels, textOf(l))
				}
				fmt.Fprintf(&b, "axis: %s\n", strings.Join(labels, " · "))
				return
			case hasClass(n, "legend"):
				fmt.Fprintf(&b, "legend: %s\n", textOf(n))
				return
			case n.Data == "section":
				fmt.Fprintf(&b, "\n[section #%s]\n", attr(n, "id"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return b.String()
}

func dayBars(chart *html.Node) (bars, withRows int) {
	for _, g := range findAll(chart, func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bucket") }) {
		bars++
		if attr(g, "data-total") != "0" {
			withRows++
		}
	}
	return bars, withRows
}

func hasFile(s *backfill.Summary, name string) bool {
	for _, f := range s.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if all := findAll(n, match); len(all) > 0 {
		return all[0]
	}
	return nil
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n == nil {
			return
		}
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func findID(n *html.Node, id string) *html.Node {
	return find(n, func(n *html.Node) bool { return attr(n, "id") == id })
}

func findClass(n *html.Node, class string) *html.Node {
	return find(n, func(n *html.Node) bool { return hasClass(n, class) })
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// textOf is the node's text with runs of white space collapsed. The SVG tooltips inside it
// are left out: they repeat what the chart shows.
func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "style" || c.Data == "title" && n.Data != "head") {
				continue
			}
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func cells(tr *html.Node) []string {
	var out []string
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			out = append(out, textOf(c))
		}
	}
	return out
}

// TestPrintSummaryImport covers the summary table lines only plan and import fill: the
// mapping, the columns left out, each Bulk job with where to find it in Setup, and the
// report's path.
func TestPrintSummaryImport(t *testing.T) {
	var buf bytes.Buffer
	if err := report.PrintSummary(&buf, importSummary(), "table"); err != nil {
		t.Fatal(err)
	}
	got := bytes.ReplaceAll(buf.Bytes(), []byte(filepath.Join("backfill-runs", "20261124T120000Z", "report.html")),
		[]byte("backfill-runs/20261124T120000Z/report.html")) // on Windows the path is printed with \
	compareGolden(t, filepath.Join("..", "..", "testdata", "golden", "report-import", "stdout.txt"), got)
}

// TestReportProveAndUndo: an import's report shows the verify and undo commands for its
// folder, each verify run and the last undo with their counts and verdicts.
func TestReportProveAndUndo(t *testing.T) {
	s := importSummary()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	s.Verify = []backfill.VerifyRun{
		{File: "verify.csv", At: at, Records: 30, Outcomes: map[string]int{"match": 30}},
		{File: "verify-2.csv", At: at.Add(time.Hour), Records: 30, Outcomes: map[string]int{"match": 28, "differs": 1, "missing": 1},
			Examples: []string{"k1: differs (nplms__Status__c: uploaded \"done\", Salesforce \"<b>\")"}},
	}
	s.Undo = &backfill.UndoRun{At: at.Add(2 * time.Hour), DryRun: true, File: "undo-plan.csv", RecycleBinDays: 15,
		Planned: map[string]int{"delete": 25, "restore": 4, "skip": 1}}
	var b strings.Builder
	if err := report.Render(&b, s, report.CLIView); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	prove := textOf(findID(doc, "prove"))
	for _, want := range []string{"backfill verify " + s.RunFolder, "backfill undo " + s.RunFolder, "every record matches",
		"some records differ or are missing", "verify-2.csv", `Salesforce "<b>"`, "Undo plan (dry run: nothing changed)", "delete 25 created by the import",
		"Recycle Bin for 15 days"} {
		if !strings.Contains(strings.ReplaceAll(prove, "\n", ""), want) {
			t.Errorf("prove section lacks %q:\n%s", want, prove)
		}
	}
	if strings.Contains(b.String(), "<b>\"") {
		t.Errorf("an example was not escaped")
	}
}

// TestReportForeseen: the refusals a plan foresaw are grouped with their fix and example
// lines, and after the import the report says how Salesforce's refusals compare.
func TestReportForeseen(t *testing.T) {
	s := importSummary()
	s.Foreseen = []backfill.Foreseen{{Code: backfill.CodeRestrictedPick, Field: "nplms__Status__c", Label: "Status", Outcome: "to_insert",
		Count: 7, Lines: []int{3, 8, 9, 12, 20}, Examples: []string{"Completed ", "finished"},
		Message: "Status: bad value for restricted picklist field: finished", Fix: "use one of the picklist's values (enrolled, in_progress, completed)"}}
	s.Refusals = &backfill.RefusalCheck{Foreseen: 7, Refused: 8, AsSaid: 7, Unforeseen: 1, Examples: []string{"line 30: refused with DUPLICATE_VALUE, not foreseen"}}
	doc := renderReport(t, s)
	sec := findID(doc, "foreseen")
	if sec == nil {
		t.Fatal("no foreseen section")
	}
	text := textOf(sec)
	for _, want := range []string{"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status", `"Completed "`, "3, 8, 9, 12, 20, …",
		"fix: use one of the picklist's values", "7 sent that the plan foresaw Salesforce refusing: 7 refused as foreseen",
		"1 refused that the plan did not foresee", "line 30: refused with DUPLICATE_VALUE"} {
		if !strings.Contains(text, want) {
			t.Errorf("foreseen section lacks %q:\n%s", want, text)
		}
	}
	var b bytes.Buffer
	if err := report.PrintSummary(&b, s, "table"); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST on Status (nplms__Status__c): 7 rows, lines 3, 8, 9, 12, 20, …") ||
		!strings.Contains(out, "refusals:      7 sent") {
		t.Errorf("summary table:\n%s", out)
	}
}

// TestReportDifferences: stale and to-update rows show each differing field's two values
// and which Updated At is later, grouped, with a count.
func TestReportDifferences(t *testing.T) {
	s := importSummary()
	s.Differences = &backfill.Differences{Rows: 8, SalesforceNewer: 8, UpdatedField: "nplms__Updated_At__c",
		Fields: []backfill.FieldCount{{Field: "nplms__Progress__c", Rows: 8}},
		Groups: []backfill.DiffGroup{{Outcome: "stale", Later: backfill.LaterSalesforce, Count: 8, Samples: []backfill.DiffSample{
			{Line: 12, Key: "k-12", ID: "a0E000000000012AAA", SalesforceUpdatedAt: "2026-01-10T03:03:00Z", ExportUpdatedAt: "2026-01-07T03:03:00Z",
				Values: []backfill.FieldValue{{Field: "nplms__Progress__c", Salesforce: "100", Export: "75"}}}}}}}
	sec := findID(renderReport(t, s), "differences")
	if sec == nil {
		t.Fatal("no differences section")
	}
	text := textOf(sec)
	for _, want := range []string{"stale: Salesforce's Updated At is later (a newer version: never sent): 8", "k-12", "nplms__Progress__c",
		"100", "75", "2026-01-10T03:03:00Z / 2026-01-07T03:03:00Z", "The first 1 rows of 8", "differences.csv"} {
		if !strings.Contains(text, want) {
			t.Errorf("differences section lacks %q:\n%s", want, text)
		}
	}
}
