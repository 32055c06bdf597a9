//! Which of a fixed list of needles a file's text mentions, in one pass (Aho-Corasick),
//! so that rule families can decline files that cannot matter without scanning the text
//! once per needle.

use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// A set of needles, compiled once per process.
pub struct Needles {
    needles: &'static [&'static str],
    automaton: OnceLock<Option<AhoCorasick>>,
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
            automaton: OnceLock::new(),
        }
    }

    pub fn scan(&self, text: &str) -> Mentions {
        let automaton = self
            .automaton
            .get_or_init(|| AhoCorasick::new(self.needles).ok());
        let Some(automaton) = automaton else {
            // Cannot happen for literal needles; fall back to one search per needle.
            let mut found = 0;
            for (index, needle) in self.needles.iter().enumerate() {
                if text.contains(needle) {
                    found |= 1 << index;
                }
            }
            return Mentions(found);
        };
        let all = if self.needles.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << self.needles.len()) - 1
        };
        let mut found = 0u64;
        for matched in automaton.find_overlapping_iter(text) {
            found |= 1 << matched.pattern().as_usize();
            if found == all {
                break;
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
    fn finds_each_needle_once() {
        let m = NEEDLES.scan("let g = m.lock(); tokio::spawn(f); tokio::spawn(g);");
        assert!(m.has(0) && !m.has(1) && m.has(2));
        assert!(m.any_of(&[1, 2]));
    }
}
