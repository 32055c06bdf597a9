//! Parsing one file, safely: `syn` parses by recursive descent and its syntax trees are
//! walked and dropped recursively, so a deeply nested file could overflow any thread's
//! stack and abort the whole run. Before `syn` sees a file, one iterative pass over its
//! tokens bounds how deep the syntax tree can be (`nesting`); a file past the bound is a
//! `file_error` ("nesting too deep to analyse at line N"), never a crash. Workers run on
//! stacks sized for the bound (`STACK_SIZE`).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The stack of every thread that parses or walks a syntax tree: address space only, the
/// pages a deep file touches are the only ones ever committed. Sized for `MAX_NESTING`
/// in the costliest construct of a debug build (nested `&` types, ~32 KiB a level;
/// ~3 KiB in release: bench/nesting.sh).
pub const STACK_SIZE: usize = if cfg!(target_pointer_width = "64") {
    4 << 30
} else {
    256 << 20
};

/// `STACK_SIZE` and `MAX_NESTING`, unless overridden by the environment for measuring
/// what each construct costs (bench/nesting.sh): `CONCURRENCY_LINT_STACK_MB`,
/// `CONCURRENCY_LINT_MAX_NESTING`.
pub fn stack_size() -> usize {
    env_number("CONCURRENCY_LINT_STACK_MB").map_or(STACK_SIZE, |mb| mb << 20)
}

/// The stack the workers actually got (the system may refuse `stack_size()`).
static STACK_IN_USE: AtomicUsize = AtomicUsize::new(STACK_SIZE);

/// Record the stack size the worker threads run on: the nesting bound scales with it.
pub fn set_stack_in_use(bytes: usize) {
    STACK_IN_USE.store(bytes, Ordering::Relaxed);
}

fn max_nesting() -> usize {
    static MAX: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    let from_env = *MAX.get_or_init(|| env_number("CONCURRENCY_LINT_MAX_NESTING"));
    from_env.unwrap_or_else(|| {
        let stack = STACK_IN_USE.load(Ordering::Relaxed).min(STACK_SIZE);
        MAX_NESTING / (STACK_SIZE >> 20) * (stack >> 20)
    })
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.parse().ok()
}

/// The most nesting a file may have, in the units of `nesting`: a block, a parenthesis,
/// a generic argument list counts `GROUP`; each operator, `.`, `?`, chaining keyword or
/// call/index trailer inside one expression counts 1. Well past what rustc compiles
/// (786 nested blocks), and within `STACK_SIZE` for every construct, debug builds
/// included (tests/cli.rs `deep_nesting_*`).
pub const MAX_NESTING: usize = 64 * 1024;
const GROUP: usize = 16;

/// Why a file could not be parsed.
pub enum ParseFailure {
    Syntax(syn::Error),
    /// The file nests deeper than `MAX_NESTING` here (1-based line).
    TooDeep {
        line: usize,
    },
}

/// `syn::parse_file`, with the nesting bound checked on the tokens first.
pub fn parse_file(text: &str) -> Result<syn::File, ParseFailure> {
    let prefix = crate::source::parsed_prefix(text);
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let content = &text[prefix..];
    let tokens =
        TokenStream::from_str(content).map_err(|e| ParseFailure::Syntax(syn::Error::from(e)))?;
    if let Err(line) = check_nesting(&tokens) {
        return Err(ParseFailure::TooDeep { line });
    }
    let mut file: syn::File = syn::parse2(tokens).map_err(ParseFailure::Syntax)?;
    if prefix > bom {
        file.shebang = Some(text[bom..prefix].to_string());
    }
    Ok(file)
}

/// Places where `parse_file_in_edition` inserted `dyn ` (4 chars): (1-based line,
/// 0-based char column in the parsed text), in order.
pub type Insertions = Vec<(usize, usize)>;

/// At most this many bare trait objects are given a `dyn` in one file.
const MAX_INSERTIONS: usize = 256;

