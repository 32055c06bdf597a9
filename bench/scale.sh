#!/usr/bin/env bash
# Linear time and bounded memory on pathological single files (SPEC §5, issue 11):
#   16,000 findings on one ~800 KB line (vs. the same on separate lines),
#   nested futures::join! (3,000 linted; 10,000 refused as too deep, as rustc refuses it),
#   a 1,000,000-arm match, 200,000 item-macro invocations (their items are linted), and peak memory on one ~50 MB generated file against a bare
#   `syn::parse_file` of it (bench/syn-baseline; target ≤ 1.5×).
# usage: bench/scale.sh [LINTER] [SYN_BASELINE]   (needs python3 and /usr/bin/time)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lint=${1:-$here/../target/release/cargo-concurrency-lint}
baseline=${2:-$here/syn-baseline/target/release/syn-baseline}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() { # name command… → "name  seconds  peak-MB  (summary line)"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2>/dev/null || true
  read -r secs kb < <(tail -1 "$tmp/time")
  local summary
  summary=$(grep -o '"diagnostics": *[0-9]*' "$tmp/out" | tail -1 || true)
  grep -q 'nesting too deep' "$tmp/out" && summary="$summary (too deep)"
  printf "%-28s %8ss %8d MB  %s\n" "$name" "$secs" $((kb / 1024)) "$summary"
  echo "$kb" > "$tmp/kb.$name"
}
printf "%-28s %9s %11s  %s\n" input time peak result
for kind in one_line many_lines join:3000 join:10000 match macros huge; do
  python3 "$here/gen_scale.py" "$kind" "$tmp/$kind.rs"
  measure "$kind ($(( $(stat -c %s "$tmp/$kind.rs") / 1024 )) KB)" \
    "$lint" "$tmp/$kind.rs" --format json --no-config -j 1
done
if [ -x "$baseline" ]; then
  measure "syn::parse_file(huge)" "$baseline" -j 1 "$tmp/huge.rs"
  lint_kb=$(cat "$tmp/kb.huge ($(( $(stat -c %s "$tmp/huge.rs") / 1024 )) KB)")
  base_kb=$(cat "$tmp/kb.syn::parse_file(huge)")
  python3 -c "print('peak memory, linter / bare parse: %.2fx' % ($lint_kb / $base_kb))"
else
  echo "(no $baseline: build bench/syn-baseline for the memory ratio)"
fi
