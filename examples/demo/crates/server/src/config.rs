use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;

pub struct Config {
    pub listen: SocketAddr,
    pub upstream: String,
    pub snapshot: PathBuf,
    pub public_dir: PathBuf,
    pub log_dir: PathBuf,
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: ([127, 0, 0, 1], 7878).into(),
            upstream: "127.0.0.1:7879".to_string(),
            snapshot: PathBuf::from("kvd.snapshot"),
            public_dir: PathBuf::from("public"),
            log_dir: PathBuf::from("."),
            max_connections: 512,
        }
    }
}

/// `key = value` lines. Only called from `main`, before the runtime exists.
pub fn load(path: &str) -> Config {
    let text = fs::read_to_string(path).unwrap_or_default(); // OK: plain sync fn, runs before the runtime starts
    let mut cfg = Config::default();
    for (key, value) in text.lines().filter_map(|l| l.split_once('=')) {
        let value = value.trim();
        match key.trim() {
            "listen" => cfg.listen = value.parse().expect("listen: not a socket address"),
            "upstream" => cfg.upstream = value.to_string(),
            "snapshot" => cfg.snapshot = value.into(),
            "public_dir" => cfg.public_dir = value.into(),
            "log_dir" => cfg.log_dir = value.into(),
            "max_connections" => cfg.max_connections = value.parse().unwrap_or(512),
            other => eprintln!("kvd: unknown config key {other:?}"),
        }
    }
    cfg
}
