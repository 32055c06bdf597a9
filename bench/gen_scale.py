#!/usr/bin/env python3
"""Generated inputs for bench/scale.sh: `gen_scale.py KIND OUT`."""
import sys

kind, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    if kind == "one_line":  # 16,000 findings on one ~800 KB line
        f.write("async fn f(d: std::time::Duration) {")
        f.write(" std::thread::sleep(d); let _pad = 0x0123456789;" * 16000)
        f.write(" }\n")
    elif kind == "many_lines":  # the same findings, one per line
        f.write("async fn f(d: std::time::Duration) {\n")
        f.write(" std::thread::sleep(d); let _pad = 0x0123456789;\n" * 16000)
        f.write("}\n")
    elif kind.startswith("join"):  # join:N nested futures::join!
        n = int(kind.split(":")[1])
        f.write("async fn f() {\n " + "futures::join!(" * n + "g()" + ")" * n + ";\n}\n")
    elif kind == "match":  # a 1,000,000-arm match
        f.write("pub fn f(x: u32) -> u32 {\n    match x {\n")
        for i in range(1_000_000):
            f.write(f"        {i} => {i % 7},\n")
        f.write("        _ => 0,\n    }\n}\n")
    elif kind == "macros":  # 200,000 item-macro invocations, a function in each
        for i in range(200_000):
            f.write(f"cfg_x! {{ pub async fn f{i}() {{ std::thread::sleep(D); }} }}\n")
    elif kind == "huge":  # ~50 MB of ordinary async code with a finding per function
        for i in range(140_000):
            f.write(f"""pub async fn handler_{i}(state: &State, key: &str) -> Result<String, Error> {{
    let value = state.map.lock().unwrap().get(key).cloned();
    std::thread::sleep(std::time::Duration::from_millis({i % 10}));
    if let Some(v) = value {{
        return Ok(v);
    }}
    let data = tokio::fs::read_to_string("x").await?;
    Ok(format!("{{}}{{}}", data, {i}))
}}
""")
    else:
        raise SystemExit("unknown kind " + kind)
