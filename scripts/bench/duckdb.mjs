// The reference job as SQL in DuckDB, for make bench to compare backfill clean with, in one
// of several formulations (FORM; make bench runs each and compares backfill with the
// fastest): read the export, drop the rows enrolled before the cutoff (and those without a
// key or a date, which backfill rejects), keep the row with the latest "Updated At" per key
// (keys compared case-insensitively, as backfill does by default), anti-join the existing
// keys (case-insensitively too), write OUT_DIR/to_import.csv and print the counts and
// DuckDB's version as JSON. Values are read as text and written back as they were.
//
//   node duckdb.mjs EXPORT EXISTING OUT_DIR CUTOFF(RFC 3339) [FORM [DATE_COLUMN]]
//
// The forms (see FORMS below) differ in how many times they read the export, whether they
// compare the dates as ISO 8601 text (the exports' dates are "2025-11-20T09:30:00Z", UTC,
// so text order is time order) or as TIMESTAMPTZ, and in DuckDB's settings.
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';

const [exportPath, existingPath, outDir, cutoff, form = 'classify-once', dateColumn = 'Enrollment Date'] = process.argv.slice(2);
if (!cutoff) {
  console.error('usage: node duckdb.mjs EXPORT EXISTING OUT_DIR CUTOFF [FORM [DATE_COLUMN]]');
  process.exit(2);
}
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const id = (s) => `"${s.replaceAll('"', '""')}"`;
const csv = (p) => `read_csv(${lit(p)}, header = true, all_varchar = true)`;
const out = lit(path.join(outDir, 'to_import.csv'));
const key = id('External Id'), date = id(dateColumn), upd = id('Updated At');
// cls: 1 rejected (no key or no date), 2 before the cutoff, 0 a candidate.
const clsText = `CASE WHEN ${key} IS NULL OR ${date} IS NULL THEN 1 WHEN ${date} < ${lit(cutoff)} THEN 2 ELSE 0 END`;
const existingKeys = `(SELECT lower(${key}) AS k FROM ${csv(existingPath)})`;
// winners is the job's rows from a relation holding cls and the export's columns.
const winners = (rel) => `SELECT * EXCLUDE (cls, k) FROM (SELECT *, lower(${key}) AS k FROM ${rel} WHERE cls = 0
  QUALIFY row_number() OVER (PARTITION BY k ORDER BY ${upd} DESC) = 1) w ANTI JOIN ${existingKeys} e ON w.k = e.k`;
const countsOf = (rel) => `SELECT count(*)::BIGINT AS rows, (count(*) FILTER (WHERE cls = 1))::BIGINT AS rejected,
  (count(*) FILTER (WHERE cls = 0))::BIGINT AS cand, (count(DISTINCT lower(${key})) FILTER (WHERE cls = 0))::BIGINT AS win FROM ${rel}`;

// Each form: its statements (the last COPY's row count is to_import), and the counts query.
export const FORMS = {
  // The bench's first anchor: two scans of the export, TRY_CAST to TIMESTAMPTZ, temp tables.
  'two-scans-timestamptz': () => {
    const enrolled = `TRY_CAST(${date} AS TIMESTAMPTZ)`;
    const usable = `${key} IS NOT NULL AND ${enrolled} IS NOT NULL`;
    return {
      steps: [
        `CREATE TEMP TABLE t AS SELECT CASE WHEN NOT (${usable}) THEN 1 ELSE 0 END AS cls, * FROM ${csv(exportPath)}
          WHERE NOT (${usable}) OR ${enrolled} >= TIMESTAMPTZ ${lit(cutoff)}`,
        `CREATE TEMP TABLE n AS SELECT count(*)::BIGINT AS rows FROM ${csv(exportPath)}`,
        `COPY (${winners('t')}) TO ${out} (HEADER)`,
      ],
      counts: `SELECT (SELECT rows FROM n) AS rows, c.rejected, c.cand, c.win FROM (${countsOf('t')}) c`,
    };
  },
  // Read every row into a table once, then the job and the counts from it.
  'load-once': () => ({
    steps: [
      `SET preserve_insertion_order = false`,
      `CREATE TEMP TABLE t AS SELECT ${clsText} AS cls, * FROM ${csv(exportPath)}`,
      `COPY (${winners('t')}) TO ${out} (HEADER)`,
    ],
    counts: countsOf('t'),
  }),
  // One scan that classifies every row and keeps the values of the candidates only (NULLs
  // for the others), then the job and the counts from that table.
  'classify-once': () => ({
    steps: [
      `SET preserve_insertion_order = false`,
      `CREATE TEMP TABLE t AS SELECT ${clsText} AS cls, CASE WHEN cls = 0 THEN COLUMNS(*) END FROM ${csv(exportPath)}`,
      `COPY (${winners('t')}) TO ${out} (HEADER)`,
    ],
    counts: countsOf('t'),
  }),
  // As a user would write it: one COPY with the cutoff, QUALIFY and ANTI JOIN straight from
  // the CSV; the counts need a second scan (of the key and date columns only).
  'copy-then-count': () => ({
    steps: [
      `SET preserve_insertion_order = false`,
      `COPY (${winners(`(SELECT ${clsText} AS cls, * FROM ${csv(exportPath)})`)}) TO ${out} (HEADER)`,
    ],
    counts: `SELECT count(*)::BIGINT AS rows, (count(*) FILTER (WHERE cls = 1))::BIGINT AS rejected,
      (count(*) FILTER (WHERE cls = 0))::BIGINT AS cand, (count(DISTINCT k) FILTER (WHERE cls = 0))::BIGINT AS win
      FROM (SELECT ${clsText} AS cls, lower(${key}) AS k FROM ${csv(exportPath)})`,
  }),
};

if (!FORMS[form]) {
  console.error(`unknown form ${form}; the forms: ${Object.keys(FORMS).join(', ')}`);
  process.exit(2);
}
const f = FORMS[form]();
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
let copied = 0;
for (const sql of f.steps) {
  copied = (await con.run(sql)).rowsChanged;
}
const c = (await con.runAndReadAll(`SELECT *, version() AS version FROM (${f.counts})`)).getRowObjectsJson()[0];
const rows = Number(c.rows), rejected = Number(c.rejected), cand = Number(c.cand), win = Number(c.win);
console.log(JSON.stringify({
  duckdb: c.version,
  form,
  counts: { rows, rejected, before_cutoff: rows - rejected - cand, duplicate: cand - win, exists: win - copied, to_import: copied },
}));
con.closeSync();
db.closeSync();
