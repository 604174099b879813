//! The one place that writes to the terminal: data on stdout, messages on stderr.
//!
//! Message style: lowercase, no trailing period, names in backticks, a hint on its own line.

use std::io::{IsTerminal, Write};

use crate::error::Error;
use crate::plan::render::Style;

/// Whether stdout gets colour: only on a terminal, and never with `NO_COLOR` set.
pub fn stdout_style() -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style::new(!no_color && std::io::stdout().is_terminal())
}

/// Writes command output (plans, results) to stdout.
pub fn data(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes a message for people to stderr.
pub fn message(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// Writes a prompt to stderr, without a newline.
pub fn prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Prints an error, with every diagnostic when it has them.
pub fn error(e: &Error) {
    if let Error::Manifest { diagnostics, .. } = e {
        for d in diagnostics {
            message(&format!("{d}\n"));
        }
    }
    message(&format!("error: {e}"));
}
