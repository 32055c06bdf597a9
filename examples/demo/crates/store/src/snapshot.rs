use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// Reads a snapshot file from an async request path.
pub async fn load_snapshot(path: PathBuf) -> io::Result<String> {
    let mut f = File::open(&path)?; // MISTAKE(blocking_in_async): std::fs::File::open on the executor
    let mut text = String::new();
    f.read_to_string(&mut text)?; // MISTAKE(blocking_in_async): std::fs::File Read method on the executor
    Ok(text)
}

/// Same, but the blocking file I/O runs on tokio's blocking pool.
pub async fn load_snapshot_offloaded(path: PathBuf) -> io::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut f = File::open(&path)?; // OK: inside spawn_blocking
        let mut text = String::new();
        f.read_to_string(&mut text)?; // OK: inside spawn_blocking
        Ok(text)
    })
    .await
    .map_err(io::Error::other)?
}

/// Writes the dump produced by `Store::dump`, off the executor.
pub async fn save_snapshot(path: PathBuf, contents: String) -> io::Result<()> {
    tokio::task::spawn_blocking(move || {
        let mut f = File::create(&path)?; // OK: inside spawn_blocking
        f.write_all(contents.as_bytes())?; // OK: inside spawn_blocking
        f.sync_all()
    })
    .await
    .map_err(io::Error::other)?
}
