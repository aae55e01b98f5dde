package sfclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/simpleforce/simpleforce"
)

// Record is one SOQL result row as simpleforce decodes it: field API name to value, where a
// value is nil (null), bool, string, float64 (EVERY JSON number, so integers above 2^53 lose
// precision), a nested map[string]any for a parent relationship (with its own "attributes"),
// or a nested query result for a child subquery. Use the typed accessors rather than type
// assertions; they accept dotted relationship paths such as "Profile.Name".
type Record map[string]any

// Get returns the value at a dotted path ("Account.Owner.Email"), following nested parent
// objects; ok is false when a step is missing or not an object. A null lookup yields
// (nil, true) for the lookup itself and (nil, false) below it.
func (r Record) Get(path string) (v any, ok bool) {
	cur := map[string]any(r)
	parts := strings.Split(path, ".")
	for i, p := range parts {
		v, ok = lookupFold(cur, p)
		if !ok || i == len(parts)-1 {
			return v, ok
		}
		next, isMap := v.(map[string]any)
		if !isMap {
			if sobj, isSObj := v.(simpleforce.SObject); isSObj {
				next = sobj
			} else {
				return nil, false
			}
		}
		cur = next
	}
	return nil, false
}

// lookupFold finds key exactly, else case-insensitively (SOQL field names are
// case-insensitive; the response uses the describe spelling).
func lookupFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// Type returns the record's attributes.type ("" if absent).
func (r Record) Type() string {
	s, _ := r.Get("attributes.type")
	t, _ := s.(string)
	return t
}

// String returns the value at path as a string: strings as is, numbers in their shortest
// decimal form without exponent, booleans as "true"/"false", and "" for null or missing.
func (r Record) String(path string) string {
	v, _ := r.Get(path)
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Float returns the number at path; ok is false for null, missing or non-numeric values.
// Numeric strings are accepted (leniency for APIs that quote numbers).
func (r Record) Float(path string) (float64, bool) {
	v, _ := r.Get(path)
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// Int returns the integral number at path; ok is false for null, missing, fractional or
// non-numeric values. Numeric strings are accepted.
func (r Record) Int(path string) (int64, bool) {
	v, _ := r.Get(path)
	if s, isStr := v.(string); isStr {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err == nil {
			return n, true
		}
	}
	f, ok := r.Float(path)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// Bool returns the boolean at path; ok is false for null or missing values. The strings
// "true" and "false" are accepted.
func (r Record) Bool(path string) (value, ok bool) {
	v, _ := r.Get(path)
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

// Time parses the date or datetime at path: Salesforce's "2006-01-02T15:04:05.000+0000",
// RFC 3339, or a date "2006-01-02" (midnight UTC). ok is false for null, missing or
// unparseable values.
func (r Record) Time(path string) (time.Time, bool) {
	s := r.String(path)
	if s == "" {
		return time.Time{}, false
	}
	t, err := ParseTime(s)
	return t, err == nil
}

// Salesforce datetime layouts (offset without a colon in JSON and job info).
var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
	"2006-01-02",
}

// ParseTime parses a Salesforce date or datetime value ("2024-03-20T21:42:13.000+0000",
// RFC 3339 with Z or +hh:mm, or "2024-03-20").
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse Salesforce time %q: unrecognised format", s)
}

// Query runs a SOQL query through simpleforce and calls fn for each record, page by page,
// following nextRecordsUrl; it never holds more than one page (up to 2,000 records). Each
// page request is retried on transient errors and replayed once after re-authentication.
// fn's error stops the query and is returned as is. Errors from Salesforce are *[APIError].
func (c *Client) Query(ctx context.Context, soql string, fn func(Record) error) error {
	_, err := c.query(ctx, CallQuery, false, soql, fn)
	return err
}

// ToolingQuery is [Client.Query] against the Tooling API (…/tooling/query).
func (c *Client) ToolingQuery(ctx context.Context, soql string, fn func(Record) error) error {
	_, err := c.query(ctx, CallTooling, true, soql, fn)
	return err
}

// Count runs a query such as "SELECT COUNT() FROM X WHERE …" and returns its totalSize
// (for a non-aggregate query: the number of matching rows, reading only the first page).
func (c *Client) Count(ctx context.Context, soql string) (int, error) {
	errStop := errors.New("stop")
	n, err := c.query(ctx, CallQuery, false, soql, func(Record) error { return errStop })
	if errors.Is(err, errStop) {
		err = nil
	}
	return n, err
}

func (c *Client) query(ctx context.Context, kind string, tooling bool, soql string, fn func(Record) error) (total int, err error) {
	next := soql
	for page := 0; ; page++ {
		var res *simpleforce.QueryResult
		q := next
		err := c.do(ctx, kind, true, func(ctx context.Context, s session) error {
			sf := c.simpleforce(ctx, s, tooling)
			return cleanErr(safeCall(func() error {
				var err error
				res, err = sf.Query(q)
				return err
			}))
		})
		if err != nil {
			if page > 0 {
				return total, fmt.Errorf("query page %d: %w", page+1, err)
			}
			return total, err
		}
		if page == 0 {
			total = res.TotalSize
		}
		for _, rec := range res.Records {
			delete(rec, "__client__") // simpleforce's back-pointer; it would keep ctx alive
			if err := fn(Record(rec)); err != nil {
				return total, err
			}
		}
		if res.Done || res.NextRecordsURL == "" {
			return total, nil
		}
		if !strings.HasPrefix(res.NextRecordsURL, "/services/data/") {
			return total, fmt.Errorf("query: unexpected nextRecordsUrl %q", truncate(res.NextRecordsURL, 80))
		}
		next = res.NextRecordsURL
	}
}

// simpleforce returns a fresh simpleforce client for one call: bound to ctx through its
// http.Client, holding the current session, and switched to the Tooling API if asked. A
// fresh client per call avoids simpleforce's sticky, racy Tooling() flag and its shared
// apiVersion rewrites.
func (c *Client) simpleforce(ctx context.Context, s session, tooling bool) *simpleforce.Client {
	sf := simpleforce.NewClient(s.instanceURL, simpleforce.DefaultClientID, c.apiVersion)
	sf.SetHttpClient(c.simpleforceHTTP(ctx))
	sf.SetSidLoc(s.token, s.instanceURL)
	if tooling {
		sf.Tooling()
	}
	return sf
}

// simpleforceHTTP returns an *http.Client that sends simpleforce's context-less requests
// with ctx, through the client's transport (which turns error answers into *APIError).
func (c *Client) simpleforceHTTP(ctx context.Context) *http.Client {
	return &http.Client{
		Transport: ctxTransport{ctx: context.WithValue(ctx, simpleforceKey, true), rt: c.hc.Transport},
		Timeout:   c.cfg.Timeout,
	}
}

// ctxTransport attaches a context to requests built without one (simpleforce's). It holds the
// context of a single call and lives only as long as that call.
type ctxTransport struct {
	ctx context.Context
	rt  http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.WithContext(t.ctx)
	req.Header.Set("Accept", "application/json")
	if req.Method == http.MethodGet {
		req.Header.Del("Content-Type") // simpleforce sends application/json on GETs
	}
	return t.rt.RoundTrip(req)
}

// safeCall runs fn, turning a panic inside simpleforce (e.g. its index out of range on an
// empty error array) into an error.
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("simpleforce panicked: %v", r)
		}
	}()
	return fn()
}

