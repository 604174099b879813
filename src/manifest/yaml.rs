//! The one module that uses the YAML crate: the limits a manifest is read under, the part of
//! YAML a manifest may use, the parse itself, and the parser's errors turned into diagnostics.
//!
//! A manifest may come from a pull request, so it is read as hostile input. Every limit is set
//! here, explicitly, rather than left to the crate's defaults (which suit large configuration
//! streams, not a file of a few hundred lines):
//!
//! - the file's size, checked before it is read ([`super::load`]): at most
//!   [`DEFAULT_MAX_FILE_BYTES`] unless whoever runs recallform raises it
//!   (`--max-manifest-bytes`, in [`super::ReadRules`]); never the manifest itself, which is
//!   what the limit guards against;
//! - [`max_nodes`]: how many values (keys included) the manifest holds, which grows with the
//!   file's size (one for every [`BYTES_PER_NODE`] bytes, at least [`MAX_NODES`]): a manifest
//!   of 100,000 apps holds 4 million values, and what the limit stops is a file that packs far
//!   more values into its bytes than any manifest does (`[1,1,1,...]`), which costs memory out
//!   of proportion to its size;
//! - [`MAX_DEPTH`]: how deeply mappings and lists nest, and [`MAX_SCALAR_BYTES`]: how long one
//!   value is. Both stay fixed and tight whatever the file's size: no manifest comes near them,
//!   and deep nesting and huge values are how a parser is made to exhaust its stack or memory.
//!
//! Aliases need no budget, as none is allowed. A limit that is hit is `manifest-too-large`,
//! saying which limit, its value and whether (and how) it can be raised; never a syntax error.
//!
//! And a manifest is plain YAML: one document, no tags (`!!binary`, `!custom`), no anchors,
//! aliases or merge keys (`&a`, `*a`, `<<`). A reviewer reads each app as it is written, an
//! alias cannot expand into a bomb, and a tag cannot change how a value is read (`!!binary`
//! would decode a client ID from base64). [`screen`] walks the parser's events once, beside
//! serde's parse, and stops at the first thing outside these rules, at its line and column,
//! which is what is reported; the crate's own budget is set to the same limits, so that the
//! parse beside it is bounded as well.
//!
//! Not for: explaining what serde rejected in words a newcomer follows (that is [`super::syntax`]),
//! nor checks of a manifest that parsed ([`super::validate`]).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::granit_parser::{ErrorKind, Event, Parser, ScalarStyle, Span, Tag};

use super::syntax;
use crate::diagnostic::{Diagnostic, Location};
use crate::units::{size, thousands};

/// The largest manifest file read unless `--max-manifest-bytes` raises it, in bytes (16 MiB).
/// A manifest of 10,000 apps with every optional key is about 5.6 MB, one of 100,000 about
/// 56 MB (the benchmark's manifests): a team with that many apps says so on the command line, and
/// a pull request cannot make recallform read more.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How large a large manifest is, for hints (an app with every optional key is about 560
/// bytes and 40 values).
const APP_BYTES: &str = "a manifest of 10,000 apps with every optional key is about 5.6 MB";

/// How deeply mappings and lists may nest. A manifest needs 5 levels (`zoom_oauth_apps`, the
/// app, `webhook`, `secret`, `{env: ...}`); the rest is room for what comes later.
pub const MAX_DEPTH: usize = 16;

/// The fewest values any manifest may hold, keys included: the limit of a small file (see
/// [`max_nodes`]).
pub const MAX_NODES: usize = 100_000;

/// A manifest may hold one value for every this many bytes of its file. A manifest's values
/// take 12 bytes each or more (an app with every optional key is about 40 values in 560
/// bytes); a flow list of one-character values (`[1,1,1]`) takes 2.
pub const BYTES_PER_NODE: usize = 4;

/// How many values (keys included) a manifest of `bytes` bytes may hold: one for every
/// [`BYTES_PER_NODE`] bytes, and at least [`MAX_NODES`].
pub fn max_nodes(bytes: usize) -> usize {
    (bytes / BYTES_PER_NODE).max(MAX_NODES)
}

/// The longest single value, in bytes (64 KiB). The longest a manifest needs is a URL or a
/// path.
pub const MAX_SCALAR_BYTES: usize = 64 * 1024;

