#!/usr/bin/env bash
# Stack cost of each nesting construct: for every construct of bench/deep.py, the depth at
# which a worker with a STACK_MB stack overflows (nesting bound lifted), and the nesting
# units (src/parse.rs) one level counts. bytes/unit = stack / (depth × units/level) must
# stay under parse::STACK_SIZE / MAX_NESTING for every construct.
# usage: bench/nesting.sh [BINARY] [STACK_MB]
set -uo pipefail
bin=${1:-target/release/cargo-concurrency-lint}
stack_mb=${2:-16}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs() { # construct depth env… → 0 when the run ends normally (no crash)
  local k=$1 n=$2; shift 2
  python3 "$here/deep.py" "$k" "$n" > "$tmp/$k.rs"
  (env "$@" "$bin" "$tmp/$k.rs" --format json --no-config > "$tmp/out" 2>/dev/null) 2>/dev/null
  [ $? -lt 100 ]
}
too_deep() { grep -q 'nesting too deep' "$tmp/out"; }
printf "%-16s %10s %12s %12s\n" construct crash_depth units/level bytes/unit
for k in ${KINDS:-$(python3 "$here/deep.py" --list)}; do
  lo=1; hi=2
  while runs "$k" "$hi" CONCURRENCY_LINT_STACK_MB="$stack_mb" CONCURRENCY_LINT_MAX_NESTING=1000000000 && [ "$hi" -lt 2000000 ]; do lo=$hi; hi=$((hi * 2)); done
  while [ $((hi - lo)) -gt $((lo / 50 + 1)) ]; do
    mid=$(((lo + hi) / 2))
    if runs "$k" "$mid" CONCURRENCY_LINT_STACK_MB="$stack_mb" CONCURRENCY_LINT_MAX_NESTING=1000000000; then lo=$mid; else hi=$mid; fi
  done
  # units per level: the depth at which a 100000-unit bound is reached
  a=1; b=200000
  while [ $((b - a)) -gt $((a / 100 + 1)) ]; do
    m=$(((a + b) / 2))
    runs "$k" "$m" CONCURRENCY_LINT_MAX_NESTING=100000; if too_deep; then b=$m; else a=$m; fi
  done
  units=$(python3 -c "print(round(100000 / $b, 2))")
  per=$(python3 -c "print(round($stack_mb * 1048576 / ($hi * 100000 / $b)))")
  printf "%-16s %10s %12s %12s\n" "$k" "$hi" "$units" "$per"
done
