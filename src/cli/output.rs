//! The one place that writes to the terminal: data on stdout, messages on stderr.
//!
//! Message style: lowercase, no trailing period, names in backticks, a hint on its own line.
//! Colour is decided here too, for both streams: only on a terminal, and never with
//! `--no-color` or `NO_COLOR`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, plural};
use crate::plan::render::Style;

/// `--no-color`, recorded once at start-up: the renderers that ask for a style are reached
/// from commands that do not see the command line.
static NO_COLOR_FLAG: AtomicBool = AtomicBool::new(false);

/// Records `--no-color` for the rest of the run; call it before anything is printed.
pub fn init_color(no_color: bool) {
    NO_COLOR_FLAG.store(no_color, Ordering::Relaxed);
}

/// Whether a stream that is (or is not) a terminal gets colour.
fn color(is_terminal: bool) -> bool {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    is_terminal && !no_color_env && !NO_COLOR_FLAG.load(Ordering::Relaxed)
}

/// Whether stdout gets colour: only on a terminal, and never with `--no-color` or `NO_COLOR`.
pub fn stdout_style() -> Style {
    Style::new(color(std::io::stdout().is_terminal()))
}

/// The same for stderr, where messages and diagnostics go.
pub fn stderr_style() -> Style {
    Style::new(color(std::io::stderr().is_terminal()))
}

/// Prints diagnostics to stderr, each followed by an empty line.
pub fn diagnostics(diagnostics: &[Diagnostic]) {
    let style = stderr_style();
    for d in diagnostics {
        message(&format!("{}\n", d.render(style)));
    }
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
        .with_ansi(color(std::io::stderr().is_terminal()));
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
    if let Error::Manifest {
        diagnostics: ds,
        file,
    } = e
    {
        diagnostics(ds);
        let warnings = ds.iter().filter(|d| !d.is_error()).count();
        if warnings > 0 {
            // The error's own summary counts every diagnostic; warnings are not problems.
            let errors = ds.len() - warnings;
            message(&format!(
                "error: {} and {} in `{file}`",
                plural(errors, "problem"),
                plural(warnings, "warning")
            ));
            return;
        }
    }
    message(&format!("error: {e}"));
}
