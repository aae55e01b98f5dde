package sftest_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestEnrollmentMemory measures the emulator's heap per demo Enrollment record: it adds
// SFTEST_MEMORY_RECORDS (default 1,000,000) records like those of the demo seed, each with
// its own external id, email, name and course, with AddRecord or, with
// SFTEST_MEMORY_VIA=bulk, with Bulk upsert jobs of 100,000 rows (whose results are then
// expired), and reads HeapInuse after a GC before and after. It runs only with
// SFTEST_MEMORY=1 (about 20 s and 2 GB at most), and fails above 1 KB per record:
//
//	SFTEST_MEMORY=1 go test -run TestEnrollmentMemory -v ./sfclient/sftest/
func TestEnrollmentMemory(t *testing.T) {
	if os.Getenv("SFTEST_MEMORY") != "1" {
		t.Skip("set SFTEST_MEMORY=1 to measure the emulator's memory per record")
	}
	n := 1_000_000
	if v := os.Getenv("SFTEST_MEMORY_RECORDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	s := sftest.NewServer(t)
	before := heapInuse()
	if os.Getenv("SFTEST_MEMORY_VIA") == "bulk" {
		addEnrollmentsByBulk(t, s, n)
	} else {
		addEnrollments(t, s, n)
	}
	after := heapInuse()
	per := float64(after-before) / float64(n)
	t.Logf("%d Enrollment records: HeapInuse %d MB -> %d MB, %.0f bytes per record", n, before>>20, after>>20, per)
	if got := len(s.RecordValues(enrollObj, "Id")); got < n {
		t.Fatalf("%d records, want at least %d", got, n)
	}
	if per > 1024 {
		t.Errorf("%.0f bytes per record, want at most 1024", per)
	}
}

// enrollmentValues returns the values of the i-th synthetic Enrollment.
func enrollmentValues(i int, contact any) map[string]any {
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	return map[string]any{
		"nplms__External_Id__c":           fmt.Sprintf("%08x-52fa-4db6-966d-%012x", i, i*7919),
		"nplms__Learner_Email__c":         fmt.Sprintf("learner.%d@example.com", i),
		"nplms__Learner_Name__c":          fmt.Sprintf("Learner %d", i),
		"nplms__Course_Id__c":             fmt.Sprintf("742f7574-fded-4209-9c54-%012d", i%50),
		"nplms__Course_Name__c":           fmt.Sprintf("Course %d", i%50),
		"nplms__Course_Attempt_Number__c": float64(1 + i%3),
		"nplms__Enrollment_Date__c":       base.Add(time.Duration(i) * time.Minute),
		"nplms__Progress_Percentage__c":   float64(i % 101),
		"nplms__Status__c":                []string{"enrolled", "in_progress", "completed"}[i%3],
		"nplms__Updated_At__c":            base.Add(time.Duration(i)*time.Minute + time.Hour),
		"nplms__Contact__c":               contact,
	}
}

func addEnrollments(t *testing.T, s *sftest.Server, n int) {
	contacts := s.RecordValues("Contact", "Id")
	for i := range n {
		if _, err := s.AddRecord(enrollObj, enrollmentValues(i, contacts[i%len(contacts)][0])); err != nil {
			t.Fatal(err)
		}
	}
}

// addEnrollmentsByBulk upserts n Enrollments in jobs of 100,000 rows, then expires the jobs.
func addEnrollmentsByBulk(t *testing.T, s *sftest.Server, n int) {
	contacts := s.RecordValues("Contact", "Id")
	cols := []string{"nplms__External_Id__c", "nplms__Learner_Email__c", "nplms__Learner_Name__c", "nplms__Course_Id__c",
		"nplms__Course_Name__c", "nplms__Course_Attempt_Number__c", "nplms__Enrollment_Date__c", "nplms__Progress_Percentage__c",
		"nplms__Status__c", "nplms__Updated_At__c", "nplms__Contact__c"}
	for start := 0; start < n; start += 100000 {
		var b strings.Builder
		b.WriteString(strings.Join(cols, ",") + "\n")
		for i := start; i < min(start+100000, n); i++ {
			vals := enrollmentValues(i, contacts[i%len(contacts)][0])
			for j, c := range cols {
				if j > 0 {
					b.WriteByte(',')
				}
				switch x := vals[c].(type) {
				case time.Time:
					b.WriteString(x.Format(time.RFC3339))
				default:
					fmt.Fprint(&b, x)
				}
			}
			b.WriteByte('\n')
		}
		if info := runJob(t, s, upsertJob, b.String()); info["numberRecordsFailed"].(float64) != 0 {
			t.Fatalf("job: %v", info)
		}
	}
	s.ExpireJobs()
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
