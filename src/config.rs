//! Configuration: `concurrency-lint.toml` / `.concurrency-lint.toml`, or
//! `[workspace.metadata.concurrency-lint]` / `[package.metadata.concurrency-lint]` in
//! Cargo.toml. Every error names the file and line.

use crate::catalog::sources::Sources;
use crate::catalog::{BlockingFunction, Catalog, Runtime};
use crate::diagnostic::Level;
use crate::rules;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const CONFIG_FILE_NAMES: &[&str] = &["concurrency-lint.toml", ".concurrency-lint.toml"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    blocking: RawBlocking,
    #[serde(default)]
    runtime: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    context: RawContext,
    /// Extensions of the other catalogs of `rules/`, each in its file's schema.
    #[serde(default)]
    types: Option<Spanned<toml::Table>>,
    #[serde(default)]
    wrappers: Option<Spanned<toml::Table>>,
    #[serde(default)]
    guards: Option<Spanned<toml::Table>>,
    #[serde(default)]
    compute: Option<Spanned<toml::Table>>,
    #[serde(default)]
    spawn: Option<Spanned<toml::Table>>,
    #[serde(default)]
    channels: Option<Spanned<toml::Table>>,
    #[serde(default)]
    cancellation: Option<Spanned<toml::Table>>,
    #[serde(default)]
    awaits: Option<Spanned<toml::Table>>,
    #[serde(default)]
    detached_spawn: RawDetachedSpawn,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    /// The level cap for findings whose code runs only from `main`.
    #[serde(default)]
    main: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetachedSpawn {
    #[serde(default)]
    report: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlocking {
    /// `rules/blocking.toml`'s own schema.
    #[serde(default)]
    function: Option<Spanned<toml::Value>>,
    #[serde(default)]
    method: Option<Spanned<toml::Value>>,
    #[serde(default)]
    extra: Vec<BlockingFunction>,
    #[serde(default)]
    wrappers: Vec<String>,
    #[serde(default)]
    not_blocking: Vec<String>,
    #[serde(default)]
    runtime: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct Manifest {
    package: Option<MetadataHolder>,
    workspace: Option<MetadataHolder>,
}

#[derive(Debug, Default, Deserialize)]
struct MetadataHolder {
    metadata: Option<MetadataTable>,
}

#[derive(Debug, Default, Deserialize)]
struct MetadataTable {
    #[serde(rename = "concurrency-lint")]
    concurrency_lint: Option<RawConfig>,
}

/// A configuration error with its place.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// The effective configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it came from (None: defaults).
    pub source: Option<PathBuf>,
    /// Rule/group levels in file order.
    pub levels: Vec<(String, Level)>,
    pub extra_blocking: Vec<BlockingFunction>,
    pub extra_wrappers: Vec<String>,
    /// Crate functions never treated as blocking by the call graph.
    pub not_blocking: Vec<String>,
    pub runtime: Option<Runtime>,
    /// Glob patterns, relative to the config file's directory.
    pub exclude: Vec<String>,
    /// Entries added to the catalogs of `rules/` (catalog name, entries in its schema).
    pub catalogs: Vec<(String, toml::Table)>,
    /// `[context] main`: the level cap for findings that run only from `main`.
    pub context_main: Option<Level>,
    /// Rule options (`[detached_spawn] report`).
    pub options: crate::catalog::RuleOptions,
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn error_at(file: &Path, text: &str, offset: usize, message: String) -> ConfigError {
    let (line, column) = line_column(text, offset);
    ConfigError {
        file: file.to_path_buf(),
        line,
        column,
        message,
    }
}

fn from_toml_error(file: &Path, text: &str, error: toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |s| s.start);
    error_at(file, text, offset, error.message().trim().to_string())
}

fn validate(mut raw: RawConfig, file: &Path, text: &str) -> Result<Config, ConfigError> {
    let mut config = Config {
        source: Some(file.to_path_buf()),
        catalogs: catalog_extensions(&mut raw, file, text)?,
        ..Config::default()
    };
    for (name, level) in raw.rules {
        if let Err(message) = rules::Selector::parse(name.get_ref()) {
            return Err(error_at(file, text, name.span().start, message));
        }
        if rules::is_always_on(&rules::normalize(name.get_ref())) {
            return Err(error_at(
                file,
                text,
                name.span().start,
                format!("`{}` is always on at error level", name.get_ref()),
            ));
        }
        let Some(parsed) = Level::parse(level.get_ref()) else {
            return Err(error_at(
                file,
                text,
                level.span().start,
                format!(
                    "unknown level `{}` for `{}`: expected \"allow\", \"warn\" or \"deny\"",
                    level.get_ref(),
                    name.get_ref()
                ),
            ));
        };
        config.levels.push((name.into_inner(), parsed));
    }
    if let Some(level) = raw.context.main.take() {
        let Some(parsed) = Level::parse(level.get_ref()) else {
            return Err(error_at(
                file,
                text,
                level.span().start,
                format!(
                    "unknown level `{}` for `[context] main`: expected \"allow\", \"warn\" or \"deny\"",
                    level.get_ref()
                ),
            ));
        };
        config.context_main = Some(parsed);
    }
    for runtime in [raw.runtime, raw.blocking.runtime].into_iter().flatten() {
        match Runtime::parse(runtime.get_ref()) {
            Some(r) => config.runtime = Some(r),
            None => {
                return Err(error_at(
                    file,
                    text,
                    runtime.span().start,
                    format!(
                        "unknown runtime `{}`: expected \"tokio\", \"async-std\" or \"smol\"",
                        runtime.get_ref()
                    ),
                ))
            }
        }
    }
    for pattern in raw.exclude.into_iter().chain(raw.blocking.exclude) {
        if let Err(e) = globset::Glob::new(pattern.get_ref()) {
            return Err(error_at(
                file,
                text,
                pattern.span().start,
                format!("invalid exclude pattern: {e}"),
            ));
        }
        config.exclude.push(pattern.into_inner());
    }
    if let Some(report) = raw.detached_spawn.report {
        config.options.detached_spawn_all = match report.get_ref().as_str() {
            "errors" => false,
            "all" => true,
            other => {
                return Err(error_at(
                    file,
                    text,
                    report.span().start,
                    format!(
                        "unknown value `{other}` for `[detached_spawn] report`: expected \"errors\" or \"all\""
                    ),
                ))
            }
        };
    }
    config.extra_blocking = raw.blocking.extra;
    config.extra_wrappers = raw.blocking.wrappers;
    config.not_blocking = raw.blocking.not_blocking;
    Ok(config)
}

/// The config's tables that extend the catalogs of `rules/`, each checked against its
/// catalog's schema (an error points at the table).
fn catalog_extensions(
    raw: &mut RawConfig,
    file: &Path,
    text: &str,
) -> Result<Vec<(String, toml::Table)>, ConfigError> {
    let mut tables: Vec<(&str, Spanned<toml::Table>)> = Vec::new();
    for (name, value) in [
        ("function", raw.blocking.function.take()),
        ("method", raw.blocking.method.take()),
    ] {
        if let Some(value) = value {
            let span = value.span();
            let mut table = toml::Table::new();
            table.insert(name.to_string(), value.into_inner());
            tables.push(("blocking", Spanned::new(span, table)));
        }
    }
    for (name, table) in [
        ("types", raw.types.take()),
        ("wrappers", raw.wrappers.take()),
        ("guards", raw.guards.take()),
        ("compute", raw.compute.take()),
        ("spawn", raw.spawn.take()),
        ("channels", raw.channels.take()),
        ("cancellation", raw.cancellation.take()),
        ("awaits", raw.awaits.take()),
    ] {
        tables.extend(table.map(|t| (name, t)));
    }
    let mut extensions = Vec::new();
    for (name, table) in tables {
        let start = table.span().start;
        let table = table.into_inner();
        let checked = Sources::builtin().and_then(|mut sources| {
            sources.extend(name, table.clone())?;
            Catalog::load(&sources).map(|_| ())
        });
        if let Err(message) = checked {
            return Err(error_at(file, text, start, message));
        }
        extensions.push((name.to_string(), table));
    }
    Ok(extensions)
}

/// Parse a config file (`concurrency-lint.toml` form).
pub fn load_file(file: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("cannot read config: {e}"),
    })?;
    let raw: RawConfig = toml::from_str(&text).map_err(|e| from_toml_error(file, &text, e))?;
    validate(raw, file, &text)
}

