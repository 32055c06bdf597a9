// The parse allocates a node per token; mimalloc makes that markedly cheaper than the
// system allocator (measured in bench/: see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(concurrency_lint::run(std::env::args_os().collect()));
}
