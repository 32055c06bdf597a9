//! Lock guards: which lock expression an acquisition names ([`lock_expr`]) and which
//! guards are alive at each point of a body ([`liveness`]).

pub mod liveness;
pub mod lock_expr;
