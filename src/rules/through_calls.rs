//! Findings reached *through calls*: an async fn calling a crate function whose chain of
//! calls ends in a cause (a blocking API, a CPU-heavy place). One builder for every rule
//! that reports such chains; each rule supplies its causes and its wording.

use crate::diagnostic::{Diagnostic, Label, Model, Note};
use crate::program::callgraph::CallGraph;
use crate::program::calls::{CallContext, CallEdge, FunctionSummary};
use crate::rules::CrateFile;

/// How a rule words its chain findings.
pub(crate) struct ChainReport<'a> {
    pub rule: &'static str,
    /// The message, from the first callee (`` `config::load` ``) and the cause's `what`.
    pub message: &'a dyn Fn(&str, &str) -> String,
    /// The verb of the last step: "`read_settings` calls `std::fs::read`".
    pub verb: &'static str,
    /// The help, from the first callee.
    pub help: &'a dyn Fn(&str) -> String,
    pub model: Model,
}

/// The last two segments of a path, for messages: `Store::save`, `config::load`. The root
/// of a binary in a workspace program (`crate@pkg#bin`, see `crate_phase`) reads `crate`.
pub(crate) fn short(path: &str) -> String {
    let mut parts: Vec<&str> = path.rsplit("::").take(2).collect();
    parts.reverse();
    for part in &mut parts {
        if part.starts_with("crate@") {
            *part = "crate";
        }
    }
    parts.join("::")
}

/// Every call from async code into a function of `graph` that reaches a cause.
pub(crate) fn async_calls_reaching(
    files: &[CrateFile],
    graph: &CallGraph,
    report: &ChainReport,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for file in files {
        for caller in &file.facts.functions {
            for edge in &caller.calls {
                if edge.context == CallContext::Async && !edge.awaited && graph.reached_by(edge) {
                    found.push(chain_finding(graph, caller, edge, report));
                }
            }
        }
    }
    found
}

/// A finding at an async call of a crate function whose chain ends in a cause; the notes
/// walk the chain.
fn chain_finding(
    graph: &CallGraph,
    caller: &FunctionSummary,
    edge: &CallEdge,
    report: &ChainReport,
) -> Diagnostic {
    let chain = graph.chain(&edge.callee);
    let cause = graph.cause(&edge.callee);
    let what = cause.map(|c| c.what.clone()).unwrap_or_default();
    let names: Vec<String> = chain
        .iter()
        .map(|f| format!("`{}`", short(&f.path)))
        .collect();
    let callee = names.first().cloned().unwrap_or_default();
    let message = (report.message)(&callee, &what);
    let mut diagnostic = Diagnostic::new(report.rule, &caller.file, edge.location.clone(), message);
    diagnostic.primary_label = format!("{} → {what}", names.join(" → "));
    if let Some((header, what)) = edge.async_header.as_deref() {
        diagnostic.labels.push(Label {
            location: header.clone(),
            message: format!("this {what} runs on the async executor"),
        });
    }
    for (index, function) in chain.iter().enumerate() {
        let (message, location) = match graph.step_call(&function.path) {
            Some(step) => (
                format!(
                    "`{}` calls {}",
                    short(&function.path),
                    names.get(index + 1).cloned().unwrap_or_default()
                ),
                step.location.clone(),
            ),
            None => match cause {
                Some(cause) => (
                    format!("`{}` {} {}", short(&function.path), report.verb, cause.what),
                    cause.location.clone(),
                ),
                None => continue,
            },
        };
        diagnostic.notes.push(Note {
            message,
            file: Some(function.file.to_string()),
            location: Some(location),
        });
    }
    diagnostic.help = Some((report.help)(&callee));
    diagnostic.model = Some(report.model);
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_names_read_like_paths_a_user_writes() {
        assert_eq!(short("crate::store::Store::save"), "Store::save");
        assert_eq!(short("my_lib::load"), "my_lib::load");
        assert_eq!(
            short("crate@daemon#daemon::init_logging"),
            "crate::init_logging"
        );
        assert_eq!(short("main"), "main");
    }
}
