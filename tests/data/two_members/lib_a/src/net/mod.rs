mod tcp;

pub async fn connect() {
    let _ = tcp::dial();
}
