//! What to lint: the Cargo workspace (via `cargo metadata --no-deps`) or PATH arguments.
//! Produces lint roots — files with the package facts that shape their analysis.

use crate::catalog::Runtime;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Facts about the package a file belongs to.
#[derive(Debug, Clone)]
pub struct PackageInfo {
    pub name: String,
    pub id: String,
    pub manifest_path: PathBuf,
    pub edition: String,
    pub runtime: Runtime,
    /// Cargo mode: the crate names (`-` as `_`) of the workspace crates this package's
    /// targets may name — its own lib and its path dependencies that are workspace
    /// members. Empty in PATH mode (each package its own crate).
    pub local_crates: Vec<String>,
    /// Cargo mode: the name of the package's lib target (`-` as `_`), if it has one.
    pub lib_name: Option<String>,
    /// Cargo mode: path dependencies renamed in Cargo.toml (`dht = { package =
    /// "librqbit-dht", .. }`): (the name this package's code writes, the dependency's lib
    /// name), so that its calls meet the dependency's functions.
    pub crate_renames: Vec<(String, String)>,
}

/// A file to start linting from (a target's crate root, or a file given on the command
/// line), with its module path and package.
#[derive(Debug, Clone)]
pub struct LintRoot {
    pub path: PathBuf,
    pub module_path: String,
    /// Follow `mod x;` declarations into other files (crate roots: yes; PATH mode: no,
    /// every file is listed anyway).
    pub follow_mods: bool,
    pub include_tests: bool,
    pub package: Option<Arc<PackageInfo>>,
    /// The target (`lib`, `bin`, …) name and kinds, for cargo-style JSON.
    pub target_name: String,
    pub target_kinds: Vec<String>,
    /// The directory walk saw a regular file here: reading it needs no look first (a
    /// FIFO would block the read forever; see `Linter::read`).
    pub seen_regular: bool,
}

/// Which packages and targets to lint, as cargo's flags say.
#[derive(Debug, Clone, Default)]
pub struct TargetSelection {
    pub lib: bool,
    pub bins: bool,
    pub bin: Vec<String>,
    pub tests: bool,
    pub test: Vec<String>,
    pub examples: bool,
    pub example: Vec<String>,
    pub benches: bool,
    pub bench: Vec<String>,
    pub all_targets: bool,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
}

/// Whether a name given to `--bin`/`--test`/`--example`/`--bench` (a glob, as in cargo)
/// names a target.
fn name_matches(pattern: &str, name: &str) -> bool {
    if pattern.contains(['*', '?', '[']) {
        globset::Glob::new(pattern).is_ok_and(|g| g.compile_matcher().is_match(name))
    } else {
        pattern == name
    }
}

impl TargetSelection {
    /// Whether any target flag was given (then only the selected targets are linted;
    /// otherwise lib + bins, as `cargo check`).
    fn names_targets(&self) -> bool {
        self.lib
            || self.bins
            || self.tests
            || self.examples
            || self.benches
            || self.all_targets
            || !(self.bin.is_empty()
                && self.test.is_empty()
                && self.example.is_empty()
                && self.bench.is_empty())
    }

    /// Whether cargo would compile a target, and whether in test mode (`--test`, so
    /// `#[cfg(test)]` code counts). `test` is the target's `test` flag (cargo metadata);
    /// the `bench` flag is cargo's default for the kind.
    pub fn compiles(&self, kind: &str, name: &str, test: bool) -> Option<bool> {
        // `cargo check` compiles a package's build script whatever targets are selected.
        if kind == "custom-build" {
            return Some(false);
        }
        let bench = matches!(kind, "lib" | "bin" | "bench");
        let as_test = ((self.tests || self.all_targets) && test)
            || ((self.benches || self.all_targets) && bench);
        if !self.names_targets() {
            return matches!(kind, "lib" | "bin").then_some(false);
        }
        let (by_kind, by_name): (bool, &[String]) = match kind {
            "lib" => (self.lib, &[]),
            "bin" => (self.bins, &self.bin),
            "test" => (self.tests, &self.test),
            "example" => (self.examples, &self.example),
            "bench" => (self.benches, &self.bench),
            _ => return None,
        };
        let named = by_name.iter().any(|p| name_matches(p, name));
        let selected = by_kind || named || as_test || self.all_targets;
        // test and bench targets are always built with the test harness
        selected.then_some(as_test || matches!(kind, "test" | "bench"))
    }

