#!/usr/bin/env bash
# Usage: scripts/sf-check/with-org.sh BACKFILL_BINARY COMMAND [ARG...]
# Starts `backfill org --extra-contacts 2500` (the emulator; 2,500 more Contacts so that
# queries page), runs COMMAND with INSTANCE_URL and ACCESS_TOKEN taken from the first line
# the org prints, then stops the org. Used by `make sf-check` and `make jsforce-check`.
set -euo pipefail
bin=$1
shift
out=$(mktemp)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -f "$out"' EXIT
"$bin" org --extra-contacts 2500 --quiet >"$out" &
pid=$!
for _ in $(seq 100); do
	[ -s "$out" ] && break
	sleep 0.1
done
line=$(head -n 1 "$out")
INSTANCE_URL=$(echo "$line" | sed -n 's/.*instance_url=\([^ ]*\).*/\1/p')
ACCESS_TOKEN=$(echo "$line" | sed -n 's/.*access_token=\([^ ]*\).*/\1/p')
if [ -z "$INSTANCE_URL" ]; then
	echo "backfill org did not start" >&2
	exit 1
fi
INSTANCE_URL="$INSTANCE_URL" ACCESS_TOKEN="$ACCESS_TOKEN" "$@"
