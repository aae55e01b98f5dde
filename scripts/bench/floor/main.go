// Floor measures what no tool can do the reference job faster than, on this machine: reading
// the export once, and one tokenizing pass over it (every record and every field found,
// RFC 4180 quotes and doubled quotes and line breaks in quotes handled, nothing else done)
// on one core or two. make bench runs it beside backfill and DuckDB, so that the distance
// left is visible.
//
//	floor read FILE
//	floor tokenize [-cores 1|2] FILE
//
// It prints {"bytes":N,"records":N,"fields":N} as JSON (records with the header). With two
// cores the file is cut at the first line break after its middle; the first core checks,
// when it gets there, that a record starts there (no quoted field spans the cut); if not,
// it tokenizes the rest itself and the result says "fallback".
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

const bufSize = 1 << 20

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: floor read FILE | floor tokenize [-cores N] FILE")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	cores := fs.Int("cores", 1, "cores to tokenize on (1 or 2)")
	fs.Parse(os.Args[2:])
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	var res result
	switch os.Args[1] {
	case "read":
		res, err = read(f)
	case "tokenize":
		res, err = tokenizeFile(f, st.Size(), *cores)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

type result struct {
	Bytes    int64 `json:"bytes"`
	Records  int   `json:"records,omitempty"`
	Fields   int   `json:"fields,omitempty"`
	Fallback bool  `json:"fallback,omitempty"`
}

func read(r io.Reader) (result, error) {
	var res result
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		res.Bytes += int64(n)
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
	}
}

// part is what tokenizing [from, to) found: records that start before to are read to
// their end, so the part's last record may end after to (at end).
type part struct {
	result
	end int64 // where the record after the part's last one starts
}

func tokenizeFile(f *os.File, size int64, cores int) (result, error) {
	if cores < 2 || size < 2*bufSize {
		p, err := tokenizeRange(f, 0, size)
		return p.result, err
	}
	// The second core starts after the first line break past the middle.
	mid := size / 2
	probe := make([]byte, 64<<10)
	n, err := f.ReadAt(probe, mid)
	if err != nil && err != io.EOF {
		return result{}, err
	}
	nl := bytes.IndexByte(probe[:n], '\n')
	if nl < 0 {
		p, err := tokenizeRange(f, 0, size)
		return p.result, err
	}
	cut := mid + int64(nl) + 1
	type done struct {
		p   part
		err error
	}
	second := make(chan done, 1)
	go func() {
		p, err := tokenizeRange(f, cut, size)
		second <- done{p, err}
	}()
	first, err := tokenizeRange(f, 0, cut)
	if err != nil {
		return result{}, err
	}
	d := <-second
	if d.err != nil {
		return result{}, d.err
	}
	if first.end == cut {
		r := first.result
		r.Bytes += d.p.Bytes
		r.Records += d.p.Records
		r.Fields += d.p.Fields
		return r, nil
	}
	// A quoted field spans the cut: the first core's view is the right one.
	rest, err := tokenizeRange(f, first.end, size)
	if err != nil {
		return result{}, err
	}
	r := first.result
	r.Bytes += rest.Bytes
	r.Records += rest.Records
	r.Fields += rest.Fields
	r.Fallback = true
	return r, nil
}

// tokenizeRange tokenizes the records that start in [from, to), reading with 1 MB reads.
func tokenizeRange(f *os.File, from, to int64) (part, error) {
	var p part
	buf := make([]byte, bufSize)
	pos := from // file offset of buf[0]
	n := 0      // bytes in buf
	eof := false
	start := 0 // the next record's start in buf
	fill := func() error {
		if start > 0 {
			n = copy(buf, buf[start:n])
			pos += int64(start)
			start = 0
		}
		if n == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:n])
			buf = nb
		}
		k, err := f.ReadAt(buf[n:], pos+int64(n))
		n += k
		p.Bytes += int64(k)
		if err == io.EOF {
			eof = true
			return nil
		}
		return err
	}
	for {
		if pos+int64(start) >= to || (eof && start >= n) {
			p.end = pos + int64(start)
			return p, nil
		}
		end, fields, ok := record(buf[start:n], eof)
		if !ok {
			if eof {
				p.end = pos + int64(n)
				return p, nil
			}
			if err := fill(); err != nil {
				return p, err
			}
			continue
		}
		p.Records++
		p.Fields += fields
		start += end
	}
}

// record finds the fields of the record at the start of data (RFC 4180) and returns the
// length of the record with its line break. ok is false when data does not hold all of it
// and more may come.
func record(data []byte, final bool) (end, fields int, ok bool) {
	i := 0
	for {
		fields++
		if i < len(data) && data[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					return 0, 0, final && len(data) > 0
				}
				i += j + 1
				if i < len(data) && data[i] == '"' {
					i++
					continue
				}
				break
			}
			if i >= len(data) {
				return len(data), fields, final
			}
			switch data[i] {
			case ',':
				i++
				continue
			case '\r':
				i++
			}
			if i < len(data) && data[i] == '\n' {
				return i + 1, fields, true
			}
			continue // text after a closing quote: RFC 4180 has none, go on as a field
		}
		nl := bytes.IndexByte(data[i:], '\n')
		if nl < 0 {
			if !final {
				return 0, 0, false
			}
			nl = len(data) - i
		}
		line := data[i : i+nl]
		c := bytes.IndexByte(line, ',')
		if c < 0 {
			if i+nl >= len(data) {
				return len(data), fields, true
			}
			return i + nl + 1, fields, true
		}
		i += c + 1
	}
}