    /// The error cargo gives before compiling when a named target is in no selected
    /// package.
    pub fn check(&self, available: &[(String, String)], packages: &[String]) -> Result<(), String> {
        if self.lib && !available.iter().any(|(kind, _)| kind == "lib") {
            return Err(format!(
                "no library targets found in packages: {}",
                packages.join(", ")
            ));
        }
        for (kind, all, patterns) in [
            ("bin", self.bins, &self.bin),
            ("test", self.tests, &self.test),
            ("example", self.examples, &self.example),
            ("bench", self.benches, &self.bench),
        ] {
            if all || self.all_targets {
                continue; // `--bins` selects every bin: cargo ignores `--bin` names then
            }
            let names: Vec<&str> = available
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, n)| n.as_str())
                .collect();
            for pattern in patterns {
                if !names.iter().any(|n| name_matches(pattern, n)) {
                    let list = if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    };
                    return Err(format!(
                        "no {kind} target named `{pattern}` in the selected packages (available {kind} targets: {list})"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The one word cargo's target-selection flags use for a target's kinds.
fn kind_word(kinds: &[String]) -> &'static str {
    for kind in kinds {
        match kind.as_str() {
            "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" => return "lib",
            "bin" => return "bin",
            "test" => return "test",
            "example" => return "example",
            "bench" => return "bench",
            "custom-build" => return "custom-build",
            _ => {}
        }
    }
    "other"
}

#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub root_manifest: PathBuf,
    pub roots: Vec<LintRoot>,
}

/// The runtime a package depends on (normal dependencies first, then dev-dependencies).
pub fn runtime_from_dependencies(deps: &[(String, bool)]) -> Option<Runtime> {
    for dev in [false, true] {
        for candidate in ["tokio", "async-std", "smol"] {
            if deps
                .iter()
                .any(|(name, is_dev)| *is_dev == dev && name == candidate)
            {
                return Runtime::parse(candidate);
            }
        }
    }
    None
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Package name → lib target name (`-` as `_`) of every workspace member with a lib.
fn member_lib_names(packages: &[&Value], members: &[&str]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for package in packages {
        if !members.contains(&str_field(package, "id")) {
            continue;
        }
        let lib = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| {
                t["kind"].as_array().is_some_and(|kinds| {
                    kinds.iter().filter_map(Value::as_str).any(|k| {
                        matches!(
                            k,
                            "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro"
                        )
                    })
                })
            });
        if let Some(lib) = lib {
            names.insert(
                str_field(package, "name").to_string(),
                str_field(lib, "name").replace('-', "_"),
            );
        }
    }
    names
}

/// The workspace crates a package's code may name: its own lib, and each path dependency
/// that is a workspace member (by its `rename` if any); and the renamed ones: (rename, lib
/// name).
#[allow(clippy::type_complexity)]
fn local_crates(
    package: &Value,
    name: &str,
    lib_names: &HashMap<String, String>,
) -> (Vec<String>, Vec<(String, String)>) {
    let mut renames = Vec::new();
    let mut crates: Vec<String> = lib_names.get(name).cloned().into_iter().collect();
    for dependency in package["dependencies"].as_array().into_iter().flatten() {
        if dependency.get("path").and_then(Value::as_str).is_none() {
            continue;
        }
        let Some(lib) = lib_names.get(str_field(dependency, "name")) else {
            continue;
        };
        let local = match dependency.get("rename").and_then(Value::as_str) {
            Some(rename) => rename.replace('-', "_"),
            None => lib.clone(),
        };
        if local != *lib && !renames.iter().any(|(r, _)| *r == local) {
            renames.push((local.clone(), lib.clone()));
        }
        if !crates.contains(&local) {
            crates.push(local);
        }
    }
    (crates, renames)
}

/// `cargo metadata --no-deps` for the workspace.
fn metadata(manifest_path: Option<&Path>) -> Result<Value, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["metadata", "--no-deps", "--format-version", "1"]);
    if let Some(manifest) = manifest_path {
        if !manifest.exists() {
            return Err(format!(
                "manifest path `{}` does not exist",
                manifest.display()
            ));
        }
        command.arg("--manifest-path").arg(manifest);
    }
    let output = command
        .output()
        .map_err(|e| format!("could not run `cargo metadata`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The hint only where it applies: cargo also fails in a workspace (a toolchain
        // pinned by `rust-toolchain.toml` that is not installed, a broken manifest).
        let no_manifest_here = manifest_path.is_none()
            && std::env::current_dir()
                .is_ok_and(|dir| !dir.ancestors().any(|d| d.join("Cargo.toml").is_file()));
        let hint = if no_manifest_here {
            " (no Cargo.toml here or above: pass PATHs or --manifest-path)"
        } else {
            ""
        };
        return Err(format!("`cargo metadata` failed{hint}:\n{}", stderr.trim()));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot read `cargo metadata` output: {e}"))
}

fn string_list<'a>(value: &'a Value, key: &str) -> Option<Vec<&'a str>> {
    value[key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
}

/// The workspace members `-p`, `--workspace`/`--exclude` or the default members select.
fn selected_packages<'m>(
    metadata: &'m Value,
    selection: &TargetSelection,
) -> Result<Vec<&'m Value>, String> {
    let members = string_list(metadata, "workspace_members").unwrap_or_default();
    let default_members =
        string_list(metadata, "workspace_default_members").unwrap_or_else(|| members.clone());
    let packages: Vec<&Value> = metadata["packages"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for requested in &selection.packages {
        if !packages.iter().any(|p| str_field(p, "name") == requested) {
            return Err(format!(
                "package `{requested}` is not a member of the workspace"
            ));
        }
    }
    Ok(packages
        .into_iter()
        .filter(|package| {
            let id = str_field(package, "id");
            let name = str_field(package, "name");
            members.contains(&id)
                && if !selection.packages.is_empty() {
                    selection.packages.iter().any(|p| p == name)
                } else if selection.workspace {
                    !selection.exclude.iter().any(|e| e == name)
                } else {
                    default_members.contains(&id)
                }
        })
        .collect())
}

