//! `recallform zoom ...`: the Zoom side of each app. `zoom checklist` prints what to set in the
//! Zoom Marketplace, in the order of Zoom's screens, from the manifest, the lockfile (the
//! webhook URLs) and one list call to Recall (`webhook_last_validation`).
//!
//! Not for: changing anything. It reads no secret except the API key (and, with `--sandbox`,
//! the secrets the sandbox session resolves), and calls Recall only when a selected app is
//! recorded.

use std::collections::BTreeSet;

use clap::{Args, Subcommand, ValueEnum};

use super::{Global, output};
use crate::error::{Error, exit};
use crate::lockfile::LockStore;
use crate::manifest::Manifest;
use crate::model::RemoteApp;
use crate::session::{self, Permissions, Session};
use crate::zoom::checklist::{self, AppChecklist, Recall, Validation};

/// The `zoom` commands.
#[derive(Debug, Subcommand)]
pub enum ZoomCommand {
    /// Print what to set in the Zoom Marketplace for each app, in the order of Zoom's screens.
    Checklist(ChecklistArgs),
}

/// Options of `zoom checklist`.
#[derive(Debug, Args)]
pub struct ChecklistArgs {
    /// The apps to list, by manifest name [default: every app of the manifest].
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// `text` for a terminal, `markdown` for a pull request or a wiki page.
    #[arg(long, value_enum, default_value_t = ChecklistFormat::Text, value_name = "FORMAT")]
    pub format: ChecklistFormat,
    /// Read the webhook URLs and validations of the built-in Recall emulator (state in
    /// `.recallform/` beside the manifest), as `apply --sandbox` recorded them.
    #[arg(long)]
    pub sandbox: bool,
}

/// Output formats of `zoom checklist`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ChecklistFormat {
    /// Numbered steps, for a terminal.
    #[default]
    Text,
    /// A task list per app (GitHub Markdown), for a pull request or a wiki page.
    Markdown,
}

/// Runs a `zoom` command.
pub async fn run(global: &Global, command: &ZoomCommand) -> Result<u8, Error> {
    match command {
        ZoomCommand::Checklist(args) => run_checklist(global, args).await,
    }
}

/// Loads the manifest, picks the apps, reads what the lockfile and Recall know of them, and
/// prints their checklists.
async fn run_checklist(global: &Global, args: &ChecklistArgs) -> Result<u8, Error> {
    let options = global.options()?;
    let mut manifest = session::load_manifest(&options.manifest, &options.rules)?;
    let selected = select(&manifest, &args.names)?;

    let (recorded, remote, open) = if args.sandbox {
        // The sandbox runs inside a session (which also plans; the plan is not shown).
        let open = Session::open(&options, true, &Permissions::default()).await?;
        let recorded = open.lock().content().zoom_oauth_apps.clone();
        let remote = open.remote.clone();
        (recorded, Some(remote), Some(open))
    } else {
        let target =
            session::resolve_target(options.api_url.as_deref(), &manifest).map_err(Error::Usage)?;
        let lock = LockStore::open(&options.lockfile, &target.name)?;
        let recorded = lock.apps().clone();
        // Only recorded apps have a validation to read: without one, no request is sent.
        let remote = if selected.iter().any(|name| recorded.contains_key(name)) {
            let connection = session::connect(&options, &manifest)?;
            Some(connection.client.list_apps(None).await?)
        } else {
            None
        };
        (recorded, remote, None)
    };
    manifest.check_zoom_endpoints(|name| recorded.get(name).map(|a| a.webhook_url.clone()));
    if !global.quiet {
        output::diagnostics(&manifest.warnings);
    }

    // By name and by ID, so that each app costs the same however many there are.
    let selected: std::collections::HashSet<&str> = selected.iter().map(String::as_str).collect();
    let remote: std::collections::HashMap<&str, &RemoteApp> = remote
        .iter()
        .flatten()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let lists: Vec<AppChecklist> = manifest
        .apps
        .iter()
        .filter(|a| selected.contains(a.name.as_str()))
        .map(|spec| {
            let recall = match recorded.get(&spec.name) {
                None => Recall::NotRecorded,
                Some(locked) => Recall::Recorded {
                    id: locked.id.clone(),
                    webhook_url: locked.webhook_url.clone(),
                    sandbox: args.sandbox,
                    validation: validation(remote.get(locked.id.as_str()).copied()),
                },
            };
            AppChecklist::new(spec, recall)
        })
        .collect();
    match args.format {
        ChecklistFormat::Markdown => output::data(&checklist::markdown(&lists)),
        ChecklistFormat::Text if !global.quiet => output::data(&checklist::text(&lists)),
        ChecklistFormat::Text => {}
    }
    if lists.is_empty() && !global.quiet {
        output::message(&format!(
            "the manifest `{}` has no app\n  = hint: add the apps to `zoom_oauth_apps` first",
            manifest.path.display()
        ));
    }
    if let Some(open) = open {
        open.close().await;
    }
    Ok(exit::SUCCESS)
}

/// The names of the apps named on the command line (every app when none is), or a usage error
/// naming the manifest's apps for a name it does not have.
fn select(manifest: &Manifest, names: &[String]) -> Result<BTreeSet<String>, Error> {
    let all = manifest.apps.iter().map(|a| a.name.clone());
    if names.is_empty() {
        return Ok(all.collect());
    }
    let known: BTreeSet<&str> = manifest.apps.iter().map(|a| a.name.as_str()).collect();
    if let Some(name) = names.iter().find(|n| !known.contains(n.as_str())) {
        let hint = if known.is_empty() {
            "the manifest has no app yet".to_string()
        } else {
            let names: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
            format!("the manifest's apps: {}", names.join(", "))
        };
        return Err(Error::Usage(format!(
            "the manifest `{}` has no app `{}`\n  = hint: {hint}",
            manifest.path.display(),
            name.escape_debug()
        )));
    }
    Ok(all.filter(|n| names.contains(n)).collect())
}

/// What Recall says of the validation of a recorded app, found there or gone.
fn validation(remote: Option<&RemoteApp>) -> Validation {
    match remote {
        None => Validation::Gone,
        Some(RemoteApp {
            webhook_last_validation: Some(at),
            ..
        }) => Validation::At(at.clone()),
        Some(_) => Validation::Never,
    }
}
