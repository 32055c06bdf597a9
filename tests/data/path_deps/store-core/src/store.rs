pub struct Store;

impl Store {
    pub fn flush(&self) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }

    pub fn ping(&self) {}
}

pub struct User;

impl User {
    pub fn save(&self) {
        std::fs::write("user", b"").unwrap();
    }
}

pub fn find_user(_id: u32) -> User {
    User
}
