//! `recallform import NAME ID`: record an app that already exists in Recall under a manifest
//! name, after checking that it is the app the manifest describes.
//!
//! Every check runs before the lockfile is touched, and a refusal changes nothing: the name
//! must be in the manifest and not yet recorded, the ID not recorded under another name, and
//! Recall's app must exist with the manifest's kind and client ID. Only that app's client ID
//! is resolved; its secrets need not be set. The record carries no secret fingerprint, so the
//! next plan compares the manifest's secrets with Recall's copy where Recall shows it, and
//! shows the others as `(secret not yet recorded)`: apply then sends those once, not the
//! equal ones.
//!
//! Not for: apps the manifest does not name (add them first), or creating anything in Recall.

use clap::Args;

use super::target::{self, LockArgs};
use super::{Global, output};
use crate::error::{Error, exit};
use crate::lockfile::LockedApp;
use crate::manifest::{AppSpec, Manifest, credentials};
use crate::model::{RemoteApp, webhook_url};

/// Options of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The app's name in the manifest.
    pub name: String,
    /// The app's ID in Recall (the `id` that `plan` shows for unmanaged apps).
    pub id: String,
    #[command(flatten)]
    lock: LockArgs,
}

/// Checks the app against the manifest, the lockfile and Recall, then records it.
pub async fn run(global: &Global, args: &ImportArgs) -> Result<u8, Error> {
    let manifest = target::load_manifest(global, &global.manifest)?;
    let spec = manifest_entry(&manifest, &args.name)?;
    if args.id.trim().is_empty() {
        return Err(Error::Usage("the Recall ID is empty".into()));
    }
    let _lock = target::lock(&global.lockfile_path(), args.lock.lock_timeout)?;
    let connection = target::connect(global, &manifest)?;
    let mut store = target::open_for(global, &connection.target)?;
    let lockfile = store.path().display().to_string();
    if let Some(there) = store.apps().get(&args.name) {
        return Err(Error::Other(format!(
            "`{}` is already recorded in the lockfile `{lockfile}`, as the app `{}`\n  = hint: `recallform state rm {}` forgets it first (the app stays in Recall)",
            args.name, there.id, args.name
        )));
    }
    if let Some((other, _)) = store.apps().iter().find(|(_, a)| a.id == args.id) {
        return Err(Error::Other(format!(
            "the app `{}` is already recorded in the lockfile `{lockfile}` as `{other}`\n  = hint: `recallform state mv {other} {}` renames the record",
            args.id, args.name
        )));
    }
    let client_id = credentials::resolve_client_id(&manifest, spec, &credentials::process_env)
        .map_err(|d| crate::session::manifest_error(&manifest.path, vec![d]))?;
    let Some(remote) = connection.client.get_app(&args.id).await? else {
        return Err(Error::Other(format!(
            "Recall has no app `{}` at `{}`\n  = hint: `recallform plan` lists the apps recallform does not manage, with their IDs",
            args.id, connection.target.name
        )));
    };
    check_same_app(spec, &client_id, &remote)?;

    let record = LockedApp {
        id: remote.id.clone(),
        kind: remote.kind.clone(),
        client_id: remote.client_id.clone(),
        created_at: remote.created_at.clone(),
        webhook_url: webhook_url(&connection.target.public_base, &remote.id),
        ..LockedApp::default()
    };
    let url = record.webhook_url.clone();
    store.record(&args.name, record)?;
    if !global.quiet {
        output::data(&format!(
            "zoom_oauth_app.{}: imported `{}`\n    webhook URL: {url}\n",
            args.name, remote.id
        ));
        output::message(
            "no secret is recorded for it yet: the next plan shows the manifest's secrets as `(secret not yet recorded)`, unless Recall shows the same ones, and the apply after it sends them once",
        );
    }
    Ok(exit::SUCCESS)
}

/// The manifest's entry `name`, or an error listing the names it has.
fn manifest_entry<'a>(manifest: &'a Manifest, name: &str) -> Result<&'a AppSpec, Error> {
    manifest
        .apps
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| {
            let names: Vec<String> = manifest
                .apps
                .iter()
                .map(|a| format!("`{}`", a.name))
                .collect();
            let hint = if names.is_empty() {
                "it has no app; add the app to `zoom_oauth_apps` first".to_string()
            } else {
                format!(
                    "it has {}; add the app to `zoom_oauth_apps` first",
                    names.join(", ")
                )
            };
            Error::Other(format!(
                "the manifest `{}` has no app `{name}`\n  = hint: {hint}",
                manifest.path.display()
            ))
        })
}

/// Refuses an app whose kind or client ID differ from the manifest's: recording it would make
/// the next plan want to replace it.
fn check_same_app(spec: &AppSpec, client_id: &str, remote: &RemoteApp) -> Result<(), Error> {
    let differs = |field: &str, recall: &str, manifest: &str| {
        Error::Other(format!(
            "Recall's app `{}` has {field} `{recall}`, but the manifest's `{}` has `{manifest}`; nothing was recorded\n  = hint: Recall cannot change {field}: import the app whose {field} matches, or correct the manifest",
            remote.id, spec.name
        ))
    };
    // Recall's values are escaped: a hostile one must not reach the terminal raw.
    if remote.kind != spec.kind.as_str() {
        let recall = remote.kind.escape_debug().to_string();
        return Err(differs("kind", &recall, spec.kind.as_str()));
    }
    if remote.client_id != client_id {
        let recall = remote.client_id.escape_debug().to_string();
        return Err(differs("client_id", &recall, client_id));
    }
    Ok(())
}
