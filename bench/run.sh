#!/usr/bin/env bash
# Speed/memory benchmark of SPEC section 5 (see bench/README.md).
#
#   bench/run.sh                 # everything, all cores
#   BENCH_JOBS=1 bench/run.sh    # one thread for every tool
#   BENCH_RUNS=5 bench/run.sh    # runs per tool (median is reported; default 3)
#   BENCH_CORPUS=full bench/run.sh   # the ~3.1M-line corpus (linearity check)
#   BENCH_SKIP_NOSPANS=1 bench/run.sh  # skip the no-span-locations baseline
#   BENCH_LINTER=/path/to/bin bench/run.sh  # time that binary instead of building
#   BENCH_LINT_ARGS="..." bench/run.sh # extra linter arguments
#
# In one run: builds the syn baseline (release, with and without
# proc-macro2/span-locations) and the linter (`cargo build --release` in the
# repo root), vendors the corpus if needed, then times each tool BENCH_RUNS
# times with GNU time (wall seconds, peak RSS), in interleaved rounds, and
# prints a table.  If the linter does not build (or fails to run), the other
# numbers are still printed.
set -uo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
out="$bench/out"
mkdir -p "$out"

jobs="${BENCH_JOBS:-$(nproc)}"
runs="${BENCH_RUNS:-3}"
corpus_mode="${BENCH_CORPUS:-async}"
log() { echo "run.sh: $*" >&2; }

# ---------------------------------------------------------------- tools
if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time"
    (apt-get update -qq && apt-get install -y -qq time) >/dev/null 2>&1 ||
        { log "cannot install GNU time (/usr/bin/time)"; exit 2; }
fi

astgrep=""
for c in ast-grep sg; do
    if command -v "$c" >/dev/null 2>&1 && "$c" --version 2>/dev/null | grep -q ast-grep; then
        astgrep="$(command -v "$c")"; break
    fi
done
if [[ -z "$astgrep" ]]; then
    log "installing ast-grep (pip install ast-grep-cli)"
    python3 -m pip install -q ast-grep-cli >/dev/null 2>&1 || log "pip install ast-grep-cli failed"
    hash -r
    if command -v ast-grep >/dev/null 2>&1; then astgrep="$(command -v ast-grep)"; fi
fi

# ---------------------------------------------------------------- builds
log "building syn baseline (span-locations)"
baseline="$bench/syn-baseline/target/release/syn-baseline"
if ! cargo build --release --quiet --manifest-path "$bench/syn-baseline/Cargo.toml"; then
    log "baseline build failed"; exit 2
fi
baseline_nospans=""
if [[ -z "${BENCH_SKIP_NOSPANS:-}" ]]; then
    log "building syn baseline (no span-locations)"
    if cargo build --release --quiet --no-default-features \
        --manifest-path "$bench/syn-baseline/Cargo.toml" \
        --target-dir "$bench/syn-baseline/target/nospans"; then
        baseline_nospans="$bench/syn-baseline/target/nospans/release/syn-baseline"
    else
        log "no-span-locations baseline build failed (skipped)"
    fi
fi

baseline_mimalloc=""
log "building syn baseline (span-locations, mimalloc: the linter's allocator)"
if cargo build --release --quiet --features mimalloc \
    --manifest-path "$bench/syn-baseline/Cargo.toml" \
    --target-dir "$bench/syn-baseline/target/mimalloc"; then
    baseline_mimalloc="$bench/syn-baseline/target/mimalloc/release/syn-baseline"
else
    log "mimalloc baseline build failed (skipped)"
fi

log "building the linter (cargo build --release in $root)"
linter="${BENCH_LINTER:-$root/target/release/cargo-concurrency-lint}"
linter_ok=1
if [[ -n "${BENCH_LINTER:-}" ]]; then
    log "using BENCH_LINTER=$linter (not building)"
    [[ -x "$linter" ]] || { linter_ok=0; log "$linter is not executable"; }
elif ! (cd "$root" && cargo build --release --quiet) 2>"$out/linter-build.log"; then
    linter_ok=0
    log "linter build FAILED (see $out/linter-build.log); reporting baseline and ast-grep only"
elif [[ ! -x "$linter" ]]; then
    linter_ok=0
    log "linter binary $linter not found; reporting baseline and ast-grep only"
fi

