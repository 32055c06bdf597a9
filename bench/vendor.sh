#!/usr/bin/env bash
# Vendor the benchmark corpus (bench/corpus/Cargo.lock) into bench/vendor/ and
# print the list of corpus directories (one per line) on stdout when called
# with --list.  Idempotent: skipped when bench/vendor/ already matches the lock.
#
#   bench/vendor.sh          # vendor if needed
#   bench/vendor.sh --list   # vendor if needed, then print corpus dirs
#
# The corpus rule (which vendored crates are measured) is documented below.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$here/vendor"
lock="$here/corpus/Cargo.lock"
stamp="$vendor/.bench-vendor-stamp"

want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "vendor: $vendor is up to date" >&2
else
    echo "vendor: vendoring $(grep -c '^name = ' "$lock") packages into $vendor" >&2
    rm -rf "$vendor"
    # --versioned-dirs keeps directory names stable and self-describing.
    cargo vendor --manifest-path "$here/corpus/Cargo.toml" --locked \
        --versioned-dirs --quiet "$vendor" >/dev/null
    echo "$want" > "$stamp"
fi

# Corpus rule (reproducible): the vendored crates of the 15 projects named in
# bench/corpus/Cargo.toml, i.e. every crate whose name is one of the families
# below or starts with "<family>-" (tokio-util, hyper-util, sqlx-postgres,
# futures-util, crossbeam-channel, actix-http, ...).  This gives ~730k lines in
# ~57 crates, the "~750k lines" corpus of SPEC section 5.  Everything else that
# `cargo vendor` pulls in (windows-sys, linux-raw-sys, aws-lc-sys, web-sys, libc,
# brotli tables, regex, rustls, ... ~4.3M more lines, mostly generated platform
# bindings and data tables) is not part of the corpus.
#   BENCH_CORPUS=full  instead lists every vendored crate except windows*,
#                      winapi* and *-sys (~3.1M lines; for the linearity check).
families="tokio hyper axum reqwest sqlx tonic actix async-std smol redis rayon crossbeam futures tower warp"

if [[ "${1:-}" == "--list" ]]; then
    mode="${BENCH_CORPUS:-async}"
    for d in "$vendor"/*/; do
        d="${d%/}"
        name="$(basename "$d")"
        # strip the -x.y.z version suffix added by --versioned-dirs
        crate="$(sed -E 's/-[0-9]+\.[0-9]+\.[0-9]+.*$//' <<<"$name")"
        keep=0
        case "$mode" in
            full)
                case "$crate" in
                    windows*|winapi*|*-sys) ;;
                    *) keep=1 ;;
                esac ;;
            async)
                for f in $families; do
                    if [[ "$crate" == "$f" || "$crate" == "$f"-* ]]; then keep=1; break; fi
                done ;;
            *) echo "vendor.sh: unknown BENCH_CORPUS=$mode (async|full)" >&2; exit 2 ;;
        esac
        if [[ $keep == 1 ]]; then echo "$d"; fi
    done
fi
