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

/// Sends the library's `tracing` events to stderr: none by default, requests with `-v`,
/// details with `-vv`. Only recallform's own events: dependencies' logs could carry headers.
pub fn init_logging(verbose: u8) {
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let filter = tracing_subscriber::filter::Targets::new().with_target("recallform", level);
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
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
