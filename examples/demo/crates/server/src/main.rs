//! `kvd`: a line-protocol key/value server (`GET k`, `SET k v`, `FILE name`, …).

mod audit;
mod config;
mod conn;
mod handlers;
mod listener;
mod upstream;

use std::io;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use store::Store;
use tokio::net::TcpListener;

pub struct AppState {
    pub cfg: config::Config,
    pub store: Store,
    /// Legacy access log, fed through a std channel.
    pub access_log: mpsc::Sender<String>,
    /// Audit trail, fed through a bounded tokio channel.
    pub audit: tokio::sync::mpsc::Sender<String>,
}

fn main() -> io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "kvd.conf".to_string());
    let cfg = config::load(&path); // OK: blocking config read before the runtime starts
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(cfg)) // OK: block_on from the synchronous main
}

async fn run(cfg: config::Config) -> io::Result<()> {
    let store = Store::new();
    let restored = store.restore_from(&cfg.snapshot).await?; // (see store/src/kv.rs for the guard held across this)
    eprintln!("kvd: restored {restored} keys");

    let (log_tx, log_rx) = mpsc::channel();
    let (audit_tx, audit_rx) = tokio::sync::mpsc::channel(1024);
    let access_log = tokio::spawn(audit::drain_access_log(log_rx, cfg.log_dir.join("access.log")));
    let audit_task = tokio::spawn(audit::drain_audit(audit_rx, cfg.log_dir.join("audit.log"))); // OK: handle kept and awaited below
    tokio::spawn(report_stats(Duration::from_secs(60))); // MISTAKE(detached_spawn): JoinHandle dropped: a write error ends the task and nobody hears of it

    let listener = TcpListener::bind(cfg.listen).await?;
    let state = Arc::new(AppState { cfg, store, access_log: log_tx, audit: audit_tx });
    tokio::select! {
        res = listener::serve(listener, state.clone()) => res?,
        _ = tokio::signal::ctrl_c() => eprintln!("kvd: shutting down"),
    }

    store::snapshot::save_snapshot(state.cfg.snapshot.clone(), state.store.dump()).await?;
    access_log.abort();
    audit_task.abort();
    match audit_task.await {
        Ok(res) => res,
        Err(e) if e.is_cancelled() => Ok(()),
        Err(e) => Err(io::Error::other(e)),
    }
}

async fn report_stats(every: Duration) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut tick = tokio::time::interval(every);
    let mut out = tokio::io::stderr();
    loop {
        tick.tick().await;
        out.write_all(format!("kvd: {}\n", store::stats::summary()).as_bytes()).await?;
    }
}
