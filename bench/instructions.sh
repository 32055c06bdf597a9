#!/usr/bin/env bash
# Instructions (callgrind, one thread) of each linter binary on tokio + hyper of the
# vendored corpus: a count the machine's noise does not move, for A/B of a change.
#   bench/instructions.sh BIN [BIN...]
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dirs=$("$bench/vendor.sh" --list | grep -E '/(tokio|hyper)-[0-9]')
for bin in "$@"; do
    out="$(mktemp)"
    # shellcheck disable=SC2086
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --format json \
        --no-config --quiet -j 1 $dirs >/dev/null 2>"$out" || true
    echo "$bin $(grep -o 'refs: *[0-9,]*' "$out" | tr -d ' ,' | cut -d: -f2)"
    rm -f "$out"
done
