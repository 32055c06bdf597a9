//! `rules/awaits.toml`: what an awaited call waits on (network, file, timer, channel, lock,
//! subprocess, database), by callee path / receiver type prefix, else by method name.

use super::sources::Sources;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwaitsFile {
    #[serde(default)]
    kind: Vec<KindEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindEntry {
    name: String,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
}

/// The kinds, in order (the first match wins).
#[derive(Debug, Default)]
pub struct AwaitCatalog {
    kinds: Vec<(String, Vec<String>, Vec<String>)>,
}

/// `tokio::net` is a prefix of `tokio::net::TcpStream` but not of `tokio::netx`.
fn has_prefix(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::") || rest.starts_with('<'))
}

impl AwaitCatalog {
    pub fn load(sources: &Sources) -> Result<AwaitCatalog, String> {
        let file: AwaitsFile = sources.load("awaits")?;
        Ok(AwaitCatalog {
            kinds: file
                .kind
                .into_iter()
                .map(|k| (k.name, k.paths, k.methods))
                .collect(),
        })
    }

    /// The kind of an awaited call: by its path (a function's, or the receiver's type),
    /// else by its method name.
    pub fn kind(&self, path: Option<&str>, method: Option<&str>) -> Option<&str> {
        if let Some(path) = path {
            let by_path = self
                .kinds
                .iter()
                .find(|(_, paths, _)| paths.iter().any(|p| has_prefix(path, p)));
            if let Some((name, _, _)) = by_path {
                return Some(name);
            }
        }
        let method = method?;
        self.kinds
            .iter()
            .find(|(_, _, methods)| methods.iter().any(|m| m == method))
            .map(|(name, _, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_path_then_method() {
        let catalog = AwaitCatalog::load(&Sources::builtin().unwrap()).unwrap();
        assert_eq!(catalog.kind(Some("tokio::fs::read"), None), Some("file"));
        assert_eq!(
            catalog.kind(Some("tokio::time::sleep"), None),
            Some("timer")
        );
        assert_eq!(
            catalog.kind(Some("my::Thing"), Some("recv")),
            Some("channel")
        );
        assert_eq!(
            catalog.kind(Some("sqlx::Pool<Postgres>"), Some("send")),
            Some("database")
        );
        assert_eq!(catalog.kind(None, Some("frobnicate")), None);
    }
}
