use store_core::load_config;
use store_core::Store;

async fn handler(store: &Store) {
    let _ = load_config();
    store.flush();
    let user = store_core::find_user(1);
    user.save();
    store.ping();
}

fn serve<F>(_handler: F) {}

fn main() {
    serve(handler);
}
