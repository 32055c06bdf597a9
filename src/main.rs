fn main() {
    std::process::exit(concurrency_lint::run(std::env::args_os().collect()));
}
