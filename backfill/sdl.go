package backfill

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Mapping is a column-to-field mapping read from a Data Loader .sdl file.
type Mapping struct {
	// Columns maps an export header (as written in the file) to one or more field API names.
	Columns map[string][]string
	// Constants maps a field API name to a value set on every row ("value"=Field lines).
	Constants map[string]string
	// Order lists the mapped headers in file order, for messages.
	Order []string
}

// ParseSDL reads a Data Loader mapping file: Java-properties lines `CSV Header=Field__c`
// (":" also separates; "\ ", "\:", "\=" and "\\" escape), '#' or '!' comments, blank
// lines, a header mapped to several fields as `Header=Field1, Field2`, and constants as
// `"value"=Field__c`. name is used in error messages ("mapping.sdl:3: ...").
func ParseSDL(r io.Reader, name string) (*Mapping, error) {
	m := &Mapping{Columns: map[string][]string{}, Constants: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	var cont strings.Builder
	start := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if cont.Len() == 0 {
			start = n
			t := strings.TrimSpace(line)
			if t == "" || t[0] == '#' || t[0] == '!' {
				continue
			}
		}
		// A line ending in an odd number of backslashes continues on the next line.
		if trailingBackslashes(line)%2 == 1 {
			cont.WriteString(strings.TrimLeft(line[:len(line)-1], " \t"))
			continue
		}
		cont.WriteString(strings.TrimLeft(line, " \t"))
		full := cont.String()
		cont.Reset()
		key, value, err := splitProperty(full)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, start, err)
		}
		if key == "" {
			return nil, fmt.Errorf("%s:%d: empty CSV header before %q", name, start, "=")
		}
		var fields []string
		for _, f := range strings.Split(value, ",") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
		if len(fields) == 0 {
			// Data Loader writes `Header=` for a column left unmapped: keep it out.
			continue
		}
		if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
			for _, f := range fields {
				m.Constants[f] = key[1 : len(key)-1]
			}
			continue
		}
		if _, dup := m.Columns[key]; dup {
			return nil, fmt.Errorf("%s:%d: header %q is mapped twice", name, start, key)
		}
		m.Columns[key] = fields
		m.Order = append(m.Order, key)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if cont.Len() > 0 {
		return nil, fmt.Errorf("%s:%d: the file ends inside a continued line", name, start)
	}
	return m, nil
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// splitProperty splits a properties line at the first unescaped '=' or ':' and unescapes
// both sides.
func splitProperty(s string) (key, value string, err error) {
	var k strings.Builder
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			k.WriteByte(unescapeProp(s[i]))
			continue
		}
		if c == '=' || c == ':' {
			break
		}
		k.WriteByte(c)
	}
	if i >= len(s) {
		return "", "", fmt.Errorf("no '=' in %q: want CSV Header=Field__c", s)
	}
	var v strings.Builder
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		if c == '\\' && j+1 < len(s) {
			j++
			v.WriteByte(unescapeProp(s[j]))
			continue
		}
		v.WriteByte(c)
	}
	return strings.TrimSpace(k.String()), strings.TrimSpace(v.String()), nil
}

func unescapeProp(c byte) byte {
	switch c {
	case 't':
		return '\t'
	case 'n':
		return '\n'
	}
	return c
}

// columnOf returns the export column mapped to field (case-insensitive), or "".
func (m *Mapping) columnOf(field string) string {
	for _, col := range m.Order {
		for _, f := range m.Columns[col] {
			if strings.EqualFold(f, field) {
				return col
			}
		}
	}
	return ""
}
