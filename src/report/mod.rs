//! `report` (SPEC §6): the decision table applied to the code. For every entry point and
//! async fn of the run — what it waits on (awaited calls by kind, from the per-function
//! summaries), what blocks and what computes (the findings whose item it is: direct and
//! through calls), what it shares (lock acquisitions, shared-state findings) — and the
//! model that fits, with the findings behind the verdict. Built on the same facts and
//! findings as the lint: no second analysis.

mod dot;
mod render;

pub use dot::dot;
pub use render::{human, json, markdown};

use crate::diagnostic::{Context, Diagnostic};
use crate::program::contexts::{Contexts, CrateFiles};
use crate::program::entries::EntryKind;
use crate::program::FileFacts;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One file of the run, as the report reads it.
pub struct ReportFile<'a> {
    /// The crate (target) name.
    pub krate: String,
    pub is_lib: bool,
    pub display: &'a str,
    pub facts: &'a FileFacts,
}

/// The model that fits a function (worst first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// It blocks and computes: split it by stage.
    Mixed,
    /// It blocks the executor: the blocking pool, or the async API.
    Blocking,
    /// It computes on the executor: rayon / `spawn_blocking`.
    CpuBound,
    /// Many independent waits in sequence (or unbounded): bounded concurrency.
    FanOut,
    /// It waits (or does little): async I/O as is.
    AsyncIo,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Mixed,
        Verdict::Blocking,
        Verdict::CpuBound,
        Verdict::FanOut,
        Verdict::AsyncIo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Mixed => "mixed",
            Verdict::Blocking => "blocking",
            Verdict::CpuBound => "cpu-bound",
            Verdict::FanOut => "fan-out",
            Verdict::AsyncIo => "async-io",
        }
    }

    /// The model, as the decision table says it.
    pub fn model(self) -> &'static str {
        match self {
            Verdict::Mixed => "mixed → split by stage: async I/O stages, the blocking/CPU stage on the pool",
            Verdict::Blocking => "blocking → the async API, or the blocking pool (`spawn_blocking`)",
            Verdict::CpuBound => "CPU-bound → rayon, or `spawn_blocking` for one-off work",
            Verdict::FanOut => "many independent waits → bounded concurrency (`buffer_unordered(n)`, `JoinSet` + `Semaphore`)",
            Verdict::AsyncIo => "async I/O as is",
        }
    }
}

/// A finding behind a verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub rule: &'static str,
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One entry point or async fn.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionReport {
    pub function: String,
    pub krate: String,
    pub file: String,
    pub line: usize,
    pub is_async: bool,
    /// `main`, `handler`, `task`, `test` when it is an entry point itself.
    pub entry: Option<&'static str>,
    /// Where it runs (SPEC §2).
    pub context: &'static str,
    /// Awaited calls by kind.
    pub waits: BTreeMap<String, u32>,
    pub blocks: Vec<Evidence>,
    pub computes: Vec<Evidence>,
    /// Locks it acquires (crate-wide identities) and shared-state findings.
    pub shares: Vec<String>,
    pub fan_out: Vec<Evidence>,
    pub verdict: Verdict,
    pub model: &'static str,
}

/// A crate's summary.
#[derive(Debug, Clone, Serialize)]
pub struct CrateSummary {
    pub krate: String,
    /// Functions by verdict.
    pub verdicts: BTreeMap<&'static str, usize>,
    /// The worst verdict among its functions.
    pub worst: Verdict,
    /// Its functions with findings, worst first (at most 5).
    pub worst_offenders: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub crates: Vec<CrateSummary>,
    pub functions: Vec<FunctionReport>,
    /// Call edges between reported functions and the functions on the way (caller, callee).
    #[serde(skip)]
    pub calls: Vec<(String, String)>,
}

const BLOCKS: &[&str] = &["blocking_in_async", "block_on_in_async", "io_in_rayon"];
const COMPUTES: &[&str] = &["cpu_heavy_in_async"];
const FAN_OUT: &[&str] = &["sequential_await_in_loop", "unbounded_spawn"];

fn evidence(d: &Diagnostic) -> Evidence {
    Evidence {
        rule: d.rule,
        file: d.file.clone(),
        line: d.primary.line,
        message: d.message.clone(),
    }
}

fn verdict(f: &FunctionReport) -> Verdict {
    match (!f.blocks.is_empty(), !f.computes.is_empty()) {
        (true, true) => Verdict::Mixed,
        (true, false) => Verdict::Blocking,
        (false, true) => Verdict::CpuBound,
        _ if !f.fan_out.is_empty() => Verdict::FanOut,
        _ => Verdict::AsyncIo,
    }
}

fn entry_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Main => "main",
        EntryKind::Test => "test",
        EntryKind::Handler => "handler",
        EntryKind::Task => "task",
    }
}

