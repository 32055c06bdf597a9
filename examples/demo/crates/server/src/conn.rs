use std::io;
use std::sync::Arc;
use std::time::Instant;

use store::stats;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::{handlers, AppState};

/// One client connection: one command per line, one reply line each.
pub async fn handle(socket: TcpStream, state: Arc<AppState>) -> io::Result<()> {
    let peer = socket.peer_addr()?;
    let (rd, mut wr) = socket.into_split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(line) = lines.next_line().await? {
        let started = Instant::now();
        stats::record_request();
        let reply = handlers::dispatch(&state, line.trim()).await;
        wr.write_all(reply.as_bytes()).await?;
        wr.write_all(b"\n").await?;
        if started.elapsed().as_millis() > 100 {
            stats::record_slow();
        }
        let _ = state.access_log.send(format!("{peer} {line}\n"));
    }
    Ok(())
}
