//! The error type of the commands, and the one place errors become exit codes.

use crate::apply_lock::LockBusy;
use crate::diagnostic::Diagnostic;
use crate::lockfile::LockError;
use crate::recall::RecallError;
use crate::saved::SavedPlanError;

/// Exit codes: a contract with scripts and CI pipelines (the table in the README).
pub mod exit {
    /// Success; with `--detailed-exitcode`, success and no changes.
    pub const SUCCESS: u8 = 0;
    /// Any error: invalid input, Recall errors, failed operations, refused confirmation.
    pub const ERROR: u8 = 1;
    /// With `--detailed-exitcode`: success, and there are changes.
    pub const CHANGES: u8 = 2;
    /// A safety guard refused to go on; this run changed nothing.
    pub const BLOCKED: u8 = 3;
    /// The saved plan is stale, or another apply holds the lock: plan again, or wait.
    pub const STALE_OR_BUSY: u8 = 4;
    /// Some operations failed; the others were carried out and recorded.
    pub const PARTIAL: u8 = 5;
    /// The command line itself is wrong (EX_USAGE from sysexits.h).
    pub const USAGE: u8 = 64;
    /// Interrupted (Ctrl-C): operations in flight finished and were recorded, no others began.
    pub const INTERRUPTED: u8 = 130;

    /// Every code with its meaning in one line (short enough for an 80-column `--help`): the
    /// source of the "Exit codes" section of `--help` and the man page. Each line is how the
    /// README's table row begins, which a test checks, so the three cannot drift apart.
    pub const TABLE: [(u8, &str); 8] = [
        (
            SUCCESS,
            "Success. With `--detailed-exitcode`: success and no changes.",
        ),
        (
            ERROR,
            "Error: invalid input, an error from Recall, or no confirmation.",
        ),
        (
            CHANGES,
            "Only with `--detailed-exitcode`: success, and there were changes.",
        ),
        (BLOCKED, "Blocked by a safety guard; nothing changed."),
        (
            STALE_OR_BUSY,
            "Stale plan, lock held by another command, or lockfile changed meanwhile.",
        ),
        (
            PARTIAL,
            "Partial apply: some operations failed, the others were recorded.",
        ),
        (
            USAGE,
            "Usage error: the command line is wrong, or its options conflict.",
        ),
        (
            INTERRUPTED,
            "Interrupted by Ctrl-C: operations in flight finished and were recorded.",
        ),
    ];
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest (or a credential it references) has problems; each is located.
    #[error("{} in `{}`", plural(.diagnostics.len(), "problem"), .file)]
    Manifest {
        /// The manifest's path, as given.
        file: String,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
    /// Talking to Recall failed.
    #[error(transparent)]
    Recall(#[from] RecallError),
    /// The lockfile could not be used.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Another command (an apply, an import...) holds the apply lock.
    #[error(
        "{0}\n  = hint: run again once it has finished, or pass `--lock-timeout SECONDS` to wait for it"
    )]
    Busy(#[from] LockBusy),
    /// A plan file could not be read or written.
    #[error(transparent)]
    SavedPlan(#[from] SavedPlanError),
    /// The saved plan no longer matches the world it was computed from.
    #[error(
        "the plan `{file}` is stale, so nothing was applied:\n{}\n  = hint: run `{replan}` again, review it, and apply the new plan",
        bullets(.causes)
    )]
    Stale {
        /// The plan file.
        file: String,
        /// The command that makes the plan again, from the folder apply ran in.
        replan: String,
        /// Each reason, one sentence each.
        causes: Vec<String>,
    },
    /// The plan has changes a guard refuses; nothing was changed.
    #[error(
        "blocked: this plan has changes that need permission, so nothing was changed:\n{}\n  = hint: {hint}",
        bullets(.reasons)
    )]
    Blocked {
        /// Each blocked change and what allows it.
        reasons: Vec<String>,
        /// How to go on: for a saved plan, planning again with the permissions.
        hint: String,
    },
    /// The command line or environment is inconsistent (bad target, conflicting options).
    #[error("{0}")]
    Usage(String),
    /// The user did not confirm, or could not be asked.
    #[error("{0}")]
    NotConfirmed(String),
    /// Some operations of an apply failed; the others were recorded.
    #[error(
        "{failed} of {total} operations failed; the successful ones are recorded in the lockfile"
    )]
    ApplyFailed {
        /// How many failed.
        failed: usize,
        /// How many were attempted.
        total: usize,
    },
    /// Ctrl-C stopped an apply.
    #[error(
        "interrupted: {finished} operations finished and were recorded, {skipped} were not started\n  = hint: run apply again to carry out the rest"
    )]
    Interrupted {
        /// Operations that finished, successfully or not.
        finished: usize,
        /// Operations never started.
        skipped: usize,
    },
    /// Anything else, with context.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code for this error: the one mapping, documented in the README.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Blocked { .. } => exit::BLOCKED,
            // Another lockfile took this one's place: a person has to look.
            Error::Lock(LockError::Conflict {
                other_lineage: true,
                ..
            }) => exit::BLOCKED,
            Error::Lock(LockError::Conflict { .. })
            | Error::Stale { .. }
            | Error::Busy(LockBusy::Held { .. }) => exit::STALE_OR_BUSY,
            Error::ApplyFailed { failed, total } if failed < total => exit::PARTIAL,
            Error::Interrupted { .. } => exit::INTERRUPTED,
            Error::Manifest { .. }
            | Error::Recall(_)
            | Error::Lock(_)
            | Error::Busy(_)
            | Error::SavedPlan(_)
            | Error::NotConfirmed(_)
            | Error::ApplyFailed { .. }
            | Error::Other(_) => exit::ERROR,
        }
    }
}

fn bullets(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  - {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `1 problem`, `2 problems`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
