#!/usr/bin/env bash
# scripts/windows-check/run.sh: the Windows check behind `make windows-check`.
#
# Cross-compiles backfill and the test binaries of every package for windows/amd64 and
# runs them under Wine (installed from Debian when missing, with gcc-mingw-w64), then:
#   1. backfill version and backfill demo;
#   2. backfill clean on the sample, on testdata/quirks and on the sample saved with CRLF and
#      a BOM under a folder and a name with spaces and accents; exit codes and ledger.csv,
#      to_import.csv, skipped.csv and rejects.csv compared byte for byte with the Linux
#      binary's on the same input;
#   3. plan, import --plan, an import killed mid-load then resume, verify and undo, against
#      `backfill org` (the emulator, the Linux binary);
#   4. each test binary in -short mode (tests that cannot hold on Windows skip, saying why).
# It prints the figures: commands run, files compared, test binaries, tests passed, skipped
# and failed, and each phase's time.
#
# What Wine 8 lacks for Go 1.26 binaries is supplied here, never in what ships:
#   - bcryptprimitives.dll (ProcessPrng, which the Go runtime calls at start): a stand-in
#     built from bcryptprimitives.c into the prefix's system32;
#   - FileDispositionInformationEx: Wine answers STATUS_NOT_IMPLEMENTED, where Go's
#     os.RemoveAll falls back only on the statuses Windows gives, so every t.TempDir()
#     cleanup fails. The test binaries (only they) are built with -overlay, a copy of Go's
#     internal/syscall/windows/at_windows.go that falls back on that status too. backfill
#     itself does not use os.RemoveAll on run folders.
#
# Environment: WINEPREFIX (default ~/.cache/backfill/wine-prefix, made on first use),
# WINDOWS_CHECK_KEEP=1 keeps the work folder, GO (default go).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
GO=${GO:-go}
t_start=$(date +%s)
phase_start=$t_start
timings=()
phase() { # phase NAME: ends the phase in progress, timing it
	local now; now=$(date +%s)
	timings+=("$(printf '%-34s %4ds' "$1" $((now - phase_start)))")
	phase_start=$now
}
say() { printf '== windows-check: %s\n' "$*"; }
fail() { printf 'windows-check: FAIL: %s\n' "$*" >&2; exit 1; }

