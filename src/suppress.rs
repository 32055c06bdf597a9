//! Inline suppressions: `// concurrency-lint: allow(rule, …) -- reason` comments (own line
//! and the next; before an item, the whole item), `//! concurrency-lint: allow(…)` for the
//! file, and `#[cfg_attr(concurrency_lint, allow(concurrency_lint::rule))]` on items.

use crate::diagnostic::Diagnostic;
use crate::semantic::walker::ItemExtent;

const MARKER: &str = "concurrency-lint: allow(";

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct SuppressionComment {
    pub line: usize,
    /// The comment, from `//` to the end of its line.
    pub location: crate::source::Location,
    pub rules: Vec<String>,
    pub file_level: bool,
}

/// All suppression comments of a file.
pub fn comments(text: &str) -> Vec<SuppressionComment> {
    let mut found = Vec::new();
    if !crate::semantic::mentions::mentions(text, MARKER) {
        return found;
    }
    let mut line_start = 0;
    for (index, line) in text.split('\n').enumerate() {
        let this_line_start = line_start;
        line_start += line.len() + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
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
            // any spelling: `blocking_in_async`, `concurrency_lint::…`, `blocking-in-async`
            .map(crate::rules::normalize)
            .filter(|r| !r.is_empty())
            .collect();
        found.push(SuppressionComment {
            line: index + 1,
            location: crate::source::Location {
                line: index + 1,
                column: line[..comment_start].chars().count() + 1,
                end_line: index + 1,
                end_column: line.chars().count() + 1,
                byte_start: this_line_start + comment_start,
                byte_end: this_line_start + line.len(),
            },
            rules,
            file_level: comment.starts_with("//!"),
        });
    }
    found
}

fn names(rules: &[String], rule: &str) -> bool {
    rules.iter().any(|r| r == rule || r == "all")
}

/// Whether one comment suppresses a finding.
/// A file's suppressions made ready for its findings: each comment with the lines of the
/// items that start right below it, and the items whose attributes allow rules. Built
/// once per file, so judging its findings is linear in their number.
pub struct SuppressionIndex<'a> {
    comments: Vec<(&'a SuppressionComment, Vec<(usize, usize)>)>,
    allowing: Vec<&'a ItemExtent>,
}

impl<'a> SuppressionIndex<'a> {
    pub fn new(comments: &'a [SuppressionComment], extents: &'a [ItemExtent]) -> Self {
        let mut below: std::collections::HashMap<usize, Vec<(usize, usize)>> =
            std::collections::HashMap::new();
        if !comments.is_empty() {
            for extent in extents {
                below
                    .entry(extent.first_line)
                    .or_default()
                    .push((extent.first_line, extent.last_line));
            }
        }
        SuppressionIndex {
            comments: comments
                .iter()
                .map(|c| (c, below.remove(&(c.line + 1)).unwrap_or_default()))
                .collect(),
            allowing: extents
                .iter()
                .filter(|e| !e.allowed_rules.is_empty())
                .collect(),
        }
    }

    /// Whether a finding is suppressed by a comment or an attribute of its file.
    pub fn suppresses(&self, diagnostic: &Diagnostic) -> bool {
        let line = diagnostic.primary.line;
        self.comments
            .iter()
            .any(|(comment, items)| comment_suppresses(comment, items, diagnostic))
            || self.allowing.iter().any(|extent| {
                names(&extent.allowed_rules, diagnostic.rule)
                    && extent.first_line <= line
                    && line <= extent.last_line
            })
    }
}

/// Whether `comment` (with the line ranges of the items right below it) covers a finding.
fn comment_suppresses(
    comment: &SuppressionComment,
    items_below: &[(usize, usize)],
    diagnostic: &Diagnostic,
) -> bool {
    let line = diagnostic.primary.line;
    if !names(&comment.rules, diagnostic.rule) {
        return false;
    }
    comment.file_level
        || comment.line == line
        || comment.line + 1 == line
        || items_below
            .iter()
            .any(|&(first, last)| first <= line && line <= last)
}

/// Comments that suppress none of `diagnostics` (the file's enabled findings), with the
/// reason: a rule name that does not exist, or nothing to suppress.
pub fn unused<'c>(
    comments: &'c [SuppressionComment],
    diagnostics: &[Diagnostic],
    extents: &[ItemExtent],
    rule_exists: &dyn Fn(&str) -> bool,
) -> Vec<(&'c SuppressionComment, String)> {
    let mut found = Vec::new();
    for comment in comments {
        if let Some(unknown) = comment
            .rules
            .iter()
            .find(|r| r.as_str() != "all" && !rule_exists(r))
        {
            let hint = crate::rules::closest_name(unknown)
                .filter(|name| rule_exists(name))
                .map(|name| format!("; did you mean `{name}`?"))
                .unwrap_or_default();
            found.push((
                comment,
                format!("unknown rule `{unknown}` in suppression{hint}"),
            ));
        } else if !{
            let below: Vec<(usize, usize)> = extents
                .iter()
                .filter(|e| e.first_line == comment.line + 1)
                .map(|e| (e.first_line, e.last_line))
                .collect();
            diagnostics
                .iter()
                .any(|d| comment_suppresses(comment, &below, d))
        } {
            found.push((
                comment,
                format!("unused suppression: allow({})", comment.rules.join(", ")),
            ));
        }
    }
    found
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

    #[test]
    fn reads_every_spelling_of_a_rule() {
        let found = comments(
            "// concurrency-lint: allow(blocking-in-async, concurrency_lint::static_mut)\n",
        );
        assert_eq!(found[0].rules, vec!["blocking_in_async", "static_mut"]);
    }
}
