package csvdiff

import (
	"context"
	"io"
	"os"
	"testing"
	"time"
)

func TestZZTime(t *testing.T) {
	path := os.Getenv("ZZ_FILE")
	if path == "" {
		t.Skip()
	}
	for round := 0; round < 3; round++ {
		f, _ := os.Open(path)
		buf := make([]byte, 1<<20)
		t0 := time.Now()
		n := 0
		for {
			k, err := f.Read(buf)
			n += k
			if err == io.EOF {
				break
			}
		}
		f.Close()
		tRead := time.Since(t0)
		f, _ = os.Open(path)
		sc, _, _ := openCSV(f, "x", "", 0)
		t0 = time.Now()
		recs := 0
		for {
			_, err := sc.next()
			if err != nil {
				break
			}
			recs++
		}
		tLazy := time.Since(t0)
		f.Close()
		f, _ = os.Open(path)
		t0 = time.Now()
		x, err := Scan(context.Background(), f, Options{Since: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), FoldKeys: true})
		tScan := time.Since(t0)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("read %v (%d B)  nextLazy %v (%d recs)  Scan %v (%d rows)", tRead, n, tLazy, recs, tScan, x.Rows())
	}
}