/// `parse_file`, and for editions 2015 and 2018, where a bare trait object is still a
/// type (`Box<Fn(u8)>`, which `syn` rejects), a retry with `dyn ` inserted before each
/// one `syn` stops at. The insertions come back for `source::set_insertions`, which
/// maps positions in the parsed text back to the file's own. The first error is
/// reported if the fallback does not get the file through.
pub fn parse_file_in_edition(
    text: &str,
    edition: &str,
) -> Result<(syn::File, Insertions), ParseFailure> {
    let first = match parse_file(text) {
        Ok(file) => return Ok((file, Vec::new())),
        Err(ParseFailure::Syntax(error)) if matches!(edition, "2015" | "2018") => error,
        Err(other) => return Err(other),
    };
    let prefix = crate::source::parsed_prefix(text);
    let mut current = text.to_string();
    let mut insertions: Insertions = Vec::new();
    let mut error = first.clone();
    while insertions.len() < MAX_INSERTIONS {
        let at = error.span().start();
        let Some(byte) = bare_trait_start(&current, prefix, at.line, at.column) else {
            break;
        };
        let line_start = crate::source::line_starts(&current)[at.line - 1];
        let line_start = if at.line == 1 {
            line_start + prefix
        } else {
            line_start
        };
        let column = current[line_start..byte].chars().count();
        if insertions
            .last()
            .is_some_and(|&(l, c)| l == at.line && c >= column)
        {
            break;
        }
        current.insert_str(byte, "dyn ");
        insertions.push((at.line, column));
        match parse_file(&current) {
            Ok(file) => return Ok((file, insertions)),
            Err(ParseFailure::Syntax(next)) => error = next,
            Err(other) => return Err(other),
        }
    }
    Err(ParseFailure::Syntax(first))
}

/// The byte where a bare `Fn(..)`-family trait path starts, when the parse error at
/// (line, char column) is the `(` right after it.
fn bare_trait_start(text: &str, prefix: usize, line: usize, column: usize) -> Option<usize> {
    let starts = crate::source::line_starts(text);
    let mut start = *starts.get(line.checked_sub(1)?)?;
    if line == 1 {
        start += prefix;
    }
    let at = start + text.get(start..)?.char_indices().nth(column)?.0;
    if !text[at..].starts_with('(') {
        return None;
    }
    let before = text[..at].trim_end();
    let name_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .map_or(0, |i| i + 1);
    let path = &before[name_start..];
    let last = path.rsplit("::").next()?;
    matches!(last, "Fn" | "FnMut" | "FnOnce").then_some(name_start)
}

/// Whether `text` parses (on a thread with a stack sized for the nesting bound).
pub fn parses(text: &str) -> bool {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(stack_size())
            .spawn_scoped(scope, || {
                let ok = parse_file(text).is_ok();
                proc_macro2::extra::invalidate_current_thread_spans();
                ok
            })
            .ok()
            .and_then(|thread| thread.join().ok())
            .unwrap_or(false)
    })
}

/// Where a token stands, for telling a closure's `|` from a binary `|`.
#[derive(Clone, Copy, PartialEq)]
enum Previous {
    Start,
    Operand,
    Punct { ch: char, joint: bool, binary: bool },
    Keyword,
}

/// One token group being scanned.
struct Level {
    tokens: proc_macro2::token_stream::IntoIter,
    /// The nesting of the group itself.
    base: usize,
    /// Operators, trailers and chaining keywords since the last statement boundary.
    chain: usize,
    /// Unclosed `<` since the last statement boundary.
    angles: usize,
    /// A `{ … }` just ended: the chain goes on only if an operator or `else` follows.
    after_brace: bool,
    in_closure_params: bool,
    previous: Previous,
}

impl Level {
    fn new(stream: TokenStream, base: usize) -> Level {
        Level {
            tokens: stream.into_iter(),
            base,
            chain: 0,
            angles: 0,
            after_brace: false,
            in_closure_params: false,
            previous: Previous::Start,
        }
    }

