#!/usr/bin/env bash
# Renders the dashboard's HTML report in headless Chromium to a PNG, to look at it as a
# browser shows it. Needs Debian's chromium (apt-get install chromium).
#
#   scripts/screenshot-dashboard.sh [OUT.png] [-- partner-alerts options]
#
# Without options it reports on the bundled emulator (--emulator); anything after `--` goes
# to partner-alerts instead, e.g. `-- --tenants tenants.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-target/dashboard.png}")
shift || true
[[ "${1:-}" == "--" ]] && shift
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--emulator)

html=$(realpath -m target/dashboard.html)
mkdir -p "$(dirname "$html")" "$(dirname "$out")"
cargo run --quiet -p partner-alerts-cli -- "${args[@]}" dashboard --html "$html" >/dev/null

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The background-networking flags keep Chromium from reaching out (the page loads nothing).
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars \
  --screenshot="$out" --window-size=1280,2000 "file://$html" 2>/dev/null
echo "$out"
