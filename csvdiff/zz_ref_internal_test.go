package csvdiff

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func refInputs() map[string]string {
	in := map[string]string{}
	for s := uint64(1); s <= 40; s++ {
		eol := "\n"
		if s%3 == 0 {
			eol = "\r\n"
		}
		q := quirkyExport(s, 2000, eol)
		if s%7 == 0 {
			q = strings.ReplaceAll(q, "\n", "\r")
		}
		in[fmt.Sprintf("q%02d", s)] = q
	}
	return in
}

func keysDump(t *testing.T, in string, chunk int) string {
	x, err := Scan(t.Context(), strings.NewReader(in), Options{Since: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), FoldKeys: true, chunk: chunk})
	if err != nil {
		return "error: " + err.Error()
	}
	set, info, err := ReadKeys(t.Context(), strings.NewReader(in), KeysOptions{IDColumn: "Learner Name", Keep: x.IsCandidate, FoldKeys: true})
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %d %v\n", info.Rows, info.Keys, info.Skipped, info.Problems)
	set.t.each(func(k, v []byte) bool { fmt.Fprintf(&b, "%q %q\n", k, v); return true })
	return b.String()
}

func TestZZRef(t *testing.T) {
	dir := os.Getenv("REF_DIR")
	if dir == "" {
		t.Skip()
	}
	write := os.Getenv("REF_WRITE") == "1"
	for name, in := range refInputs() {
		for _, chunk := range []int{0, 61, 4096} {
			got := ledgerOf(t, in, chunk) + "\n--keys\n" + keysDump(t, in, chunk)
			path := fmt.Sprintf("%s/%s-%d.txt", dir, name, chunk)
			if write {
				os.WriteFile(path, []byte(got), 0o644)
				continue
			}
			want, _ := os.ReadFile(path)
			if got != string(want) {
				t.Errorf("%s chunk %d differs:\n%s", name, chunk, firstDiff(got, string(want)))
			}
		}
	}
}
