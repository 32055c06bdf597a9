//! The report as a Graphviz call graph: from the entry points down to the functions that
//! block or compute (and the findings there), each node colored by its verdict.

use super::{Report, Verdict};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;

fn color(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Mixed => "#b10026",
        Verdict::Blocking => "#e31a1c",
        Verdict::CpuBound => "#fd8d3c",
        Verdict::FanOut => "#fed976",
        Verdict::AsyncIo => "#a1d99b",
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Functions on a call path from an entry point to a function whose verdict is not "as
/// is", plus those entries and functions.
fn on_paths(report: &Report) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut callees: HashMap<&str, Vec<&str>> = HashMap::new();
    for (caller, callee) in &report.calls {
        callees.entry(caller).or_default().push(callee);
    }
    let flagged: HashSet<&str> = report
        .functions
        .iter()
        .filter(|f| f.verdict != Verdict::AsyncIo)
        .map(|f| f.function.as_str())
        .collect();
    // Reverse reachability: which functions reach a flagged one.
    let mut reaches: HashSet<&str> = flagged.clone();
    loop {
        let before = reaches.len();
        for (caller, list) in &callees {
            if list.iter().any(|c| reaches.contains(c)) {
                reaches.insert(caller);
            }
        }
        if reaches.len() == before {
            break;
        }
    }
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    let mut stack: Vec<&str> = report
        .functions
        .iter()
        .filter(|f| f.entry.is_some())
        .map(|f| f.function.as_str())
        .collect();
    nodes.extend(stack.iter().map(|s| s.to_string()));
    let mut seen = HashSet::new();
    while let Some(f) = stack.pop() {
        if !seen.insert(f) {
            continue;
        }
        for callee in callees.get(f).into_iter().flatten() {
            if reaches.contains(callee) {
                nodes.insert(callee.to_string());
                edges.insert((f.to_string(), callee.to_string()));
                stack.push(callee);
            }
        }
    }
    nodes.extend(flagged.iter().map(|s| s.to_string()));
    (nodes, edges.into_iter().collect())
}

pub fn dot(report: &Report) -> String {
    let (nodes, edges) = on_paths(report);
    let by_name: HashMap<&str, &super::FunctionReport> = report
        .functions
        .iter()
        .map(|f| (f.function.as_str(), f))
        .collect();
    let mut out = String::from(
        "digraph concurrency {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n  edge [color=\"#555555\"];\n",
    );
    for name in &nodes {
        let short = super::short_path(name);
        match by_name.get(name.as_str()) {
            Some(f) => {
                let role = f.entry.map(|e| format!("\\n[{e}]")).unwrap_or_default();
                let label = format!("{short}{role}\\n{}", f.verdict.name());
                let _ = writeln!(
                    out,
                    "  {} [label=\"{}\", fillcolor=\"{}\"{}];",
                    quote(name),
                    label.replace('"', "'"),
                    color(f.verdict),
                    if f.entry.is_some() {
                        ", penwidth=2"
                    } else {
                        ""
                    }
                );
                let leaves = f.blocks.iter().chain(&f.computes).chain(&f.fan_out);
                for (i, e) in leaves.enumerate() {
                    let leaf = format!("{name}#{i}");
                    let text: String = e.message.chars().take(60).collect();
                    let _ = writeln!(
                        out,
                        "  {} [label={}, shape=note, fillcolor=\"#ffffff\", fontsize=9];\n  {} -> {} [style=dashed];",
                        quote(&leaf),
                        quote(&format!("{text}\\n{}:{} ({})", e.file, e.line, e.rule)).replace("\\\\n", "\\n"),
                        quote(name),
                        quote(&leaf)
                    );
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {} [label={}, fillcolor=\"#f0f0f0\"];",
                    quote(name),
                    quote(&short)
                );
            }
        }
    }
    for (from, to) in edges {
        let _ = writeln!(out, "  {} -> {};", quote(&from), quote(&to));
    }
    out.push_str("  subgraph cluster_legend { label=\"verdict\"; fontsize=10;\n");
    for v in Verdict::ALL {
        let _ = writeln!(
            out,
            "    \"legend {}\" [label=\"{}\", fillcolor=\"{}\"];",
            v.name(),
            v.name(),
            color(v)
        );
    }
    out.push_str("  }\n}\n");
    out
}
