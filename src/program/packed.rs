//! A file's facts packed into one buffer between the per-file phase and the crate phase.
//!
//! Every file's facts live until the crate phase. Kept as the walk builds them, they are
//! tens of thousands of small allocations per crate, made while the file's syntax tree is
//! alive. They then pin the allocator's pages among the freed syntax trees, and the files
//! parsed later run on fresh memory the kernel must zero (huge pages, 2 MiB at a time).
//! Packed, a finished file keeps one buffer of a small fraction of the size (10.5 MB for
//! the bench corpus, whose facts took 63 MB as built), and the crate phase unpacks every
//! file at once (bench/README.md, "Keeping the facts").

use super::{FileFacts, IfCancelUnsafe, IfLock, IfReturnsResult};

/// A file's facts: the bulk in postcard's compact encoding; the few conditional findings
/// (which hold `Diagnostic`s) as they are.
pub struct PackedFacts {
    bytes: Box<[u8]>,
    if_returns_result: Vec<IfReturnsResult>,
    if_cancel_unsafe: Vec<IfCancelUnsafe>,
    if_lock: Vec<IfLock>,
}

impl PackedFacts {
    pub fn pack(mut facts: FileFacts) -> PackedFacts {
        thread_local! {
            /// The thread's encoding buffer, kept from file to file: the kept bytes are one
            /// allocation of their exact size, not a vector grown by doubling.
            static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
        }
        let mut scratch = SCRATCH.take();
        scratch.clear();
        // Plain structs, vectors, maps and strings: postcard fails only on sequences of
        // unknown length, which serde's derives never produce for these types.
        let scratch = postcard::to_extend(&facts, scratch).expect("file facts always serialize");
        let bytes = Box::from(scratch.as_slice());
        SCRATCH.set(scratch);
        PackedFacts {
            bytes,
            if_returns_result: std::mem::take(&mut facts.if_returns_result),
            if_cancel_unsafe: std::mem::take(&mut facts.if_cancel_unsafe),
            if_lock: std::mem::take(&mut facts.if_lock),
        }
    }

    /// The facts of the file shown as `display` (the name its functions and lock facts
    /// carry, which packing leaves out).
    pub fn unpack(self, display: &str) -> FileFacts {
        // The bytes are `pack`'s own, from the same types (`packing_keeps_every_fact`).
        let mut facts: FileFacts =
            postcard::from_bytes(&self.bytes).expect("packed file facts always deserialize");
        // One name for the whole file, shared by its functions' summaries.
        let display: std::sync::Arc<str> = display.into();
        for function in &mut facts.functions {
            function.file = display.clone();
        }
        for function in &mut facts.locks {
            function.file = display.clone();
        }
        facts.if_returns_result = self.if_returns_result;
        facts.if_cancel_unsafe = self.if_cancel_unsafe;
        facts.if_lock = self.if_lock;
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::run::{lint_source, SourceOptions};
    use crate::catalog::{Catalog, Runtime};

    /// Every fixture's facts come back from packing exactly as they went in.
    #[test]
    fn packing_keeps_every_fact() {
        let catalog = Catalog::builtin().unwrap();
        let options = SourceOptions {
            module_path: "crate",
            runtime: Runtime::Tokio,
            include_tests: true,
            report_unused_suppressions: false,
            edition: "2021",
            local_crates: &[],
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut files = vec![root];
        let (mut linted, mut with_headers, mut deferred, mut locks) = (0, 0, 0, 0);
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let facts = lint_source("f.rs", &text, &options, &catalog).facts;
            let before = format!("{facts:?}");
            linted += 1;
            let calls = facts.functions.iter().flat_map(|f| &f.calls);
            with_headers += calls.filter(|c| c.async_header.is_some()).count();
            deferred += facts
                .functions
                .iter()
                .map(|f| f.deferred.len())
                .sum::<usize>();
            locks += facts.locks.len();
            let after = format!("{:?}", PackedFacts::pack(facts).unpack("f.rs"));
            assert_eq!(before, after, "{}", path.display());
        }
        // The fixtures exercise what the encoding must carry.
        assert!(linted > 100, "{linted} fixture files");
        assert!(with_headers > 0 && deferred > 0 && locks > 0);
    }
}
