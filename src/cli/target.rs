//! What the commands that edit the record share: the apply lock, the lockfile, the manifest,
//! and a client for the manifest's Recall with only the API key resolved.
//!
//! `state`, `import` and `export` change the lockfile, so they take the same lock as `apply`.
//! Only `import` talks to the manifest's Recall, and it must not need every app's secrets to
//! do so: [`connect`] resolves the API key alone.
//!
//! Not for: plan and apply, which resolve every credential before the first request (see
//! [`super::session`]).

use std::path::Path;
use std::time::Duration;

use super::Global;
use crate::apply_lock::ApplyLock;
use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::{self, Manifest, credentials};
use crate::model::SecretString;
use crate::recall::Client;
use crate::recall::target::{self, Target};

/// The command as typed, for the lock file's "who holds it".
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("recallform {}", args.join(" "))
}

/// Takes the apply lock of `lockfile`, waiting up to `timeout_secs` seconds for its holder.
pub fn lock(lockfile: &Path, timeout_secs: u64) -> Result<ApplyLock, Error> {
    Ok(ApplyLock::acquire(
        lockfile,
        Duration::from_secs(timeout_secs),
        &command_line(),
    )?)
}

/// The lockfile of the command line, whatever target it records: for commands that read or
/// edit the record without talking to Recall.
pub fn open_recorded(global: &Global) -> Result<LockStore, Error> {
    Ok(LockStore::open_any(&global.lockfile_path())?)
}

/// Loads and validates the manifest at `path` under the command line's reading rules; reads
/// no secret.
pub fn load_manifest(global: &Global, path: &Path) -> Result<Manifest, Error> {
    let rules = global.read_rules()?;
    manifest::load(path, &rules).map_err(|diagnostics| manifest_error(path, diagnostics))
}

/// The error for problems found in the manifest at `path`.
pub fn manifest_error(path: &Path, diagnostics: Vec<crate::diagnostic::Diagnostic>) -> Error {
    Error::Manifest {
        file: path.display().to_string(),
        diagnostics,
    }
}

/// The manifest's Recall and a client for it.
pub struct Connection {
    /// Which Recall: where requests go and what the lockfile records.
    pub target: Target,
    /// The client, with the manifest's API key.
    pub client: Client,
}

/// Resolves the target (`--api-url`, `RECALL_API_URL`, the manifest) and the manifest's API
/// key, and builds a client; no app's credentials are read.
pub fn connect(global: &Global, manifest: &Manifest) -> Result<Connection, Error> {
    let target = target::resolve(global.api_url.as_deref(), manifest).map_err(Error::Usage)?;
    let key = credentials::resolve_api_key(manifest, &credentials::process_env)
        .map_err(|d| manifest_error(&manifest.path, vec![d]))?;
    let client = client(global, &target, key)?;
    Ok(Connection { target, client })
}

/// A client for `target` with `key`, waiting `--timeout` for each answer, and able to say
/// where the target's URL came from in its hints.
pub fn client(global: &Global, target: &Target, key: SecretString) -> Result<Client, Error> {
    let origin = target.origin.describe(global.api_url_on_command_line);
    Ok(Client::new(
        target.api_url.clone(),
        key,
        Duration::from_secs(global.timeout),
    )?
    .with_origin(origin))
}

/// Opens the lockfile for `target`, refusing one that records another Recall.
pub fn open_for(global: &Global, target: &Target) -> Result<LockStore, Error> {
    Ok(LockStore::open(&global.lockfile_path(), &target.name)?)
}

/// `--lock-timeout`, for every command that changes the lockfile.
#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// How long to wait for another command (an apply, say) to release the lock; 0 fails at
    /// once (exit 4).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub lock_timeout: u64,
}
