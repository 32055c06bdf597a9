//! CPU-heavy work an expression does itself: a call of a CPU-heavy API of
//! `rules/compute.toml` (not `.await`ed), a rayon parallel iterator driven to completion,
//! or a loop with no `.await` whose work grows with the input. A fact about the code,
//! asked by the rules that report it on the executor and by the CPU-heavy summaries.

use super::frames::chain_has_rayon_source;
use super::loops::{cpu_loop_reason, loop_parts, scan_loop};
use super::walker::Walker;
use crate::catalog::structure::ComputeApi;
use crate::source::Location;
use syn::Expr;

/// What kind of CPU-heavy work.
pub enum CpuWork<'c> {
    Api(&'c ComputeApi),
    /// A rayon parallel iterator driven to completion by this method.
    RayonDrive(String),
    /// A CPU loop, with the reason (`nested loops whose work grows with the input`).
    Loop(String),
}

pub struct CpuSite<'c> {
    /// The callee path, the method name, or the loop keyword.
    pub location: Location,
    pub work: CpuWork<'c>,
}

impl CpuSite<'_> {
    /// Short description: "bcrypt password hashing", "a rayon parallel iterator driven to
    /// completion by `collect`", or the loop's reason.
    pub fn what(&self) -> String {
        match &self.work {
            CpuWork::Api(api) => api.what.clone(),
            CpuWork::RayonDrive(method) => {
                format!("a rayon parallel iterator driven to completion by `{method}`")
            }
            CpuWork::Loop(reason) => reason.clone(),
        }
    }
}

/// The CPU-heavy work `expr` does (in source order: a method call may be both a rayon
/// drive and a catalog API). Loops are judged by [`cpu_loop`].
pub fn cpu_work<'c>(walker: &Walker<'c>, expr: &Expr) -> Vec<CpuSite<'c>> {
    let catalog: &'c crate::catalog::structure::StructureCatalog = &walker.cx.catalog.structure;
    let awaited = walker.frames().is_awaited(expr);
    let mut found = Vec::new();
    match expr {
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return found;
            };
            let Some(name) = walker.called_name(call, func) else {
                return found;
            };
            if awaited || !catalog.function_names.contains(&*name) {
                return found;
            }
            if let Some(api) = walker
                .resolve_callee(func)
                .and_then(|callee| catalog.compute_function(&callee))
            {
                found.push(CpuSite {
                    location: Location::of_expr(&call.func),
                    work: CpuWork::Api(api),
                });
            }
        }
        Expr::MethodCall(call) => {
            let name = walker.method_name(call);
            let name: &str = &name;
            let location = || Location::from_span(call.method.span());
            if walker.frames().rayon_file() {
                let after_source = chain_has_rayon_source(&call.receiver, catalog);
                if (after_source && catalog.rayon_consumers.contains(name))
                    || catalog.rayon_blocking_methods.contains(name)
                {
                    found.push(CpuSite {
                        location: location(),
                        work: CpuWork::RayonDrive(name.to_string()),
                    });
                }
            }
            if !awaited && catalog.has_compute_method_name(name) {
                let env = walker.type_env();
                let receiver = env.type_of(&call.receiver);
                let resolver = env.resolver;
                if let Some(api) =
                    catalog.compute_method(receiver.as_deref(), name, &|t| resolver.is_imported(t))
                {
                    found.push(CpuSite {
                        location: location(),
                        work: CpuWork::Api(api),
                    });
                }
            }
        }
        _ => {}
    }
    found
}

/// A loop with no `.await` whose work grows with the input.
pub fn cpu_loop(expr: &Expr) -> Option<CpuSite<'static>> {
    let parts = loop_parts(expr)?;
    if !parts.source.grows() {
        return None;
    }
    let reason = cpu_loop_reason(&parts, &scan_loop(&parts))?;
    Some(CpuSite {
        location: Location::from_span(parts.keyword),
        work: CpuWork::Loop(reason),
    })
}
