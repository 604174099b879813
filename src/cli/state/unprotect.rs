//! `recallform state unprotect NAME`: clear a recorded app's `protect`.
//!
//! `protect` is copied into the lockfile so that an app stays protected after it leaves the
//! manifest; this is the one deliberate way to lift it, so that such an app can be deleted.
//!
//! Not for: protecting an app (that is the manifest's job) or deleting it (that is `apply`).

use clap::Args;

use super::recorded;
use crate::cli::target::{self, LockArgs};
use crate::cli::{Global, output};
use crate::error::{Error, exit};

/// Options of `state unprotect`.
#[derive(Debug, Args)]
pub struct UnprotectArgs {
    /// The recorded name.
    pub name: String,
    #[command(flatten)]
    lock: LockArgs,
}

/// Sets `protect` to false under the apply lock; writes nothing if it already was.
pub fn run(global: &Global, args: &UnprotectArgs) -> Result<u8, Error> {
    let _lock = target::lock(&global.lockfile_path(), args.lock.lock_timeout)?;
    let mut store = target::open_recorded(global)?;
    let app = recorded(&store, &args.name)?;
    let (id, was) = (app.id.clone(), app.protect);
    if was {
        store.change(|apps| {
            if let Some(app) = apps.get_mut(&args.name) {
                app.protect = false;
            }
        })?;
    }
    if !global.quiet {
        output::data(&if was {
            format!(
                "`{}` (`{id}`) is no longer protected: apply may delete or replace it\n",
                args.name
            )
        } else {
            format!("`{}` was not protected; nothing changed\n", args.name)
        });
    }
    Ok(exit::SUCCESS)
}
