//! Diagnostics for a manifest the YAML parser rejected: the parser's error, as plain data,
//! put in the user's words with the help of the text.
//!
//! The parser says what it expected at the point it noticed a problem; a newcomer needs the key
//! concerned, what belongs there, and the line where the mistake is, which for an indentation
//! mistake is not where the parser noticed it. `mod.rs` turns the parser's error into calls to
//! [`Found`], then [`corrected`] checks the result against the text's indentation.
//!
//! Not for: the parser itself (only `mod.rs` sees the YAML crate), nor problems of a manifest
//! that parses (`validate`).

use std::path::Path;

use super::{backticked, indent, shape, source};
use crate::diagnostic::{Diagnostic, Location, did_you_mean};

/// Where the parser noticed a problem, with the text to explain it.
pub(super) struct Found<'a> {
    text: &'a str,
    lines: source::Lines<'a>,
    location: Option<Location>,
    line: u64,
    column: u64,
}

impl<'a> Found<'a> {
    /// The problem at `location` (as the parser gave it) in `text`.
    pub(super) fn new(text: &'a str, location: Option<Location>) -> Self {
        let (line, column) = location.as_ref().map_or((0, 0), |l| (l.line, l.column));
        Found {
            text,
            lines: source::Lines::new(text),
            location,
            line,
            column,
        }
    }

    fn diagnostic(&self, code: &'static str, message: String, hint: Option<String>) -> Diagnostic {
        let mut d = Diagnostic::new(code, message, self.location.clone());
        d.hint = hint;
        d
    }

    /// The key whose value is at the location, with its column.
    fn key(&self) -> Option<(String, u64)> {
        source::key_before(&self.lines, self.line, self.column)
    }

    /// Any problem with a code and a message and no more to say.
    pub(super) fn plain(&self, code: &'static str, message: String) -> Diagnostic {
        self.diagnostic(code, message, None)
    }

    /// The YAML is not well formed.
    pub(super) fn syntax(&self, message: String) -> Diagnostic {
        let hint = message
            .contains("tab")
            .then(|| "YAML indents with spaces only: replace the tab with spaces".into());
        self.diagnostic("yaml-syntax", message, hint)
    }

    /// A key appears twice in one mapping.
    pub(super) fn duplicate_key(&self, key: Option<&str>) -> Diagnostic {
        self.diagnostic(
            "duplicate-key",
            match key {
                Some(k) => format!("the key `{k}` appears twice in one mapping"),
                None => "a key appears twice in one mapping".into(),
            },
            Some("each app name, and each setting, may appear only once".into()),
        )
    }

    /// A key the mapping does not have: where it belongs if it is a key of another level, the
    /// key it probably misspells, or the keys allowed here.
    pub(super) fn unknown_key(&self, field: &str, expected: &[&str]) -> Diagnostic {
        let hint = if let Some(home) = shape::home_of(field) {
            format!("`{field}` belongs {home}; check its indentation")
        } else if let Some(close) = did_you_mean(field, expected) {
            format!("did you mean `{close}`?")
        } else if expected.contains(&"zoom_oauth_apps") && super::is_valid_name(field) {
            // A name at the top level is most likely an app that lost its parent.
            format!(
                "expected one of {}; an app goes under `zoom_oauth_apps`, indented",
                backticked(expected)
            )
        } else {
            format!("expected one of {}", backticked(expected))
        };
        self.diagnostic("unknown-key", format!("unknown key `{field}`"), Some(hint))
    }

    /// A required key is missing. The parser notices it where the mapping ends (at its last
    /// key); the mapping's own key is where to add it.
    pub(super) fn missing_key(&self, field: &str) -> Diagnostic {
        let hint = shape::how_to_add(field).map(String::from);
        match source::parent_key(&self.lines, self.line, self.column) {
            Some((name, line, column)) => {
                let file = self.location.as_ref().map(|l| l.file.clone());
                let mut d = Diagnostic::new(
                    "missing-key",
                    format!("the required key `{field}` is missing from `{name}`"),
                    file.map(|f| Location::new(&f, line, column)),
                );
                d.hint = hint;
                d
            }
            // At the top level there is no key to point at.
            None if self.column <= 1 => {
                let mut d = Diagnostic::new(
                    "missing-key",
                    format!("the required key `{field}` is missing from the manifest"),
                    None,
                );
                d.hint = hint;
                d
            }
            None => self.diagnostic(
                "missing-key",
                format!("the required key `{field}` is missing"),
                hint,
            ),
        }
    }

    /// A value of the wrong type, as serde describes it.
    pub(super) fn invalid_type(&self, expected: &str, unexpected: &str) -> Diagnostic {
        // A string found may be a secret in the wrong place: it is never quoted.
        let found = if unexpected.starts_with("string") {
            "a string"
        } else {
            unexpected
        };
        self.plain(
            "invalid-type",
            format!("expected {expected}, found {found}"),
        )
    }

    /// A value that is not one of a fixed set.
    pub(super) fn unknown_variant(&self, variant: &str, expected: &[&str]) -> Diagnostic {
        self.diagnostic(
            "invalid-type",
            format!("unknown value `{variant}`"),
            Some(format!("expected one of {}", backticked(expected))),
        )
    }

