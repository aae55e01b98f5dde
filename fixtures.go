// Package fixtures embeds the repository's shared test and demo data so that code outside
// the testdata directories can reach it: Go never builds testdata as a package, and an
// embed pattern cannot reach above its package directory, so the module root is the only
// place that can embed them.
//
// Contents (the emulated org's seeds live with the emulator, in sfclient/sftest/seeds):
//   - testdata/orgs/*.pem: the demo connected app's JWT test key pair (a test fixture, not a
//     secret);
//   - testdata/sample/*.csv: the sample CE Data Export and the records the demo org holds.
package fixtures

import "embed"

// FS holds testdata/orgs/*.pem and testdata/sample/*.csv with their repository paths, e.g.
// FS.Open("testdata/sample/export.csv"). It is read-only.
//
//go:embed testdata/orgs/*.pem testdata/sample/*.csv
var FS embed.FS
