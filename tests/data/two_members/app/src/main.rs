use std::time::Duration;

async fn tick() {
    std::thread::sleep(Duration::from_millis(10));
}

fn main() {
    let _task = tokio::spawn(tick());
}
