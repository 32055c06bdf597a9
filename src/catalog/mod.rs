//! Ecosystem knowledge from `rules/*.toml` (embedded) plus config extras, as lookup tables.

pub mod awaits;
pub mod cancellation;
pub mod guards;
pub mod sources;
pub mod structure;

use crate::diagnostic::Model;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

use guards::GuardCatalog;
use sources::Sources;
use structure::StructureCatalog;

/// What kind of waiting a blocking API does (`category` in `rules/blocking.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockingCategory {
    Fs,
    File,
    Net,
    Dns,
    Http,
    Db,
    Process,
    Stdin,
    Sleep,
    Channel,
    Sync,
    Thread,
    /// Waiting for a future synchronously (`block_on` and friends).
    Executor,
    #[default]
    Blocking,
}

impl BlockingCategory {
    /// I/O (or sleeping), as opposed to waiting for other threads.
    pub fn is_io(self) -> bool {
        use BlockingCategory::*;
        matches!(
            self,
            Fs | File | Net | Dns | Http | Db | Process | Stdin | Sleep
        )
    }
}

/// One blocking API from `blocking.toml` (or config `[blocking] extra`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingFunction {
    pub path: String,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub category: Option<BlockingCategory>,
    #[serde(default)]
    pub tokio: Option<String>,
    #[serde(default)]
    pub async_std: Option<String>,
    #[serde(default)]
    pub smol: Option<String>,
    #[serde(default)]
    pub replacement: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockingMethods {
    receiver: String,
    #[serde(default, rename = "trait")]
    required_trait: Option<String>,
    names: Vec<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    category: Option<BlockingCategory>,
    #[serde(default)]
    tokio: Option<String>,
    #[serde(default)]
    async_std: Option<String>,
    #[serde(default)]
    smol: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockingFile {
    #[serde(default)]
    function: Vec<BlockingFunction>,
    #[serde(default)]
    method: Vec<BlockingMethods>,
    /// Drop-in mirrors: `from`'s entries hold for `to` too.
    #[serde(default)]
    mirror: Vec<Mirror>,
}

/// A crate whose API repeats another's (`fs_err` mirrors `std::fs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mirror {
    from: String,
    to: String,
}