// QuoteString returns s as a SOQL string literal: single-quoted, with backslash, quote,
// double quote, newline, carriage return, tab, backspace and form feed escaped
// (SOQL reference, "Quoted String Escape Sequences"; docs/SALESFORCE.md). It does not escape LIKE wildcards; see [QuoteLike].
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteLike is [QuoteString] for a LIKE pattern matched literally: % and _ are escaped too.
func QuoteLike(s string) string {
	q := QuoteString(s)
	q = strings.ReplaceAll(q, "%", `\%`)
	return strings.ReplaceAll(q, "_", `\_`)
}

// Statement limits used by [InBatches].
const (
	// MaxSOQLLength is Salesforce's default statement limit (100,000 characters).
	MaxSOQLLength = 100_000
	// MaxQueryURLLength keeps the URL-encoded statement of a GET well under proxy limits
	// (~16 KB).
	MaxQueryURLLength = 12_000
)

// InBatches splits keys into IN lists so that every statement prefix + "(" + quoted keys
// joined by "," + ")" + suffix stays under [MaxSOQLLength] characters and its URL-encoded
// form under [MaxQueryURLLength] bytes, e.g. prefix "SELECT Id, Ext__c FROM X WHERE Ext__c IN "
// and suffix "". It calls fn with each complete statement, in key order, each key exactly
// once (duplicates are not removed). It returns fn's first error, or an error when a single
// key cannot fit in a statement.
func InBatches(prefix, suffix string, keys []string, fn func(soql string) error) error {
	return inBatches(prefix, suffix, keys, MaxSOQLLength, MaxQueryURLLength, func(soql string, _ int) error { return fn(soql) })
}

// InBatchesN is [InBatches] that also tells fn how many keys each statement holds (for
// progress counted in keys).
func InBatchesN(prefix, suffix string, keys []string, fn func(soql string, keys int) error) error {
	return inBatches(prefix, suffix, keys, MaxSOQLLength, MaxQueryURLLength, fn)
}

func inBatches(prefix, suffix string, keys []string, maxLen, maxURL int, fn func(string, int) error) error {
	baseLen := len(prefix) + len(suffix) + 2
	baseURL := encodedLen(prefix) + encodedLen(suffix) + 6 // %28 %29
	var b strings.Builder
	n, curLen, curURL := 0, baseLen, baseURL
	flush := func() error {
		if n == 0 {
			return nil
		}
		s, keys := prefix+"("+b.String()+")"+suffix, n
		b.Reset()
		n, curLen, curURL = 0, baseLen, baseURL
		return fn(s, keys)
	}
	for _, k := range keys {
		q := QuoteString(k)
		l, ul := len(q), encodedLen(q)
		if n > 0 {
			l, ul = l+1, ul+3 // "," → %2C
		}
		if curLen+l > maxLen || curURL+ul > maxURL {
			if err := flush(); err != nil {
				return err
			}
			l, ul = len(q), encodedLen(q)
			if curLen+l > maxLen || curURL+ul > maxURL {
				return fmt.Errorf("IN list: key %q is too long for one query", truncate(k, 40))
			}
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(q)
		n++
		curLen += l
		curURL += ul
	}
	return flush()
}

// encodedLen is len(url.QueryEscape(s)) without allocating.
func encodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == ' ':
			n++
		default:
			n += 3
		}
	}
	return n
}
