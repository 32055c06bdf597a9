//! The catalogs of the compute and structure rules: `rules/compute.toml` (CPU-heavy APIs,
//! rayon), `rules/spawn.toml` (spawners, limits, structured owners) and
//! `rules/channels.toml` (channel constructors). Embedded, parsed once per process.

use super::sources::Sources;
use crate::path_text::last_segment;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

/// What kind of computation a CPU-heavy API does (`category` in `rules/compute.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComputeCategory {
    PasswordHash,
    Compression,
    Image,
    Crypto,
    Rayon,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComputeFunction {
    path: String,
    category: ComputeCategory,
    #[serde(default)]
    what: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComputeMethods {
    receiver: String,
    #[serde(default, rename = "trait")]
    required_trait: Option<String>,
    names: Vec<String>,
    category: ComputeCategory,
    #[serde(default)]
    what: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RayonTable {
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    consumers: Vec<String>,
    #[serde(default)]
    blocking_methods: Vec<String>,
    #[serde(default)]
    closure_functions: Vec<String>,
    #[serde(default)]
    closure_methods: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComputeFile {
    #[serde(default)]
    function: Vec<ComputeFunction>,
    #[serde(default)]
    method: Vec<ComputeMethods>,
    #[serde(default)]
    rayon: RayonTable,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spawner {
    path: String,
    kind: SpawnKind,
    handle: String,
    detach: DropBehavior,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpawnerMethods {
    receiver: String,
    names: Vec<String>,
    kind: SpawnKind,
    handle: String,
    detach: DropBehavior,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsTable {
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StructuredTable {
    #[serde(default)]
    receivers: Vec<String>,
    #[serde(default)]
    detach_methods: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerializingTable {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    types: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfiguredTable {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    collections: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpawnFile {
    #[serde(default)]
    serializing: SerializingTable,
    #[serde(default)]
    configured: ConfiguredTable,
    #[serde(default)]
    spawner: Vec<Spawner>,
    #[serde(default)]
    spawner_method: Vec<SpawnerMethods>,
    #[serde(default)]
    limits: LimitsTable,
    #[serde(default)]
    structured: StructuredTable,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Channel {
    path: String,
    bounded: bool,
    #[serde(default)]
    instead: Option<String>,
    #[serde(default)]
    send: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelsFile {
    #[serde(default)]
    channel: Vec<Channel>,
}

/// A CPU-heavy API from `compute.toml`.
#[derive(Debug, Clone)]
pub struct ComputeApi {
    /// `bcrypt::hash`, or the method name for methods.
    pub display: String,
    pub category: ComputeCategory,
    /// How messages name the work ("bcrypt password hashing").
    pub what: String,
}

/// What a spawner starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpawnKind {
    Task,
    LocalTask,
    Blocking,
    Thread,
}

/// What dropping a spawner's handle does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropBehavior {
    Drop,
    Cancel,
}

#[derive(Debug, Clone)]
pub struct SpawnApi {
    /// `tokio::spawn` or `tokio::runtime::Handle::spawn`.
    pub display: String,
    pub kind: SpawnKind,
    pub handle: String,
    pub detach: DropBehavior,
}

/// An unbounded channel constructor and its bounded equivalent.
#[derive(Debug, Clone)]
pub struct UnboundedChannel {
    pub path: String,
    pub instead: String,
    pub send: String,
}

/// The three catalogs as lookup tables.
#[derive(Debug, Default)]
pub struct StructureCatalog {
    compute_functions: HashMap<String, ComputeApi>,
    compute_methods: HashMap<(String, String), ComputeApi>,
    /// name → (required trait, api)
    compute_trait_methods: HashMap<String, Vec<(String, ComputeApi)>>,
    pub rayon_sources: HashSet<String>,
    pub rayon_consumers: HashSet<String>,
    pub rayon_blocking_methods: HashSet<String>,
    pub rayon_closure_functions: HashSet<String>,
    pub rayon_closure_methods: HashSet<String>,
    spawners: HashMap<String, SpawnApi>,
    spawner_methods: HashMap<(String, String), SpawnApi>,
    pub limit_methods: HashSet<String>,
    pub limit_names: HashSet<String>,
    pub structured_receivers: HashSet<String>,
    pub detach_methods: HashSet<String>,
    /// Binding names and type names (last segment) of one connection, transaction or
    /// single-writer store (`[serializing]`).
    pub serializing_names: HashSet<String>,
    pub serializing_types: HashSet<String>,
    /// Names of configuration roots (`[configured]`).
    pub configured_names: HashSet<String>,
    /// Names of collections of configured services (`[configured] collections`).
    configured_collections: HashSet<String>,
    unbounded_channels: HashMap<String, UnboundedChannel>,
    bounded_channels: HashSet<String>,
    /// Last path segments of every function path above, to skip resolving most calls.
    pub function_names: HashSet<String>,
}

impl StructureCatalog {
    /// A collection of this name holds one service per configured listener or backend
    /// (`servers`, `tcp_listeners`: the name or its last `_` part, `[configured]
    /// collections`).
    pub fn is_configured_collection(&self, name: &str) -> bool {
        let last = name.rsplit_once('_').map_or(name, |(_, last)| last);
        self.configured_collections.contains(last)
    }

    /// A binding of this name, or of this declared type, is one connection, transaction or
    /// single-writer store (`[serializing]`).
    pub fn is_serializing(&self, name: &str, ty: Option<&syn::Type>) -> bool {
        let name = name.trim_start_matches('_');
        self.serializing_names.contains(name)
            || name
                .rsplit_once('_')
                .is_some_and(|(_, last)| self.serializing_names.contains(last) && last != "tx")
            || ty.is_some_and(|ty| self.is_serializing_type(ty))
    }

    fn is_serializing_type(&self, ty: &syn::Type) -> bool {
        match ty {
            syn::Type::Reference(r) => self.is_serializing_type(&r.elem),
            syn::Type::Paren(p) => self.is_serializing_type(&p.elem),
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| self.serializing_types.contains(&s.ident.to_string())),
            _ => false,
        }
    }

    pub fn load(sources: &Sources) -> Result<StructureCatalog, String> {
        let compute: ComputeFile = sources.load("compute")?;
        let spawn: SpawnFile = sources.load("spawn")?;
        let channels: ChannelsFile = sources.load("channels")?;
        let mut catalog = StructureCatalog::default();
        for function in compute.function {
            let api = ComputeApi {
                what: function
                    .what
                    .unwrap_or_else(|| format!("`{}`", function.path)),
                display: function.path.clone(),
                category: function.category,
            };
            catalog
                .function_names
                .insert(last_segment(&function.path).to_string());
            catalog.compute_functions.insert(function.path, api);
        }
        for methods in compute.method {
            for name in methods.names {
                let api = ComputeApi {
                    display: name.clone(),
                    category: methods.category,
                    what: methods.what.clone().unwrap_or_else(|| format!("`{name}`")),
                };
                match (&methods.required_trait, methods.receiver.as_str()) {
                    (Some(required), "*") => catalog
                        .compute_trait_methods
                        .entry(name)
                        .or_default()
                        .push((required.clone(), api)),
                    (None, "*") => {
                        return Err(format!(
                            "rules/compute.toml: methods `{name}` on any receiver need a `trait`"
                        ))
                    }
                    (_, receiver) => {
                        catalog
                            .compute_methods
                            .insert((receiver.to_string(), name), api);
                    }
                }
            }
        }
        let rayon = compute.rayon;
        catalog.rayon_sources.extend(rayon.sources);
        catalog.rayon_consumers.extend(rayon.consumers);
        catalog
            .rayon_blocking_methods
            .extend(rayon.blocking_methods);
        for path in &rayon.closure_functions {
            catalog
                .function_names
                .insert(last_segment(path).to_string());
        }
        catalog
            .rayon_closure_functions
            .extend(rayon.closure_functions);
        catalog.rayon_closure_methods.extend(rayon.closure_methods);
        for spawner in spawn.spawner {
            catalog
                .function_names
                .insert(last_segment(&spawner.path).to_string());
            catalog.spawners.insert(
                spawner.path.clone(),
                SpawnApi {
                    display: spawner.path,
                    kind: spawner.kind,
                    handle: spawner.handle,
                    detach: spawner.detach,
                },
            );
        }
        for methods in spawn.spawner_method {
            for name in methods.names {
                catalog.spawner_methods.insert(
                    (methods.receiver.clone(), name.clone()),
                    SpawnApi {
                        display: format!("{}::{name}", methods.receiver),
                        kind: methods.kind,
                        handle: methods.handle.clone(),
                        detach: methods.detach,
                    },
                );
            }
        }
        catalog.limit_methods.extend(spawn.limits.methods);
        catalog.limit_names.extend(spawn.limits.names);
        catalog
            .structured_receivers
            .extend(spawn.structured.receivers);
        catalog
            .detach_methods
            .extend(spawn.structured.detach_methods);
        catalog.serializing_names.extend(spawn.serializing.names);
        catalog.serializing_types.extend(spawn.serializing.types);
        catalog.configured_names.extend(spawn.configured.names);
        catalog
            .configured_collections
            .extend(spawn.configured.collections);
        for channel in channels.channel {
            catalog
                .function_names
                .insert(last_segment(&channel.path).to_string());
            if channel.bounded {
                catalog.bounded_channels.insert(channel.path);
                continue;
            }
            let (Some(instead), Some(send)) = (channel.instead, channel.send) else {
                return Err(format!(
                    "rules/channels.toml: unbounded `{}` needs `instead` and `send`",
                    channel.path
                ));
            };
            catalog.unbounded_channels.insert(
                channel.path.clone(),
                UnboundedChannel {
                    path: channel.path,
                    instead,
                    send,
                },
            );
        }
        Ok(catalog)
    }

    pub fn compute_function(&self, path: &str) -> Option<&ComputeApi> {
        self.compute_functions.get(path)
    }

    /// A CPU-heavy method by receiver type, or by name when its trait is imported.
    pub fn compute_method(
        &self,
        receiver: Option<&str>,
        name: &str,
        trait_in_scope: &dyn Fn(&str) -> bool,
    ) -> Option<&ComputeApi> {
        if let Some(receiver) = receiver {
            if let Some(api) = self
                .compute_methods
                .get(&(receiver.to_string(), name.to_string()))
            {
                return Some(api);
            }
            // The crate's own type with a method of that name: not the trait's.
            if receiver.starts_with("crate::") {
                return None;
            }
        }
        self.compute_trait_methods.get(name).and_then(|entries| {
            entries
                .iter()
                .find(|(required, _)| trait_in_scope(required))
                .map(|(_, api)| api)
        })
    }

    /// Whether any method of that name is in the compute catalog (cheap pre-check).
    pub fn has_compute_method_name(&self, name: &str) -> bool {
        self.compute_trait_methods.contains_key(name)
            || self.compute_methods.keys().any(|(_, n)| n == name)
    }

    pub fn spawner(&self, path: &str) -> Option<&SpawnApi> {
        self.spawners.get(path)
    }

    pub fn spawner_method(&self, receiver: &str, name: &str) -> Option<&SpawnApi> {
        self.spawner_methods
            .get(&(receiver.to_string(), name.to_string()))
    }

    pub fn unbounded_channel(&self, path: &str) -> Option<&UnboundedChannel> {
        self.unbounded_channels.get(path)
    }

    pub fn is_bounded_channel(&self, path: &str) -> bool {
        self.bounded_channels.contains(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogs_parse() {
        let catalog = StructureCatalog::load(&Sources::builtin().unwrap()).unwrap();
        assert!(catalog.compute_function("bcrypt::hash").is_some());
        assert!(catalog.rayon_sources.contains("par_iter"));
        assert!(catalog.spawner("tokio::spawn").is_some());
        assert!(catalog.limit_methods.contains("acquire_owned"));
        assert!(catalog
            .unbounded_channel("tokio::sync::mpsc::unbounded_channel")
            .is_some());
        assert!(catalog.is_bounded_channel("std::sync::mpsc::sync_channel"));
        assert!(catalog
            .unbounded_channel("std::sync::mpsc::sync_channel")
            .is_none());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut sources = Sources::builtin().unwrap();
        let bad: toml::Table =
            toml::from_str("[[function]]\npath = \"a::b\"\ncategory = \"image\"\ncolour = 1\n")
                .unwrap();
        sources.extend("compute", bad).unwrap();
        assert!(StructureCatalog::load(&sources).is_err());
    }
}
