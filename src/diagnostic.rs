//! What a finding is: plain data produced by the workers and consumed by the outputs.

use crate::source::Location;
use serde::Serialize;
use std::fmt;

/// A rule's level. `Allow` findings are dropped; `Warn` are warnings; `Deny` are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    /// The word rustc uses for a finding at this level.
    pub fn severity(self) -> &'static str {
        match self {
            Level::Deny => "error",
            _ => "warning",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// The concurrency model a finding's work belongs on (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    AsyncIo,
    BlockingPool,
    Thread,
    DataParallel,
    BoundedConcurrency,
    StructuredTasks,
    LockScope,
    AtomicRmw,
    MessagePassing,
    SyncPrimitive,
}

impl Model {
    pub fn parse(text: &str) -> Option<Model> {
        Some(match text {
            "async-io" => Model::AsyncIo,
            "blocking-pool" => Model::BlockingPool,
            "thread" => Model::Thread,
            "data-parallel" => Model::DataParallel,
            "bounded-concurrency" => Model::BoundedConcurrency,
            "structured-tasks" => Model::StructuredTasks,
            "lock-scope" => Model::LockScope,
            "atomic-rmw" => Model::AtomicRmw,
            "message-passing" => Model::MessagePassing,
            "sync-primitive" => Model::SyncPrimitive,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Model::AsyncIo => "async-io",
            Model::BlockingPool => "blocking-pool",
            Model::Thread => "thread",
            Model::DataParallel => "data-parallel",
            Model::BoundedConcurrency => "bounded-concurrency",
            Model::StructuredTasks => "structured-tasks",
            Model::LockScope => "lock-scope",
            Model::AtomicRmw => "atomic-rmw",
            Model::MessagePassing => "message-passing",
            Model::SyncPrimitive => "sync-primitive",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    MachineApplicable,
    MaybeIncorrect,
    HasPlaceholders,
}

impl Applicability {
    /// rustc's spelling (`MachineApplicable`), used by the cargo JSON output.
    pub fn rustc_name(self) -> &'static str {
        match self {
            Applicability::MachineApplicable => "MachineApplicable",
            Applicability::MaybeIncorrect => "MaybeIncorrect",
            Applicability::HasPlaceholders => "HasPlaceholders",
        }
    }
}

/// A replacement for the text at `location` (which may be wider than the primary location,
/// e.g. a whole call expression when `.await` must be appended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub location: Location,
    pub replacement: String,
    pub applicability: Applicability,
}

/// A secondary span with a message, in the same file as the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// A note that may point into another file (call chains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub message: String,
    pub file: Option<String>,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub level: Level,
    pub message: String,
    /// Display path of the file, relative to the workspace root (or the current directory).
    pub file: String,
    pub primary: Location,
    pub primary_label: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub model: Option<Model>,
    pub suggestion: Option<Suggestion>,
    pub notes: Vec<Note>,
    /// Where the code runs (async rules; computed over the workspace's entry points).
    pub context: Option<Context>,
    /// The enclosing function's path (`crate::api::login`).
    pub item: Option<String>,
}

/// Where a finding's code runs (SPEC §2 "Where the code runs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Reached from a function handed to a framework or callback as a value.
    Handler,
    /// Inside or reached from a spawned future.
    Task,
    /// A `pub` async API of a library crate (callers unknown).
    Library,
    Unknown,
    /// Tests and benches.
    Test,
    /// Reached only from the program's (async) `main`: runs once, in sequence (not
    /// through a loop that repeats until the program stops: `EntryFacts::repeating`).
    Main,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Handler => "handler",
            Context::Task => "task",
            Context::Library => "library",
            Context::Unknown => "unknown",
            Context::Test => "test",
            Context::Main => "main",
        }
    }
}

impl Diagnostic {
    pub fn new(rule: &'static str, file: &str, primary: Location, message: String) -> Diagnostic {
        Diagnostic {
            rule,
            level: Level::Warn,
            message,
            file: file.to_string(),
            primary,
            primary_label: String::new(),
            labels: Vec::new(),
            help: None,
            model: None,
            suggestion: None,
            notes: Vec::new(),
            context: None,
            item: None,
        }
    }

    pub fn sort_key(&self) -> (&str, usize, usize, &'static str) {
        (
            &self.file,
            self.primary.line,
            self.primary.column,
            self.rule,
        )
    }
}
