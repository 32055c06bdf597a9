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
    /// Per open function: its fact so far.
    open: Vec<Recorded>,
    facts: Vec<CpuHeavyFn>,
}

/// A function's fact so far.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Recorded {
    Nothing,
    /// A place that runs only when a parameter is `Some` (its index in `facts`): an
    /// unconditional one found later replaces it.
    Conditional(usize),
    Unconditional,
}

impl CpuHeavyRecorder {
    /// Whether the current function still wants a fact from code at this point.
    fn wants_fact(&self, walker: &Walker) -> bool {
        let frames = walker.frames();
        self.open
            .last()
            .is_some_and(|recorded| *recorded != Recorded::Unconditional)
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
            Event::FnEnter(_) => self.open.push(Recorded::Nothing),
            Event::FnExit(_) => {
                self.open.pop();
            }
            Event::ExprEnter(expr) if self.wants_fact(walker) => {
                let site = match expr {
                    Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => cpu_loop(expr),
                    _ => cpu_work(walker, expr).into_iter().next(),
                };
                let (Some(site), Some(function)) = (site, walker.frames().function()) else {
                    return;
                };
                // The open function's `Some`-only branches (`Frames` keeps them).
                let if_some = function
                    .optional_params
                    .call(site.location.byte_start, [].iter())
                    .if_some;
                let Some(recorded) = self.open.last_mut() else {
                    return;
                };
                let fact = CpuHeavyFn {
                    function: function.path.clone(),
                    is_async: function.is_async,
                    what: site.what(),
                    from_loop: matches!(site.work, crate::semantic::compute::CpuWork::Loop(_)),
                    location: site.location,
                    if_some,
                };
                match (*recorded, if_some) {
                    (Recorded::Nothing, _) => {
                        *recorded = match if_some {
                            Some(_) => Recorded::Conditional(self.facts.len()),
                            None => Recorded::Unconditional,
                        };
                        self.facts.push(fact);
                    }
                    (Recorded::Conditional(index), None) => {
                        self.facts[index] = fact;
                        *recorded = Recorded::Unconditional;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>, out: &mut FileAnalysis) {
        out.facts.cpu_heavy.extend(self.facts);
    }
}
