//! What the crate's functions declare, by path, once every file is in: for now whether the
//! declared return type is a `Result` (from the call summaries). The workspace index of
//! signatures replaces this when it exists; callers ask only `returns_result`.

use super::FileFacts;
use rustc_hash::FxHashMap as HashMap;

/// Declared return types of the crate's functions.
#[derive(Debug, Default)]
pub struct ReturnIndex<'a> {
    returns_result: HashMap<&'a str, bool>,
}

impl<'a> ReturnIndex<'a> {
    pub fn of_files(files: impl IntoIterator<Item = &'a FileFacts>) -> ReturnIndex<'a> {
        let mut index = ReturnIndex::default();
        for facts in files {
            for function in &facts.functions {
                *index
                    .returns_result
                    .entry(function.path.as_str())
                    .or_default() |= function.returns_result;
            }
        }
        index
    }

    /// Whether the function at `path` declares a `Result` (None: not a function of the
    /// crate).
    pub fn returns_result(&self, path: &str) -> Option<bool> {
        self.returns_result.get(path).copied()
    }
}
