use std::io;

use store::{snapshot, stats};

use crate::{upstream, AppState};

pub async fn dispatch(state: &AppState, line: &str) -> String {
    let mut words = line.split_whitespace();
    let cmd = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let result = match (cmd, args.as_slice()) {
        ("GET", [key]) => get(state, key).await,
        ("GET_V1", [key]) => get_v1(state, key).await,
        ("SET", [key, value]) => set(state, key, value).await,
        ("FILE", [name]) => serve_file(state, name).await,
        ("FILE_V1", [name]) => serve_file_v1(state, name).await,
        ("MOTD", []) => motd().await,
        ("HOOK", [name]) => run_hook(name).await,
        ("HOOK_V1", [name]) => run_hook_v1(name).await,
        ("SNAPSHOT", []) => snapshot::load_snapshot_offloaded(state.cfg.snapshot.clone()).await,
        ("SNAPSHOT_V1", []) => snapshot::load_snapshot(state.cfg.snapshot.clone()).await,
        ("MGET", keys) => upstream::fetch_many(&state.cfg.upstream, keys).await.map(|v| v.join(" ")),
        ("MGET_V1", keys) => {
            upstream::fetch_many_sequential(&state.cfg.upstream, keys).await.map(|v| v.join(" "))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "unknown command")),
    };
    result.unwrap_or_else(|e| {
        stats::record_error();
        format!("ERR {e}")
    })
}

async fn get(state: &AppState, key: &str) -> io::Result<String> {
    let value = state.store.get(key).await; // OK: .await
    value.ok_or_else(|| not_found(key))
}

async fn get_v1(state: &AppState, key: &str) -> io::Result<String> {
    stats::record_request_racy();
    let value = futures::executor::block_on(state.store.get(key)); // MISTAKE(block_on_in_async): nested executor inside a connection task
    value.ok_or_else(|| not_found(key))
}

async fn set(state: &AppState, key: &str, value: &str) -> io::Result<String> {
    state.store.set(key.to_string(), value.to_string()).await;
    state.audit.send(format!("SET {key}")).await.map_err(io::Error::other)?;
    Ok("OK".to_string())
}

async fn serve_file(state: &AppState, name: &str) -> io::Result<String> {
    let path = state.cfg.public_dir.join(name);
    tokio::fs::read_to_string(&path).await // OK: tokio::fs
}

async fn serve_file_v1(state: &AppState, name: &str) -> io::Result<String> {
    let path = state.cfg.public_dir.join(name);
    std::fs::read_to_string(&path) // MISTAKE(blocking_in_async): std::fs in a handler
}

async fn motd() -> io::Result<String> {
    read_motd() // MISTAKE(blocking_in_async): through a call, read_motd() -> std::fs::read_to_string
}

fn read_motd() -> io::Result<String> {
    std::fs::read_to_string("/etc/motd") // (end of the motd() chain; reported at the call site in motd)
}

async fn run_hook(name: &str) -> io::Result<String> {
    let out = tokio::process::Command::new("./hooks/run").arg(name).output().await?; // OK: tokio::process
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn run_hook_v1(name: &str) -> io::Result<String> {
    let out = std::process::Command::new("./hooks/run").arg(name).output()?; // MISTAKE(blocking_in_async): std::process waits on the executor
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn not_found(key: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no such key: {key}"))
}