/// The limits that depend on the manifest's size, computed once for the screen, the crate's
/// budget and the messages alike.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// The file's size, in bytes.
    bytes: usize,
    /// [`max_nodes`] of it.
    nodes: usize,
}

impl Limits {
    fn of(text: &str) -> Limits {
        Limits {
            bytes: text.len(),
            nodes: max_nodes(text.len()),
        }
    }
}

/// Parses `text` (the manifest at `path`) into `T`, within the limits and the rules above.
///
/// The screen and the parse walk the text at the same time, on two threads (one after the
/// other, the screen was a fifth of a large manifest's load): the crate's budget bounds the
/// parse by the same limits, so starting it before the screen has passed costs nothing the
/// screen guards against, and what the screen finds is reported whatever the parse made of
/// the text.
///
/// The parse stays on the calling thread: what it builds is the manifest, and memory a thread
/// of its own allocated would stay in that thread's allocator arena (a fifth more peak memory
/// at 100,000 apps, measured). The screen keeps only its place in the text.
pub(super) fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, Vec<Diagnostic>> {
    let limits = Limits::of(text);
    let (screened, parsed) = std::thread::scope(|scope| {
        let screened = scope.spawn(|| screen(path, text));
        let parsed = serde_saphyr::from_str_with_options(text, options(limits));
        (screened.join(), parsed)
    });
    if let Some(d) = screened.unwrap_or_else(|panic| std::panic::resume_unwind(panic)) {
        return Err(vec![d]);
    }
    parsed.map_err(|e| errors(path, text, &e, limits))
}

/// The crate's options for a manifest: its budget set to the limits [`screen`] enforces, so
/// that nothing the screen missed can cost more.
fn options(limits: Limits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = limits.nodes;
    // Each collection's end is an event too, and the stream and the document add four.
    budget.max_events = 2 * limits.nodes + 8;
    // Escapes can make a value longer than it is written (`\L`, two characters, is three
    // bytes), never more than twice.
    budget.max_total_scalar_bytes = limits.bytes.saturating_mul(2).max(MAX_SCALAR_BYTES);
    budget.max_documents = 1;
    budget.max_aliases = 0;
    budget.max_anchors = 0;
    budget.max_merge_keys = 0;
    budget.max_inclusion_depth = 0;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.merge_keys = serde_saphyr::options::MergeKeyPolicy::Error;
    options.reject_unsupported_tags = true;
    options
}

/// The diagnostic for a manifest file larger than `cap`, its limit (it has no line to point at:
/// it is refused before it is read).
pub(super) fn too_large_file(path: &Path, bytes: u64, cap: u64) -> Diagnostic {
    // The next power of two MiB that holds the file, as the value to suggest.
    let fits = bytes.div_ceil(1024 * 1024).next_power_of_two();
    Diagnostic::new(
        "manifest-too-large",
        format!(
            "the manifest `{}` is {bytes} bytes, more than its limit of {} (`--max-manifest-bytes`)",
            path.display(),
            size(cap)
        ),
        None,
    )
    .with_hint(format!(
        "{APP_BYTES}; if this is the manifest meant, raise the limit with `--max-manifest-bytes` or RECALLFORM_MAX_MANIFEST_BYTES (such as `--max-manifest-bytes {fits}MiB`), else check that `-f` names the right file"
    ))
}

/// Which limit a manifest passed, for [`too_large`]'s message and hint.
#[derive(Clone, Copy, Debug)]
enum Passed {
    /// Nested deeper than [`MAX_DEPTH`].
    Depth,
    /// More values than [`Limits::nodes`].
    Nodes,
    /// One value of this many bytes, longer than [`MAX_SCALAR_BYTES`].
    Value(usize),
    /// The values' bytes together, past twice the file's size.
    ValueBytes,
    /// More YAML documents than one.
    Documents,
    /// Anchors, aliases or merge keys, of which a manifest may have none.
    Aliases,
    /// Any other limit of the YAML crate's budget.
    Other,
}

/// The hint for anchors and aliases, refused whatever the file's size.
const PLAIN: &str = "a manifest is plain YAML: write the value out where it is used, so that each app reads as it is written; anchors and aliases are never allowed, whatever the file's size, as an alias is what an expansion bomb is made of";

