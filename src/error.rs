//! The error type of the commands, and the one place errors become exit codes.

use crate::diagnostic::Diagnostic;
use crate::lockfile::LockError;
use crate::recall::RecallError;

/// Exit codes: a contract with scripts and CI pipelines (documented in the README).
pub mod exit {
    /// Success; with `--detailed-exitcode`, success and no changes.
    pub const SUCCESS: u8 = 0;
    /// Any error: invalid input, Recall errors, failed operations, refused confirmation.
    pub const ERROR: u8 = 1;
    /// With `--detailed-exitcode`: success, and there are changes.
    pub const CHANGES: u8 = 2;
    /// The command line itself is wrong (EX_USAGE from sysexits.h).
    pub const USAGE: u8 = 64;
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
    /// Anything else, with context.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Manifest { .. }
            | Error::Recall(_)
            | Error::Lock(_)
            | Error::NotConfirmed(_)
            | Error::ApplyFailed { .. }
            | Error::Other(_) => exit::ERROR,
        }
    }
}

/// `1 problem`, `2 problems`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
