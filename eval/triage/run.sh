#!/usr/bin/env bash
# Re-run a concurrency-lint binary on the triage corpus and score it against judgments.tsv.
#
# usage: eval/triage/run.sh LINTER_BINARY REPOS_DIR [OUT_DIR]
#
# This script fetches nothing. Each repository listed in repos.tsv must already be checked out
# under REPOS_DIR/<dir> (column `dir`) at the recorded commit, e.g.
#     git clone https://github.com/sigoden/dufs REPOS_DIR/dufs
#     git -C REPOS_DIR/dufs checkout 30587cedfa0959e7b329f746f07f0b106141219d
# A checkout at a different commit is linted anyway, with a warning (line matches will drift).
#
# Each repo is linted in cargo mode from its root: `LINTER --format json -W all $LINTER_ARGS`.
# If `cargo metadata --no-deps` fails there (e.g. rust-toolchain pins an uninstalled toolchain),
# it is retried with RUSTUP_TOOLCHAIN=stable.
# Findings are matched to judgments by (repo, rule, file, line). Per rule it prints:
#   real / defensible / wrong  = judged findings still reported, by verdict
#   real_lost                  = judged-real findings no longer reported (recall loss)
#   wrong_gone                 = judged-wrong findings no longer reported (noise removed)
#   unjudged                   = reported findings with no judgment; `new` = also absent from
#                                base_findings.tsv (the run the judgments were made on); the rest
#                                were left out by the per-rule sample of 15.
# Extra linter flags: LINTER_ARGS="--context-main warn" eval/triage/run.sh ...
# Default levels instead of `-W all` (the precision target of issue 10): LEVELS=default eval/triage/run.sh ...
# The second set (round2/, judged at default levels, workspaces linted whole):
#   SET=round2 LEVELS=default LINTER_ARGS=--workspace eval/triage/run.sh LINTER REPOS_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)/${SET:-.}"
linter="$(realpath "${1:?usage: run.sh LINTER_BINARY REPOS_DIR [OUT_DIR]}")"
repos_dir="$(realpath "${2:?usage: run.sh LINTER_BINARY REPOS_DIR [OUT_DIR]}")"
out_dir="${3:-$(mktemp -d)}"
mkdir -p "$out_dir"; out_dir="$(realpath "$out_dir")"

tail -n +2 "$here/repos.tsv" | while IFS=$'\t' read -r repo commit kind how dir; do
  src="$repos_dir/$dir"
  if [ ! -d "$src" ]; then echo "missing checkout: $src ($repo @ $commit)" >&2; continue; fi
  head="$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)"
  [ "$head" = "$commit" ] || echo "warning: $dir is at $head, judgments are for $commit" >&2
  ( cd "$src"
    if ! cargo metadata --no-deps --format-version 1 >/dev/null 2>&1; then export RUSTUP_TOOLCHAIN=stable; fi
    # shellcheck disable=SC2086
    levels="-W all"; [ "${LEVELS:-all}" = default ] && levels=""
    # shellcheck disable=SC2086
    "$linter" --format json $levels ${LINTER_ARGS:-} > "$out_dir/$dir.json" 2> "$out_dir/$dir.err" || true )
done

python3 - "$here" "$out_dir" <<'PY'
import csv, json, os, sys
from collections import Counter, defaultdict
here, out = sys.argv[1], sys.argv[2]
def tsv(p): return list(csv.DictReader(open(os.path.join(here, p)), delimiter='\t', quoting=csv.QUOTE_NONE))
repos = tsv('repos.tsv')
judg = {(j['repo'], j['rule'], j['file'], int(j['line'])): j for j in tsv('judgments.tsv')}
base = {(b['repo'], b['rule'], b['file'], int(b['line'])) for b in tsv('base_findings.tsv')}
cur, failed = set(), []
for r in repos:
    p = os.path.join(out, r['dir'] + '.json')
    try:
        for d in json.load(open(p))['diagnostics']:
            cur.add((r['repo'], d['rule'], d['file'], d['line']))
    except Exception as e:
        failed.append(f"{r['repo']}: {e}")
linted = {r['repo'] for r in repos} - {f.split(':')[0] for f in failed}
stats = defaultdict(Counter)
for k in cur:
    rule = k[1]
    j = judg.get(k)
    if j: stats[rule][j['verdict']] += 1
    else:
        stats[rule]['unjudged'] += 1
        if k not in base: stats[rule]['new'] += 1
for k, j in judg.items():
    if k[0] in linted and k not in cur:
        if j['verdict'] == 'real': stats[k[1]]['real_lost'] += 1
        if j['verdict'] == 'wrong': stats[k[1]]['wrong_gone'] += 1
        if j['verdict'] == 'defensible': stats[k[1]]['defensible_gone'] += 1
cols = ['real', 'defensible', 'wrong', 'real_lost', 'wrong_gone', 'defensible_gone', 'unjudged', 'new']
print(f"{'rule':28}" + ''.join(f'{c:>16}' for c in cols))
tot = Counter()
for rule in sorted(stats):
    print(f'{rule:28}' + ''.join(f'{stats[rule][c]:>16}' for c in cols)); tot.update(stats[rule])
print(f"{'TOTAL':28}" + ''.join(f'{tot[c]:>16}' for c in cols))
judged = tot['real'] + tot['defensible'] + tot['wrong']
if judged:
    print(f"\njudged findings still reported: {judged}; real {tot['real']/judged:.0%}, "
          f"real+defensible {(tot['real']+tot['defensible'])/judged:.0%}, wrong {tot['wrong']/judged:.0%}")
lost = [k for k, j in judg.items() if j['verdict'] == 'real' and k[0] in linted and k not in cur]
for k in sorted(lost): print('LOST real:', *k)
for f in failed: print('FAILED:', f, file=sys.stderr)
print(f'\nlinter JSON in {out}')
PY
