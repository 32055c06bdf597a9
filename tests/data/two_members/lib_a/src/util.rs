pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

pub async fn fine() -> u32 {
    add(1, 2)
}