/// The `manifest-too-large` diagnostic for a manifest that passed a limit, at `location`:
/// which limit, its value, and whether and how it can be raised.
fn too_large(passed: Passed, limits: Limits, location: Option<Location>) -> Diagnostic {
    let (message, hint) = match passed {
        Passed::Depth => (
            format!("the manifest nests more than {MAX_DEPTH} levels deep here"),
            "a manifest nests 5 levels (`zoom_oauth_apps`, the app, `webhook`, `secret`, `env`): check the brackets and the indentation above; the limit is fixed whatever the file's size, as deep nesting is how a parser is made to exhaust its stack".to_string(),
        ),
        Passed::Nodes => (
            format!(
                "the manifest holds more than {} values, the limit for a file of {} bytes",
                limits.nodes, limits.bytes
            ),
            format!(
                "the limit grows with the file: one value for every {BYTES_PER_NODE} bytes, and at least {}; a manifest's values take 12 bytes or more each (an app with every optional key is about 40 values in 560 bytes), so only values packed tighter than any manifest's (`[1,1,1,...]`) reach it: check what was written here",
                thousands(MAX_NODES as u64)
            ),
        ),
        Passed::Value(len) => (
            format!(
                "this value is {len} bytes long, more than the {} a manifest's value may be",
                size(MAX_SCALAR_BYTES as u64)
            ),
            "a manifest's values are names, IDs, URLs and paths, none near the limit: check what was pasted here; the limit is fixed whatever the file's size, as one value that long is never a manifest's".to_string(),
        ),
        Passed::ValueBytes => (
            format!(
                "the manifest's values add up to more than {} bytes, twice the file's size",
                2 * limits.bytes
            ),
            "no manifest's values come near that: check what was written here".to_string(),
        ),
        Passed::Documents => (
            "the manifest holds more than one YAML document; a manifest is one document".to_string(),
            "remove the `---` line and what follows it, or move its keys into the first document".to_string(),
        ),
        Passed::Aliases => (
            "the manifest uses anchors, aliases or merge keys, of which a manifest may have none".to_string(),
            PLAIN.to_string(),
        ),
        Passed::Other => (
            "the manifest passes a limit of the YAML reader".to_string(),
            format!("{APP_BYTES}, and none comes near the YAML reader's other limits: check what was written here"),
        ),
    };
    Diagnostic::new("manifest-too-large", message, location).with_hint(hint)
}

/// Where an event is, as a diagnostic's location.
fn at(path: &Path, span: &Span) -> Option<Location> {
    Some(Location::new(
        path,
        span.start.line() as u64,
        span.start.col() as u64 + 1,
    ))
}

/// A tag as it is written (`!!binary`, `!secret`).
fn written(tag: &Tag) -> String {
    let (handle, suffix) = tag.original_parts();
    format!("{handle}{suffix}")
}

/// Where the tag `written` is: before its node's content (`span`), on the same line, or else at
/// the content.
fn tag_at(path: &Path, text: &str, span: &Span, written: &str) -> Option<Location> {
    let line = span.start.line();
    let before: String = text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or_default()
        .chars()
        .take(span.start.col())
        .collect();
    match before.rfind(written) {
        Some(byte) => Some(Location::new(
            path,
            line as u64,
            before[..byte].chars().count() as u64 + 1,
        )),
        None => at(path, span),
    }
}

/// One open collection: whether it is a mapping, and whether its next node is a key.
struct Open {
    mapping: bool,
    key_next: bool,
}

