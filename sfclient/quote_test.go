package sfclient_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// quoteOrg is an emulated org for QuoteString round trips: a client on it and the external
// ids of the Enrollment records it holds (Id by key). With caseSensitive the external id
// field compares text exactly; without, case-insensitively like Salesforce's default.
type quoteOrg struct {
	srv           *sftest.Server
	c             *sfclient.Client
	caseSensitive bool
	ids           map[string]string
}

func newQuoteOrg(t testing.TB, caseSensitive bool) *quoteOrg {
	t.Helper()
	seed := sftest.DemoSeed()
	obj := seed.Object(enrollment)
	for i := range obj.Fields {
		if obj.Fields[i].Name == extID {
			obj.Fields[i].CaseSensitive = caseSensitive
			obj.Fields[i].Length = 1000
		}
	}
	srv := sftest.NewServer(t, sftest.WithSeed(seed))
	c, err := sfclient.New(t.Context(), emuConfig(srv, sfclient.Credentials{AccessToken: srv.AccessToken()}), nil)
	if err != nil {
		t.Fatal(err)
	}
	o := &quoteOrg{srv: srv, c: c, caseSensitive: caseSensitive, ids: map[string]string{}}
	for _, r := range srv.Records(enrollment) {
		if k, ok := r[extID].(string); ok {
			o.ids[k] = r["Id"].(string)
		}
	}
	return o
}

// add creates an Enrollment with external id key, once.
func (o *quoteOrg) add(t testing.TB, key string) {
	t.Helper()
	if _, ok := o.ids[key]; ok {
		return
	}
	id, err := o.srv.AddRecord(enrollment, map[string]any{extID: key, "nplms__Learner_Email__c": "q@example.com"})
	if err != nil {
		t.Fatalf("AddRecord(%q): %v", key, err)
	}
	o.ids[key] = id
}

// check queries keys through InBatches, QuoteString and a real Client, and asserts exactly
// the records whose external id equals one of keys come back (case-insensitively unless the
// field is case sensitive), each once, with its external id byte for byte.
func (o *quoteOrg) check(t *testing.T, keys []string) {
	t.Helper()
	norm := func(s string) string {
		if o.caseSensitive {
			return s
		}
		return strings.ToLower(s)
	}
	asked := map[string]bool{}
	for _, k := range keys {
		asked[norm(k)] = true
	}
	want := map[string]string{} // Id -> key
	for k, id := range o.ids {
		if asked[norm(k)] {
			want[id] = k
		}
	}
	got := map[string]string{}
	prefix := "SELECT Id, " + extID + " FROM " + enrollment + " WHERE " + extID + " IN "
	err := sfclient.InBatches(prefix, "", keys, func(soql string) error {
		return o.c.Query(t.Context(), soql, func(r sfclient.Record) error {
			id := r.String("Id")
			if _, dup := got[id]; dup {
				t.Errorf("record %s returned twice", id)
			}
			got[id] = r.String(extID)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("query keys %q: %v", keys, err)
	}
	for id, k := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("record %s with key %q (%+q) not returned", id, k, k)
		} else if g != k {
			t.Errorf("record %s: external id %q, want %q", id, g, k)
		}
	}
	for id, k := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("record %s with key %q returned, but not asked for", id, k)
		}
	}
}

// nastyKeys are external ids that need escaping, or look like they do.
var nastyKeys = []string{
	`O'Brien`, `'`, `''`, `\`, `\\`, `\'`, `'\`, `a\nb`, `\u0041`, `\%`, `\_`, `%`, `_`, `50%_off`,
	"line\nbreak", "cr\rlf\r\n", "tab\there", "\b\f", `"double"`, `"`, `\"`,
	"café", "CAFÉ", "日本語キー", "emoji 🎉", "zero\u200bwidth", "ß", "İstanbul",
	" leading and trailing ", "=HYPERLINK(\"x\")", "a,b", "(x)", "x) OR (Id != null", "' OR Id != null OR Id = '",
	"k'); DELETE", "ABC", "abc", "Mixed Case Key",
}

func TestQuoteStringRoundTrip(t *testing.T) {
	for _, cs := range []struct {
		name          string
		caseSensitive bool
	}{{"CaseSensitive", true}, {"CaseInsensitive", false}} {
		t.Run(cs.name, func(t *testing.T) {
			o := newQuoteOrg(t, cs.caseSensitive)
			for i, k := range nastyKeys {
				if i%3 != 2 { // some keys exist, some do not
					o.add(t, k)
				}
			}
			o.check(t, nastyKeys)
			for _, k := range nastyKeys {
				o.check(t, []string{k})
			}
			// Upper-cased keys: the same records when the field ignores case, none otherwise.
			var upper []string
			for _, k := range nastyKeys {
				upper = append(upper, strings.ToUpper(k))
			}
			o.check(t, upper)
		})
	}
}

// TestQuoteStringBatches: enough nasty keys to take several statements, each key in one.
func TestQuoteStringBatches(t *testing.T) {
	o := newQuoteOrg(t, true)
	var keys []string
	for i := 0; i < 600; i++ {
		k := strings.Repeat(`'\`, i%7) + nastyKeys[i%len(nastyKeys)] + strings.Repeat("é", i%5) + string(rune('a'+i%26)) + strings.Repeat("x", i)
		keys = append(keys, k)
		if i%2 == 0 {
			o.add(t, k)
		}
	}
	statements := 0
	err := sfclient.InBatches("SELECT Id FROM "+enrollment+" WHERE "+extID+" IN ", "", keys, func(string) error { statements++; return nil })
	if err != nil || statements < 2 {
		t.Fatalf("InBatches: %d statements, %v; want several", statements, err)
	}
	o.check(t, keys)
}

// FuzzQuoteStringRoundTrip creates records with some of the keys (NUL-separated in the
// input) and queries all of them: exactly those records must come back, with their keys
// unchanged. The external id field is case sensitive, so matching is exact.
func FuzzQuoteStringRoundTrip(f *testing.F) {
	f.Add(strings.Join(nastyKeys, "\x00"))
	f.Add("a\x00A\x00b")
	f.Add("\\\x00'\x00\\'\x00''\x00\\\\'")
	o := newQuoteOrg(f, true)
	f.Fuzz(func(t *testing.T, in string) {
		var keys []string
		for _, k := range strings.Split(in, "\x00") {
			// Keys come from a validated UTF-8 export; Salesforce stores no empty external
			// id and caps a WHERE string at 4,000 characters.
			if k == "" || !utf8.ValidString(k) || utf8.RuneCountInString(k) > 1000 || slices.Contains(keys, k) {
				continue
			}
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return
		}
		for i, k := range keys {
			if i%2 == 0 {
				o.add(t, k)
			}
		}
		o.check(t, keys)
	})
}
