//! Located problems in a user's input, each with a severity, a stable code and a hint.
//!
//! A [`Diagnostic`] is data: the manifest loader and the credential resolver produce lists of
//! them, and `cli/` prints them (as text with [`Diagnostic::render`], or as JSON). The codes are
//! a contract (scripts, editors and the README refer to them), so a code is never renamed or
//! reused for another problem; [`CODES`] lists every one, and a test holds the README's tables
//! to it.
//!
//! Warnings are diagnostics too, with [`Severity::Warning`]: they render the same way, and a
//! command decides what they mean (`validate` reports them and still passes).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::plan::render::Style;

/// Every code a diagnostic can have. [`Diagnostic::new`] checks (in debug builds, so in every
/// test) that a code is listed here, so that a new code cannot skip the README.
pub const CODES: &[&str] = &[
    // Reading and parsing the manifest.
    "unreadable-manifest",
    "yaml-syntax",
    "invalid-indentation",
    "unknown-key",
    "duplicate-key",
    "invalid-type",
    "missing-key",
    // The offline checks.
    "unsupported-version",
    "invalid-region",
    "missing-region",
    "invalid-base-url",
    "invalid-rate-limit",
    "invalid-app-name",
    "invalid-kind",
    "invalid-client-id",
    "duplicate-client-id",
    "placeholder-client-id",
    "literal-secret",
    "invalid-reference",
    "invalid-move",
    "env-not-allowed",
    "api-key-reference",
    "secret-as-client-id",
    "file-outside-manifest",
    // Resolving references, in plan and apply.
    "unset-env",
    "unreadable-file",
    "empty-secret",
    // The Zoom side (`zoom:`, `webhook.forward_from`): errors for malformed keys, warnings
    // (errors with `--strict`) for what Recall would miss.
    "invalid-scope-model",
    "invalid-forward-from",
    "invalid-zoom-manifest",
    "zoom-missing-scope",
    "zoom-missing-event",
    "zoom-unknown-scope",
    "zoom-usage-mismatch",
    "zoom-endpoint-mismatch",
    "zoom-sdk-mismatch",
    "zoom-manifest-overrides",
    // Hostile manifests (issue 11): the YAML module's limits and the YAML a manifest may use.
    "manifest-too-large",
    "unsupported-yaml",
];

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// The input can be used, but is probably not what was meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as the headline and the JSON say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A place in a file, 1-based, counted in characters like editors do.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// Line number, from 1.
    pub line: u64,
    /// Column number, from 1.
    pub column: u64,
}

impl Location {
    /// A location in `file`; line or column 0 means unknown and is shown as 1.
    pub fn new(file: &Path, line: u64, column: u64) -> Self {
        Location {
            file: file.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// The line a diagnostic points at, as it is shown under the location.
///
/// Whoever makes one has already replaced anything secret in it: the renderer prints `text`
/// as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// The line, ready to print (tabs expanded, secrets masked).
    pub text: String,
    /// Where the underline starts, in characters from the start of `text`.
    pub start: usize,
    /// How many characters to underline, at least 1.
    pub width: usize,
}

/// One problem in the user's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Whether it stops the command.
    pub severity: Severity,
    /// Stable, kebab-case code, e.g. `invalid-kind`; one of [`CODES`].
    pub code: &'static str,
    /// What is wrong, lowercase, no trailing period, names in backticks.
    pub message: String,
    /// Where it is, when known.
    pub location: Option<Location>,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
    /// The line at `location`, when the file's text was at hand (boxed: most diagnostics
    /// travel in `Result`s, which should stay small).
    pub snippet: Option<Box<Snippet>>,
}

impl Diagnostic {
    /// An error without a hint.
    pub fn new(code: &'static str, message: impl Into<String>, location: Option<Location>) -> Self {
        debug_assert!(
            CODES.contains(&code),
            "`{code}` is not in diagnostic::CODES (and so not in the README)"
        );
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location,
            hint: None,
            snippet: None,
        }
    }

