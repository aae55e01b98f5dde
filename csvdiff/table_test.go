package csvdiff_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

func TestKeySet(t *testing.T) {
	s := csvdiff.NewKeySet(10, false) // far too small: forces growth
	const n = 50000
	for i := 0; i < n; i++ {
		if err := s.Add([]byte(fmt.Sprintf("key-%d", i)), []byte(fmt.Sprintf("id%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	s.Add([]byte("key-7"), []byte("second value ignored"))
	s.Add([]byte(""), nil)
	if s.Len() != n+1 {
		t.Fatalf("Len = %d, want %d", s.Len(), n+1)
	}
	for i := 0; i < n; i++ {
		v, ok := s.Lookup([]byte(fmt.Sprintf("key-%d", i)))
		if !ok || string(v) != fmt.Sprintf("id%d", i) {
			t.Fatalf("Lookup(key-%d) = %q, %v", i, v, ok)
		}
	}
	for _, k := range []string{"key-50000", "KEY-1", "key-1 ", "ke"} {
		if _, ok := s.Lookup([]byte(k)); ok {
			t.Errorf("Lookup(%q) found a key never added", k)
		}
	}
	if _, ok := s.Lookup(nil); !ok {
		t.Errorf("the empty key was added and must be found")
	}
}

// TestKeySetEncoding covers the packed-UUID key form: lower-case UUIDs, upper-case ones,
// near-UUIDs and keys starting with the tag bytes must all stay distinct and exact.
func TestKeySetEncoding(t *testing.T) {
	keys := []string{
		"3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a10",
		"3F1C9A2E-6B4D-4E8A-9C71-0D2B5E7F8A10",
		"3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a1g",
		"3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a1",
		"3f1c9a2e66b4d64e8a69c7160d2b5e7f8a10",
		"\xff?\x1c\x9a.kM\x4e\x8a\x9cq\r+^\x7f\x8a\x10",
		"\xfe3f1c",
		"\xff",
	}
	s := csvdiff.NewKeySet(0, false)
	for i, k := range keys {
		s.Add([]byte(k), []byte(fmt.Sprint(i)))
	}
	if s.Len() != len(keys) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(keys))
	}
	for i, k := range keys {
		if v, ok := s.Lookup([]byte(k)); !ok || string(v) != fmt.Sprint(i) {
			t.Errorf("Lookup(%q) = %q %v, want %d", k, v, ok, i)
		}
	}
}

func TestCandidatesRoundTripKeys(t *testing.T) {
	in := "External Id,Enrollment Date\n3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a10,2025-12-01\nPLAIN-key,2025-12-01\n\xfeodd,2025-12-01\n"
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(in), csvdiff.Options{Since: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	x.Candidates(func(k []byte) bool { got = append(got, string(k)); return true })
	want := []string{"3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a10", "PLAIN-key"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Candidates = %q, want %q (the invalid UTF-8 row is rejected)", got, want)
	}
}
