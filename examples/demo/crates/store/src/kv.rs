use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Mutex;

/// The shared map. A `std::sync::Mutex` is the right lock here as long as no
/// guard is ever held across an `.await`.
#[derive(Default)]
pub struct Store {
    map: Mutex<HashMap<String, String>>,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        // OK: guard lives for one statement, no await in between
        self.map.lock().unwrap().get(key).cloned()
    }

    pub async fn set(&self, key: String, value: String) {
        self.map.lock().unwrap().insert(key, value);
    }

    /// Replays a snapshot file into the map at startup.
    pub async fn restore_from(&self, path: &Path) -> io::Result<usize> {
        let mut map = self.map.lock().unwrap(); // MISTAKE(guard_across_await): std guard held while the file is read
        let text = tokio::fs::read_to_string(path).await?;
        let entries = parse_snapshot(&text);
        let n = entries.len();
        map.extend(entries);
        Ok(n)
    }

    /// Same as `restore_from`, but only locks once the data is in memory.
    pub async fn restore_from_ok(&self, path: &Path) -> io::Result<usize> {
        let text = tokio::fs::read_to_string(path).await?; // OK: tokio::fs
        let entries = parse_snapshot(&text);
        let n = entries.len();
        self.map.lock().unwrap().extend(entries); // OK: lock taken after the await
        Ok(n)
    }

    pub fn dump(&self) -> String {
        let map = self.map.lock().unwrap();
        map.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    }
}

/// `key=value` per line; blank lines and `#` comments are skipped.
pub fn parse_snapshot(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}
