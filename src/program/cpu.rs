//! Per-function CPU-heavy facts ([`CpuHeavyFn`]) for the crate phase: the first place
//! where a function's own body does CPU-heavy work on the function's thread (not in
//! closures handed to insulating wrappers or to rayon, not in nested `fn` items, and for a
//! sync fn not in `async` blocks it merely creates).

use super::{CpuHeavyFn, FileAnalysis};
use crate::semantic::compute::{cpu_loop, cpu_work};
use crate::semantic::events::{expr_kind, interest, Checker, Event};
use crate::semantic::walker::Walker;
use syn::Expr;

#[derive(Default)]
pub struct CpuHeavyRecorder {
    /// Per open function: whether its fact is recorded already.
    recorded: Vec<bool>,
    facts: Vec<CpuHeavyFn>,
}

impl CpuHeavyRecorder {
    /// Whether the current function still wants a fact from code at this point.
    fn wants_fact(&self, walker: &Walker) -> bool {
        let frames = walker.frames();
        self.recorded.last() == Some(&false)
            && frames
                .function()
                .is_some_and(|f| walker.in_async() == f.is_async)
            && !walker.in_insulated_closure()
            && !frames.in_rayon()
    }
}

impl Checker for CpuHeavyRecorder {
    fn interests(&self) -> u16 {
        interest::FUNCTIONS | interest::EXPRESSIONS
    }

    fn expression_kinds(&self) -> u32 {
        expr_kind::LOOPS | expr_kind::CALLS
    }

    fn on(&mut self, walker: &Walker, event: &Event) {
        match event {
            Event::FnEnter(_) => self.recorded.push(false),
            Event::FnExit(_) => {
                self.recorded.pop();
            }
            Event::ExprEnter(expr) if self.wants_fact(walker) => {
                let site = match expr {
                    Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => cpu_loop(expr),
                    _ => cpu_work(walker, expr).into_iter().next(),
                };
                let (Some(site), Some(function)) = (site, walker.frames().function()) else {
                    return;
                };
                self.facts.push(CpuHeavyFn {
                    function: function.path.clone(),
                    is_async: function.is_async,
                    what: site.what(),
                    from_loop: matches!(site.work, crate::semantic::compute::CpuWork::Loop(_)),
                    location: site.location,
                });
                if let Some(recorded) = self.recorded.last_mut() {
                    *recorded = true;
                }
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.facts.cpu_heavy.extend(self.facts);
    }
}
