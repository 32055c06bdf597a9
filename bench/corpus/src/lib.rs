//! Trivial library: the benchmark corpus is the vendored dependencies.
