use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

static REQUESTS: AtomicUsize = AtomicUsize::new(0);
static ERRORS: AtomicU64 = AtomicU64::new(0);
static mut SLOW_REQUESTS: u64 = 0; // MISTAKE(static_mut): unsynchronized global counter

/// Counts a request. Two tasks can both load N and both store N + 1.
pub fn record_request_racy() {
    let seen = REQUESTS.load(Ordering::Relaxed);
    REQUESTS.store(seen + 1, Ordering::Relaxed); // MISTAKE(atomic_check_then_act): load then store, lost updates
}

pub fn record_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed); // OK: one atomic RMW
}

pub fn record_error() {
    ERRORS.fetch_add(1, Ordering::Relaxed); // OK: atomic instead of static mut
}

pub fn record_slow() {
    unsafe { SLOW_REQUESTS += 1 } // (access of the static_mut above)
}

pub fn summary() -> String {
    let slow = unsafe { SLOW_REQUESTS }; // (access of the static_mut above)
    format!(
        "requests={} errors={} slow={}",
        REQUESTS.load(Ordering::Relaxed),
        ERRORS.load(Ordering::Relaxed),
        slow
    )
}
