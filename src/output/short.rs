//! `path:line:col: level[rule]: message`, one finding per line (rustc's
//! `--error-format=short`). The rule is the bare name: a `::` there would end the level
//! part early for the parsers of rustc's short format (vim: `%f:%l:%c: %t%*[^:]: %m`)., one finding per line.

use super::Report;

pub fn render(report: &Report) -> Vec<u8> {
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&format!(
            "{}:{}:{}: {}[{}]: {}\n",
            d.file,
            d.primary.line,
            d.primary.column,
            d.level.severity(),
            d.rule,
            d.message
        ));
    }
    out.into_bytes()
}