# ---------------------------------------------------------------- corpus
"$bench/vendor.sh" || { log "vendoring failed"; exit 2; }
mapfile -t dirs < <("$bench/vendor.sh" --list 2>/dev/null)
if [[ ${#dirs[@]} -eq 0 ]]; then log "empty corpus"; exit 2; fi
log "corpus ($corpus_mode): ${#dirs[@]} crate directories; jobs=$jobs runs=$runs"

# Warm the page cache so the first timed run is not penalised.
find "${dirs[@]}" -name '*.rs' -type f -print0 | xargs -0 cat >/dev/null

# ---------------------------------------------------------------- timing
# The tools run in interleaved rounds (baseline, linter, …, then again, each round
# starting one tool later), so that a machine that slows down or speeds up mid-benchmark
# moves every tool alike and the ratios stay like for like.  Each run's "seconds peak_kb" goes to $out/NAME.times and
# its stdout to $out/NAME.out; a run that exits with a code outside the tool's OKCODES
# marks the tool failed and drops it from the later rounds.
declare -A secs mb status cmdline okcodes_of
tools=()
add_tool() { # NAME OKCODES CMD...
    local name="$1" ok="$2"; shift 2
    tools+=("$name")
    okcodes_of[$name]="$ok"
    cmdline[$name]="$(printf '%q ' "$@")"
    status[$name]=ok
    : >"$out/$name.times"
}
run_once() { # NAME ROUND
    local name="$1" i="$2" rc
    eval "/usr/bin/time -f '%e %M %x' -o \"\$out/$name.time1\" ${cmdline[$name]}" \
        >"$out/$name.out" 2>"$out/$name.err"
    # GNU time prints "Command exited with non-zero status N" first; the last line
    # always holds our format.
    rc="$(awk '{print $3}' "$out/$name.time1" | tail -1)"
    if [[ " ${okcodes_of[$name]} " != *" $rc "* ]]; then
        log "$name: run $i exited with $rc (see $out/$name.err)"
        status[$name]=failed
        return
    fi
    tail -1 "$out/$name.time1" | awk '{print $1, $2}' >>"$out/$name.times"
}
# stats NAME -> "median_seconds peak_mb" (peak = max over runs)
stats() {
    python3 - "$out/$1.times" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
t = statistics.median(float(r[0]) for r in rows)
m = max(int(r[1]) for r in rows) / 1024
print(f"{t:.2f} {m:.1f}")
EOF
}

add_tool baseline "0" "$baseline" -j "$jobs" "${dirs[@]}"
if [[ -n "$baseline_mimalloc" ]]; then
    add_tool baseline-mimalloc "0" "$baseline_mimalloc" -j "$jobs" "${dirs[@]}"
fi
if [[ -n "$baseline_nospans" ]]; then
    add_tool baseline-nospans "0" "$baseline_nospans" -j "$jobs" "${dirs[@]}"
fi
if [[ $linter_ok == 1 ]]; then
    # Exit code 1 just means "there are findings".
    add_tool linter "0 1" env RAYON_NUM_THREADS="$jobs" \
        "$linter" --format json --no-config --quiet -j "$jobs" ${BENCH_LINT_ARGS:-} "${dirs[@]}"
else
    status[linter]="not built"
fi
if [[ -n "$astgrep" ]]; then
    # ast-grep honours .gitignore; bench/vendor/ is gitignored, so turn that off
    # (hidden directories stay skipped, like the baseline and the linter).
    add_tool ast-grep "0 1" "$astgrep" scan --rule "$bench/ast-grep/blocking-sleep-in-async.yml" \
        --no-ignore vcs --no-ignore parent --no-ignore dot --no-ignore exclude --no-ignore global \
        --json=stream -j "$jobs" "${dirs[@]}"
else
    status[ast-grep]="not installed"
fi

log "timing $runs interleaved rounds of: ${tools[*]}"
n_tools=${#tools[@]}
for ((round = 1; round <= runs; round++)); do
    # Each round starts one tool later: the memory a run gets depends on how much the run
    # before it freed (bench/README.md, "Order matters"), so each tool follows each other
    # one in turn.
    for ((k = 0; k < n_tools; k++)); do
        t="${tools[$(((round - 1 + k) % n_tools))]}"
        if [[ ${status[$t]} == ok ]]; then run_once "$t" "$round"; fi
    done
done
for t in "${tools[@]}"; do
    if [[ ${status[$t]} == ok ]]; then read -r secs[$t] mb[$t] < <(stats "$t"); fi
done

if [[ ${status[linter]} == ok ]]; then
    cp "$out/linter.out" "$out/linter.json"
    # A stub or broken binary "succeeds" in no time: only count a run that printed the
    # JSON document of SPEC section 4.
    if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d.get("diagnostics"), list)' \
        "$out/linter.json" 2>/dev/null; then
        log "linter output is not the expected JSON document (see $out/linter.json)"
        status[linter]="no JSON output"
    fi
fi

# ---------------------------------------------------------------- report
corpus_line="$(head -1 "$out/baseline.out" 2>/dev/null)"
echo
echo "== cargo-concurrency-lint benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, jobs=$jobs, median of $runs runs)"
echo "corpus ($corpus_mode, ${#dirs[@]} crates under bench/vendor): $corpus_line"
printf '%-18s %10s %10s  %s\n' tool "median s" "peak MB" status
for t in baseline baseline-mimalloc baseline-nospans linter ast-grep; do
    [[ -z "${status[$t]:-}" ]] && continue
    if [[ ${status[$t]} == ok ]]; then
        printf '%-18s %10s %10s  %s\n' "$t" "${secs[$t]}" "${mb[$t]}" ok
    else
        printf '%-18s %10s %10s  %s\n' "$t" - - "${status[$t]}"
    fi
done
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b>0 else 'n/a')" "$1" "$2"; }
if [[ ${status[linter]} == ok ]]; then
    echo
    echo "linter / baseline (spans on):  $(ratio "${secs[linter]}" "${secs[baseline]}")   target <= 1.25x"
    if [[ "${status[baseline-mimalloc]:-}" == ok ]]; then
        echo "linter / baseline (mimalloc):  $(ratio "${secs[linter]}" "${secs[baseline-mimalloc]}")   (same allocator as the linter)"
    fi
    if [[ "${status[baseline-nospans]:-}" == ok ]]; then
        echo "linter / baseline (spans off): $(ratio "${secs[linter]}" "${secs[baseline-nospans]}")"
    fi
    if [[ "${status[ast-grep]}" == ok ]]; then
        echo "linter / ast-grep:             $(ratio "${secs[linter]}" "${secs[ast-grep]}")   target < 1.00x"
    fi
    echo "linter peak memory:            ${mb[linter]} MB   target < 200 MB"
    echo
    python3 - "$out/linter.json" "$corpus_line" <<'EOF'
import sys, json, collections
try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"could not parse linter JSON: {e}"); sys.exit(0)
diags = doc.get("diagnostics", [])
summary = doc.get("summary", {})
print(f"linter findings: {len(diags)}  summary: {json.dumps(summary)}")
for rule, n in collections.Counter(d.get("rule", "?") for d in diags).most_common():
    print(f"  {rule:40s} {n}")
files = dict(kv.split("=", 1) for kv in sys.argv[2].split() if "=" in kv).get("files")
if files and "files" in summary and str(summary["files"]) != files:
    print(f"WARNING: linter linted {summary['files']} files, the corpus has {files} "
          "(gitignore handling? bench/vendor/ is gitignored)")
EOF
fi
if [[ "${status[ast-grep]:-}" == ok ]]; then
    echo "ast-grep matches (blocking-sleep-in-async): $(grep -c . "$out/ast-grep.out")"
fi
# Wall time on a shared 2-core machine is noisy; instruction counts are not.
if [[ -n "${BENCH_INSTRUCTIONS:-}" && ${status[linter]} == ok && -n "$baseline_mimalloc" ]]; then
    if ! command -v valgrind >/dev/null; then
        (apt-get install -y -qq valgrind) >/dev/null 2>&1 || log "cannot install valgrind"
    fi
    log "counting instructions with callgrind (-j1; several minutes)"
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/Collected/ {print $NF}'; }
    li=$(count "$linter" -j1 --format json --no-config --quiet "${dirs[@]}")
    bi=$(count "$baseline_mimalloc" -j 1 "${dirs[@]}")
    echo "instructions: linter $li, baseline (mimalloc) $bi, ratio $(ratio "$li" "$bi")"
fi
echo "raw outputs: $out"