    fn depth(&self) -> usize {
        self.base + self.chain + self.angles * GROUP
    }

    fn reset(&mut self) {
        self.chain = 0;
        self.angles = 0;
    }

    /// Account for one non-group token.
    fn token(&mut self, token: &TokenTree) {
        let continues = match token {
            TokenTree::Punct(p) => !matches!(p.as_char(), ',' | ';' | '#'),
            TokenTree::Ident(i) => matches!(i.to_string().as_str(), "else" | "as"),
            _ => false,
        };
        if std::mem::take(&mut self.after_brace) && !continues {
            self.reset();
        }
        match token {
            TokenTree::Punct(p) => self.punct(p.as_char(), p.spacing() == Spacing::Joint),
            TokenTree::Ident(ident) => {
                let word = ident.to_string();
                if CHAINING_KEYWORDS.contains(&word.as_str()) {
                    self.chain += 1;
                    self.previous = Previous::Keyword;
                } else {
                    self.previous = Previous::Operand;
                }
            }
            _ => self.previous = Previous::Operand,
        }
    }

    fn punct(&mut self, ch: char, joint: bool) {
        let after = self.previous;
        let mut binary = true;
        match ch {
            ';' => self.reset(),
            ',' if !self.in_closure_params => self.chain = 0,
            ',' | '#' => {}
            '<' => self.angles += 1,
            '>' => match after {
                // `=>` starts a match arm's body; `->` a return type.
                Previous::Punct {
                    ch: '=',
                    joint: true,
                    ..
                } => self.reset(),
                Previous::Punct {
                    ch: '-',
                    joint: true,
                    ..
                } => self.chain += 1,
                _ => self.angles = self.angles.saturating_sub(1),
            },
            '|' => {
                let part_of_or = matches!(
                    after,
                    Previous::Punct {
                        ch: '|',
                        joint: true,
                        binary: true
                    }
                );
                if self.in_closure_params {
                    self.in_closure_params = false;
                    binary = false;
                } else if !part_of_or && after != Previous::Operand {
                    self.in_closure_params = true;
                    binary = false;
                }
                self.chain += 1;
            }
            _ => self.chain += 1,
        }
        self.previous = Previous::Punct { ch, joint, binary };
    }
}

/// Keywords that nest what follows them in the syntax tree (`return return x`, `else if`
/// chains, `x as u8 as u16`, `move || move || …`, `&dyn Fn() -> &dyn Fn() …`).
const CHAINING_KEYWORDS: &[&str] = &[
    "else", "if", "match", "while", "for", "loop", "return", "break", "yield", "become", "move",
    "async", "await", "as", "dyn", "impl", "unsafe", "let", "static", "const",
];

/// Scan the tokens with an explicit stack (no recursion); the line of the first token
/// past `MAX_NESTING`, if any.
pub fn check_nesting(tokens: &TokenStream) -> Result<(), usize> {
    let max = max_nesting();
    let mut stack = vec![Level::new(tokens.clone(), 0)];
    while let Some(level) = stack.last_mut() {
        let Some(token) = level.tokens.next() else {
            stack.pop();
            continue;
        };
        let depth;
        match &token {
            TokenTree::Group(group) => {
                let brace = group.delimiter() == Delimiter::Brace;
                if std::mem::take(&mut level.after_brace) {
                    level.reset();
                }
                if !brace {
                    // a call or index trailer, or a nested tuple, array or type
                    level.chain += 1;
                }
                depth = level.depth() + GROUP;
                level.after_brace = brace;
                level.previous = Previous::Operand;
                let inner = Level::new(group.stream(), depth);
                stack.push(inner);
            }
            other => {
                level.token(other);
                depth = level.depth();
            }
        }
        if depth > max {
            return Err(token.span().start().line);
        }
    }
    Ok(())
}
