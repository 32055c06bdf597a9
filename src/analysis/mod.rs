pub mod guards;
pub mod structure;
