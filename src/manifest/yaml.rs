//! The one module that uses the YAML crate: the limits a manifest is read under, the part of
//! YAML a manifest may use, the parse itself, and the parser's errors turned into diagnostics.
//!
//! A manifest may come from a pull request, so it is read as hostile input. Every limit is set
//! here, explicitly, rather than left to the crate's defaults (which suit large configuration
//! streams, not a file of a few hundred lines):
//!
//! - [`MAX_FILE_BYTES`]: the file's size, checked before it is read ([`super::load`]);
//! - [`MAX_DEPTH`]: how deeply mappings and lists nest;
//! - [`max_nodes`]: how many values (keys included) the manifest holds, which grows with the
//!   file's size (one for every [`BYTES_PER_NODE`] bytes, at least [`MAX_NODES`]): a manifest
//!   of 100,000 apps holds millions of values, and what the limit stops is a file that packs
//!   far more values into its bytes than any manifest does (`[1,1,1,...]`), which costs memory
//!   out of proportion to its size;
//! - [`MAX_SCALAR_BYTES`]: how long one value is.
//!
//! Aliases need no budget, as none is allowed; depth stays tight whatever the size.
//!
//! And a manifest is plain YAML: one document, no tags (`!!binary`, `!custom`), no anchors,
//! aliases or merge keys (`&a`, `*a`, `<<`). A reviewer reads each app as it is written, an
//! alias cannot expand into a bomb, and a tag cannot change how a value is read (`!!binary`
//! would decode a client ID from base64). [`screen`] walks the parser's events once before
//! serde sees them, and stops at the first thing outside these rules, at its line and column;
//! the crate's own budget is then set to the same limits as a second line of defence.
//!
//! Not for: explaining what serde rejected in words a newcomer follows (that is [`super::syntax`]),
//! nor checks of a manifest that parsed ([`super::validate`]).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::granit_parser::{ErrorKind, Event, Parser, ScalarStyle, Span, Tag};

use super::syntax;
use crate::diagnostic::{Diagnostic, Location};

/// The largest manifest file read, in bytes (128 MiB). A manifest of 100,000 apps with every
/// optional key is about 56 MB (`bench/gen-manifest`); this leaves room for longer names and
/// IDs. Past it a file is not a manifest, and reading it would only cost memory.
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// How deeply mappings and lists may nest. A manifest needs 5 levels (`zoom_oauth_apps`, the
/// app, `webhook`, `secret`, `{env: ...}`); the rest is room for what comes later.
pub const MAX_DEPTH: usize = 16;

/// The fewest values any manifest may hold, keys included: the limit of a small file (see
/// [`max_nodes`]).
pub const MAX_NODES: usize = 100_000;

/// A manifest may hold one value for every this many bytes of its file. A manifest's values
/// take 12 bytes each or more (an app with every optional key is about 45 values in 560
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

/// `64 KiB`, `8 MiB`: a limit as the README writes it.
fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// Parses `text` (the manifest at `path`) into `T`, within the limits and the rules above.
pub(super) fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, Vec<Diagnostic>> {
    if let Some(d) = screen(path, text) {
        return Err(vec![d]);
    }
    serde_saphyr::from_str_with_options(text, options(text.len()))
        .map_err(|e| errors(path, text, &e))
}

/// The crate's options for a manifest of `bytes` bytes: its budget set to the limits
/// [`screen`] enforces, so that nothing the screen missed can cost more.
fn options(bytes: usize) -> serde_saphyr::Options {
    let nodes = max_nodes(bytes);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = nodes;
    budget.max_events = 2 * nodes + 8;
    budget.max_total_scalar_bytes = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
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

/// The diagnostic for a manifest file larger than [`MAX_FILE_BYTES`] (it has no line to point
/// at: it is refused before it is read).
pub(super) fn too_large_file(path: &Path, bytes: u64) -> Diagnostic {
    Diagnostic::new(
        "manifest-too-large",
        format!(
            "the manifest `{}` is {bytes} bytes, more than the {} a manifest may be",
            path.display(),
            size(MAX_FILE_BYTES)
        ),
        None,
    )
    .with_hint("a manifest of 100,000 apps is about 56 MB; the limit is fixed, as a larger file is not a manifest: check that `-f` names the right file")
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

/// The message of a manifest nested past [`MAX_DEPTH`].
fn deeper() -> String {
    format!("the manifest nests more than {MAX_DEPTH} levels deep here")
}

/// The hint of a manifest nested past [`MAX_DEPTH`].
const DEPTH_HINT: &str = "a manifest nests 5 levels (`zoom_oauth_apps`, the app, `webhook`, `secret`, `env`): check the brackets and the indentation above";

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
    let node_limit = max_nodes(text.len());
    let unsupported = |span: &Span, message: String, hint: &str| {
        Some(Diagnostic::new("unsupported-yaml", message, at(path, span)).with_hint(hint))
    };
    let too_large = |span: &Span, message: String, hint: &str| {
        Some(Diagnostic::new("manifest-too-large", message, at(path, span)).with_hint(hint))
    };
    const PLAIN: &str = "a manifest is plain YAML: write the value out where it is used, so that each app reads as it is written";
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = match event {
            Ok(found) => found,
            // The scanner looks ahead inside flow collections, so it can meet the nesting
            // limit before the screen has seen the collections' events.
            Err(e) if matches!(e.kind(), ErrorKind::RecursionLimitExceeded) => {
                let span = Span::empty(*e.marker());
                return too_large(&span, deeper(), DEPTH_HINT);
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
            if nodes > node_limit {
                return too_large(
                    &span,
                    format!(
                        "the manifest holds more than {node_limit} values, the limit for a file of {} bytes",
                        text.len()
                    ),
                    "a manifest may hold one value for every 4 bytes of its file, and at least 100,000; an app with every key is about 45 values in 560 bytes, so only values packed tighter than any manifest's (`[1,1,1,...]`) reach it: the limit is not a setting, check what was pasted here",
                );
            }
        }
        match event {
            Event::Scalar(value, style, ..) => {
                if value.len() > MAX_SCALAR_BYTES {
                    return too_large(
                        &span,
                        format!(
                            "this value is {} bytes long, more than the {} a manifest's value may be",
                            value.len(),
                            size(MAX_SCALAR_BYTES as u64)
                        ),
                        "a manifest's values are names, IDs, URLs and paths: check what was pasted here",
                    );
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
                    return too_large(&span, deeper(), DEPTH_HINT);
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
/// (see [`syntax`]).
fn errors(path: &Path, text: &str, error: &serde_saphyr::Error) -> Vec<Diagnostic> {
    use serde_saphyr::Error as E;
    let location = error
        .location()
        .map(|l| Location::new(path, l.line(), l.column()));
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
        // The screen stops all of these first; should one get past it, it is still named.
        E::Budget { .. } => (
            found.plain(
                "manifest-too-large",
                "the manifest is larger or more deeply nested than a manifest may be".into(),
            ),
            false,
        ),
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
}
