#!/usr/bin/env bash
# Real-bug recall set: runs a concurrency-lint binary on each case of cases.tsv (a
# concurrency defect that a public project found and fixed upstream) at the fix's PARENT
# commit, and reports found/missed per case and recall overall / per reach / per cause /
# per rule.
#
# Usage:
#   eval/realbugs/run.sh LINTER REPOS_DIR [CASES_TSV]
#   eval/realbugs/run.sh --print-clone REPOS_DIR [CASES_TSV]   # print the checkout commands
#
# LINTER     the linter binary (e.g. target/release/cargo-concurrency-lint)
# REPOS_DIR  a directory holding one checkout per case, named by the case id, each at the
#            case's parent commit: REPOS_DIR/<id>  (HEAD == parent_commit)
#
# Obtaining the checkouts (network needed once; the projects' code is never committed here):
#   for each row of cases.tsv:
#     git clone https://github.com/<repo> REPOS_DIR/<id>
#     git -C REPOS_DIR/<id> checkout --detach <parent_commit>
#   `run.sh --print-clone REPOS_DIR` prints exactly these commands. Two cases share a repo
#   and commit (zeroclaw-rusqlite-*); each still gets its own directory.
#   With a bare mirror at hand instead: git --git-dir=MIRROR worktree add --detach REPOS_DIR/<id> <parent>
#
# How a case is run: in REPOS_DIR/<id>/<package_dir>, cargo mode
#   LINTER -W all --format json --exit-zero
# (RUSTUP_TOOLCHAIN defaults to `stable` so that an old pinned rust-toolchain file of the
# project does not break `cargo metadata`; CARGO_NET_OFFLINE=true). If that fails (exit 2
# or no JSON document), PATH mode on the package's src/ (or the package dir) is used and
# the row says `path`.
# A case is FOUND when a diagnostic of the case's rule is reported in the labeled file
# within +-2 lines of the labeled line (for through-calls cases the labeled line is the
# call site in the async fn / in the guard's scope, per SPEC's primary locations).
#
# Exit status: 0 (it is a measurement, not a gate); 2 on usage errors.
set -u

here=$(cd "$(dirname "$0")" && pwd)

if [[ "${1:-}" == "--print-clone" ]]; then
  dir=${2:?REPOS_DIR}
  tsv=${3:-$here/cases.tsv}
  tail -n +2 "$tsv" | while IFS=$'\t' read -r id repo fix parent _rest; do
    echo "git clone https://github.com/$repo $dir/$id && git -C $dir/$id checkout --detach $parent"
  done
  exit 0
fi

linter=${1:-}
repos=${2:-}
tsv=${3:-$here/cases.tsv}
if [[ -z "$linter" || -z "$repos" ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
linter=$(cd "$(dirname "$linter")" && pwd)/$(basename "$linter")
repos=$(cd "$repos" && pwd)
[[ -x "$linter" ]] || { echo "not executable: $linter" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-stable}
export CARGO_NET_OFFLINE=true
timeout_s=${REALBUGS_TIMEOUT:-600}

results="$out/results.tsv"
: >"$results"

tail -n +2 "$tsv" | while IFS=$'\t' read -r id repo fix parent pkg rule file line reach cause desc; do
  root="$repos/$id"
  if [[ ! -d "$root" ]]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$rule" "$reach" "$cause" "absent" "-" "" >>"$results"
    continue
  fi
  head=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo "?")
  note=""
  [[ "$head" == "$parent" ]] || note="HEAD $head is not the parent commit"
  pdir="$root/$pkg"
  mode=cargo
  json="$out/$id.json"
  (cd "$pdir" && timeout "$timeout_s" "$linter" -W all --format json --exit-zero >"$json" 2>"$out/$id.err")
  rc=$?
  if [[ $rc -ne 0 ]] || ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d.get("diagnostics"), list)' "$json" 2>/dev/null; then
    mode=path
    target=src
    [[ -d "$pdir/src" ]] || target=.
    (cd "$pdir" && timeout "$timeout_s" "$linter" -W all --format json --exit-zero "$target" >"$json" 2>"$out/$id.err")
  fi
  verdict=$(python3 - "$json" "$root" "$pdir" "$rule" "$file" "$line" <<'PY'
import json, os, sys
path, root, pdir, rule, file, line = sys.argv[1:7]
line = int(line)
try:
    diags = json.load(open(path)).get("diagnostics", [])
except Exception:
    print("error\t"); sys.exit(0)
root = os.path.realpath(root)
want = os.path.realpath(os.path.join(root, file))
# bases a relative diagnostic path may be relative to: the package dir and every
# directory above it up to the repo root (the workspace root is one of them)
bases, d = [], os.path.realpath(pdir)
while True:
    bases.append(d)
    if d == root or len(d) <= len(root):
        break
    d = os.path.dirname(d)
def same_file(f):
    if not f:
        return False
    if os.path.isabs(f):
        return os.path.realpath(f) == want
    return any(os.path.realpath(os.path.join(b, f)) == want for b in bases)
found, other = False, []
for x in diags:
    if not same_file(x.get("file")) or x.get("line") is None:
        continue
    if abs(x["line"] - line) <= 2:
        if x.get("rule") == rule:
            found = True
        else:
            other.append("%s@%d" % (x.get("rule"), x["line"]))
print(("found" if found else "missed") + "\t" + ",".join(sorted(set(other))))
PY
)
  status=${verdict%%$'\t'*}
  others=${verdict#*$'\t'}
  [[ -n "$others" && "$status" != found ]] && note="${note:+$note; }nearby other rules: $others"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$rule" "$reach" "$cause" "$status" "$mode" "$note" >>"$results"
done

python3 - "$results" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print("%-30s %-22s %-14s %-7s %-5s %s" % ("case", "rule", "reach", "result", "mode", "cause / note"))
for id_, rule, reach, cause, status, mode, note in rows:
    extra = cause if cause != "-" else ""
    if note:
        extra = (extra + "  " if extra else "") + "(" + note + ")"
    print("%-30s %-22s %-14s %-7s %-5s %s" % (id_, rule, reach, status.upper(), mode, extra))
run = [r for r in rows if r[4] in ("found", "missed")]
def recall(sel):
    n = len(sel); f = sum(1 for r in sel if r[4] == "found")
    return "%d/%d (%.0f%%)" % (f, n, 100.0 * f / n) if n else "0/0"
print()
print("recall overall: %s" % recall(run))
for key, idx in (("reach", 2), ("rule", 1)):
    groups = collections.OrderedDict()
    for r in sorted(run, key=lambda r: r[idx]):
        groups.setdefault(r[idx], []).append(r)
    print("recall per %s:" % key)
    for k, v in groups.items():
        print("  %-28s %s" % (k, recall(v)))
# per cause: the cause column names what a case needs beyond the basics ("-" = nothing
# special); a found case with a cause shows the linter has learnt that thing
groups = collections.OrderedDict()
for r in sorted(run, key=lambda r: r[3]):
    groups.setdefault(r[3], []).append(r)
print("recall per cause:")
for k, v in groups.items():
    print("  %-40s %s" % (k, recall(v)))
skipped = [r[0] for r in rows if r[4] not in ("found", "missed")]
if skipped:
    print("not run (checkout absent or linter error): " + ", ".join(skipped))
PY
exit 0