/// Package name → lib name of every workspace member with a lib.
fn lib_names_of(metadata: &Value) -> HashMap<String, String> {
    let members = string_list(metadata, "workspace_members").unwrap_or_default();
    let packages: Vec<&Value> = metadata["packages"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    member_lib_names(&packages, &members)
}

fn package_info(package: &Value, lib_names: &HashMap<String, String>) -> PackageInfo {
    let dependencies: Vec<(String, bool)> = package["dependencies"]
        .as_array()
        .map(|deps| {
            deps.iter()
                .map(|d| {
                    (
                        str_field(d, "name").to_string(),
                        str_field(d, "kind") == "dev",
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (local_crates, crate_renames) =
        local_crates(package, str_field(package, "name"), lib_names);
    PackageInfo {
        name: str_field(package, "name").to_string(),
        id: str_field(package, "id").to_string(),
        manifest_path: PathBuf::from(str_field(package, "manifest_path")),
        edition: str_field(package, "edition").to_string(),
        runtime: runtime_from_dependencies(&dependencies).unwrap_or(Runtime::Tokio),
        local_crates,
        lib_name: lib_names.get(str_field(package, "name")).cloned(),
        crate_renames,
    }
}

fn target_kinds(target: &Value) -> Vec<String> {
    string_list(target, "kind")
        .unwrap_or_default()
        .into_iter()
        .map(String::from)
        .collect()
}

/// Run `cargo metadata --no-deps` and select packages and targets as `cargo check` would.
pub fn discover(
    manifest_path: Option<&Path>,
    selection: &TargetSelection,
) -> Result<Workspace, String> {
    if !selection.exclude.is_empty() && !selection.workspace {
        return Err("--exclude can only be used together with --workspace".into());
    }
    let metadata = metadata(manifest_path)?;
    let root = PathBuf::from(str_field(&metadata, "workspace_root"));
    let packages = selected_packages(&metadata, selection)?;
    let available: Vec<(String, String)> = packages
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .map(|t| {
            let kind = kind_word(&target_kinds(t)).to_string();
            (kind, str_field(t, "name").to_string())
        })
        .collect();
    let names: Vec<String> = packages
        .iter()
        .map(|p| str_field(p, "name").to_string())
        .collect();
    selection.check(&available, &names)?;
    let lib_names = lib_names_of(&metadata);
    let mut roots = Vec::new();
    for package in &packages {
        roots.extend(package_roots(package, selection, &lib_names));
    }
    let root_manifest = root.join("Cargo.toml");
    Ok(Workspace {
        root,
        root_manifest,
        roots,
    })
}

/// The selected targets of one package. The package's library is compiled (and so
/// linted) whenever another of its targets is, as their dependency.
fn package_roots(
    package: &Value,
    selection: &TargetSelection,
    lib_names: &HashMap<String, String>,
) -> Vec<LintRoot> {
    let info = Arc::new(package_info(package, lib_names));
    let targets: Vec<&Value> = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut selected: Vec<(&Value, bool)> = targets
        .iter()
        .filter_map(|target| {
            let kind = kind_word(&target_kinds(target));
            let test_flag = target["test"].as_bool().unwrap_or(true);
            let as_test = selection.compiles(kind, str_field(target, "name"), test_flag)?;
            Some((*target, as_test))
        })
        .collect();
    let is_lib = |target: &Value| kind_word(&target_kinds(target)) == "lib";
    if !selected.is_empty() && !selected.iter().any(|(t, _)| is_lib(t)) {
        if let Some(lib) = targets.iter().find(|t| is_lib(t)) {
            selected.push((lib, false));
        }
    }
    selected
        .into_iter()
        .map(|(target, as_test)| {
            let kinds = target_kinds(target);
            LintRoot {
                path: PathBuf::from(str_field(target, "src_path")),
                module_path: "crate".into(),
                follow_mods: true,
                include_tests: as_test,
                package: Some(info.clone()),
                target_name: str_field(target, "name").to_string(),
                target_kinds: kinds,
                seen_regular: false,
            }
        })
        .collect()
}

/// The directory a module file's children live in: `src/` for `lib.rs`/`main.rs`/`mod.rs`
/// and `#[path]` files, `src/foo/` for `src/foo.rs`.
pub fn child_module_dir(file: &Path, is_mod_rs: bool) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    if is_mod_rs {
        dir
    } else {
        match file.file_stem() {
            Some(stem) => dir.join(stem),
            None => dir,
        }
    }
}

/// The file a `mod name;` declaration loads: the first candidate that exists (as any
/// kind of file, a dangling symlink included: reading it reports the OS error), else
/// the candidates looked for.
pub fn module_file(
    parent_file: &Path,
    parent_is_mod_rs: bool,
    name: &str,
    path_attribute: Option<&str>,
    inline_parents: &[String],
) -> Result<(PathBuf, bool), Vec<PathBuf>> {
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    if let Some(path) = path_attribute {
        let base = if inline_parents.is_empty() {
            parent_file.parent().unwrap_or(Path::new("")).to_path_buf()
        } else {
            let mut dir = child_module_dir(parent_file, parent_is_mod_rs);
            for parent in inline_parents {
                dir.push(parent);
            }
            dir
        };
        let file = base.join(path);
        return if exists(&file) {
            Ok((file, true))
        } else {
            Err(vec![file])
        };
    }
    let mut dir = child_module_dir(parent_file, parent_is_mod_rs);
    for parent in inline_parents {
        dir.push(parent);
    }
    let flat = dir.join(format!("{name}.rs"));
    if exists(&flat) {
        return Ok((flat, false));
    }
    let nested = dir.join(name).join("mod.rs");
    if exists(&nested) {
        Ok((nested, true))
    } else {
        Err(vec![flat, nested])
    }
}

/// Whether a file is a crate root or `mod.rs` (its children live beside it).
pub fn is_mod_rs(file: &Path) -> bool {
    matches!(
        file.file_name().and_then(|n| n.to_str()),
        Some("mod.rs" | "lib.rs" | "main.rs")
    )
}

/// Files below PATH arguments: every `.rs` file (symlinks followed), skipping hidden and
/// `.gitignore`d paths and cargo's build directories (a `target` beside a `Cargo.toml`,
/// or any directory holding cargo's `CACHEDIR.TAG`; another folder named `target` is
/// source like any other). A path given explicitly is always linted. What cannot be
/// walked (an unreadable directory, a symlink loop, a dangling symlink) comes back as a
/// problem with the OS error, to be reported: nothing is skipped silently.
pub fn files_below(path: &Path) -> (Vec<FoundFile>, Vec<(PathBuf, String)>) {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        let given = FoundFile {
            path: path.to_path_buf(),
            regular: false,
        };
        return (vec![given], Vec::new());
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let walker = ignore::WalkBuilder::new(path)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(true)
        // only a directory can be build output: no look for a tag beside every file
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir()) && is_build_dir(entry.path()))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let p = entry.path();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if !is_dir && p.extension().is_some_and(|e| e == "rs") {
                    files.push(FoundFile {
                        path: p.to_path_buf(),
                        regular: entry.file_type().is_some_and(|t| t.is_file()),
                    });
                }
            }
            Err(error) => problems.push(walk_problem(&error, path)),
        }
    }
    files.sort();
    problems.sort();
    (files, problems)
}

