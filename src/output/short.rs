//! `path:line:col: level[rule] message`, one finding per line.

use super::Report;

pub fn render(report: &Report) -> Vec<u8> {
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
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
