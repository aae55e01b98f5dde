package csvdiff_test

import (
	"fmt"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

func TestKeySet(t *testing.T) {
	s := csvdiff.NewKeySet(10) // far too small: forces growth
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
