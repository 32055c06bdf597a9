//! Paths as text (`tokio::sync::Mutex`, `crate::db::User::find`): their segments, found
//! with a byte search for `:` instead of `str`'s substring searcher, which sets up a
//! two-way search for every call. The walk asks these questions of every call and type.
//! Each function answers exactly as its `str` counterpart named below.

/// The last segment: `path.rsplit("::").next()`.
pub fn last_segment(path: &str) -> &str {
    split_last(path).map_or(path, |(_, last)| last)
}

/// The first segment: `path.split("::").next()`.
pub fn first_segment(path: &str) -> &str {
    let bytes = path.as_bytes();
    let mut from = 0;
    while let Some(at) = memchr::memchr(b':', &bytes[from..]).map(|i| from + i) {
        if bytes.get(at + 1) == Some(&b':') {
            return &path[..at];
        }
        from = at + 1;
    }
    path
}

/// The segments, first to last: `path.split("::")`.
pub fn segments(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let current = rest?;
        let first = first_segment(current);
        rest = current
            .get(first.len() + 2..)
            .filter(|_| first.len() < current.len());
        Some(first)
    })
}

/// The path before its last segment, and that segment: `path.rsplit_once("::")`.
pub fn split_last(path: &str) -> Option<(&str, &str)> {
    let bytes = path.as_bytes();
    let mut end = bytes.len();
    while let Some(at) = memchr::memrchr(b':', &bytes[..end]) {
        if at > 0 && bytes[at - 1] == b':' {
            return Some((&path[..at - 1], &path[at + 1..]));
        }
        end = at;
    }
    None
}

/// `owner::name`, without `format!`'s machinery (the crate phase joins paths by the
/// hundred thousand).
pub fn join(owner: &str, name: &str) -> String {
    concat(&[owner, "::", name])
}

/// The parts, one after another, in a string allocated once.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Whether the path has more than one segment: `path.contains("::")`.
pub fn is_qualified(path: &str) -> bool {
    first_segment(path).len() != path.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answers_as_its_str_counterpart() {
        let paths = [
            "",
            ":",
            "::",
            ":::",
            "a",
            "a::b",
            "a::b::c",
            "a:::b",
            "a:b::c",
            "a::b:c",
            "::a",
            "a::",
            "<T as a::B>::c",
            "Vec<a::B>",
            "é::ü",
        ];
        for path in paths {
            assert_eq!(
                last_segment(path),
                path.rsplit("::").next().unwrap_or(path),
                "{path}"
            );
            assert_eq!(
                first_segment(path),
                path.split("::").next().unwrap_or(path),
                "{path}"
            );
            assert_eq!(split_last(path), path.rsplit_once("::"), "{path}");
            assert_eq!(is_qualified(path), path.contains("::"), "{path}");
            assert_eq!(
                segments(path).collect::<Vec<_>>(),
                path.split("::").collect::<Vec<_>>(),
                "{path}"
            );
        }
    }
}
