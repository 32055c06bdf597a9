//! Effective rule levels: defaults, then config `[rules]`, then `-W/-A/-D` in order.

use crate::diagnostic::Level;
use crate::rules::{self, Selector};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Levels {
    by_rule: HashMap<&'static str, Level>,
    /// The cap for findings whose code runs only from `main` (`[context] main`,
    /// `--context-main`).
    pub context_main: Level,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            by_rule: rules::all()
                .iter()
                .map(|r| (r.name, r.default_level))
                .collect(),
            context_main: Level::Allow,
        }
    }
}

impl Levels {
    /// Apply one `selector = level` (a rule, a group, `pedantic` or `all`, in any
    /// spelling); an unknown name is an error suggesting the closest one. The always-on
    /// rules keep their level.
    pub fn set(&mut self, selector: &str, level: Level) -> Result<(), String> {
        let selector = Selector::parse(selector)?;
        for rule in rules::all() {
            if !rules::is_always_on(rule.name) && selector.matches(rule) {
                self.by_rule.insert(rule.name, level);
            }
        }
        Ok(())
    }

    /// A finding's level: its rule's, capped when its code runs only from `main`.
    pub fn of(&self, d: &crate::diagnostic::Diagnostic) -> Level {
        let level = self.level(d.rule);
        if d.context == Some(crate::diagnostic::Context::Main) && rules::capped_in_main(d.rule) {
            level.min(self.context_main)
        } else {
            level
        }
    }

    pub fn level(&self, rule: &str) -> Level {
        if rules::is_always_on(rule) {
            return Level::Deny;
        }
        self.by_rule.get(rule).copied().unwrap_or(Level::Warn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_settings_win_and_groups_expand() {
        let mut levels = Levels::default();
        assert_eq!(levels.level("unbounded_channel"), Level::Allow);
        assert!(levels.set("blocking", Level::Deny).is_ok());
        assert_eq!(levels.level("block_on_in_async"), Level::Deny);
        levels.set("block_on_in_async", Level::Allow).unwrap();
        assert_eq!(levels.level("block_on_in_async"), Level::Allow);
        assert_eq!(levels.level("blocking_in_async"), Level::Deny);
        levels.set("all", Level::Warn).unwrap();
        assert_eq!(levels.level("unbounded_channel"), Level::Warn);
        assert_eq!(levels.level("syntax_error"), Level::Deny);
        assert!(levels.set("no_such_rule", Level::Deny).is_err());
    }

    #[test]
    fn every_spelling_of_a_rule_and_every_group_is_a_selector() {
        let mut levels = Levels::default();
        for name in [
            "concurrency_lint::blocking_in_async",
            "blocking-in-async",
            "suppression",
            "errors",
            "pedantic",
        ] {
            assert!(levels.set(name, Level::Allow).is_ok(), "{name}");
        }
        assert_eq!(levels.level("blocking_in_async"), Level::Allow);
        assert_eq!(levels.level("file_error"), Level::Deny);
        let error = levels.set("blocking_in_asink", Level::Deny).unwrap_err();
        assert!(
            error.contains("did you mean `blocking_in_async`"),
            "{error}"
        );
    }
}
