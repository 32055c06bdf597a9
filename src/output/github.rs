//! GitHub Actions workflow commands: `::warning file=…,line=…::message`.

use super::Report;
use crate::diagnostic::Level;

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Paths are relative to the repository root (the runner's working directory), so the
/// annotations land on the files even when the Cargo workspace is a subfolder.
pub fn render(report: &Report) -> Vec<u8> {
    let root = super::repository_root(&report.base);
    let mut out = String::new();
    for d in &report.diagnostics {
        let command = if d.level == Level::Deny {
            "error"
        } else {
            "warning"
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&super::repo_relative(&report.base, &root, &d.file)),
            d.primary.line,
            d.primary.column,
            d.primary.end_line,
            d.primary.end_column,
            escape_property(&format!("concurrency_lint::{}", d.rule)),
            escape_data(&message)
        ));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