    /// A warning without a hint.
    pub fn warning(
        code: &'static str,
        message: impl Into<String>,
        location: Option<Location>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::new(code, message, location)
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this stops the command.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders in the style of rustc: the headline `error[code]: message`, then the location,
    /// the source line with the span underlined, and the hint, each indented.
    pub fn render(&self, style: Style) -> String {
        let paint = |text: &str| match self.severity {
            Severity::Error => style.bold(&style.red(text)),
            Severity::Warning => style.bold(&style.yellow(text)),
        };
        let mut out = format!(
            "{}{}",
            paint(&format!("{}[{}]", self.severity.as_str(), self.code)),
            style.bold(&format!(": {}", self.message))
        );
        if let Some(location) = &self.location {
            out.push_str(&format!("\n  {} {location}", style.bold("-->")));
            if let Some(snippet) = &self.snippet {
                // Two columns at least, so that the gutter lines up with `  -->`.
                let number = location.line.to_string();
                let width = number.len().max(2);
                let bar = style.bold("|");
                let pad = " ".repeat(width);
                out.push_str(&format!("\n{pad} {bar}"));
                out.push_str(&format!(
                    "\n{} {bar} {}",
                    style.bold(&format!("{number:>width$}")),
                    snippet.text
                ));
                out.push_str(&format!(
                    "\n{pad} {bar} {}{}",
                    " ".repeat(snippet.start),
                    paint(&"^".repeat(snippet.width.max(1)))
                ));
            }
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  {} {hint}", style.bold("= hint:")));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    /// [`Diagnostic::render`] without colour.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Style::new(false)))
    }
}

/// Sorts diagnostics by where they are, so output follows the file from top to bottom.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.location.cmp(&b.location).then(a.code.cmp(b.code)));
}

/// The candidate closest to `word`, if it is close enough to be a likely typo: at most a third
/// of the word's letters wrong (so `client_secrte` finds `client_secret`, and `colour` finds
/// nothing).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters, with a swap of two neighbours counting as one edit
/// (the commonest typo).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: the distance between a[..i] and b[..j]; three rows are enough for the swap.
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_code_location_and_hint() {
        let d = Diagnostic::new(
            "invalid-kind",
            "unknown kind `user-level`",
            Some(Location::new(Path::new("recallform.yaml"), 7, 11)),
        )
        .with_hint("use `user_level` or `account_level`");
        assert_eq!(
            d.to_string(),
            "error[invalid-kind]: unknown kind `user-level`\n  --> recallform.yaml:7:11\n  = hint: use `user_level` or `account_level`"
        );
    }

    #[test]
    fn renders_the_source_line_and_a_warning() {
        let mut d = Diagnostic::warning(
            "placeholder-client-id",
            "a placeholder",
            Some(Location::new(Path::new("m.yaml"), 123, 16)),
        );
        d.snippet = Some(Box::new(Snippet {
            text: "    client_id: X".into(),
            start: 15,
            width: 1,
        }));
        assert_eq!(
            d.to_string(),
            "warning[placeholder-client-id]: a placeholder\n  --> m.yaml:123:16\n    |\n123 |     client_id: X\n    |                ^"
        );
        // In colour, the headline keeps its words, and every line is painted.
        let coloured = d.render(Style::new(true));
        assert!(coloured.starts_with("\x1b[1m\x1b[33mwarning[placeholder-client-id]"));
        assert_eq!(
            coloured.lines().count(),
            d.to_string().lines().count(),
            "{coloured}"
        );
    }

    #[test]
    #[should_panic(expected = "not in diagnostic::CODES")]
    fn every_code_is_registered() {
        let _ = Diagnostic::new("made-up-code", "x", None);
    }

    #[test]
    fn suggestions_are_for_typos_only() {
        let keys = ["kind", "client_id", "client_secret", "webhook", "lifecycle"];
        assert_eq!(did_you_mean("client_secrte", &keys), Some("client_secret"));
        assert_eq!(did_you_mean("Client_Secret", &keys), Some("client_secret"));
        assert_eq!(did_you_mean("webhok", &keys), Some("webhook"));
        assert_eq!(did_you_mean("knid", &keys), Some("kind"));
        assert_eq!(did_you_mean("colour", &keys), None);
        assert_eq!(did_you_mean("secret", &keys), None);
        assert_eq!(
            did_you_mean("us-east1", &["us-east-1", "us-west-2"]),
            Some("us-east-1")
        );
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
