//! Lock guards: which lock expression an acquisition names ([`lock_expr`]), which guards
//! are alive at each point of a body ([`liveness`], kept current by [`tracker`]), and where
//! values come from ([`reads`]).

pub mod liveness;
pub mod lock_expr;
pub mod reads;
pub mod tracker;