/// A `.rs` file below a PATH argument.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundFile {
    pub path: PathBuf,
    /// The walk saw a regular file (symlinks followed); false for a path given explicitly,
    /// which is not looked at here.
    pub regular: bool,
}

/// cargo's build output, not source: `target` beside a `Cargo.toml`, or a directory
/// that cargo tagged with `CACHEDIR.TAG`.
fn is_build_dir(dir: &Path) -> bool {
    if dir.join("CACHEDIR.TAG").is_file() {
        return true;
    }
    dir.file_name().is_some_and(|n| n == "target")
        && dir.parent().is_some_and(|p| p.join("Cargo.toml").is_file())
        && dir.is_dir()
}

/// The path and message of a walk error (`ignore` wraps the OS error in context).
fn walk_problem(error: &ignore::Error, root: &Path) -> (PathBuf, String) {
    let mut path = None;
    let mut current = error;
    loop {
        match current {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| p.clone());
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err;
            }
            ignore::Error::Loop { child, ancestor } => {
                return (
                    child.clone(),
                    format!(
                        "symbolic link loop: `{}` leads back to `{}` (os error 40)",
                        child.display(),
                        ancestor.display()
                    ),
                );
            }
            ignore::Error::Io(io) => {
                let path = path.unwrap_or_else(|| root.to_path_buf());
                // `ignore` wraps the OS error in its own message: ask the OS again.
                let again = std::fs::metadata(&path).and_then(|meta| match meta.is_dir() {
                    true => std::fs::read_dir(&path).map(drop),
                    false => Ok(()),
                });
                let os = again
                    .err()
                    .map_or_else(|| io.to_string(), |e| e.to_string());
                let message = match std::fs::read_link(&path) {
                    Ok(to) if std::fs::metadata(&path).is_err() => format!(
                        "symbolic link to `{}` cannot be followed: {os}",
                        to.display()
                    ),
                    _ => os,
                };
                return (path, message);
            }
            other => {
                return (
                    path.unwrap_or_else(|| root.to_path_buf()),
                    other.to_string(),
                )
            }
        }
    }
}

