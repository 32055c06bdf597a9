use std::io;
use std::path::PathBuf;
use std::sync::mpsc;

use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;

async fn open_append(path: &PathBuf) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path).await // OK: tokio::fs
}

/// Legacy access log: lines arrive over a std channel.
pub async fn drain_access_log(rx: mpsc::Receiver<String>, path: PathBuf) -> io::Result<()> {
    let mut file = open_append(&path).await?;
    loop {
        let line = match rx.recv() { // MISTAKE(blocking_in_async): std::sync::mpsc recv parks an executor thread
            Ok(line) => line,
            Err(_) => return Ok(()),
        };
        file.write_all(line.as_bytes()).await?;
    }
}

/// Audit trail: same job over a bounded tokio channel.
pub async fn drain_audit(mut rx: tokio::sync::mpsc::Receiver<String>, path: PathBuf) -> io::Result<()> {
    let mut file = open_append(&path).await?;
    while let Some(line) = rx.recv().await { // OK: tokio mpsc, awaited
        file.write_all(line.as_bytes()).await?;
        file.write_all(b"\n").await?;
    }
    file.flush().await
}