    /// The parser expected another kind of node (`mapping start`, say) at the location.
    pub(super) fn unexpected(&self, expected: &str) -> Diagnostic {
        let expected = match expected {
            "mapping start" => "a mapping, with its keys indented under it",
            "sequence start" => "a list",
            "string scalar" => "a string",
            other => other,
        };
        let mapping = expected.starts_with("a mapping");
        let found = source::found_at(&self.lines, self.line, self.column);
        let hint = self
            .key()
            .filter(|_| mapping)
            .map(|(k, c)| contents_hint(&self.lines, &k, self.line, c));
        let message = match (self.key(), found) {
            (Some((k, _)), Some(found)) => format!("`{k}` must be {expected}, not {found}"),
            (Some((k, _)), None) => format!("`{k}` must be {expected}"),
            (None, _) if mapping && self.line == first_content_line(self.text) => {
                "the manifest must be a mapping of keys, starting with `version: 1`".into()
            }
            (None, _) => format!("expected {expected} here"),
        };
        self.diagnostic("invalid-type", message, hint)
    }

    /// A scalar that cannot be read as the type the field has (`version: abc`).
    pub(super) fn invalid_scalar(&self, ty: &str) -> Diagnostic {
        let expected = match ty {
            "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number",
            "bool" | "boolean" => "`true` or `false`",
            other => other,
        };
        let message = match self.key() {
            Some((k, _)) => format!("`{k}` must be {expected}"),
            None => format!("expected {expected} here"),
        };
        self.plain("invalid-type", message)
    }
}

/// `first`, the parser's problem, checked against the text's indentation: a misindented line
/// is reported at its own line (instead of a missing key noticed later, or with a problem of
/// its own above it), and a wrong type found where a key was left empty is reported at that
/// key. `wrong_type` says whether `first` is about a value's type.
pub(super) fn corrected(
    path: &Path,
    text: &str,
    first: Diagnostic,
    wrong_type: bool,
) -> Vec<Diagnostic> {
    let at = |line, column| Some(Location::new(path, line, column));
    let scan = indent::scan(text);
    if let Some(p) = scan.misindented {
        let d = Diagnostic::new("invalid-indentation", p.message, at(p.line, p.column))
            .with_hint(p.hint);
        // A missing key is noticed where its mapping ends, which the misindented line caused;
        // a problem above that line is a problem of its own.
        let own =
            first.code != "missing-key" && first.location.as_ref().is_some_and(|l| l.line < p.line);
        return if own { vec![first, d] } else { vec![d] };
    }
    let line = first.location.as_ref().map_or(0, |l| l.line);
    let empty = scan.empty_keys.iter().find(|e| {
        let last = e.next.as_ref().map_or(e.line, |n| n.0);
        wrong_type && (e.line..=last).contains(&line)
    });
    let Some(e) = empty else {
        return vec![first];
    };
    let d = match &e.next {
        Some((next_line, column, Some(child))) if e.same_indent => Diagnostic::new(
            "invalid-indentation",
            format!(
                "`{child}` is not indented under `{}`, so `{}` has no value",
                e.key, e.key
            ),
            at(*next_line, *column),
        )
        .with_hint(format!(
            "indent `{child}` by more spaces than `{}` ({}, say) to put it inside `{}`",
            e.key,
            e.column + 1,
            e.key
        )),
        _ => Diagnostic::new(
            "invalid-type",
            format!("`{}` has no value", e.key),
            at(e.line, e.column),
        )
        .with_hint(contents_hint(
            &source::Lines::new(text),
            &e.key,
            e.line,
            e.column,
        )),
    };
    vec![d]
}

/// The hint for a key at `line:column` that must hold a mapping: what to write under it.
fn contents_hint(text: &source::Lines, key: &str, line: u64, column: u64) -> String {
    let contents = match source::parent_key(text, line, column) {
        Some((parent, _, _)) if parent == "zoom_oauth_apps" => {
            "the app's keys (`kind`, `client_id`, `client_secret`, `webhook`)"
        }
        _ => shape::what_goes_under(key),
    };
    format!("write {contents} on the lines below `{key}:`, indented by more spaces than `{key}`")
}

/// The number (from 1) of the first line that is neither blank nor a comment.
fn first_content_line(text: &str) -> u64 {
    text.lines()
        .position(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
        .map_or(1, |i| i as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest whose `zoom_oauth_apps` is empty and followed by a misspelt `policy`.
    const EMPTY_THEN_TYPO: &str =
        "version: 1\nrecall: {region: us-east-1}\nzoom_oauth_apps:\npolcy: {allow_delete: true}\n";

    #[test]
    fn an_unknown_key_after_an_empty_one_is_not_an_indentation_problem() {
        let path = Path::new("m.yaml");
        let found = Found::new(EMPTY_THEN_TYPO, Some(Location::new(path, 4, 1)));
        let first = found.unknown_key("polcy", &["version", "recall", "policy"]);
        let ds = corrected(path, EMPTY_THEN_TYPO, first.clone(), false);
        assert_eq!(ds, [first]);
        assert_eq!(ds[0].hint.as_deref(), Some("did you mean `policy`?"));
    }

    #[test]
    fn a_string_found_is_never_quoted() {
        let found = Found::new("a: b\n", None);
        let d = found.invalid_type("a mapping", "string \"hunter2\"");
        assert_eq!(d.message, "expected a mapping, found a string");
    }
}
