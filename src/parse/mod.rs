//! Parsing one file, safely: `syn` parses by recursive descent and its syntax trees are
//! walked and dropped recursively, so a deeply nested file could overflow any thread's
//! stack and abort the whole run. Before `syn` sees a file, one iterative pass over its
//! tokens bounds how deep the syntax tree can be (`nesting`); a file past the bound is a
//! `file_error` ("nesting too deep to analyse at line N"), never a crash. Workers run on
//! stacks sized for the bound (`STACK_SIZE`). The same pass finds the doc comments, which
//! no rule reads, and the parse skips them (`DocComments`).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

mod doc_comments;
pub mod item_macros;
mod quick_lex;

use doc_comments::DocComments;
pub use doc_comments::DocLines;
use quick_lex::{doc_attribute, lex, Token};

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
#[derive(Debug)]
pub enum ParseFailure {
    Syntax(syn::Error),
    /// The file nests deeper than `MAX_NESTING` here (1-based line).
    TooDeep {
        line: usize,
    },
}

/// A parsed file, and where its skipped doc comments were (see `DocComments`).
pub struct ParsedFile {
    pub file: syn::File,
    pub doc_lines: DocLines,
}

/// `syn::parse_file`, with the nesting bound checked on the tokens first, and doc
/// comments skipped (`DocComments`).
pub fn parse_file(text: &str) -> Result<ParsedFile, ParseFailure> {
    let prefix = crate::source::parsed_prefix(text);
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let content = &text[prefix..];
    let prescan = prescan(content);
    let (without_docs, doc_lines) = prescan.without_docs.unwrap_or_default();
    let parsed = if without_docs.is_empty() {
        content
    } else {
        &without_docs
    };
    let tokens =
        TokenStream::from_str(parsed).map_err(|e| ParseFailure::Syntax(syn::Error::from(e)))?;
    if !prescan.shallow {
        if let Err(line) = check_nesting(&tokens) {
            return Err(ParseFailure::TooDeep { line });
        }
    }
    let mut file: syn::File = syn::parse2(tokens).map_err(ParseFailure::Syntax)?;
    if prefix > bom {
        file.shebang = Some(text[bom..prefix].to_string());
    }
    Ok(ParsedFile { file, doc_lines })
}

/// What one quick lexing of a file's text tells before `proc_macro2` and `syn` see it.
struct Prescan {
    /// The file surely nests well within the bound: the nesting measure over the quick
    /// lexing (no allocation per token), trusted only when that lexing is clean (every
    /// literal and comment closed, every delimiter matched) and stays under half the
    /// bound. Otherwise `check_nesting` decides on the real tokens.
    shallow: bool,
    /// The text without its doc comments, and where they were (see `DocComments`).
    without_docs: Option<(String, DocLines)>,
}

fn prescan(content: &str) -> Prescan {
    let max = max_nesting() / 2;
    // First the cheap bound: nearly every file stays within it, and the lexing decides
    // all the rest. Only a file past it is measured exactly, in a second lexing.
    let mut bound = NestingBound::new();
    let mut docs = DocComments::new(content);
    let mut exceeded = false;
    let clean = lex(content, |token, at| {
        docs.observe(&token, at);
        match bound.feed(&token) {
            Some(depth) if depth <= max => true,
            Some(_) => {
                exceeded = true;
                false
            }
            None => false,
        }
    });
    if !exceeded {
        let balanced = clean && bound.outer.is_empty();
        return Prescan {
            shallow: balanced,
            without_docs: if clean { docs.finish() } else { None },
        };
    }
    exact_prescan(content, max)
}

/// `prescan` with the exact nesting measure.
fn exact_prescan(content: &str, max: usize) -> Prescan {
    let mut nesting = Nesting::new();
    let mut deepest = 0;
    let mut docs = DocComments::new(content);
    let clean = lex(content, |token, at| {
        docs.observe(&token, at);
        match nesting.feed(&token) {
            Some(depth) => {
                deepest = deepest.max(depth);
                deepest <= max
            }
            None => false,
        }
    });
    Prescan {
        shallow: clean && nesting.levels.len() == 1,
        without_docs: if clean { docs.finish() } else { None },
    }
}

