mod config;
mod store;

pub use config::load_config;
pub use store::{find_user, Store, User};