/// The module path a file probably has, judged from its place under `src/` (PATH mode).
pub fn guess_module_path(file: &Path) -> String {
    let components: Vec<String> = file
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let after_src = match components.iter().rposition(|c| c == "src") {
        Some(index) => &components[index + 1..],
        None => components.last().map(std::slice::from_ref).unwrap_or(&[]),
    };
    let mut module = vec!["crate".to_string()];
    for (index, part) in after_src.iter().enumerate() {
        let last = index + 1 == after_src.len();
        if last {
            let stem = part.trim_end_matches(".rs");
            if !matches!(stem, "lib" | "main" | "mod") {
                module.push(stem.to_string());
            }
        } else {
            module.push(part.clone());
        }
    }
    module.join("::")
}

/// Package facts for a file linted by PATH: from the nearest Cargo.toml above it.
#[derive(Default)]
pub struct ManifestCache {
    by_dir: HashMap<PathBuf, Option<Arc<PackageInfo>>>,
}

impl ManifestCache {
    pub fn package_for(&mut self, file: &Path) -> Option<Arc<PackageInfo>> {
        let absolute = std::path::absolute(file).ok()?;
        let mut dir = absolute.parent();
        let mut visited = Vec::new();
        let mut found = None;
        while let Some(current) = dir {
            if let Some(cached) = self.by_dir.get(current) {
                found = cached.clone();
                break;
            }
            visited.push(current.to_path_buf());
            let manifest = current.join("Cargo.toml");
            if manifest.is_file() {
                if let Some(info) = read_package(&manifest) {
                    found = Some(Arc::new(info));
                    break;
                }
            }
            dir = current.parent();
        }
        for dir in visited {
            self.by_dir.insert(dir, found.clone());
        }
        found
    }
}

