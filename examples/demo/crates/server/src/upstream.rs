//! Client for the upstream kvd we fall back to for keys we do not hold.

use std::io;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One round-trip: `GET key\n` out, one line back.
pub async fn fetch(addr: &str, key: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("GET {key}\n").as_bytes()).await?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await?;
    Ok(line.trim_end().to_string())
}

#[allow(dead_code)]
pub async fn fetch_with_retry_v1(addr: &str, key: &str) -> io::Result<String> {
    let mut attempt = 0;
    loop {
        match fetch(addr, key).await {
            Err(_) if attempt < 3 => {
                attempt += 1;
                thread::sleep(Duration::from_millis(50 << attempt)); // MISTAKE(blocking_in_async): std::thread::sleep stalls the worker thread
            }
            res => return res,
        }
    }
}

pub async fn fetch_with_retry(addr: &str, key: &str) -> io::Result<String> {
    let mut attempt = 0;
    loop {
        match fetch(addr, key).await {
            Err(_) if attempt < 3 => {
                attempt += 1;
                sleep(attempt).await; // OK: the local fn `sleep` below, not std::thread::sleep
            }
            res => return res,
        }
    }
}

/// Exponential backoff timer (a local fn that happens to be called `sleep`).
fn sleep(attempt: u32) -> tokio::time::Sleep {
    tokio::time::sleep(Duration::from_millis(50 << attempt)) // OK: tokio::time::sleep, awaited by the caller
}

pub async fn fetch_many_sequential(addr: &str, keys: &[&str]) -> io::Result<Vec<String>> {
    let mut values = Vec::with_capacity(keys.len());
    for key in keys { // MISTAKE(sequential_await_in_loop): one upstream round-trip per key, one after another
        values.push(fetch_with_retry(addr, key).await?);
    }
    Ok(values)
}

pub async fn fetch_many(addr: &str, keys: &[&str]) -> io::Result<Vec<String>> {
    let addr: Arc<str> = addr.into();
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    stream::iter(keys)
        .map(move |key| {
            let addr = addr.clone();
            async move { fetch_with_retry(&addr, &key).await } // OK: concurrent, at most 8 in flight, order kept
        })
        .buffered(8)
        .try_collect()
        .await
}
