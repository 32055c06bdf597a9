//! Effective rule levels: defaults, then config `[rules]`, then `-W/-A/-D` in order.

use crate::diagnostic::Level;
use crate::rules::{self, RuleInfo};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Levels {
    by_rule: HashMap<&'static str, Level>,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            by_rule: rules::all()
                .iter()
                .map(|r| (r.name, r.default_level))
                .collect(),
        }
    }
}

fn selected(rule: &RuleInfo, selector: &str) -> bool {
    selector == "all" || rule.name == selector || rules::in_group(rule, selector)
}

impl Levels {
    /// Apply one `selector = level` (rule, group or `all`); false if nothing matched.
    pub fn set(&mut self, selector: &str, level: Level) -> bool {
        let mut matched = false;
        for rule in rules::all() {
            if rules::is_always_on(rule.name) {
                continue;
            }
            if selected(rule, selector) {
                self.by_rule.insert(rule.name, level);
                matched = true;
            }
        }
        matched || rules::is_always_on(selector)
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
        assert!(levels.set("blocking", Level::Deny));
        assert_eq!(levels.level("block_on_in_async"), Level::Deny);
        levels.set("block_on_in_async", Level::Allow);
        assert_eq!(levels.level("block_on_in_async"), Level::Allow);
        assert_eq!(levels.level("blocking_in_async"), Level::Deny);
        levels.set("all", Level::Warn);
        assert_eq!(levels.level("unbounded_channel"), Level::Warn);
        assert_eq!(levels.level("syntax_error"), Level::Deny);
        assert!(!levels.set("no_such_rule", Level::Deny));
    }
}
