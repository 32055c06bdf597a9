//! What identifies a finding across edits (SARIF `partialFingerprints`, baselines): its
//! rule, its file, the item it is in and the normalized text of its line — not line
//! numbers, so inserting lines above does not change it — plus its occurrence among the
//! findings sharing all of these (two identical lines in one function stay distinct).

use super::Report;
use crate::diagnostic::Diagnostic;
use std::collections::HashMap;

/// A finding's identity, independent of where in the file it moved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Anchor {
    pub rule: String,
    pub file: String,
    /// The enclosing item (`fn name`, `impl …`, `mod name`), or empty at the top level.
    pub item: String,
    /// The finding's line, trimmed, whitespace runs collapsed.
    pub line: String,
    /// 0 for the first finding with these four keys (in file order), 1 for the next…
    pub occurrence: usize,
}

impl Anchor {
    /// A short stable hash of the anchor (FNV-1a, 64 bits, hex).
    pub fn fingerprint(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let occurrence = self.occurrence.to_string();
        for part in [
            self.rule.as_str(),
            &self.file,
            &self.item,
            &self.line,
            &occurrence,
        ] {
            for byte in part.bytes().chain([0]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }
}

/// Trimmed, with every run of whitespace one space.
pub fn normalize_line(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The item header a line of code starts, as its identity: `fn name`, `mod name`,
/// `trait Name`, or the header text of an `impl` (up to `{`).
fn item_header(line: &str) -> Option<String> {
    let code = line.split("//").next().unwrap_or("").trim();
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    for keyword in ["fn", "mod", "trait"] {
        if let Some(index) = words.iter().position(|w| *w == keyword) {
            if let Some(name) = words[index + 1..].iter().find(|w| !w.is_empty()) {
                return Some(format!("{keyword} {name}"));
            }
        }
    }
    if words.first() == Some(&"impl") || code.starts_with("unsafe impl") {
        let header = code.split('{').next().unwrap_or(code);
        return Some(normalize_line(header));
    }
    None
}

/// The innermost item around line `line` (1-based) of `text`: the nearest item header
/// above it that is indented less (rustfmt-shaped code), or the line itself if it is one.
pub fn enclosing_item(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(own) = lines.get(line.saturating_sub(1)) else {
        return String::new();
    };
    if let Some(header) = item_header(own) {
        return header;
    }
    let mut limit = indentation(own);
    for candidate in lines[..line.saturating_sub(1)].iter().rev() {
        if candidate.trim().is_empty() || indentation(candidate) >= limit {
            continue;
        }
        limit = indentation(candidate);
        if let Some(header) = item_header(candidate) {
            return header;
        }
        if limit == 0 {
            break;
        }
    }
    String::new()
}

/// The anchor of every finding of the report, in the report's order. `file` is the path
/// the anchor uses (e.g. relative to the repository root).
pub fn anchors(report: &Report, file: &dyn Fn(&Diagnostic) -> String) -> Vec<Anchor> {
    let mut seen: HashMap<(String, String, String, String), usize> = HashMap::new();
    let mut order: Vec<usize> = (0..report.diagnostics.len()).collect();
    order.sort_by_key(|&i| {
        let d = &report.diagnostics[i];
        (d.file.clone(), d.primary.byte_start, d.rule)
    });
    let mut found: Vec<Option<Anchor>> = vec![None; report.diagnostics.len()];
    for index in order {
        let d = &report.diagnostics[index];
        let text = report.source(&d.file).unwrap_or("");
        let line = text
            .lines()
            .nth(d.primary.line.saturating_sub(1))
            .map(normalize_line)
            .unwrap_or_default();
        let key = (
            d.rule.to_string(),
            file(d),
            enclosing_item(text, d.primary.line),
            line,
        );
        let occurrence = seen.entry(key.clone()).or_insert(0);
        found[index] = Some(Anchor {
            rule: key.0,
            file: key.1,
            item: key.2,
            line: key.3,
            occurrence: *occurrence,
        });
        *occurrence += 1;
    }
    found.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_by_indentation() {
        let text = "mod net {\n    pub async fn dial() {\n        let x = 1;\n        std::thread::sleep(d);\n    }\n}\nimpl Foo for Bar {\n    fn go(&self) {\n        x();\n    }\n}\nstatic X: u8 = 1;\n";
        assert_eq!(enclosing_item(text, 4), "fn dial");
        assert_eq!(enclosing_item(text, 2), "fn dial");
        assert_eq!(enclosing_item(text, 9), "fn go");
        assert_eq!(enclosing_item(text, 12), "");
        assert_eq!(enclosing_item(text, 7), "impl Foo for Bar");
    }
}
