//! A quick lexing of Rust source, roughly as `proc_macro2` lexes it but with no
//! allocation per token: what the parse checks before `proc_macro2` and `syn` see a file
//! (its nesting, its doc comments).

/// A token as the nesting measure sees it.
pub(super) enum Token<'t> {
    Punct {
        ch: char,
        joint: bool,
    },
    Word(&'t str),
    Literal,
    /// A group opens (its closing is a `Close`).
    Open {
        brace: bool,
    },
    Close,
    /// A doc comment, which `proc_macro2` turns into `#[doc = ".."]` (inner: `#![..]`).
    Doc {
        inner: bool,
    },
}

/// Characters that make up operators (`proc_macro2` joins them into joint puncts).
pub(super) fn is_operator(byte: u8) -> bool {
    const OPERATORS: [bool; 256] = {
        let mut table = [false; 256];
        let operators = b"~!@#$%^&*-=+|;:,<.>/?'";
        let mut i = 0;
        while i < operators.len() {
            table[operators[i] as usize] = true;
            i += 1;
        }
        table
    };
    OPERATORS[byte as usize]
}

pub(super) fn is_word_byte(byte: u8) -> bool {
    const WORD: [bool; 256] = {
        let mut table = [false; 256];
        let mut byte = 0;
        while byte < 256 {
            let b = byte as u8;
            table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
            byte += 1;
        }
        table
    };
    WORD[byte as usize]
}

/// Lex Rust source roughly the way `proc_macro2` does, handing each token and the byte it
/// starts at to `sink` until it returns false. True when the whole text was lexed cleanly.
pub(super) fn lex(text: &str, mut sink: impl FnMut(Token, usize) -> bool) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (token, next) = match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = memchr(b'\n', bytes, i).unwrap_or(bytes.len());
                if let Some(inner) = doc_comment(&bytes[i..end]) {
                    if !sink(Token::Doc { inner }, i) {
                        return false;
                    }
                }
                i = end;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let Some(end) = block_comment_end(bytes, i) else {
                    return false;
                };
                if let Some(inner) = doc_comment(&bytes[i..end]) {
                    if !sink(Token::Doc { inner }, i) {
                        return false;
                    }
                }
                i = end;
                continue;
            }
            b'(' | b'[' | b'{' => (Token::Open { brace: b == b'{' }, i + 1),
            b')' | b']' | b'}' => (Token::Close, i + 1),
            b'"' => match string_end(bytes, i + 1) {
                Some(end) => (Token::Literal, end),
                None => return false,
            },
            b'\'' => match char_or_lifetime(bytes, i) {
                Some((token, end)) => (token, end),
                None => return false,
            },
            b'0'..=b'9' => {
                let mut end = i + 1;
                while end < bytes.len()
                    && (is_word_byte(bytes[end])
                        || (bytes[end] == b'.'
                            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)))
                {
                    end += 1;
                }
                (Token::Literal, end)
            }
            _ if is_word_byte(b) => match matches!(b, b'b' | b'c' | b'r')
                .then(|| prefixed_literal(bytes, i))
                .flatten()
            {
                Some(Ok(end)) => (Token::Literal, end),
                Some(Err(())) => return false,
                None => {
                    let mut end = i + 1;
                    if b == b'r' && bytes.get(i + 1) == Some(&b'#') {
                        end += 1; // a raw identifier
                    }
                    while end < bytes.len() && is_word_byte(bytes[end]) {
                        end += 1;
                    }
                    (Token::Word(&text[i..end]), end)
                }
            },
            _ if is_operator(b) => {
                let joint = bytes.get(i + 1).is_some_and(|&n| is_operator(n));
                (
                    Token::Punct {
                        ch: b as char,
                        joint,
                    },
                    i + 1,
                )
            }
            // anything else (a stray character) makes `proc_macro2` fail or lex it in a
            // way not modelled here
            _ => return false,
        };
        if !sink(token, i) {
            return false;
        }
        i = next;
    }
    true
}

/// Whether `comment` is a doc comment, and whether an inner one (`//!`, `/*!`).
pub(super) fn doc_comment(comment: &[u8]) -> Option<bool> {
    match comment {
        [b'/', b'/', b'/', b'/', ..] | [b'/', b'*', b'*', b'*', ..] | [b'/', b'*', b'*', b'/'] => {
            None
        }
        [b'/', b'/', b'/', ..] | [b'/', b'*', b'*', ..] => Some(false),
        [b'/', b'/', b'!', ..] | [b'/', b'*', b'!', ..] => Some(true),
        _ => None,
    }
}

