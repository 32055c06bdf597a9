//! A library whose modules live in several files.
pub mod net;
pub mod util;
#[path = "extra/special.rs"]
pub mod special;

pub async fn load() -> String {
    std::fs::read_to_string("config.txt").unwrap()
}

#[cfg(test)]
mod tests {
    #[allow(dead_code)]
    async fn slow_test_helper() {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