/// Walks the parser's events and returns the first thing a manifest may not hold, or `None`
/// when there is nothing (a syntax error is left to the parse, which explains it better).
pub(super) fn screen(path: &Path, text: &str) -> Option<Diagnostic> {
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.emit_anchor_events = true;
    options.emit_unresolved_aliases = true;
    options.flow_nesting_limit = MAX_DEPTH + 1;
    options.block_nesting_limit = MAX_DEPTH + 1;
    let mut open: Vec<Open> = Vec::new();
    let (mut documents, mut nodes) = (0usize, 0usize);
    let limits = Limits::of(text);
    let unsupported = |span: &Span, message: String, hint: &str| {
        Some(Diagnostic::new("unsupported-yaml", message, at(path, span)).with_hint(hint))
    };
    let passed = |passed: Passed, span: &Span| Some(too_large(passed, limits, at(path, span)));
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = match event {
            Ok(found) => found,
            // The scanner looks ahead inside flow collections, so it can meet the nesting
            // limit before the screen has seen the collections' events.
            Err(e) if matches!(e.kind(), ErrorKind::RecursionLimitExceeded) => {
                return passed(Passed::Depth, &Span::empty(*e.marker()));
            }
            // Any other syntax error is left to the parse, which explains it in words.
            Err(_) => return None,
        };
        let is_key = open.last().is_some_and(|o| o.mapping && o.key_next);
        if event.is_node()
            && let Some(o) = open.last_mut()
            && o.mapping
        {
            o.key_next = !o.key_next;
        }
        match &event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return unsupported(
                        &span,
                        "a second YAML document starts here; a manifest is one document".into(),
                        "remove the `---` line and what follows it, or move its keys into the first document",
                    );
                }
            }
            Event::Anchor(_, name) => {
                return unsupported(
                    &span,
                    format!("the anchor `&{name}` is not allowed in a manifest"),
                    PLAIN,
                );
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                return unsupported(
                    &span,
                    "aliases (`*name`) are not allowed in a manifest".into(),
                    PLAIN,
                );
            }
            _ => {}
        }
        if let Some(tag) = event.tag() {
            let written = written(tag);
            return Some(
                Diagnostic::new(
                    "unsupported-yaml",
                    format!("the YAML tag `{written}` is not allowed in a manifest"),
                    tag_at(path, text, &span, &written),
                )
                .with_hint(
                    "write the value without a tag; quote it (`\"...\"`) to make it a string",
                ),
            );
        }
        if event.is_node() {
            nodes += 1;
            if nodes > limits.nodes {
                return passed(Passed::Nodes, &span);
            }
        }
        match event {
            Event::Scalar(value, style, ..) => {
                if value.len() > MAX_SCALAR_BYTES {
                    return passed(Passed::Value(value.len()), &span);
                }
                if is_key && style == ScalarStyle::Plain && value == "<<" {
                    return unsupported(
                        &span,
                        "merge keys (`<<`) are not allowed in a manifest".into(),
                        "write each key out in the mapping it belongs to",
                    );
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if open.len() >= MAX_DEPTH {
                    return passed(Passed::Depth, &span);
                }
                open.push(Open {
                    mapping: matches!(event, Event::MappingStart(..)),
                    key_next: true,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop();
            }
            _ => {}
        }
    }
    None
}

/// Turns the YAML crate's error into diagnostics with stable codes, explained with the text
/// (see [`syntax`]). A limit of the crate's budget is `manifest-too-large` like the screen's,
/// however it is reported: the screen stops all of them first, and should one get past it, it
/// must still read as a limit, not as a syntax error.
fn errors(path: &Path, text: &str, error: &serde_saphyr::Error, limits: Limits) -> Vec<Diagnostic> {
    use serde_saphyr::Error as E;
    let location = error
        .location()
        .map(|l| Location::new(path, l.line(), l.column()));
    if let Some(passed) = limit_passed(error) {
        return vec![too_large(passed, limits, location)];
    }
    let found = syntax::Found::new(text, location);
    let (first, wrong_type) = match error.without_snippet() {
        E::DuplicateMappingKey { key, .. } => (found.duplicate_key(key.as_deref()), false),
        E::SerdeUnknownField {
            field, expected, ..
        } => (found.unknown_key(field, expected), false),
        E::SerdeMissingField { field, .. } => (found.missing_key(field), false),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => (found.invalid_type(expected, unexpected), true),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => (found.unknown_variant(variant, expected), true),
        E::Message { msg, .. } => (found.plain("invalid-type", msg.clone()), true),
        E::Unexpected { expected, .. } => (found.unexpected(expected), true),
        E::InvalidScalar { ty, .. } => (found.invalid_scalar(ty), true),
        E::MultipleDocuments { .. } => (
            found.plain(
                "unsupported-yaml",
                "a second YAML document starts here; a manifest is one document".into(),
            ),
            false,
        ),
        other => (found.syntax(plain_message(other)), false),
    };
    syntax::corrected(path, text, first, wrong_type)
}

/// Which limit the YAML crate's error says was passed, if it is about a limit: any breach of its
/// budget, an alias replay limit, or (should the crate report a breach some other way) a
/// message that says `budget breached`.
fn limit_passed(error: &serde_saphyr::Error) -> Option<Passed> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    Some(match error.without_snippet() {
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => Passed::Depth,
            B::Nodes { .. } | B::Events { .. } => Passed::Nodes,
            B::ScalarBytes { .. } => Passed::ValueBytes,
            B::Documents { .. } => Passed::Documents,
            B::Aliases { .. }
            | B::Anchors { .. }
            | B::MergeKeys { .. }
            | B::AliasAnchorRatio { .. }
            | B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. } => Passed::Aliases,
            _ => Passed::Other,
        },
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => Passed::Aliases,
        // The parser's own nesting limit, which the budget's depth is set to.
        E::ExternalMessage { source, .. }
            if matches!(
                &**source,
                serde_saphyr::ExternalMessageSource::Parser(e)
                    if matches!(e.kind(), ErrorKind::RecursionLimitExceeded)
            ) =>
        {
            Passed::Depth
        }
        other if plain_message(other).contains("budget breached") => Passed::Other,
        _ => return None,
    })
}

