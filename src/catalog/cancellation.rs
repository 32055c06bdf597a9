//! `rules/cancellation.toml`: futures that lose data when dropped half way (the calls
//! tokio documents as not cancel safe), and the `timeout(duration, future)` functions.

use super::sources::Sources;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancellationFile {
    #[serde(default)]
    timeout: Vec<String>,
    #[serde(default)]
    method: Vec<MethodEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MethodEntry {
    names: Vec<String>,
    #[serde(rename = "trait")]
    from: String,
    loses: String,
    instead: String,
}

/// A method whose future is not cancellation safe.
#[derive(Debug, Clone)]
pub struct CancelUnsafe {
    pub name: String,
    /// The trait it comes from (`tokio::io::AsyncReadExt`).
    pub from: String,
    /// What a dropped future loses.
    pub loses: String,
    /// The cancellation-safe way.
    pub instead: String,
}

#[derive(Debug, Default)]
pub struct CancellationCatalog {
    methods: HashMap<String, CancelUnsafe>,
    timeouts: HashSet<String>,
}

impl CancellationCatalog {
    pub fn load(sources: &Sources) -> Result<CancellationCatalog, String> {
        let file: CancellationFile = sources.load("cancellation")?;
        let mut catalog = CancellationCatalog {
            timeouts: file.timeout.into_iter().collect(),
            ..CancellationCatalog::default()
        };
        for entry in file.method {
            for name in entry.names {
                let method = CancelUnsafe {
                    name: name.clone(),
                    from: entry.from.clone(),
                    loses: entry.loses.clone(),
                    instead: entry.instead.clone(),
                };
                catalog.methods.insert(name, method);
            }
        }
        Ok(catalog)
    }

    /// The method of this name, if its future is not cancellation safe.
    pub fn method(&self, name: &str) -> Option<&CancelUnsafe> {
        self.methods.get(name)
    }

    /// `tokio::time::timeout` and friends (resolved paths).
    pub fn is_timeout(&self, path: &str) -> bool {
        self.timeouts.contains(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_calls_and_only_those() {
        let catalog = CancellationCatalog::load(&Sources::builtin().unwrap()).unwrap();
        for name in [
            "read_exact",
            "read_u32",
            "read_f64_le",
            "read_line",
            "write_all",
        ] {
            assert!(catalog.method(name).is_some(), "{name}");
        }
        for name in [
            "read",
            "read_buf",
            "read_u8",
            "recv",
            "next_line",
            "read_until",
        ] {
            assert!(catalog.method(name).is_none(), "{name}");
        }
        assert!(catalog.is_timeout("tokio::time::timeout"));
    }
}
