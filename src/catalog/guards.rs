//! `rules/guards.toml`: which method calls acquire guards, which lock types are synchronous,
//! asynchronous or re-entrant, and which field types make a type (un)synchronized.

use super::sources::Sources;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

/// What holding a guard means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LockMode {
    Exclusive,
    Shared,
    /// `RefCell::borrow`
    Borrow,
    /// `RefCell::borrow_mut`
    BorrowMut,
}

impl LockMode {
    pub fn is_refcell(self) -> bool {
        matches!(self, LockMode::Borrow | LockMode::BorrowMut)
    }
}

/// One `[[acquire]]` entry, resolved.
#[derive(Debug, Clone)]
pub struct AcquireMethod {
    pub mode: LockMode,
    pub max_args: usize,
    pub blocks: bool,
    pub known_types_only: bool,
    pub receiver_types: Vec<String>,
    /// Returns an `Option` of the guard (`DashMap::get`): nothing is held when it is `None`.
    pub optional: bool,
    /// Takes the lock and releases it within the call (`DashMap::insert`): nothing is held
    /// after it, but it waits for every guard of the lock that is alive.
    pub transient: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcquireEntry {
    names: Vec<String>,
    mode: String,
    #[serde(default)]
    max_args: usize,
    #[serde(default = "yes")]
    blocks: bool,
    #[serde(default)]
    known_types_only: bool,
    #[serde(default)]
    receiver_types: Vec<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    transient: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardsFile {
    acquire: Vec<AcquireEntry>,
    guard_passthrough: Vec<String>,
    sync_lock_types: Vec<String>,
    async_lock_types: Vec<String>,
    reentrant_types: Vec<String>,
    not_lock_types: Vec<String>,
    #[serde(default)]
    not_lock_type_names: Vec<String>,
    #[serde(default)]
    readers_share_types: Vec<String>,
    sync_field_types: Vec<String>,
    unsync_field_types: Vec<String>,
}

/// The guard catalog as lookup tables.
#[derive(Debug, Default)]
pub struct GuardCatalog {
    /// By method name; the first entry naming a method wins.
    acquire: HashMap<String, AcquireMethod>,
    passthrough: HashSet<String>,
    sync_lock_types: HashSet<String>,
    async_lock_types: HashSet<String>,
    reentrant_types: HashSet<String>,
    not_lock_types: HashSet<String>,
    /// Last path segments of types that are never locks of shared state (`File`).
    not_lock_type_names: HashSet<String>,
    /// Locks whose readers never wait for other readers, even behind a waiting writer.
    readers_share_types: HashSet<String>,
    sync_field_types: HashSet<String>,
    unsync_field_types: HashSet<String>,
    /// See `acquire_needles`.
    needles: Vec<String>,
}

impl GuardCatalog {
    pub fn load(sources: &Sources) -> Result<GuardCatalog, String> {
        let file: GuardsFile = sources.load("guards")?;
        let mut catalog = GuardCatalog::default();
        for entry in file.acquire {
            let mode = match entry.mode.as_str() {
                "exclusive" => LockMode::Exclusive,
                "shared" => LockMode::Shared,
                "borrow" => LockMode::Borrow,
                "borrow_mut" => LockMode::BorrowMut,
                other => return Err(format!("rules/guards.toml: unknown mode `{other}`")),
            };
            for name in entry.names {
                let method = AcquireMethod {
                    mode,
                    max_args: entry.max_args,
                    blocks: entry.blocks,
                    known_types_only: entry.known_types_only,
                    receiver_types: entry.receiver_types.clone(),
                    optional: entry.optional,
                    transient: entry.transient,
                };
                catalog.acquire.entry(name).or_insert(method);
            }
        }
        let set = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>();
        catalog.passthrough = set(file.guard_passthrough);
        catalog.sync_lock_types = set(file.sync_lock_types);
        catalog.async_lock_types = set(file.async_lock_types);
        catalog.reentrant_types = set(file.reentrant_types);
        catalog.not_lock_types = set(file.not_lock_types);
        catalog.not_lock_type_names = set(file.not_lock_type_names);
        catalog.readers_share_types = set(file.readers_share_types);
        catalog.sync_field_types = set(file.sync_field_types);
        catalog.unsync_field_types = set(file.unsync_field_types);
        let mut needles: Vec<String> = catalog
            .acquire
            .iter()
            .flat_map(|(name, method)| {
                let types = method
                    .receiver_types
                    .iter()
                    .map(|t| crate::path_text::last_segment(t));
                let name = method.receiver_types.is_empty().then_some(name.as_str());
                name.into_iter().chain(types).map(String::from)
            })
            .collect();
        needles.sort();
        needles.dedup();
        catalog.needles = needles;
        Ok(catalog)
    }

    /// What a file must mention for each acquisition to be possible: the method name, or
    /// for a method of given types only (`DashMap::get`), the types' last segments; each
    /// once.
    pub fn acquire_needles(&self) -> impl Iterator<Item = &str> {
        self.needles.iter().map(String::as_str)
    }

    pub fn readers_share(&self, ty: &str) -> bool {
        self.readers_share_types.contains(ty)
    }

    pub fn acquire_method(&self, name: &str) -> Option<&AcquireMethod> {
        self.acquire.get(name)
    }

    pub fn is_passthrough(&self, name: &str) -> bool {
        self.passthrough.contains(name)
    }

    pub fn is_sync_lock(&self, ty: &str) -> bool {
        self.sync_lock_types.contains(ty)
    }

    pub fn is_async_lock(&self, ty: &str) -> bool {
        self.async_lock_types.contains(ty)
    }

    pub fn is_reentrant(&self, ty: &str) -> bool {
        self.reentrant_types.contains(ty)
    }

    pub fn is_not_lock(&self, ty: &str) -> bool {
        self.not_lock_types.contains(ty)
            || self
                .not_lock_type_names
                .contains(crate::path_text::last_segment(ty))
    }

    /// By the type's last path segment (`Mutex`, `AtomicUsize`).
    pub fn is_sync_field(&self, name: &str) -> bool {
        self.sync_field_types.contains(name)
    }

    pub fn is_unsync_field(&self, name: &str) -> bool {
        self.unsync_field_types.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_guard_catalog_parses() {
        let catalog = GuardCatalog::load(&Sources::builtin().unwrap()).unwrap();
        assert!(catalog.acquire_method("lock").is_some());
        assert!(catalog.is_async_lock("tokio::sync::Mutex"));
        assert!(catalog.is_sync_lock("std::sync::Mutex"));
    }
}
