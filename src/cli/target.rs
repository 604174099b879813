//! The command line's side of a session: [`Global`] and the shared options turned into
//! [`session::Options`] and [`session::Permissions`], and the small helpers the commands that
//! edit the record share (the apply lock with the command as its holder, the lockfile).
//!
//! Not for: loading, resolving or talking to Recall, which [`crate::session`] does for every
//! command alike.

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::Global;
use crate::apply_lock::ApplyLock;
use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::Manifest;
use crate::recall::target::Target;
use crate::session::{self, Connection, Options, Permissions};

impl Global {
    /// The session's options as the command line gives them.
    pub fn options(&self) -> Result<Options, Error> {
        Ok(Options {
            manifest: self.manifest.clone(),
            lockfile: self.lockfile_path(),
            api_url: self.api_url.clone(),
            api_url_typed: self.api_url_on_command_line,
            timeout: Duration::from_secs(self.timeout),
            rules: self.read_rules()?,
            rate_limit: self.rate_limit,
        })
    }
}

/// The command as typed, for the lock file's "who holds it".
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("recallform {}", args.join(" "))
}

/// Takes the apply lock of `lockfile` for this command, waiting up to `timeout_secs` seconds
/// for its holder.
pub fn lock(lockfile: &Path, timeout_secs: u64) -> Result<ApplyLock, Error> {
    session::lock(lockfile, Duration::from_secs(timeout_secs), &command_line())
}

/// The lockfile of the command line, whatever target it records: for commands that read or
/// edit the record without talking to Recall.
pub fn open_recorded(global: &Global) -> Result<LockStore, Error> {
    Ok(LockStore::open_any(&global.lockfile_path())?)
}

/// Loads and validates the manifest at `path` under the command line's reading rules; reads
/// no secret.
pub fn load_manifest(global: &Global, path: &Path) -> Result<Manifest, Error> {
    session::load_manifest(path, &global.read_rules()?)
}

/// The manifest's Recall and a client for it, with only the API key resolved.
pub fn connect(global: &Global, manifest: &Manifest) -> Result<Connection, Error> {
    session::connect(&global.options()?, manifest)
}

/// Opens the lockfile for `target`, refusing one that records another Recall.
pub fn open_for(global: &Global, target: &Target) -> Result<LockStore, Error> {
    Ok(LockStore::open(&global.lockfile_path(), &target.name)?)
}

/// `--lock-timeout`, for every command that changes the lockfile.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// How long to wait for another command (an apply, say) to release the lock; 0 fails at
    /// once (exit 4).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub lock_timeout: u64,
}

/// The guard and scope options plan and apply share.
#[derive(Debug, Default, Args)]
pub struct GuardArgs {
    /// Allow deleting the Recall apps of entries removed from the manifest.
    #[arg(long)]
    pub allow_delete: bool,
    /// Allow replacing NAME (a new Recall ID and webhook URL) when its kind or client_id changed.
    #[arg(long, value_name = "NAME")]
    pub allow_replace: Vec<String>,
    /// Allow more deletes than `policy.max_deletes`.
    #[arg(long)]
    pub force: bool,
    /// Limit the plan to NAME (repeatable); the result is partial.
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
}

impl GuardArgs {
    /// The permissions these options give the session's plan.
    pub fn permissions(&self) -> Permissions {
        Permissions {
            allow_delete: self.allow_delete,
            allow_replace: self.allow_replace.clone(),
            force: self.force,
            targets: self.target.clone(),
        }
    }
}
