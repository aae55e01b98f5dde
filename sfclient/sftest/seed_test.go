package sftest_test

import (
	"encoding/csv"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestDemoSeedMatchesExisting keeps seeds/*.json in sync with
// backfill/demo/sample/existing.csv: the Enrollment records are exactly its rows, mapped from
// header to field by label.
func TestDemoSeedMatchesExisting(t *testing.T) {
	f, err := os.Open("../../backfill/demo/sample/existing.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		seed   *sftest.Seed
		object string
	}{
		{"demo", sftest.DemoSeed(), "nplms__Enrollment__c"},
		{"other-names", sftest.OtherNamesSeed(), "np2__Course_Enrollment__c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.seed.Object(tc.object)
			if obj == nil || obj.Label != "Enrollment" {
				t.Fatalf("no Enrollment object %s", tc.object)
			}
			fields := map[string]sftest.Field{}
			for _, f := range obj.Fields {
				fields[strings.ToLower(f.Label)] = f
			}
			head := rows[0]
			if len(obj.Records) != len(rows)-1 {
				t.Fatalf("%d records, existing.csv has %d rows", len(obj.Records), len(rows)-1)
			}
			s := sftest.NewServer(t, sftest.WithSeed(tc.seed))
			recs := s.Records(tc.object)
			intUser := tc.seed.User(tc.seed.APIUser).ID
			newest := time.Time{}
			for i, row := range rows[1:] {
				rec := recs[i]
				for j, h := range head {
					f, ok := fields[strings.ToLower(h)]
					if !ok {
						t.Fatalf("no field labelled %q", h)
					}
					got, want := rec[f.Name], row[j]
					switch x := got.(type) {
					case nil:
						if want != "" {
							t.Errorf("row %d %s = null, want %q", i+1, h, want)
						}
					case time.Time:
						w, err := time.Parse(time.RFC3339, want)
						if err != nil || !x.Equal(w) {
							t.Errorf("row %d %s = %v, want %q", i+1, h, x, want)
						}
					case float64:
						if strconv.FormatFloat(x, 'f', -1, 64) != want {
							t.Errorf("row %d %s = %v, want %q", i+1, h, x, want)
						}
					default:
						if got != want {
							t.Errorf("row %d %s = %v, want %q", i+1, h, got, want)
						}
					}
				}
				if rec["CreatedById"] != intUser || rec["LastModifiedById"] != intUser {
					t.Errorf("row %d not written by the integration user", i+1)
				}
				if lm := rec["LastModifiedDate"].(time.Time); lm.After(newest) {
					newest = lm
				}
			}
			if !newest.After(time.Date(2025, 11, 21, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("newest Enrollment %v is not after the reconnection", newest)
			}
		})
	}
}

func TestSeedFiles(t *testing.T) {
	for _, name := range []string{"demo.json", "other-names.json"} {
		s, err := sftest.ReadSeedFile("seeds/" + name)
		if err != nil {
			t.Fatal(err)
		}
		u := s.User(s.APIUser)
		if u == nil || u.Profile.Name == "System Administrator" || u.Profile.PermissionsModifyAllData {
			t.Errorf("%s: API user %+v is not a dedicated integration user", name, u)
		}
		pk := map[string]string{}
		for _, p := range s.Packages {
			pk[p.Name] = strconv.Itoa(p.Major) + "." + strconv.Itoa(p.Minor)
		}
		if pk["Northpass"] != "2.1" || pk["Gainsight Northpass Data Connector"] != "1.0" || len(pk) != 3 {
			t.Errorf("%s: packages = %v", name, pk)
		}
	}
	if _, err := sftest.LoadSeed(strings.NewReader(`{"users":[],"bogus":1}`)); err == nil {
		t.Error("unknown key accepted")
	}
	if _, err := sftest.ReadSeedFile("nope.json"); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
	seed := sftest.DemoSeed()
	seed.Objects[0].Records = append(seed.Objects[0].Records, map[string]any{"Bogus": 1.0})
	if _, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(seed)); err == nil {
		t.Error("record with unknown field accepted")
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// TestSeedSyncAs: SyncAs moves the Northpass connection's token and every seeded record's
// writers to the user named; an unknown user is an error.
func TestSeedSyncAs(t *testing.T) {
	s := sftest.DemoSeed()
	if err := s.SyncAs("nobody@example.com"); err == nil {
		t.Error("SyncAs of an unknown user: no error")
	}
	if err := s.SyncAs("admin@demo.example.com"); err != nil {
		t.Fatal(err)
	}
	admin := s.User("admin@demo.example.com").ID
	srv := sftest.NewServer(t, sftest.WithSeed(s))
	for _, rec := range srv.Records("nplms__Enrollment__c") {
		if rec["CreatedById"] != admin || rec["LastModifiedById"] != admin {
			t.Fatalf("record %v not written by the admin", rec["Id"])
		}
	}
	for _, tok := range s.OAuthTokens {
		if strings.Contains(strings.ToLower(tok.AppName), "northpass") && tok.User != "admin@demo.example.com" {
			t.Errorf("token %+v", tok)
		}
	}
}
