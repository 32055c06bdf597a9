use std::io;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::{conn, AppState};

/// First version of the accept loop, kept for comparison with `serve`.
#[allow(dead_code)]
pub async fn serve_unbounded(listener: TcpListener, state: Arc<AppState>) -> io::Result<()> {
    loop {
        let (socket, peer) = listener.accept().await?;
        let state = state.clone();
        tokio::spawn(async move { // MISTAKE(unbounded_spawn): one task per connection, no limit (its handle is dropped too, but the task handles its own error: detached_spawn only with `report = "all"`)
            if let Err(e) = conn::handle(socket, state).await {
                eprintln!("kvd: {peer}: {e}");
            }
        });
    }
}

/// Accept loop with at most `max_connections` live connections.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> io::Result<()> {
    let limit = Arc::new(Semaphore::new(state.cfg.max_connections));
    let mut tasks = JoinSet::new();
    loop {
        let permit = limit.clone().acquire_owned().await.map_err(io::Error::other)?;
        let (socket, peer) = listener.accept().await?;
        let state = state.clone();
        tasks.spawn(async move { // OK: bounded by the semaphore, owned by the JoinSet
            let _permit = permit;
            (peer, conn::handle(socket, state).await)
        });
        while let Some(done) = tasks.try_join_next() {
            match done {
                Ok((peer, Err(e))) => eprintln!("kvd: {peer}: {e}"),
                Ok(_) => {}
                Err(e) => eprintln!("kvd: connection task failed: {e}"),
            }
        }
    }
}
