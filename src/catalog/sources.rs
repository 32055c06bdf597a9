//! The one loader of `rules/`: every catalog file is embedded, parsed as a TOML table, and
//! extended by the config's table of the same name (arrays appended, so a config entry has
//! exactly the schema of the file's entries); each catalog then deserializes its typed
//! schema from the merged table.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// The catalogs of `rules/`, by the name a config uses for them.
pub const FILES: &[(&str, &str)] = &[
    ("blocking", include_str!("../../rules/blocking.toml")),
    ("types", include_str!("../../rules/types.toml")),
    ("wrappers", include_str!("../../rules/wrappers.toml")),
    ("guards", include_str!("../../rules/guards.toml")),
    ("compute", include_str!("../../rules/compute.toml")),
    ("spawn", include_str!("../../rules/spawn.toml")),
    ("channels", include_str!("../../rules/channels.toml")),
    (
        "cancellation",
        include_str!("../../rules/cancellation.toml"),
    ),
    ("awaits", include_str!("../../rules/awaits.toml")),
];

/// Whether `name` is a catalog of `rules/`.
pub fn is_catalog(name: &str) -> bool {
    FILES.iter().any(|(n, _)| *n == name)
}

/// The catalogs' tables: the embedded files, plus config extensions.
#[derive(Debug, Clone)]
pub struct Sources {
    tables: BTreeMap<&'static str, toml::Table>,
}

impl Sources {
    /// The embedded files.
    pub fn builtin() -> Result<Sources, String> {
        let mut tables = BTreeMap::new();
        for (name, text) in FILES {
            let table: toml::Table =
                toml::from_str(text).map_err(|e| format!("rules/{name}.toml: {e}"))?;
            tables.insert(*name, table);
        }
        Ok(Sources { tables })
    }

    /// Add a config's entries to catalog `name`: arrays are appended, anything else replaces
    /// (a table is merged key by key). The result is checked by [`Sources::load`].
    pub fn extend(&mut self, name: &str, extension: toml::Table) -> Result<(), String> {
        let Some((key, _)) = FILES.iter().find(|(n, _)| *n == name) else {
            return Err(format!("unknown catalog `{name}`"));
        };
        merge(self.tables.entry(key).or_default(), extension);
        Ok(())
    }

    /// Catalog `name` in its typed schema; `place` names where an error came from.
    pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        let table = self.tables.get(name).cloned().unwrap_or_default();
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| format!("catalog `{name}`: {}", e.message().trim()))
    }
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Array(existing)), toml::Value::Array(more)) => existing.extend(more),
            (Some(toml::Value::Table(existing)), toml::Value::Table(more)) => merge(existing, more),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_entries_append_to_the_builtin_arrays() {
        let mut sources = Sources::builtin().unwrap();
        let before = sources.tables["compute"]["function"]
            .as_array()
            .unwrap()
            .len();
        let extension: toml::Table =
            toml::from_str(r#"function = [{ path = "my::hash", category = "password-hash" }]"#)
                .unwrap();
        sources.extend("compute", extension).unwrap();
        let after = sources.tables["compute"]["function"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(after, before + 1);
        assert!(sources.extend("nope", toml::Table::new()).is_err());
    }
}
