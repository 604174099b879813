//! `recallform state rm NAME`: forget a recorded app. The app stays in Recall, untouched.
//!
//! Not for: deleting an app in Recall. After `rm`, the next plan adopts the app again if the
//! manifest has an app with its client ID, and lists it as unmanaged otherwise.

use clap::Args;

use super::recorded;
use crate::cli::target::{self, LockArgs};
use crate::cli::{Global, output};
use crate::error::{Error, exit};

/// Options of `state rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The recorded name.
    pub name: String,
    #[command(flatten)]
    lock: LockArgs,
}

/// Drops the record under the apply lock and says what the next plan will make of the app.
pub fn run(global: &Global, args: &RmArgs) -> Result<u8, Error> {
    let _lock = target::lock(&global.lockfile_path(), args.lock.lock_timeout)?;
    let mut store = target::open_recorded(global)?;
    let app = recorded(&store, &args.name)?.clone();
    store.forget(&args.name)?;
    if global.quiet {
        return Ok(exit::SUCCESS);
    }
    output::data(&format!(
        "removed `{}` from the lockfile; the app `{}` stays in Recall\n",
        args.name, app.id
    ));
    let mut note = format!(
        "the next plan adopts `{}` again if the manifest has an app with client_id `{}`, and lists it as unmanaged otherwise",
        app.id, app.client_id
    );
    if !app.deposed.is_empty() {
        let ids: Vec<String> = app.deposed.iter().map(|id| format!("`{id}`")).collect();
        note.push_str(&format!(
            "\nits deposed apps {} stay in Recall too, unmanaged",
            ids.join(", ")
        ));
    }
    output::message(&note);
    Ok(exit::SUCCESS)
}
