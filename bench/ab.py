#!/usr/bin/env python3
"""A/B timing of linter binaries against the mimalloc baseline on the `async` corpus.

    python3 bench/ab.py ROUNDS JOBS BIN [BIN...]

Each round runs the baseline and every BIN once (`--format json --no-config --quiet -j
JOBS`), under GNU time; each round starts one program later than the one before, because
the memory a run gets depends on how much the run before it freed (bench/README.md,
"Order matters"). Prints, per program, the medians of wall, user and system seconds, the
peak RSS, the wall ratio to the baseline, and every wall time. Needs `bench/vendor.sh`
to have vendored the corpus and the baseline built with
`cargo build --release --features mimalloc --target-dir target/mimalloc` in
bench/syn-baseline.
"""
import os
import statistics
import subprocess
import sys

bench = os.path.dirname(os.path.abspath(__file__))
rounds, jobs, bins = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
dirs = subprocess.run([os.path.join(bench, "vendor.sh"), "--list"],
                      capture_output=True, text=True, check=True).stdout.split()
baseline = os.path.join(bench, "syn-baseline/target/mimalloc/release/syn-baseline")
commands = {"baseline": [baseline] + dirs}
for binary in bins:
    commands[binary] = [binary, "--format", "json", "--no-config", "--quiet", "-j", jobs] + dirs
env = dict(os.environ, RAYON_NUM_THREADS=jobs)


def run(command):
    done = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + command,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    return [float(x) for x in done.stderr.strip().splitlines()[-1].split()]


names = list(commands)
for name in names:  # warm the page cache and the binaries
    run(commands[name])
results = {name: [] for name in names}
for r in range(rounds):
    for name in names[r % len(names):] + names[:r % len(names)]:
        results[name].append(run(commands[name]))
base_wall = statistics.median(x[0] for x in results["baseline"])
for name, rows in results.items():
    wall, user, system, rss = (statistics.median(x[i] for x in rows) for i in range(4))
    print(f"{name}: wall {wall:.3f} user {user:.2f} sys {system:.2f} rss {rss / 1024:.0f}MB "
          f"ratio {wall / base_wall:.3f} walls {sorted(x[0] for x in rows)}")