/// Whether the file surely nests well within the bound (see `Prescan::shallow`).
#[cfg(test)]
fn nesting_is_shallow(text: &str) -> bool {
    prescan(text).shallow
}

/// The text with its doc comments made plain comments, and where they were; `None` when
/// there are none to skip, or the quick lexing is not clean.
#[cfg(test)]
fn without_doc_comments(content: &str) -> Option<(String, DocLines)> {
    prescan(content).without_docs
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
) -> Result<(ParsedFile, Insertions), ParseFailure> {
    let first = match parse_file(text) {
        Ok(parsed) => return Ok((parsed, Vec::new())),
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
            Ok(parsed) => return Ok((parsed, insertions)),
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
    let last = crate::path_text::last_segment(path);
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

/// An upper bound of the nesting measure (`Nesting`) that looks at little more than the
/// groups: every token but `;` counts as a step of the chain (`<` as an unclosed angle),
/// and only `;` ends a chain. `Nesting` counts at most that and ends chains at least
/// there, so a file within this bound is within the measure.
struct NestingBound {
    /// The enclosing groups' (nesting, count) at their opening.
    outer: Vec<(usize, usize)>,
    /// The nesting of the current group.
    base: usize,
    /// The steps since the last `;` in the current group.
    count: usize,
}

impl NestingBound {
    fn new() -> NestingBound {
        NestingBound {
            outer: Vec::new(),
            base: 0,
            count: 0,
        }
    }

    /// Feed one token; the bound of the nesting it stands at, or `None` for a `Close`
    /// that matches no `Open`.
    #[inline]
    fn feed(&mut self, token: &Token) -> Option<usize> {
        match token {
            Token::Open { .. } => {
                self.outer.push((self.base, self.count + 1));
                self.base += self.count + 1 + GROUP;
                self.count = 0;
                Some(self.base)
            }
            Token::Close => {
                let closed = self.base;
                (self.base, self.count) = self.outer.pop()?;
                Some(closed)
            }
            Token::Punct { ch: ';', .. } => {
                self.count = 0;
                Some(self.base)
            }
            Token::Punct { ch: '<', .. } => {
                self.count += GROUP;
                Some(self.base + self.count)
            }
            // `#[doc = ".."]` (`#![..]`): two steps, and its own shallow group
            Token::Doc { .. } => {
                self.count += 2;
                Some(self.base + self.count + GROUP + 2)
            }
            _ => {
                self.count += 1;
                Some(self.base + self.count)
            }
        }
    }
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
    fn new(base: usize) -> Level {
        Level {
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

    /// Account for one token that is not a group; the nesting it stands at.
    fn token(&mut self, token: &Token) -> usize {
        let continues = match token {
            Token::Punct { ch, .. } => !matches!(ch, ',' | ';' | '#'),
            Token::Word(word) => matches!(*word, "else" | "as"),
            _ => false,
        };
        if std::mem::take(&mut self.after_brace) && !continues {
            self.reset();
        }
        match token {
            Token::Punct { ch, joint } => self.punct(*ch, *joint),
            Token::Word(word) if is_chaining_keyword(word) => {
                self.chain += 1;
                self.previous = Previous::Keyword;
            }
            _ => self.previous = Previous::Operand,
        }
        self.depth()
    }

    /// A group opens inside this level: the nesting of the group.
    fn open(&mut self, brace: bool) -> usize {
        if std::mem::take(&mut self.after_brace) {
            self.reset();
        }
        if !brace {
            // a call or index trailer, or a nested tuple, array or type
            self.chain += 1;
        }
        self.after_brace = brace;
        self.previous = Previous::Operand;
        self.depth() + GROUP
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

/// The nesting measure over a stream of tokens, with an explicit stack (no recursion).
struct Nesting {
    levels: Vec<Level>,
}

impl Nesting {
    fn new() -> Nesting {
        Nesting {
            levels: vec![Level::new(0)],
        }
    }

    /// Feed one token; the nesting it stands at, or `None` for a `Close` that matches
    /// no `Open`.
    fn feed(&mut self, token: &Token) -> Option<usize> {
        let level = self.levels.last_mut()?;
        match token {
            Token::Open { brace } => {
                let depth = level.open(*brace);
                self.levels.push(Level::new(depth));
                Some(depth)
            }
            Token::Close => {
                let closed = self.levels.pop()?;
                (!self.levels.is_empty()).then_some(closed.base)
            }
            Token::Doc { inner } => {
                let mut deepest = 0;
                for token in doc_attribute(*inner) {
                    deepest = deepest.max(self.feed(&token)?);
                }
                Some(deepest)
            }
            other => Some(level.token(other)),
        }
    }
}

/// Keywords that nest what follows them in the syntax tree (`return return x`, `else if`
/// chains, `x as u8 as u16`, `move || move || …`, `&dyn Fn() -> &dyn Fn() …`).
fn is_chaining_keyword(word: &str) -> bool {
    matches!(
        word,
        "else"
            | "if"
            | "match"
            | "while"
            | "for"
            | "loop"
            | "return"
            | "break"
            | "yield"
            | "become"
            | "move"
            | "async"
            | "await"
            | "as"
            | "dyn"
            | "impl"
            | "unsafe"
            | "let"
            | "static"
            | "const"
    )
}

/// Scan the tokens with an explicit stack (no recursion); the line of the first token
/// past `MAX_NESTING`, if any.
pub fn check_nesting(tokens: &TokenStream) -> Result<(), usize> {
    let max = max_nesting();
    let mut too_deep = None;
    measure_tokens(tokens, |depth, token| {
        if depth > max {
            too_deep = Some(token.span().start().line);
        }
        too_deep.is_none()
    });
    too_deep.map_or(Ok(()), Err)
}

/// Feed `proc_macro2`'s tokens to the nesting measure, handing `each` the nesting every
/// token stands at, until it returns false.
fn measure_tokens(tokens: &TokenStream, mut each: impl FnMut(usize, &TokenTree) -> bool) {
    let mut nesting = Nesting::new();
    let mut stack = vec![tokens.clone().into_iter()];
    while let Some(tokens) = stack.last_mut() {
        let Some(token) = tokens.next() else {
            stack.pop();
            if !stack.is_empty() {
                nesting.feed(&Token::Close);
            }
            continue;
        };
        let depth = match &token {
            TokenTree::Group(group) => {
                let brace = group.delimiter() == Delimiter::Brace;
                stack.push(group.stream().into_iter());
                nesting.feed(&Token::Open { brace })
            }
            TokenTree::Punct(p) => nesting.feed(&Token::Punct {
                ch: p.as_char(),
                joint: p.spacing() == Spacing::Joint,
            }),
            TokenTree::Ident(ident) => {
                let word = ident.to_string();
                nesting.feed(&Token::Word(&word))
            }
            TokenTree::Literal(_) => nesting.feed(&Token::Literal),
        };
        if !each(depth.unwrap_or(0), &token) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deepest nesting of `text`: over the quick lexing (None if not clean) and over
    /// `proc_macro2`'s tokens.
    fn deepest(text: &str) -> (Option<usize>, usize) {
        let mut quick = Nesting::new();
        let mut quick_deepest = 0;
        let clean = lex(text, |token, _| {
            quick
                .feed(&token)
                .map(|d| quick_deepest = quick_deepest.max(d))
                .is_some()
        });
        let mut exact_deepest = 0;
        let tokens = TokenStream::from_str(text).unwrap();
        measure_tokens(&tokens, |depth, _| {
            exact_deepest = exact_deepest.max(depth);
            true
        });
        (clean.then_some(quick_deepest), exact_deepest)
    }

    #[test]
    fn the_quick_lexing_measures_what_the_tokens_do() {
        let cases = [
            "fn f<'a>(x: &'a str) -> &'a str { if a { b } else if c { d } else { e } }",
            r##"const S: &str = r#"}}}) "quoted" (("#; const B: &[u8] = br"((("; const C: char = '}';"##,
            r#"fn f() { let c = '\''; let d = b'{'; let e = "\"{{"; let f = '\u{1F600}'; let g = 'é'; }"#,
            "/* outer /* nested }} */ still comment (( */ fn f() { x.y()?.z[0](1, 2) }",
            "//! inner doc\n/// outer doc\n/** block doc */\n/*! inner block */\n//// not doc\nfn f() {}",
            "fn f() { let g = |a, b| a || b; let h = move || async move { 1 + 2 * 3 }; }",
            "fn f() -> Vec<Vec<u8>> { match x { A => 1.0e5, B => 0x1f_u8 as u32 as u64, _ => 1..2 } }",
            "fn f() { 'outer: loop { break 'outer; } let r#match = c\"x\"; }",
        ];
        for text in cases {
            let (quick, exact) = deepest(text);
            assert_eq!(quick, Some(exact), "{text}");
        }
    }

    /// The cheap bound is never below the quick measure, token by token.
    fn bound_covers_measure(text: &str) -> bool {
        let mut nesting = Nesting::new();
        let mut bound = NestingBound::new();
        let mut covers = true;
        lex(text, |token, _| {
            let (Some(measured), Some(bounded)) = (nesting.feed(&token), bound.feed(&token)) else {
                return false;
            };
            covers &= bounded >= measured;
            true
        });
        covers
    }

    #[test]
    fn the_bound_is_never_below_the_measure() {
        let cases = [
            "fn f<'a>(x: &'a str) -> &'a str { if a { b } else if c { d } else { e } }",
            "fn f() { let g = |a, b| a || b; let h = move || async move { 1 + 2 * 3 }; }",
            "fn f() -> Vec<Vec<u8>> { match x { A => 1.0e5, B => 0x1f_u8 as u32 as u64, _ => 1..2 } }",
            "//! inner doc\n/// outer doc\n/** block doc */\nfn f() { x.y()?.z[0](1, 2) }",
            "impl X { fn a(&self) -> Option<Box<dyn Fn(u8) -> u8>> { None } } type T = A<B<C<D>>>;",
        ];
        for text in cases {
            assert!(bound_covers_measure(text), "{text}");
        }
    }

    #[test]
    fn past_the_bound_the_measure_decides() {
        // thousands of items in a row: no `;` ends the bound's chain, the measure's ends
        // after each body
        let items = "fn f() {}\n".repeat(20_000);
        let mut bound = NestingBound::new();
        let mut deepest = 0;
        lex(&items, |token, _| {
            deepest = deepest.max(bound.feed(&token).unwrap_or(0));
            true
        });
        assert!(deepest > max_nesting() / 2);
        assert!(nesting_is_shallow(&items));
    }

    #[test]
    fn unclean_or_deep_text_goes_to_the_token_check() {
        for text in [
            "fn f() { \"open",
            "/* open",
            "fn f() { r#\"open\" }",
            "}",
            "fn f() {",
        ] {
            assert!(!nesting_is_shallow(text), "{text}");
        }
        let deep = format!("fn f() {{{}{}", "{".repeat(5000), "}".repeat(5001));
        assert!(!nesting_is_shallow(&deep));
        assert!(check_nesting(&TokenStream::from_str(&deep).unwrap()).is_err());
        assert!(nesting_is_shallow("fn f() { g(1, 2) }"));
    }

    /// Over every `.rs` file below `$CONCURRENCY_LINT_CORPUS` (a one-off check, e.g. on
    /// `bench/vendor`): the file without its doc comments parses to the same syntax tree
    /// as the file, less its `#[doc]` attributes, the quick nesting measure is the
    /// exact one's, and the cheap bound is never below it.
    #[test]
    #[ignore = "needs a corpus: CONCURRENCY_LINT_CORPUS=dir"]
    fn skipping_doc_comments_keeps_the_syntax_tree() {
        use syn::visit_mut::VisitMut;
        struct NoDocs;
        /// A token stream without `#[doc = ..]` / `#![doc = ..]` (doc comments in macros).
        fn strip(tokens: TokenStream) -> TokenStream {
            let trees: Vec<TokenTree> = tokens.into_iter().collect();
            let is_doc = |tree: Option<&TokenTree>| {
                matches!(tree, Some(TokenTree::Group(g))
                    if g.delimiter() == Delimiter::Bracket
                        && matches!(g.stream().into_iter().next(),
                            Some(TokenTree::Ident(i)) if i == "doc"))
            };
            let mut out = Vec::new();
            let mut i = 0;
            while i < trees.len() {
                if matches!(&trees[i], TokenTree::Punct(p) if p.as_char() == '#') {
                    let bang =
                        matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                    let at = if bang { i + 2 } else { i + 1 };
                    if is_doc(trees.get(at)) {
                        i = at + 1;
                        continue;
                    }
                }
                out.push(match &trees[i] {
                    TokenTree::Group(g) => {
                        TokenTree::Group(proc_macro2::Group::new(g.delimiter(), strip(g.stream())))
                    }
                    other => other.clone(),
                });
                i += 1;
            }
            out.into_iter().collect()
        }
        impl VisitMut for NoDocs {
            fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
                mac.tokens = strip(std::mem::take(&mut mac.tokens));
            }
            // what `syn` keeps as tokens (a `fn` without a body) keeps its doc comments
            fn visit_item_mut(&mut self, item: &mut syn::Item) {
                match item {
                    syn::Item::Verbatim(tokens) => *tokens = strip(std::mem::take(tokens)),
                    item => syn::visit_mut::visit_item_mut(self, item),
                }
            }
            fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
                match item {
                    syn::ImplItem::Verbatim(tokens) => *tokens = strip(std::mem::take(tokens)),
                    item => syn::visit_mut::visit_impl_item_mut(self, item),
                }
            }
            fn visit_trait_item_mut(&mut self, item: &mut syn::TraitItem) {
                match item {
                    syn::TraitItem::Verbatim(tokens) => *tokens = strip(std::mem::take(tokens)),
                    item => syn::visit_mut::visit_trait_item_mut(self, item),
                }
            }
            fn visit_foreign_item_mut(&mut self, item: &mut syn::ForeignItem) {
                match item {
                    syn::ForeignItem::Verbatim(tokens) => *tokens = strip(std::mem::take(tokens)),
                    item => syn::visit_mut::visit_foreign_item_mut(self, item),
                }
            }
            fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
                attrs.retain(|a| !a.path().is_ident("doc"));
                for attr in attrs {
                    self.visit_attribute_mut(attr);
                }
            }
        }
        let root = std::env::var("CONCURRENCY_LINT_CORPUS").expect("CONCURRENCY_LINT_CORPUS");
        let mut stack = vec![std::path::PathBuf::from(root)];
        let (mut files, mut skipped) = (0, 0);
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap().flatten() {
                    stack.push(entry.path());
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let content = &text[crate::source::parsed_prefix(&text)..];
            let Ok(mut original) = syn::parse_file(content) else {
                continue;
            };
            files += 1;
            if let (Some(quick), exact) = deepest(content) {
                assert_eq!(quick, exact, "{}", path.display());
            }
            assert!(bound_covers_measure(content), "{}", path.display());
            let scan = prescan(content);
            match scan.without_docs {
                Some((without, _)) => {
                    let parsed: syn::File = syn::parse_file(&without)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    NoDocs.visit_file_mut(&mut original);
                    let mut parsed = parsed;
                    NoDocs.visit_file_mut(&mut parsed);
                    assert!(original == parsed, "{}", path.display());
                }
                None => skipped += 1,
            }
            proc_macro2::extra::invalidate_current_thread_spans();
        }
        eprintln!("{files} files, {skipped} without doc comments to skip");
        assert!(files > 0);
    }
}