/// The `[workspace|package.metadata.concurrency-lint]` table of a Cargo.toml, if any.
pub fn load_manifest_metadata(manifest: &Path) -> Result<Option<Config>, ConfigError> {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return Ok(None);
    };
    if !text.contains("concurrency-lint") {
        return Ok(None);
    }
    let parsed: Manifest =
        toml::from_str(&text).map_err(|e| from_toml_error(manifest, &text, e))?;
    let raw = parsed
        .workspace
        .and_then(|w| w.metadata)
        .and_then(|m| m.concurrency_lint)
        .or_else(|| {
            parsed
                .package
                .and_then(|p| p.metadata)
                .and_then(|m| m.concurrency_lint)
        });
    match raw {
        Some(raw) => validate(raw, manifest, &text).map(Some),
        None => Ok(None),
    }
}

/// Find the config for a run: a config file in `start` or above, else the metadata table
/// of `manifest` (the workspace root's Cargo.toml).
pub fn discover(start: &Path, manifest: Option<&Path>) -> Result<Config, ConfigError> {
    let mut dir = Some(start);
    while let Some(current) = dir {
        for name in CONFIG_FILE_NAMES {
            let candidate = current.join(name);
            if candidate.is_file() {
                return load_file(&candidate);
            }
        }
        dir = current.parent();
    }
    if let Some(manifest) = manifest {
        if let Some(config) = load_manifest_metadata(manifest)? {
            return Ok(config);
        }
    }
    Ok(Config::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| from_toml_error(Path::new("c.toml"), text, e))?;
        validate(raw, Path::new("c.toml"), text)
    }

    #[test]
    fn accepts_the_spec_example() {
        let config = parse(
            "[rules]\nblocking_in_async = \"deny\"\nunbounded_channel = \"warn\"\n[blocking]\nextra = [{ path = \"mycrate::db::query_sync\", replacement = \"mycrate::db::query\" }]\nwrappers = [\"mycrate::offload\"]\nruntime = \"tokio\"\nexclude = [\"generated/**\"]\n",
        )
        .unwrap();
        assert_eq!(config.levels.len(), 2);
        assert_eq!(config.runtime, Some(Runtime::Tokio));
        assert_eq!(config.extra_blocking[0].path, "mycrate::db::query_sync");
    }

    #[test]
    fn errors_name_the_line() {
        let e =
            parse("[rules]\nblocking_in_async = \"warn\"\nnot_a_rule = \"deny\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.message.contains("not_a_rule"));
        let e = parse("[rules]\nblocking_in_async = \"loud\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("[rules]\n\n[blockng]\nx = 1\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn detached_spawn_report() {
        assert!(!parse("").unwrap().options.detached_spawn_all);
        let config = parse("[detached_spawn]\nreport = \"all\"\n").unwrap();
        assert!(config.options.detached_spawn_all);
        let config = parse("[detached_spawn]\nreport = \"errors\"\n").unwrap();
        assert!(!config.options.detached_spawn_all);
        let e = parse("[rules]\n\n[detached_spawn]\nreport = \"some\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (4, 10), "{e}");
        assert!(e.message.contains("\"errors\" or \"all\""), "{e}");
        let e = parse("[detached_spawn]\nreports = \"all\"\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }
}
