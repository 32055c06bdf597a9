#!/usr/bin/env python3
"""Re-lint latency of `cargo concurrency-lint server` after an edit in a large workspace.

Starts the server on a Cargo package (default: the vendored tokio of the bench corpus,
~109k lines in src/), opens one file, then sends `didChange` edits and times each one
until the server's `publishDiagnostics` for that version arrives. Every other edit adds a
blocking call in an async fn and the next removes it, so the findings really change.

    bench/vendor.sh                      # once: vendors the corpus (tokio among it)
    cargo build --release
    bench/lsp_latency.py                 # or: --workspace DIR --file src/x.rs --runs 50
    bench/lsp_latency.py --one-crate     # all of tokio's src/ (380 files) as one crate

Prints the startup time (the whole workspace linted once) and the min / median / p90 /
max latency of a re-lint (the edited file re-linted, its crate's crate-level phase re-run
over the cached summaries of the others).
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import threading
import queue
import shutil
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def default_workspace():
    found = sorted(glob.glob(os.path.join(HERE, "vendor", "tokio-1.*")))
    return found[-1] if found else None


class Server:
    def __init__(self, binary, root):
        self.proc = subprocess.Popen(
            [binary, "server"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.messages = queue.Queue()
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = out.read(length)
            self.messages.put((time.perf_counter(), json.loads(body)))

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == rid and "method" not in m)

    def wait(self, predicate, timeout=600):
        deadline = time.monotonic() + timeout
        while True:
            item = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if item is None:
                sys.exit("the server exited")
            at, message = item
            if predicate(message):
                return at, message


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=os.path.join(REPO, "target", "release", "cargo-concurrency-lint"))
    parser.add_argument("--workspace", default=default_workspace())
    parser.add_argument("--file", default="src/util/linked_list.rs")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--one-crate", action="store_true",
                        help="lint every .rs file under WORKSPACE/src as modules of one crate "
                             "(#[path] mods in a generated lib.rs): the crate-level phase then "
                             "spans all of them, the worst case for a re-lint")
    args = parser.parse_args()
    if not args.workspace:
        sys.exit("no workspace: run bench/vendor.sh, or pass --workspace DIR")
    source = os.path.realpath(args.workspace)
    path = os.path.join(source, args.file)
    root = source
    if args.one_crate:
        root = tempfile.mkdtemp(prefix="lsp-latency-")
        os.makedirs(os.path.join(root, "src"))
        with open(os.path.join(root, "Cargo.toml"), "w") as f:
            f.write('[package]\nname = "one-crate"\nversion = "0.0.0"\nedition = "2021"\n\n'
                    '[dependencies]\ntokio = "1"\n\n[workspace]\n')
        files = sorted(glob.glob(os.path.join(source, "src", "**", "*.rs"), recursive=True))
        with open(os.path.join(root, "src", "lib.rs"), "w") as f:
            for i, file in enumerate(files):
                f.write(f"#[path = {json.dumps(file)}]\nmod m{i};\n")
    uri = "file://" + path
    with open(path, encoding="utf-8") as f:
        text = f.read()

    server = Server(args.server, root)
    started = time.perf_counter()
    server.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + root, "capabilities": {}})
    server.notify("initialized", {})
    _, log = server.wait(lambda m: m.get("method") == "window/logMessage" and "linted" in m["params"]["message"])
    loaded = time.perf_counter()

    def published(version):
        return lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri
            and m["params"].get("version") == version
        )

    sent = time.perf_counter()
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}})
    at, message = server.wait(published(1))
    first_open = at - sent
    baseline = len(message["params"]["diagnostics"])

    edit = "\npub async fn __lsp_bench_edit() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n"
    latencies = []
    counts = set()
    for run in range(args.runs):
        version = run + 2
        new_text = text + edit if run % 2 == 0 else text
        sent = time.perf_counter()
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": new_text}],
        })
        at, message = server.wait(published(version))
        latencies.append((at - sent) * 1000)
        counts.add(len(message["params"]["diagnostics"]))
        time.sleep(0.02)  # a typist's pause: no coalescing of edits

    server.request("shutdown", None)
    server.notify("exit", None)
    code = server.proc.wait(timeout=30)

    lines = sum(1 for _ in text.splitlines())
    latencies.sort()
    p90 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.9))]
    print(f"workspace: {root}")
    print(f"startup:   {log['params']['message']} (initialize to ready: {(loaded - started) * 1000:.0f} ms)")
    print(f"open:      {args.file} ({lines} lines, {baseline} findings): {first_open * 1000:.1f} ms to diagnostics")
    print(f"re-lint after didChange, {args.runs} edits (findings per version: {sorted(counts)}):")
    print(f"  min {latencies[0]:.1f} ms   median {statistics.median(latencies):.1f} ms   "
          f"p90 {p90:.1f} ms   max {latencies[-1]:.1f} ms")
    print(f"server exit code: {code}")
    if args.one_crate:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
