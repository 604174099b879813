//! `recallform state ...`: read and edit the lockfile's record of which Recall app each
//! manifest name is, without talking to Recall.
//!
//! These commands read the lockfile whatever target it records (they send no request, so the
//! target cannot be wrong), and the ones that change it take the apply lock first. One
//! subcommand per file under `state/`; what they share (the formats, how a record is shown,
//! the error for a name that is not recorded) is here.
//!
//! Not for: recording an app that exists in Recall (that is `import`, which checks it there)
//! or changing anything in Recall.

mod list;
mod mv;
mod rm;
mod show;
mod unprotect;

use clap::{Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::Global;
use crate::error::Error;
use crate::lockfile::{LockStore, LockedApp};
use crate::plan::render::quoted;

/// The `state` subcommands.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List every app the lockfile records.
    List(list::ListArgs),
    /// Show one recorded app.
    Show(show::ShowArgs),
    /// Rename a recorded app (after renaming it in the manifest); Recall is not contacted.
    Mv(mv::MvArgs),
    /// Forget a recorded app; it stays in Recall.
    Rm(rm::RmArgs),
    /// Clear a recorded app's `protect`, so that it can be deleted after leaving the manifest.
    Unprotect(unprotect::UnprotectArgs),
}

/// Output formats of `state list` and `state show`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StateFormat {
    /// For people.
    #[default]
    Text,
    /// For programs.
    Json,
}

/// Runs a `state` subcommand.
pub fn run(global: &Global, cmd: &StateCommand) -> Result<u8, Error> {
    match cmd {
        StateCommand::List(args) => list::run(global, args),
        StateCommand::Show(args) => show::run(global, args),
        StateCommand::Mv(args) => mv::run(global, args),
        StateCommand::Rm(args) => rm::run(global, args),
        StateCommand::Unprotect(args) => unprotect::run(global, args),
    }
}

/// One record as JSON. Secrets appear only by name: their fingerprints are not secret, but
/// they mean nothing to a reader.
fn record_json(name: &str, app: &LockedApp) -> Value {
    json!({
        "name": name,
        "id": app.id,
        "kind": app.kind,
        "client_id": app.client_id,
        "created_at": app.created_at,
        "webhook_url": app.webhook_url,
        "protect": app.protect,
        "secrets_recorded": app.secrets.keys().collect::<Vec<_>>(),
        "deposed": app.deposed,
    })
}

/// Pretty JSON with a final newline.
fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// A value for a table cell: as it is when that is unambiguous, else quoted and escaped, so a
/// hand-edited lockfile cannot shift columns or send terminal escapes.
fn cell(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != '"' && c != '\\');
    if plain {
        value.to_string()
    } else {
        quoted(value)
    }
}

/// Where to look when the lockfile is missing: it may be another one.
const ELSEWHERE_HINT: &str =
    "pass `--lockfile PATH`, or `-f` with the manifest it sits beside, to read another one";

/// The record of `name`, or the error that lists what is recorded (or says there is no
/// lockfile at all, which is more likely a wrong path than an empty record).
fn recorded<'a>(store: &'a LockStore, name: &str) -> Result<&'a LockedApp, Error> {
    if !store.exists() {
        return Err(Error::Other(format!(
            "`{name}` is not recorded: the lockfile `{}` does not exist\n  = hint: {ELSEWHERE_HINT}",
            store.path().display()
        )));
    }
    store.apps().get(name).ok_or_else(|| {
        let known: Vec<String> = store.apps().keys().map(|n| format!("`{n}`")).collect();
        let hint = if known.is_empty() {
            "it records no app".to_string()
        } else {
            format!("it records {}", known.join(", "))
        };
        Error::Other(format!(
            "`{name}` is not recorded in the lockfile `{}`\n  = hint: {hint}",
            store.path().display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_needed() {
        assert_eq!(cell("AbC123xyz"), "AbC123xyz");
        assert_eq!(cell("two words"), "\"two words\"");
        assert_eq!(cell("esc\u{1b}[31m"), "\"esc\\u{1b}[31m\"");
        assert_eq!(cell(""), "\"\"");
    }
}
