#!/usr/bin/env python3
"""Does the language server report what the command line reports?

    eval/lsp_parity.py BINARY WORKSPACE_DIR [MAX_FILES]

Runs `BINARY --format json --workspace --all-targets` in WORKSPACE_DIR (what the server
lints: every target, test code included), then starts `BINARY server` there, opens every
`.rs` file of the workspace one by one (at most MAX_FILES, default 400; the files with
command-line findings first) and compares the (line, rule) of each published diagnostic
with the command line's warnings and errors for that file. Prints the counts and the
first differences. A file outside the workspace's packages is linted on its own when
opened, so its findings show as "LSP only". Uses bench/lsp_latency.py's client.
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from lsp_latency import Server  # noqa: E402

binary, root = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
max_files = int(sys.argv[3]) if len(sys.argv) > 3 else 400
cli = subprocess.run([binary, "--format", "json", "--workspace", "--all-targets", "--quiet"],
                     cwd=root, capture_output=True, text=True)
want = {}
for d in json.loads(cli.stdout)["diagnostics"]:
    if d.get("level") in ("warning", "error"):
        want.setdefault(d["file"], set()).add((d["line"], d["rule"]))
others = sorted(os.path.relpath(p, root) for p in glob.glob(root + "/**/*.rs", recursive=True)
                if "/target/" not in p and "/." not in p)
files = (sorted(want) + [f for f in others if f not in want])[:max_files]

server = Server(binary, root)
server.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + root, "capabilities": {}})
server.notify("initialized", {})
server.wait(lambda m: m.get("method") == "window/logMessage" and "linted" in m["params"]["message"])
got = {}
for name in files:
    uri = "file://" + os.path.join(root, name)
    try:
        with open(os.path.join(root, name), encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        continue
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}})
    _, message = server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == uri)
    found = set()
    for d in message["params"]["diagnostics"]:
        code = d.get("code")
        if isinstance(code, dict):
            code = code.get("value")
        found.add((d["range"]["start"]["line"] + 1, str(code).replace("concurrency_lint::", "")))
    got[name] = found
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
server.proc.kill()
both = sum(len(want.get(f, set()) & got.get(f, set())) for f in got)
cli_only = [(f, x) for f in got for x in sorted(want.get(f, set()) - got[f])]
lsp_only = [(f, x) for f in got for x in sorted(got[f] - want.get(f, set()))]
print(f"files opened {len(got)}: same {both}, command line only {len(cli_only)}, server only {len(lsp_only)}")
for f, x in cli_only[:20]:
    print(f"  command line only  {f}:{x[0]} {x[1]}")
for f, x in lsp_only[:20]:
    print(f"  server only        {f}:{x[0]} {x[1]}")
sys.exit(1 if cli_only or lsp_only else 0)