/// The YAML crate's message without its location suffix or source snippet (we print our own).
fn plain_message(error: &serde_saphyr::Error) -> String {
    let rendered = error
        .without_snippet()
        .render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        });
    let first = rendered.lines().next().unwrap_or("invalid YAML");
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "version: 1\nrecall: {region: us-east-1}\nzoom_oauth_apps:\n  a:\n    kind: user_level\n    client_id: c\n    client_secret: {env: A}\n    webhook: {secret: {env: B}}\n";

    fn screened(text: &str) -> Option<(String, &'static str, u64, u64)> {
        screen(Path::new("m.yaml"), text).map(|d| {
            let l = d.location.clone().expect("located");
            (d.message, d.code, l.line, l.column)
        })
    }

    #[test]
    fn a_plain_manifest_passes_the_screen() {
        assert_eq!(screened(OK), None);
        assert_eq!(screened(&format!("---\n{OK}...\n")), None);
        // A `<<` that is a value, not a key, is only a string.
        assert_eq!(screened("a: <<\n"), None);
    }

    #[test]
    fn each_rule_is_named_at_its_place() {
        let cases = [
            (
                "a: &x 1\nb: 2\n",
                "the anchor `&x` is not allowed in a manifest",
                "unsupported-yaml",
                1,
                4,
            ),
            (
                "a: 1\nb: *x\n",
                "aliases (`*name`) are not allowed in a manifest",
                "unsupported-yaml",
                2,
                4,
            ),
            (
                "a:\n  <<: {b: 1}\n",
                "merge keys (`<<`) are not allowed in a manifest",
                "unsupported-yaml",
                2,
                3,
            ),
            (
                "a: !!binary aGk=\n",
                "the YAML tag `!!binary` is not allowed in a manifest",
                "unsupported-yaml",
                1,
                4,
            ),
            (
                "a: !secret x\n",
                "the YAML tag `!secret` is not allowed in a manifest",
                "unsupported-yaml",
                1,
                4,
            ),
            (
                "a: 1\n---\nb: 2\n",
                "a second YAML document starts here; a manifest is one document",
                "unsupported-yaml",
                2,
                1,
            ),
        ];
        for (text, message, code, line, column) in cases {
            assert_eq!(
                screened(text),
                Some((message.to_string(), code, line, column)),
                "{text}"
            );
        }
    }

    #[test]
    fn the_limits_stop_at_the_value_that_passes_them() {
        let deep = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        let (message, code, line, column) = screened(&deep).unwrap();
        assert_eq!(
            (message.as_str(), code, line, column),
            (
                "the manifest nests more than 16 levels deep here",
                "manifest-too-large",
                1,
                // The scanner's own limit (one more flow level) is met first, looking ahead.
                4 + 17
            )
        );
        let long = format!("a: {}\n", "x".repeat(MAX_SCALAR_BYTES + 1));
        assert_eq!(
            screened(&long).unwrap().0,
            "this value is 65537 bytes long, more than the 64 KiB a manifest's value may be"
        );
        assert_eq!(
            screened(&format!("a: {}\n", "x".repeat(MAX_SCALAR_BYTES))),
            None
        );
        let many = format!("a: [{}]\n", "1,".repeat(MAX_NODES));
        assert_eq!(
            screened(&many).unwrap().0,
            "the manifest holds more than 100000 values, the limit for a file of 200006 bytes"
        );
        // The limit grows with the file: the same values, spaced out, are read.
        let spaced = format!("a: [{}]\n", "1,   ".repeat(MAX_NODES));
        assert_eq!(screened(&spaced), None);
    }

    #[test]
    fn the_node_limit_grows_with_the_file() {
        assert_eq!(max_nodes(0), MAX_NODES);
        assert_eq!(max_nodes(400_000), MAX_NODES);
        assert_eq!(max_nodes(56_050_136), 14_012_534);
    }

    /// What the crate's own budget reports for `text` under `limits`, past the screen.
    fn budgeted(text: &str, limits: Limits) -> Vec<(&'static str, String)> {
        let parsed: Result<serde_json::Value, _> =
            serde_saphyr::from_str_with_options(text, options(limits));
        let e = parsed.expect_err("the budget is breached");
        errors(Path::new("m.yaml"), text, &e, limits)
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect()
    }

    #[test]
    fn issue_12_a_breach_of_the_crates_budget_is_manifest_too_large_not_a_syntax_error() {
        // The issue's `error[yaml-syntax]: budget breached: Nodes { nodes: 250001 }`.
        let text = format!("a: [{}]\n", "1,".repeat(20));
        let limits = Limits {
            bytes: text.len(),
            nodes: 10,
        };
        assert_eq!(
            budgeted(&text, limits),
            [(
                "manifest-too-large",
                format!(
                    "the manifest holds more than 10 values, the limit for a file of {} bytes",
                    text.len()
                )
            )]
        );
        let deep = format!("a: {}1{}\n", "[".repeat(20), "]".repeat(20));
        assert_eq!(
            budgeted(&deep, Limits::of(&deep)),
            [(
                "manifest-too-large",
                "the manifest nests more than 16 levels deep here".to_string()
            )]
        );
        let aliased = "a: &x 1\nb: *x\n";
        assert_eq!(
            budgeted(aliased, Limits::of(aliased))[0].0,
            "manifest-too-large"
        );
        let tiny = Limits {
            bytes: 1,
            nodes: MAX_NODES,
        };
        let long = format!("a: {}\n", "x".repeat(MAX_SCALAR_BYTES + 1));
        assert_eq!(
            budgeted(&long, tiny),
            [(
                "manifest-too-large",
                "the manifest's values add up to more than 2 bytes, twice the file's size"
                    .to_string()
            )]
        );
    }

    #[test]
    fn every_limit_says_its_value_and_whether_it_can_be_raised() {
        let file = too_large_file(Path::new("m.yaml"), 50 * 1024 * 1024 + 7, 16 * 1024 * 1024);
        assert_eq!(
            file.to_string(),
            "error[manifest-too-large]: the manifest `m.yaml` is 52428807 bytes, more than its limit of 16 MiB (`--max-manifest-bytes`)\n  = hint: a manifest of 10,000 apps with every optional key is about 5.6 MB; if this is the manifest meant, raise the limit with `--max-manifest-bytes` or RECALLFORM_MAX_MANIFEST_BYTES (such as `--max-manifest-bytes 64MiB`), else check that `-f` names the right file"
        );
        let limits = Limits::of("a: 1\n");
        let hint = |passed| too_large(passed, limits, None).hint.unwrap();
        assert!(hint(Passed::Nodes).contains("one value for every 4 bytes, and at least 100,000"));
        assert!(hint(Passed::Nodes).contains("packed tighter than any manifest's"));
        for fixed in [Passed::Depth, Passed::Value(70_000), Passed::Aliases] {
            assert!(
                hint(fixed).contains("whatever the file's size"),
                "{fixed:?}"
            );
        }
    }
}