/// The tokens `proc_macro2` makes of a doc comment: `#[doc = ".."]` (inner: `#![..]`).
pub(super) fn doc_attribute(inner: bool) -> impl Iterator<Item = Token<'static>> {
    let hash = Token::Punct {
        ch: '#',
        joint: inner,
    };
    let bang = inner.then_some(Token::Punct {
        ch: '!',
        joint: false,
    });
    let rest = [
        Token::Open { brace: false },
        Token::Word("doc"),
        Token::Punct {
            ch: '=',
            joint: false,
        },
        Token::Literal,
        Token::Close,
    ];
    std::iter::once(hash).chain(bang).chain(rest)
}

pub(super) fn memchr(needle: u8, bytes: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(needle, &bytes[from..]).map(|p| from + p)
}

/// The end of a (nested) block comment opening at `start`.
pub(super) fn block_comment_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        // only a `/` or a `*` can open or close
        match memchr::memchr2(b'/', b'*', &bytes[i..bytes.len() - 1]) {
            Some(skip) => i += skip,
            None => return None,
        }
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The end (past the closing quote and any suffix) of a string whose body starts at `from`.
pub(super) fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        i += memchr::memchr2(b'\\', b'"', &bytes[i..])?;
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(suffix_end(bytes, i + 1)),
            _ => i += 1,
        }
    }
    None
}

/// The end of a raw string `r##"…"##` whose first `#` (or `"`) is at `from`.
pub(super) fn raw_string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let hashes = bytes[from..].iter().take_while(|&&b| b == b'#').count();
    let open = from + hashes;
    if bytes.get(open) != Some(&b'"') {
        return None;
    }
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == b'"' && bytes.get(i + 1..i + 1 + hashes)?.iter().all(|&b| b == b'#') {
            return Some(suffix_end(bytes, i + 1 + hashes));
        }
        i += 1;
    }
    None
}

pub(super) fn suffix_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_word_byte(bytes[i]) {
        i += 1;
    }
    i
}

/// A literal with a prefix at `start` (`b"…"`, `r#"…"#`, `br"…"`, `c"…"`, `cr"…"`,
/// `b'x'`): `Some(Ok(end))`; `Some(Err(()))` if it does not end; `None` if `start` begins
/// a word instead.
pub(super) fn prefixed_literal(bytes: &[u8], start: usize) -> Option<Result<usize, ()>> {
    let rest = &bytes[start..];
    let (prefix, raw) = match rest {
        [b'b', b'r', b'"' | b'#', ..] | [b'c', b'r', b'"' | b'#', ..] => (2, true),
        [b'r', b'"', ..] | [b'r', b'#', b'"' | b'#', ..] => (1, true),
        [b'b' | b'c', b'"', ..] => (1, false),
        [b'b', b'\'', ..] => {
            return Some(
                char_or_lifetime(bytes, start + 1)
                    .map(|(_, end)| end)
                    .ok_or(()),
            );
        }
        _ => return None,
    };
    let end = if raw {
        raw_string_end(bytes, start + prefix)
    } else {
        string_end(bytes, start + prefix + 1)
    };
    Some(end.ok_or(()))
}

/// A char literal or a lifetime (`'a`: a joint `'` then a word) starting at `start`.
pub(super) fn char_or_lifetime(bytes: &[u8], start: usize) -> Option<(Token<'static>, usize)> {
    let next = *bytes.get(start + 1)?;
    if next == b'\\' {
        // an escape: the literal ends at the next quote after the escaped character
        let end = memchr(b'\'', bytes, start + 3)?;
        return Some((Token::Literal, suffix_end(bytes, end + 1)));
    }
    let width = match next {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    if bytes.get(start + 1 + width) == Some(&b'\'') {
        return Some((Token::Literal, suffix_end(bytes, start + 2 + width)));
    }
    if is_word_byte(next) {
        // a lifetime or label: the `'` alone; the word follows as its own token
        return Some((
            Token::Punct {
                ch: '\'',
                joint: true,
            },
            start + 1,
        ));
    }
    None
}
