pub async fn handler() -> String {
    std::fs::read_to_string("a.txt").unwrap()
}
