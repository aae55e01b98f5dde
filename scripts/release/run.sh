#!/usr/bin/env bash
# scripts/release/run.sh dist|check: the release archives, through GoReleaser.
#
#   dist   GoReleaser in snapshot mode into dist/: archives for linux, darwin and windows on
#          amd64 and arm64 (zip on Windows) and a SHA-256 checksums file (.goreleaser.yaml).
#          It builds the commit checked out (HEAD), from a clone of it: GoReleaser reads the
#          commit and its date from git, and wants a remote, which a worktree may lack.
#   check  goreleaser check of the configuration, then dist, then the archive list (exactly
#          the six archives and the checksums file, each checksum right), then the
#          linux/amd64 archive unpacked in an empty folder runs `backfill version` and
#          `backfill demo` with a bare environment (no Go on PATH, HOME that folder).
#
# GoReleaser is pinned here and run like staticcheck (go run ...@version), never added to
# go.mod. No SBOM: GoReleaser makes one with syft, which is not installed here.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
GORELEASER=github.com/goreleaser/goreleaser/v2@v2.17.0
goreleaser() { "$GO" run "$GORELEASER" "$@"; }
mode=${1:-}

dist() {
	local src
	src=$(mktemp -d /tmp/backfill-dist.XXXXXX)
	git clone --quiet --shared . "$src/backfill"
	(cd "$src/backfill" && goreleaser release --snapshot --clean --skip=publish) || { rm -rf "$src"; exit 1; }
	rm -rf dist
	mv "$src/backfill/dist" dist
	rm -rf "$src"
	echo "dist: $(cd dist && ls ./*.tar.gz ./*.zip ./*_checksums.txt | wc -l) files in dist/ (from $(git rev-parse --short HEAD))"
}

check() {
	goreleaser check
	dist
	local want=(darwin_amd64.tar.gz darwin_arm64.tar.gz linux_amd64.tar.gz linux_arm64.tar.gz windows_amd64.zip windows_arm64.zip)
	local got
	got=$(cd dist && ls ./*.tar.gz ./*.zip | sed -E 's|^\./backfill_[^_]+_||' | sort | tr '\n' ' ')
	[ "$got" = "${want[*]} " ] || { echo "dist-check: archives $got, want ${want[*]}" >&2; exit 1; }
	(cd dist && sha256sum -c --quiet ./*_checksums.txt) || { echo "dist-check: a checksum does not match" >&2; exit 1; }
	[ "$(wc -l <dist/*_checksums.txt)" = 6 ] || { echo "dist-check: the checksums file does not list the six archives" >&2; exit 1; }
	# grep -q would stop reading early and, under pipefail, fail unzip with SIGPIPE.
	unzip -l dist/*_windows_amd64.zip | grep ' backfill.exe$' >/dev/null || { echo "dist-check: no backfill.exe in the Windows zip" >&2; exit 1; }
	local tmp
	tmp=$(mktemp -d /tmp/backfill-unpacked.XXXXXX)
	tar -xzf dist/*_linux_amd64.tar.gz -C "$tmp"
	(
		cd "$tmp"
		env -i PATH=/usr/bin:/bin HOME="$tmp" sh -c 'if command -v go >/dev/null; then echo "go is on PATH" >&2; exit 1; fi
			./backfill version && ./backfill demo --out runs/demo --job-delay 0 >demo.out' ||
			{ cat demo.out 2>/dev/null; exit 1; }
		grep -q verify demo.out && [ -s runs/demo/ledger.csv ]
	) || { rm -rf "$tmp"; echo "dist-check: the linux/amd64 archive does not run backfill demo" >&2; exit 1; }
	rm -rf "$tmp"
	echo "dist-check: ok: ${#want[@]} archives, checksums match, linux/amd64 runs backfill demo unpacked without Go"
}

case $mode in
dist) dist ;;
check) check ;;
*) echo "usage: scripts/release/run.sh dist|check" >&2; exit 2 ;;
esac
