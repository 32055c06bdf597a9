pub fn load_config() -> String {
    std::fs::read_to_string("config.toml").unwrap_or_default()
}
