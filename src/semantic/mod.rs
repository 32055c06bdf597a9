//! The semantic model every rule asks, knowing nothing of rules: name resolution
//! ([`resolve`]), bindings and their types ([`bindings`]), the execution context of each
//! node (async, insulated, test; [`walker`]), guard liveness and lock keys ([`guards`]),
//! loop and spawn facts ([`loops`], [`spawns`]), and the events the one walk hands to the
//! rules ([`events`]).

pub mod attrs;
pub mod bindings;
pub mod compute;
pub mod events;
pub mod frames;
pub mod guards;
pub mod loops;
pub mod mentions;
pub mod resolve;
pub mod signatures;
pub mod spawns;
pub mod types;
pub mod walker;
