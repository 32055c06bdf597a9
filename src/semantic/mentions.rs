//! Which of a fixed list of needles a file's text mentions, so that rule families can
//! decline files that cannot matter. Each needle is a precompiled SIMD substring search
//! (`memchr::memmem`): measured cheaper than a multi-pattern automaton here, because the
//! needles (`.lock()`, `spawn`) are frequent and an automaton stops at every match.

use memchr::memmem::Finder;
use std::sync::OnceLock;

/// Whether `text` contains `needle`: `str::contains` by a SIMD substring search, which
/// is markedly cheaper on a whole file's text.
pub fn mentions(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// A set of needles, compiled once per process.
pub struct Needles {
    needles: &'static [&'static str],
    finders: OnceLock<Vec<Finder<'static>>>,
}

/// Which needles a text mentions (by index into the list; at most 64 needles).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mentions(u64);

impl Mentions {
    pub fn has(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    pub fn any_of(self, indices: &[usize]) -> bool {
        indices.iter().any(|&i| self.has(i))
    }
}

impl Needles {
    pub const fn new(needles: &'static [&'static str]) -> Needles {
        Needles {
            needles,
            finders: OnceLock::new(),
        }
    }

    pub fn scan(&self, text: &str) -> Mentions {
        let finders = self.finders.get_or_init(|| {
            self.needles
                .iter()
                .map(|n| Finder::new(n.as_bytes()))
                .collect()
        });
        let mut found = 0u64;
        for (index, finder) in finders.iter().enumerate().take(64) {
            if finder.find(text.as_bytes()).is_some() {
                found |= 1 << index;
            }
        }
        Mentions(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NEEDLES: Needles = Needles::new(&[".lock()", "static mut ", "spawn"]);

    #[test]
    fn finds_each_needle() {
        let m = NEEDLES.scan("let g = m.lock(); tokio::spawn(f); tokio::spawn(g);");
        assert!(m.has(0) && !m.has(1) && m.has(2));
        assert!(m.any_of(&[1, 2]));
    }
}
