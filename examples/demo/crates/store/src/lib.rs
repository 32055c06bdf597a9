//! In-memory key/value store shared by the `kvd` server: the map itself,
//! on-disk snapshots, and request counters.

pub mod kv;
pub mod snapshot;
pub mod stats;

pub use kv::Store;
