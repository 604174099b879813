//! Located problems in a user's input, each with a stable code and a hint.
//!
//! A [`Diagnostic`] is data: the manifest loader and the credential resolver produce lists of
//! them, and `cli/` renders them. The codes are a contract (scripts and docs refer to them), so a
//! code is never renamed or reused for another problem.

use std::fmt;
use std::path::{Path, PathBuf};

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

/// One problem in the user's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable, kebab-case code, e.g. `invalid-kind`.
    pub code: &'static str,
    /// What is wrong, lowercase, no trailing period, names in backticks.
    pub message: String,
    /// Where it is, when known.
    pub location: Option<Location>,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a hint.
    pub fn new(code: &'static str, message: impl Into<String>, location: Option<Location>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            location,
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// Renders in the style of rustc: a headline, then the location and the hint indented.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)?;
        if let Some(location) = &self.location {
            write!(f, "\n  --> {location}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Sorts diagnostics by where they are, so output follows the file from top to bottom.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.location.cmp(&b.location).then(a.code.cmp(b.code)));
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
}
