pub async fn special() -> Vec<u8> {
    std::fs::read("special.bin").unwrap()
}
