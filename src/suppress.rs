//! Inline suppressions: `// concurrency-lint: allow(rule, …) -- reason` comments (own line
//! and the next; before an item, the whole item), `//! concurrency-lint: allow(…)` for the
//! file, and `#[cfg_attr(concurrency_lint, allow(concurrency_lint::rule))]` on items.

use crate::analysis::walker::ItemExtent;
use crate::diagnostic::Diagnostic;

const MARKER: &str = "concurrency-lint: allow(";

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct SuppressionComment {
    pub line: usize,
    pub rules: Vec<String>,
    pub file_level: bool,
}

/// All suppression comments of a file.
pub fn comments(text: &str) -> Vec<SuppressionComment> {
    let mut found = Vec::new();
    if !text.contains(MARKER) {
        return found;
    }
    for (index, line) in text.lines().enumerate() {
        let Some(comment_start) = line.find("//") else {
            continue;
        };
        let comment = &line[comment_start..];
        let Some(marker) = comment.find(MARKER) else {
            continue;
        };
        let rest = &comment[marker + MARKER.len()..];
        let Some(close) = rest.find(')') else {
            continue;
        };
        let rules = rest[..close]
            .split(',')
            .map(|r| {
                r.trim()
                    .trim_start_matches("concurrency_lint::")
                    .to_string()
            })
            .filter(|r| !r.is_empty())
            .collect();
        found.push(SuppressionComment {
            line: index + 1,
            rules,
            file_level: comment.starts_with("//!"),
        });
    }
    found
}

fn names(rules: &[String], rule: &str) -> bool {
    rules.iter().any(|r| r == rule || r == "all")
}

/// Whether a finding is suppressed by a comment or an attribute of its file.
pub fn is_suppressed(
    diagnostic: &Diagnostic,
    comments: &[SuppressionComment],
    extents: &[ItemExtent],
) -> bool {
    let line = diagnostic.primary.line;
    let rule = diagnostic.rule;
    for comment in comments.iter().filter(|c| names(&c.rules, rule)) {
        if comment.file_level || comment.line == line || comment.line + 1 == line {
            return true;
        }
        let covers_item = extents.iter().any(|extent| {
            extent.first_line == comment.line + 1
                && extent.first_line <= line
                && line <= extent.last_line
        });
        if covers_item {
            return true;
        }
    }
    extents.iter().any(|extent| {
        names(&extent.allowed_rules, rule) && extent.first_line <= line && line <= extent.last_line
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_comments() {
        let found = comments(
            "//! concurrency-lint: allow(static_mut)\nfn f() {} // concurrency-lint: allow(blocking_in_async, block_on_in_async) -- startup only\n",
        );
        assert_eq!(found.len(), 2);
        assert!(found[0].file_level);
        assert_eq!(found[1].line, 2);
        assert_eq!(
            found[1].rules,
            vec!["blocking_in_async", "block_on_in_async"]
        );
    }
}