# --- tools ----------------------------------------------------------------------------------
need=()
command -v wine >/dev/null 2>&1 || need+=(wine wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		fail "missing ${need[*]}: install them (Debian: apt-get install -y wine wine64 gcc-mingw-w64-x86-64) and run again"
	fi
	say "installing ${need[*]} from Debian"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# wine64 itself where it is: the wine wrapper asks for wine32 (i386 multiarch), which 64-bit
# Go binaries do not need.
WINE=wine
if [ -x /usr/lib/wine/wine64 ]; then WINE=/usr/lib/wine/wine64; fi
"$WINE" --version
phase "tools (wine, mingw-w64)"

work=$(mktemp -d /tmp/backfill-windows-check.XXXXXX)
export WINEPREFIX=${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/backfill/wine-prefix}
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
org_pid=
cleanup() {
	if [ -n "$org_pid" ]; then kill "$org_pid" 2>/dev/null || true; wait "$org_pid" 2>/dev/null || true; fi
	wineserver -k 2>/dev/null || true
	if [ "${WINDOWS_CHECK_KEEP:-}" = 1 ]; then echo "windows-check: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- the Wine prefix and the stand-in DLL ---------------------------------------------------
if [ ! -f "$WINEPREFIX/system.reg" ]; then
	say "making the Wine prefix $WINEPREFIX"
	mkdir -p "$WINEPREFIX"
	wineboot --init >/dev/null 2>&1 || true
	wineserver -w
fi
x86_64-w64-mingw32-gcc -shared -O2 -s -Wl,--no-insert-timestamp -o "$work/bcryptprimitives.dll" \
	scripts/windows-check/bcryptprimitives.c -ladvapi32
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
wineserver -p 60 # keep one wineserver for the whole check
phase "wine prefix, bcryptprimitives.dll"

# --- builds ---------------------------------------------------------------------------------
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
ldflags="-X main.version=$version -X main.commit=$(git rev-parse HEAD 2>/dev/null) -X main.date=$(git log -1 --format=%cI 2>/dev/null)"
mkdir -p "$work/bin" "$work/tests"
say "building backfill for linux/amd64 and windows/amd64"
"$GO" build -ldflags "$ldflags" -o "$work/bin/backfill" ./cmd/backfill
GOOS=windows GOARCH=amd64 "$GO" build -ldflags "$ldflags" -o "$work/bin/backfill.exe" ./cmd/backfill
at="$("$GO" env GOROOT)/src/internal/syscall/windows/at_windows.go"
grep -q 'STATUS_NOT_SUPPORTED:     // the file system' "$at" ||
	fail "$at changed: update the overlay in scripts/windows-check/run.sh"
sed 's|STATUS_NOT_SUPPORTED:     // the file system|STATUS_NOT_SUPPORTED, NTStatus(0xC0000002): // or Wine: not implemented. The file system|' "$at" >"$work/at_windows.go"
printf '{"Replace":{"%s":"%s"}}\n' "$at" "$work/at_windows.go" >"$work/overlay.json"
pkgs=()
for p in $("$GO" list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do
	pkgs+=("$p")
done
say "building ${#pkgs[@]} test binaries for windows/amd64"
for p in "${pkgs[@]}"; do
	name=$(echo "${p#github.com/northpass-tools/backfill/}" | tr / _)
	GOOS=windows GOARCH=amd64 "$GO" test -c -overlay "$work/overlay.json" -o "$work/tests/$name.test.exe" "$p"
done
phase "cross-compile (binary + ${#pkgs[@]} tests)"

commands=0
win() { commands=$((commands + 1)); "$WINE" "$work/bin/backfill.exe" "$@"; }

# --- 1. version, demo ------------------------------------------------------------------------
cd "$work"
say "backfill.exe version"
win version | tee version.txt
grep -q "windows/amd64" version.txt || fail "backfill.exe version does not say windows/amd64"
say "backfill.exe demo"
win demo --out "runs\\demo 1" --job-delay 0 >demo.out 2>demo.err || { cat demo.out demo.err; fail "backfill demo"; }
grep -q "verify" demo.out || { cat demo.out; fail "backfill demo printed no verify step"; }
for f in ledger.csv summary.json report.html run.log plan.json journal.jsonl verify.csv; do
	[ -s "runs/demo 1/$f" ] || fail "demo: runs/demo 1/$f missing"
done
[ ! -e "runs/demo 1.partial" ] && [ ! -e "runs/demo 1.partial.lock" ] || fail "demo left a .partial behind"
phase "version, demo"

# --- 2. clean: Windows and Linux byte for byte -----------------------------------------------
mkdir -p "in/My Downloads"
sample=$repo/backfill/demo/sample/export.csv
existing=$repo/backfill/demo/sample/existing.csv
# The sample as Excel on Windows saves it: a BOM, CRLF line ends, in a folder and under a
# name with spaces and accents.
printf '\xef\xbb\xbf' >"in/My Downloads/Exportación (1).csv"
sed 's/$/\r/' "$sample" >>"in/My Downloads/Exportación (1).csv"
cp "$existing" "in/My Downloads/existing records.csv"
cp "$sample" in/sample.csv
cp "$existing" in/existing.csv
cases=("in/sample.csv|in/existing.csv" "in/My Downloads/Exportación (1).csv|in/My Downloads/existing records.csv")
for q in "$repo"/testdata/quirks/*.csv; do
	case $(basename "$q") in existing*.csv) continue ;; esac
	cp "$q" in/
	cases+=("in/$(basename "$q")|in/existing.csv")
done
compared=0
for c in "${cases[@]}"; do
	export_file=${c%%|*} existing_file=${c#*|}
	name=$(basename "$export_file" .csv)
	set +e
	"$work/bin/backfill" clean --export "$export_file" --existing "$existing_file" --out "clean/linux/$name run" -q >/dev/null 2>"clean-linux-$name.err"
	lrc=$?
	win clean --export "$(echo "$export_file" | tr / '\\')" --existing "$(echo "$existing_file" | tr / '\\')" \
		--out "clean\\windows\\$name run" -q >/dev/null 2>"clean-windows-$name.err"
	wrc=$?
	set -e
	[ "$lrc" = "$wrc" ] || { cat "clean-windows-$name.err"; fail "clean $name: exit $wrc on Windows, $lrc on Linux"; }
	for f in ledger.csv to_import.csv skipped.csv rejects.csv; do
		l="clean/linux/$name run/$f" w="clean/windows/$name run/$f"
		[ -e "$l" ] || [ -e "$w" ] || continue
		cmp "$l" "$w" || fail "clean $name: $f differs between Linux and Windows"
		compared=$((compared + 1))
	done
	printf '   clean %-32s exit %d on both\n' "$name" "$lrc"
done
[ -z "$(find clean -name '*.partial*')" ] || fail "clean left a .partial behind"
phase "clean x${#cases[@]} (compared byte for byte)"

# --- 3. plan, import --plan, kill, resume, verify, undo against backfill org ------------------
start_org() { # start_org [FLAGS]: the Linux emulator; sets INSTANCE_URL, SF_ACCESS_TOKEN
	if [ -n "$org_pid" ]; then kill "$org_pid"; wait "$org_pid" 2>/dev/null || true; fi
	"$work/bin/backfill" org --quiet "$@" >org.out 2>org.err &
	org_pid=$!
	for _ in $(seq 100); do [ -s org.out ] && break; sleep 0.1; done
	INSTANCE_URL=$(sed -n '1s/.*instance_url=\([^ ]*\).*/\1/p' org.out)
	SF_ACCESS_TOKEN=$(sed -n '1s/.*access_token=\([^ ]*\).*/\1/p' org.out)
	[ -n "$INSTANCE_URL" ] || { cat org.err; fail "backfill org did not start"; }
	export SF_ACCESS_TOKEN
}
start_org
say "plan, import --plan, verify, undo against backfill org at $INSTANCE_URL"
win plan --export "in\\My Downloads\\Exportación (1).csv" --instance-url "$INSTANCE_URL" --out "org\\plan 1" -q >plan.out ||
	{ cat plan.out; fail "plan"; }
win import --plan "org\\plan 1" --instance-url "$INSTANCE_URL" --yes -q >import.out || { cat import.out; fail "import --plan"; }
win verify "org\\plan 1" --instance-url "$INSTANCE_URL" -q >verify.out || { cat verify.out; fail "verify"; }
win undo "org\\plan 1" --instance-url "$INSTANCE_URL" --yes -q >undo.out || { cat undo.out; fail "undo"; }
[ -s "org/plan 1/undo-ledger.csv" ] || fail "undo wrote no undo-ledger.csv"

say "an import killed mid-load (kill -9), then resume"
start_org --job-delay 3s
win plan --export in/sample.csv --instance-url "$INSTANCE_URL" --out "org\\killed 1" -q >/dev/null || fail "plan (killed run)"
commands=$((commands + 1))
"$WINE" "$work/bin/backfill.exe" import --plan "org\\killed 1" --instance-url "$INSTANCE_URL" --yes -q >killed.out 2>&1 &
import_pid=$!
for _ in $(seq 300); do
	grep -q '"job-created"' "org/killed 1/journal.jsonl" 2>/dev/null && break
	sleep 0.1
done
grep -q '"job-created"' "org/killed 1/journal.jsonl" || { kill -9 "$import_pid"; fail "the import created no job"; }
kill -9 "$import_pid"
wait "$import_pid" 2>/dev/null || true
grep -q '"finished"' "org/killed 1/journal.jsonl" && fail "the import finished before it was killed"
win resume "org\\killed 1" --instance-url "$INSTANCE_URL" -q >resume.out || { cat resume.out; fail "resume"; }
grep -q '"finished"' "org/killed 1/journal.jsonl" || fail "resume did not finish the import"
win verify "org\\killed 1" --instance-url "$INSTANCE_URL" -q >verify2.out || { cat verify2.out; fail "verify after resume"; }
kill "$org_pid"; wait "$org_pid" 2>/dev/null || true; org_pid=
phase "org: plan/import/kill/resume/verify/undo"

# --- 4. the test binaries, -short -------------------------------------------------------------
say "running ${#pkgs[@]} test binaries under Wine (-test.short)"
total_pass=0 total_skip=0 total_fail=0 rows=()
for p in "${pkgs[@]}"; do
	rel=${p#github.com/northpass-tools/backfill}
	rel=${rel#/}
	name=$(echo "$rel" | tr / _)
	log="$work/tests/$name.log"
	set +e
	# -test.v=test2json frames each test's events, so the counts below come from go tool
	# test2json's events, not from "--- PASS" lines that parallel tests' output can split.
	(cd "$repo/${rel:-.}" && timeout 900 "$WINE" "$work/tests/$name.test.exe" -test.short -test.v=test2json -test.timeout 10m >"$log.raw" 2>&1)
	rc=$?
	"$GO" tool test2json <"$log.raw" >"$log.json"
	tr -d '\026' <"$log.raw" >"$log"
	set -e
	pass=$(grep -c '"Action":"pass","Test"' "$log.json" || true)
	skip=$(grep -c '"Action":"skip","Test"' "$log.json" || true)
	failed=$(grep -c '"Action":"fail","Test"' "$log.json" || true)
	total_pass=$((total_pass + pass)) total_skip=$((total_skip + skip)) total_fail=$((total_fail + failed))
	rows+=("$(printf '   %-30s %5d passed %4d skipped %3d failed  (exit %d)' "${rel:-.}" "$pass" "$skip" "$failed" "$rc")")
	if [ "$rc" != 0 ]; then
		grep -E -B2 -A12 '^ *--- FAIL|^panic|^FAIL' "$log" | head -80
		failed_pkgs+=("${rel:-.}")
	fi
done
phase "test binaries under Wine"
printf '%s\n' "${rows[@]}"
echo "   why tests skipped (messages, reason):"
grep -hE -B1 -A1 '^ *--- SKIP' "$work"/tests/*.log | grep -E '_test\.go:[0-9]+: ' | sed -E 's/^ *[a-z_]+_test\.go:[0-9]+: //' |
	sort | uniq -c | sort -rn | sed 's/^/   /'

# --- figures -----------------------------------------------------------------------------------
echo "== windows-check figures"
echo "   backfill.exe commands run:  $commands"
echo "   clean inputs:               ${#cases[@]} (files compared byte for byte with Linux: $compared)"
echo "   test binaries:              ${#pkgs[@]}"
echo "   tests under Wine:           $total_pass passed, $total_skip skipped, $total_fail failed"
printf '   %s\n' "${timings[@]}"
echo "   total                              $(( $(date +%s) - t_start ))s"
if [ "${failed_pkgs+x}" ] && [ ${#failed_pkgs[@]} -gt 0 ]; then
	fail "test binaries failed under Wine: ${failed_pkgs[*]}"
fi
echo "windows-check: ok"