fn read_package(manifest: &Path) -> Option<PackageInfo> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: toml::Value = toml::from_str(&text).ok()?;
    let package = value.get("package")?;
    let name = package.get("name")?.as_str()?.to_string();
    let edition = package
        .get("edition")
        .and_then(|e| e.as_str())
        .unwrap_or("2021")
        .to_string();
    let mut deps = Vec::new();
    for (table, dev) in [("dependencies", false), ("dev-dependencies", true)] {
        if let Some(t) = value.get(table).and_then(|t| t.as_table()) {
            for (key, spec) in t {
                let real = spec.get("package").and_then(|p| p.as_str()).unwrap_or(key);
                deps.push((real.to_string(), dev));
            }
        }
    }
    Some(PackageInfo {
        id: name.clone(),
        name,
        manifest_path: manifest.to_path_buf(),
        edition,
        runtime: runtime_from_dependencies(&deps).unwrap_or(Runtime::Tokio),
        local_crates: Vec::new(),
        lib_name: None,
        crate_renames: Vec::new(),
    })
}

/// An absolute path with `.` and `..` folded away (without touching the file system).
pub fn normalized(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_from_file_places() {
        assert_eq!(guess_module_path(Path::new("x/src/lib.rs")), "crate");
        assert_eq!(
            guess_module_path(Path::new("x/src/net/mod.rs")),
            "crate::net"
        );
        assert_eq!(
            guess_module_path(Path::new("x/src/net/tcp.rs")),
            "crate::net::tcp"
        );
        assert_eq!(guess_module_path(Path::new("loose.rs")), "crate::loose");
    }

    #[test]
    fn runtime_prefers_normal_dependencies() {
        let deps = vec![("smol".to_string(), false), ("tokio".to_string(), true)];
        assert_eq!(runtime_from_dependencies(&deps), Some(Runtime::Smol));
    }
}
