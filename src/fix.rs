//! Applying suggestions: `--fix` rewrites files in place, `--diff` prints a unified diff.
//! Only machine-applicable suggestions are applied, unless `--unsafe-fixes` also allows
//! the maybe-incorrect ones (the way ruff separates safe and unsafe fixes).

use crate::diagnostic::{Applicability, Diagnostic};

/// Whether a suggestion may be applied.
pub fn is_applicable(applicability: Applicability, unsafe_fixes: bool) -> bool {
    match applicability {
        Applicability::MachineApplicable => true,
        Applicability::MaybeIncorrect => unsafe_fixes,
        Applicability::HasPlaceholders => false,
    }
}

/// Apply the applicable suggestions of `diagnostics` (all of one file) to `text`.
/// Overlapping suggestions: the first (by position) wins. Returns the new text and the
/// indices of the diagnostics whose suggestion was applied.
pub fn apply(text: &str, diagnostics: &[&Diagnostic], unsafe_fixes: bool) -> (String, Vec<usize>) {
    let mut edits: Vec<(usize, usize, &str, usize)> = diagnostics
        .iter()
        .enumerate()
        .filter_map(|(index, d)| {
            let s = d.suggestion.as_ref()?;
            if !is_applicable(s.applicability, unsafe_fixes) {
                return None;
            }
            let (start, end) = (s.location.byte_start, s.location.byte_end);
            let valid = start <= end
                && end <= text.len()
                && text.is_char_boundary(start)
                && text.is_char_boundary(end);
            valid.then_some((start, end, s.replacement.as_str(), index))
        })
        .collect();
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut applied = Vec::new();
    for (start, end, replacement, index) in edits {
        if start < cursor {
            continue;
        }
        out.push_str(&text[cursor..start]);
        out.push_str(replacement);
        cursor = end;
        applied.push(index);
    }
    out.push_str(&text[cursor..]);
    (out, applied)
}

/// `apply`, keeping only fixes that leave a file that parses: all of them if together
/// they do, else each in turn (by position) when the text with it still parses.
pub fn apply_parsing(
    text: &str,
    diagnostics: &[&Diagnostic],
    unsafe_fixes: bool,
) -> (String, Vec<usize>) {
    let (fixed, applied) = apply(text, diagnostics, unsafe_fixes);
    if applied.is_empty() || crate::parse::parses(&fixed) {
        return (fixed, applied);
    }
    let mut kept: Vec<usize> = Vec::new();
    let mut current = text.to_string();
    for index in applied {
        let mut trial: Vec<&Diagnostic> = kept.iter().map(|&k| diagnostics[k]).collect();
        trial.push(diagnostics[index]);
        let (candidate, _) = apply(text, &trial, unsafe_fixes);
        if crate::parse::parses(&candidate) {
            kept.push(index);
            current = candidate;
        }
    }
    (current, kept)
}

/// A unified diff of two versions of a file (3 lines of context).
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    // Common prefix and suffix; the changed middle is one region per hunk group.
    let mut changes: Vec<(usize, usize, usize, usize)> = Vec::new();
    if old_lines.len() == new_lines.len() {
        let mut i = 0;
        while i < old_lines.len() {
            if old_lines[i] != new_lines[i] {
                let start = i;
                while i < old_lines.len() && old_lines[i] != new_lines[i] {
                    i += 1;
                }
                changes.push((start, i, start, i));
            } else {
                i += 1;
            }
        }
    } else {
        let prefix = old_lines
            .iter()
            .zip(&new_lines)
            .take_while(|(a, b)| a == b)
            .count();
        let suffix = old_lines[prefix..]
            .iter()
            .rev()
            .zip(new_lines[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        changes.push((
            prefix,
            old_lines.len() - suffix,
            prefix,
            new_lines.len() - suffix,
        ));
    }
    if changes.is_empty() {
        return String::new();
    }
    let (old_name, new_name) = if name.starts_with('/') {
        (name.to_string(), name.to_string())
    } else {
        (format!("a/{name}"), format!("b/{name}"))
    };
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    const CONTEXT: usize = 3;
    let mut index = 0;
    while index < changes.len() {
        // Merge changes whose contexts touch into one hunk.
        let mut last = index;
        while last + 1 < changes.len() && changes[last + 1].0 <= changes[last].1 + 2 * CONTEXT {
            last += 1;
        }
        let (old_start, _, new_start, _) = changes[index];
        let (_, old_end, _, new_end) = changes[last];
        let hunk_old_start = old_start.saturating_sub(CONTEXT);
        let hunk_old_end = (old_end + CONTEXT).min(old_lines.len());
        let hunk_new_start = new_start.saturating_sub(CONTEXT);
        let hunk_new_end = (new_end + CONTEXT).min(new_lines.len());
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            hunk_old_start + 1,
            hunk_old_end - hunk_old_start,
            hunk_new_start + 1,
            hunk_new_end - hunk_new_start
        ));
        let mut old_at = hunk_old_start;
        let mut new_at = hunk_new_start;
        for &(o_start, o_end, n_start, n_end) in &changes[index..=last] {
            while old_at < o_start {
                out.push_str(&format!(" {}\n", old_lines[old_at]));
                old_at += 1;
            }
            for line in &old_lines[o_start..o_end] {
                out.push_str(&format!("-{line}\n"));
            }
            for line in &new_lines[n_start..n_end] {
                out.push_str(&format!("+{line}\n"));
            }
            old_at = o_end;
            new_at = n_end;
        }
        while old_at < hunk_old_end && new_at < hunk_new_end {
            out.push_str(&format!(" {}\n", old_lines[old_at]));
            old_at += 1;
            new_at += 1;
        }
        index = last + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Suggestion;
    use crate::source::Location;

    fn with_fix(
        start: usize,
        end: usize,
        replacement: &str,
        applicability: Applicability,
    ) -> Diagnostic {
        let location = Location {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            byte_start: start,
            byte_end: end,
        };
        let mut d = Diagnostic::new("block_on_in_async", "f.rs", location.clone(), String::new());
        d.suggestion = Some(Suggestion {
            location,
            replacement: replacement.into(),
            applicability,
        });
        d
    }

    #[test]
    fn applies_only_safe_fixes_unless_asked() {
        let text = "let a = block_on(f());\nlet b = x;\n";
        let safe = with_fix(8, 21, "f().await", Applicability::MachineApplicable);
        let risky = with_fix(31, 32, "y", Applicability::MaybeIncorrect);
        let (fixed, applied) = apply(text, &[&safe, &risky], false);
        assert_eq!(fixed, "let a = f().await;\nlet b = x;\n");
        assert_eq!(applied, vec![0]);
        let (fixed, applied) = apply(text, &[&safe, &risky], true);
        assert_eq!(fixed, "let a = f().await;\nlet b = y;\n");
        assert_eq!(applied.len(), 2);
    }

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let diff = unified_diff("f.rs", "a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(
            diff,
            "--- a/f.rs\n+++ b/f.rs\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }
}