/// Build the report from the run's facts and its (judged) findings.
pub fn build(files: &[ReportFile], findings: &[Diagnostic]) -> Report {
    let contexts = contexts(files);
    let mut by_item: HashMap<(&str, &str), Vec<&Diagnostic>> = HashMap::new();
    for d in findings {
        if let Some(item) = &d.item {
            by_item
                .entry((d.file.as_str(), item.as_str()))
                .or_default()
                .push(d);
        }
    }
    let mut functions = Vec::new();
    let mut calls = Vec::new();
    for file in files {
        let entries: HashMap<&str, EntryKind> = file
            .facts
            .entries
            .entries
            .iter()
            .map(|e| (e.function.as_str(), e.kind))
            .collect();
        for summary in &file.facts.functions {
            calls.extend(
                summary
                    .calls
                    .iter()
                    .map(|c| (summary.path.clone(), c.callee.clone())),
            );
            let entry = entries.get(summary.path.as_str()).copied();
            if !summary.is_async && entry.is_none() {
                continue;
            }
            let body = file
                .facts
                .entries
                .functions
                .iter()
                .find(|e| e.path == summary.path)
                .map_or(summary.name_location.byte_start, |e| e.start + 1);
            let context = contexts
                .placement(file.display, body)
                .map_or(Context::Unknown, |p| p.context);
            if context == Context::Test || entry == Some(EntryKind::Test) {
                continue;
            }
            let found = by_item
                .get(&(file.display, summary.path.as_str()))
                .cloned()
                .unwrap_or_default();
            let pick = |rules: &[&str]| -> Vec<Evidence> {
                found
                    .iter()
                    .filter(|d| rules.contains(&d.rule))
                    .map(|d| evidence(d))
                    .collect()
            };
            let mut shares: Vec<String> = file
                .facts
                .locks
                .iter()
                .filter(|l| l.function == summary.path)
                .flat_map(|l| l.acquisitions.iter().filter(|a| a.tentative.holds()))
                .map(|a| format!("lock `{}`", a.lock))
                .collect();
            shares.extend(
                found
                    .iter()
                    .filter(|d| {
                        crate::rules::find(d.rule).is_some_and(|r| {
                            matches!(
                                r.group,
                                crate::rules::Group::SharedState | crate::rules::Group::Guards
                            )
                        })
                    })
                    .map(|d| format!("{}: {}", d.rule, d.message)),
            );
            shares.dedup();
            let mut report = FunctionReport {
                function: summary.path.clone(),
                krate: file.krate.clone(),
                file: file.display.to_string(),
                line: summary.name_location.line,
                is_async: summary.is_async,
                entry: entry.map(entry_name),
                context: context.name(),
                waits: summary.awaits.clone(),
                blocks: pick(BLOCKS),
                computes: pick(COMPUTES),
                shares,
                fan_out: pick(FAN_OUT),
                verdict: Verdict::AsyncIo,
                model: "",
            };
            report.verdict = verdict(&report);
            report.model = report.verdict.model();
            functions.push(report);
        }
    }
    functions.sort_by(|a, b| {
        (
            a.verdict,
            b.blocks.len() + b.computes.len() + b.fan_out.len(),
            &a.function,
        )
            .cmp(&(
                b.verdict,
                a.blocks.len() + a.computes.len() + a.fan_out.len(),
                &b.function,
            ))
    });
    Report {
        version: 1,
        crates: summaries(&functions),
        functions,
        calls,
    }
}

fn contexts<'a>(files: &[ReportFile<'a>]) -> Contexts<'a> {
    let mut crates: BTreeMap<&str, CrateFiles> = BTreeMap::new();
    for file in files {
        crates
            .entry(file.krate.as_str())
            .or_insert_with(|| CrateFiles {
                name: file.krate.replace('-', "_"),
                is_lib: file.is_lib,
                files: Vec::new(),
            })
            .files
            .push((file.display, file.facts));
    }
    let crates: Vec<CrateFiles> = crates.into_values().collect();
    Contexts::compute(&crates)
}

/// Per crate: functions by verdict, the worst offenders first; crates worst first.
fn summaries(functions: &[FunctionReport]) -> Vec<CrateSummary> {
    let mut crates: BTreeMap<&str, Vec<&FunctionReport>> = BTreeMap::new();
    for f in functions {
        crates.entry(f.krate.as_str()).or_default().push(f);
    }
    let mut out: Vec<CrateSummary> = crates
        .into_iter()
        .map(|(krate, fs)| {
            let mut verdicts = BTreeMap::new();
            for f in &fs {
                *verdicts.entry(f.verdict.name()).or_insert(0) += 1;
            }
            CrateSummary {
                krate: krate.to_string(),
                verdicts,
                worst: fs
                    .iter()
                    .map(|f| f.verdict)
                    .min()
                    .unwrap_or(Verdict::AsyncIo),
                worst_offenders: fs
                    .iter()
                    .filter(|f| f.verdict != Verdict::AsyncIo)
                    .take(5)
                    .map(|f| f.function.clone())
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| (a.worst, b.worst_offenders.len()).cmp(&(b.worst, a.worst_offenders.len())));
    out
}

/// The last two segments of a path: `Store::save`, `api::login`.
pub fn short_path(path: &str) -> String {
    crate::rules::through_calls::short(path)
}