impl Mirror {
    /// `path` under `to`, when it is under `from`.
    fn map(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(&self.from)?.strip_prefix("::")?;
        Some(format!("{}::{rest}", self.to))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Returns {
    One(String),
    Tuple(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Constructor {
    path: String,
    returns: Returns,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MethodReturn {
    receiver: String,
    names: Vec<String>,
    returns: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alias {
    path: String,
    same_as: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypesFile {
    #[serde(default)]
    constructor: Vec<Constructor>,
    #[serde(default)]
    method_return: Vec<MethodReturn>,
    #[serde(default)]
    alias: Vec<Alias>,
    #[serde(default)]
    derived_constructors: DerivedConstructors,
}

/// `[derived_constructors]`: associated functions a derive or a common trait gives a crate
/// type, returning `Self` or `Result<Self, _>` (`Config::default()`, clap's `Args::parse()`,
/// `App::from_arg_matches(&m)?`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivedConstructors {
    names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappersFile {
    #[serde(default)]
    functions: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    local_names: Vec<String>,
    #[serde(default)]
    runs_inline: Vec<String>,
}

/// The async runtime a package uses; picks the replacement named in suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    Tokio,
    AsyncStd,
    Smol,
}

impl Runtime {
    pub fn parse(text: &str) -> Option<Runtime> {
        match text {
            "tokio" => Some(Runtime::Tokio),
            "async-std" | "async_std" => Some(Runtime::AsyncStd),
            "smol" => Some(Runtime::Smol),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::AsyncStd => "async-std",
            Runtime::Smol => "smol",
        }
    }

    /// The runtime's way to run blocking code off the executor.
    pub fn blocking_pool(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio::task::spawn_blocking",
            Runtime::AsyncStd => "async_std::task::spawn_blocking",
            Runtime::Smol => "smol::unblock",
        }
    }
}

/// Which rule a catalog entry feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockingKind {
    /// `blocking_in_async`
    Blocks,
    /// `block_on_in_async`
    BlocksOn,
}

/// A blocking API, ready for lookup.
#[derive(Debug, Clone)]
pub struct BlockingApi {
    /// What the user called, for messages: `std::fs::read` or `std::fs::File::read`.
    pub display: String,
    pub kind: BlockingKind,
    pub category: BlockingCategory,
    pub tokio: Option<String>,
    pub async_std: Option<String>,
    pub smol: Option<String>,
    pub model: Option<Model>,
    pub note: Option<String>,
    /// True for functions (`X(args)` can become `Y(args).await`), false for methods.
    pub is_function: bool,
}

impl BlockingApi {
    pub fn replacement(&self, runtime: Runtime) -> Option<&str> {
        match runtime {
            Runtime::Tokio => self.tokio.as_deref(),
            Runtime::AsyncStd => self.async_std.as_deref(),
            Runtime::Smol => self.smol.as_deref(),
        }
    }
}

/// What a constructor's result looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeShape {
    One(String),
    Tuple(Vec<String>),
}

#[derive(Debug, Default)]
pub struct Catalog {
    functions: HashMap<String, BlockingApi>,
    /// receiver type → method name → API (nested, so lookups borrow instead of allocate)
    methods: HashMap<String, HashMap<String, BlockingApi>>,
    /// Methods matched on any receiver: name → (required trait, api).
    any_receiver_methods: HashMap<String, Vec<(Option<String>, BlockingApi)>>,
    constructors: HashMap<String, TypeShape>,
    /// `Type::name()` returns `Type` when no function of that path is known.
    derived_constructors: HashSet<String>,
    method_returns: HashMap<String, HashMap<String, String>>,
    aliases: HashMap<String, String>,
    wrapper_functions: HashSet<String>,
    wrapper_methods: HashSet<String>,
    /// Names that make a crate-local function an insulating wrapper.
    wrapper_local_names: HashSet<String>,
    /// Calls whose closure runs on the executor even when their future is awaited.
    runs_inline: HashSet<String>,
    /// Crate functions that config says never block (stops the call-graph propagation).
    not_blocking: std::collections::HashSet<String>,
    /// Every path the catalogs name (for glob-import resolution).
    known_paths: HashSet<String>,
    /// `rules/guards.toml`: lock acquisitions and lock types.
    pub guards: GuardCatalog,
    /// `rules/{compute,spawn,channels}.toml`: CPU-heavy APIs, spawners, channels.
    pub structure: StructureCatalog,
    /// `rules/cancellation.toml`: futures that are not cancellation safe.
    pub cancellation: cancellation::CancellationCatalog,
    /// `rules/awaits.toml`: what an awaited call waits on (for `report`).
    pub awaits: awaits::AwaitCatalog,
    /// The rules' options from config (`[detached_spawn] report`).
    options: RuleOptions,
}

/// Options of individual rules, set by config; the defaults are the SPEC's.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RuleOptions {
    /// `[detached_spawn] report = "all"`: every discarded spawn, not only those whose task
    /// output carries an error.
    pub detached_spawn_all: bool,
}

/// Catalog `mirror.to`'s copies of `mirror.from`'s blocking functions, methods,
/// constructors and method return types.
fn mirror_entries(mirror: &Mirror, blocking: &mut BlockingFile, types: &mut TypesFile) {
    let mapped = |path: &str| mirror.map(path).unwrap_or_else(|| path.to_string());
    let functions: Vec<BlockingFunction> = blocking
        .function
        .iter()
        .filter_map(|f| {
            let path = mirror.map(&f.path)?;
            Some(BlockingFunction { path, ..f.clone() })
        })
        .collect();
    blocking.function.extend(functions);
    let methods: Vec<BlockingMethods> = blocking
        .method
        .iter()
        .filter_map(|m| {
            let receiver = mirror.map(&m.receiver)?;
            Some(BlockingMethods {
                receiver,
                ..m.clone()
            })
        })
        .collect();
    blocking.method.extend(methods);
    let constructors: Vec<Constructor> = types
        .constructor
        .iter()
        .filter_map(|c| {
            let path = mirror.map(&c.path)?;
            let returns = match &c.returns {
                Returns::One(t) => Returns::One(mapped(t)),
                Returns::Tuple(ts) => Returns::Tuple(ts.iter().map(|t| mapped(t)).collect()),
            };
            Some(Constructor { path, returns })
        })
        .collect();
    types.constructor.extend(constructors);
    let returns: Vec<MethodReturn> = types
        .method_return
        .iter()
        .filter_map(|r| {
            let receiver = mirror.map(&r.receiver)?;
            let returns = if r.returns == "self" {
                r.returns.clone()
            } else {
                mapped(&r.returns)
            };
            Some(MethodReturn {
                receiver,
                names: r.names.clone(),
                returns,
            })
        })
        .collect();
    types.method_return.extend(returns);
}

fn parse_model(text: &Option<String>, place: &str) -> Result<Option<Model>, String> {
    match text {
        None => Ok(None),
        Some(t) => Model::parse(t)
            .map(Some)
            .ok_or_else(|| format!("{place}: unknown model `{t}`")),
    }
}

fn parse_kind(rule: &Option<String>, place: &str) -> Result<BlockingKind, String> {
    match rule.as_deref() {
        None | Some("blocking_in_async") => Ok(BlockingKind::Blocks),
        Some("block_on_in_async") => Ok(BlockingKind::BlocksOn),
        Some(other) => Err(format!(
            "{place}: `rule` must be blocking_in_async or block_on_in_async, not `{other}`"
        )),
    }
}

impl Catalog {
    /// The built-in catalog. The embedded files are checked by the test suite, so an error
    /// here is a bug in `rules/`.
    pub fn builtin() -> Result<Catalog, String> {
        Catalog::load(&Sources::builtin()?)
    }

    /// Every catalog from its (possibly extended) sources.
    pub fn load(sources: &Sources) -> Result<Catalog, String> {
        let mut catalog = Catalog {
            guards: GuardCatalog::load(sources)?,
            structure: StructureCatalog::load(sources)?,
            cancellation: cancellation::CancellationCatalog::load(sources)?,
            awaits: awaits::AwaitCatalog::load(sources)?,
            ..Catalog::default()
        };
        let mut blocking: BlockingFile = sources.load("blocking")?;
        let mut types: TypesFile = sources.load("types")?;
        for mirror in std::mem::take(&mut blocking.mirror) {
            mirror_entries(&mirror, &mut blocking, &mut types);
        }
        for function in blocking.function {
            catalog.add_function(function, "rules/blocking.toml")?;
        }
        for method in blocking.method {
            catalog.add_methods(method)?;
        }
        for constructor in types.constructor {
            let shape = match constructor.returns {
                Returns::One(t) => TypeShape::One(t),
                Returns::Tuple(ts) => TypeShape::Tuple(ts),
            };
            catalog.known_paths.insert(constructor.path.clone());
            catalog.constructors.insert(constructor.path, shape);
        }
        catalog
            .derived_constructors
            .extend(types.derived_constructors.names);
        for method_return in types.method_return {
            catalog.known_paths.insert(method_return.receiver.clone());
            for name in method_return.names {
                let returns = if method_return.returns == "self" {
                    method_return.receiver.clone()
                } else {
                    method_return.returns.clone()
                };
                catalog
                    .method_returns
                    .entry(method_return.receiver.clone())
                    .or_default()
                    .insert(name, returns);
            }
        }
        for alias in types.alias {
            catalog.known_paths.insert(alias.path.clone());
            catalog.aliases.insert(alias.path, alias.same_as);
        }
        let wrappers: WrappersFile = sources.load("wrappers")?;
        for function in wrappers.functions {
            catalog.add_wrapper(function);
        }
        catalog.wrapper_methods.extend(wrappers.methods);
        catalog.wrapper_local_names.extend(wrappers.local_names);
        catalog.runs_inline.extend(wrappers.runs_inline);
        Ok(catalog)
    }

    pub fn add_function(&mut self, function: BlockingFunction, place: &str) -> Result<(), String> {
        let place = format!("{place}: `{}`", function.path);
        let api = BlockingApi {
            display: function.path.clone(),
            kind: parse_kind(&function.rule, &place)?,
            category: function.category.unwrap_or_default(),
            tokio: function.tokio.or_else(|| function.replacement.clone()),
            async_std: function.async_std.or_else(|| function.replacement.clone()),
            smol: function.smol.or(function.replacement),
            model: parse_model(&function.model, &place)?,
            note: function.note,
            is_function: true,
        };
        self.known_paths.insert(function.path.clone());
        self.functions.insert(function.path, api);
        Ok(())
    }

    fn add_methods(&mut self, methods: BlockingMethods) -> Result<(), String> {
        let place = format!("rules/blocking.toml: methods of `{}`", methods.receiver);
        let kind = parse_kind(&methods.rule, &place)?;
        let model = parse_model(&methods.model, &place)?;
        for name in methods.names {
            let api = BlockingApi {
                display: if methods.receiver == "*" {
                    name.clone()
                } else {
                    format!("{}::{}", methods.receiver, name)
                },
                kind,
                category: methods.category.unwrap_or_default(),
                tokio: methods.tokio.clone(),
                async_std: methods.async_std.clone(),
                smol: methods.smol.clone(),
                model,
                note: methods.note.clone(),
                is_function: false,
            };
            if methods.receiver == "*" {
                self.any_receiver_methods
                    .entry(name)
                    .or_default()
                    .push((methods.required_trait.clone(), api));
            } else {
                self.methods
                    .entry(methods.receiver.clone())
                    .or_default()
                    .insert(name, api);
            }
        }
        if let Some(t) = methods.required_trait {
            self.known_paths.insert(t);
        }
        if methods.receiver != "*" {
            self.known_paths.insert(methods.receiver);
        }
        Ok(())
    }

    pub fn add_not_blocking(&mut self, path: String) {
        self.not_blocking.insert(path);
    }

    pub fn not_blocking(&self) -> &std::collections::HashSet<String> {
        &self.not_blocking
    }

    /// The rules' options (config).
    pub fn options(&self) -> RuleOptions {
        self.options
    }

    pub fn set_options(&mut self, options: RuleOptions) {
        self.options = options;
    }

    pub fn add_wrapper(&mut self, path: String) {
        self.known_paths.insert(path.clone());
        self.wrapper_functions.insert(path);
    }

    /// A blocking free/associated function by its resolved path.
    pub fn blocking_function(&self, path: &str) -> Option<&BlockingApi> {
        self.functions.get(path)
    }

    /// A blocking method by receiver type (when known) and name; `trait_in_scope` tells
    /// whether a trait path is imported in the file.
    pub fn blocking_method(
        &self,
        receiver: Option<&str>,
        name: &str,
        trait_in_scope: &dyn Fn(&str) -> bool,
    ) -> Option<&BlockingApi> {
        if let Some(receiver) = receiver {
            let receiver = self.canonical_type(receiver);
            if let Some(api) = self.methods.get(receiver).and_then(|m| m.get(name)) {
                return Some(api);
            }
        }
        self.any_receiver_methods.get(name).and_then(|entries| {
            entries.iter().find_map(|(required, api)| match required {
                None => Some(api),
                Some(t) if trait_in_scope(t) => Some(api),
                Some(_) => None,
            })
        })
    }

    /// A blocking method of a known receiver type (no any-receiver entries).
    pub fn blocking_method_of(&self, receiver: &str, name: &str) -> Option<&BlockingApi> {
        self.methods
            .get(self.canonical_type(receiver))
            .and_then(|m| m.get(name))
    }

    pub fn constructor(&self, path: &str) -> Option<&TypeShape> {
        self.constructors.get(path)
    }

    /// Whether `Type::name()` of a crate type with no such function in the workspace is a
    /// derived or trait-provided constructor returning `Type` (`rules/types.toml`
    /// `[derived_constructors]`).
    pub fn is_derived_constructor(&self, name: &str) -> bool {
        self.derived_constructors.contains(name)
    }

    pub fn method_return(&self, receiver: &str, name: &str) -> Option<&str> {
        let receiver = self.canonical_type(receiver);
        self.method_returns
            .get(receiver)
            .and_then(|m| m.get(name))
            .map(String::as_str)
    }

    pub fn canonical_type<'a>(&'a self, path: &'a str) -> &'a str {
        self.aliases.get(path).map(String::as_str).unwrap_or(path)
    }

    pub fn is_wrapper_function(&self, path: &str) -> bool {
        self.wrapper_functions.contains(path)
            || (path.starts_with("crate::")
                && path
                    .rsplit("::")
                    .next()
                    .is_some_and(|name| self.wrapper_local_names.contains(name)))
    }

    pub fn is_wrapper_method(&self, name: &str) -> bool {
        self.wrapper_methods.contains(name)
    }

    /// Whether a call (by its last path segment or method name) runs its closure inline.
    pub fn runs_inline(&self, name: &str) -> bool {
        self.runs_inline.contains(name)
    }

    /// Whether any catalog names this path (used to pick among glob imports).
    pub fn knows_path(&self, path: &str) -> bool {
        self.known_paths.contains(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses() {
        let catalog = Catalog::builtin().unwrap();
        assert!(catalog.blocking_function("std::thread::sleep").is_some());
        assert!(catalog.blocking_function("tokio::time::sleep").is_none());
        assert!(catalog.is_wrapper_function("tokio::task::spawn_blocking"));
    }
}
