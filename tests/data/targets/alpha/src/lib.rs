pub async fn blocking() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}

#[cfg(test)]
mod tests {
    pub async fn in_test_code() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}
