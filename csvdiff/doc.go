// Package csvdiff is the streaming CSV engine of backfill: it reads a CE Data Export, validates
// every row, applies the cutoff, removes duplicates inside the file and anti-joins the rest
// against a set of keys that already exist, giving every data row exactly one [Outcome].
//
// It knows nothing of HTTP or Salesforce: callers hand it readers, writers and a [Matcher]
// that says what already exists.
//
// # Two passes, bounded memory
//
// A row's outcome can depend on rows after it (a later row with the same key and a newer
// "Updated At" wins), and the existence check needs the whole set of candidate keys, so the
// engine reads the export twice:
//
//  1. [Scan] parses every row, validates it, applies the cutoff and keeps, per candidate key,
//     the row that wins the in-file dedup. It returns an [Index].
//  2. The caller resolves existence for [Index.Candidates] (a key set, SOQL, ...).
//  3. [Index.Emit] reads the same bytes again and hands every row, in file order, with its
//     final outcome, to a [Sink].
//
// Memory grows with the number of distinct candidate keys (a compact hash table, no per-key
// strings) plus one byte per data row; never with the size of the rows. [ReadKeys] with
// [KeysOptions.Keep] set to [Index.IsCandidate] keeps only the existing keys that matter, so
// a large org costs no memory either.
//
// # Concurrency
//
// Each pass reads and finds the records on one goroutine (1 MB reads, the buffers handed
// over whole) while the calling goroutine validates, classifies and calls the sink, so a
// [Sink] and a [Matcher] are called on the caller's goroutine, one row at a time, in file
// order. A key table entry is the key, packed in 16 bytes when it is a lower-case UUID,
// and its payload, in an arena of chunks, reached through slots of 6 bytes kept 50% to 75%
// full.
//
// # Input quirks
//
// UTF-8 with or without BOM (or Windows-1252 with [Options.Encoding]); LF, CRLF and mixed line
// endings; quoted fields with delimiters, doubled quotes and newlines; ',' ';' and tab
// delimiters detected from the header. A row that cannot be used (ragged, unterminated quote,
// invalid UTF-8, missing key, bad or empty cutoff date) is [Rejected] with its physical line and
// a reason, and the run goes on. A file that cannot be used at all returns a [*FileError].
//
// gocarina/gocsv is not used here: its row numbers are record indexes rather than physical
// lines, its settings are package globals, and reflection per row is far too slow for the
// 266 MB exports this engine is benchmarked on.
package csvdiff
