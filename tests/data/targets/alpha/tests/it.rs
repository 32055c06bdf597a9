pub async fn blocking() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}
