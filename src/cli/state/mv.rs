//! `recallform state mv OLD NEW`: rename a recorded app, so that renaming it in the manifest
//! does not read as one app removed and another adopted.
//!
//! Not for: anything in Recall, which never sees manifest names.

use clap::Args;

use super::recorded;
use crate::cli::target::{self, LockArgs};
use crate::cli::{Global, output};
use crate::error::{Error, exit};
use crate::manifest::is_valid_name;

/// Options of `state mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    /// The recorded name.
    pub old: String,
    /// The new name: lowercase letters, digits and '-', 1 to 63 characters, starting with a
    /// letter or a digit.
    #[arg(value_parser = app_name)]
    pub new: String,
    #[command(flatten)]
    lock: LockArgs,
}

/// Renames the record under the apply lock.
pub fn run(global: &Global, args: &MvArgs) -> Result<u8, Error> {
    let _lock = target::lock(&global.lockfile_path(), args.lock.lock_timeout)?;
    let mut store = target::open_recorded(global)?;
    let id = recorded(&store, &args.old)?.id.clone();
    if let Some(there) = store.apps().get(&args.new) {
        return Err(Error::Other(format!(
            "`{}` is already recorded in the lockfile `{}`, as the app `{}`\n  = hint: `recallform state rm {}` forgets it first (the app stays in Recall)",
            args.new,
            store.path().display(),
            there.id,
            args.new
        )));
    }
    store.rename(&args.old, &args.new)?;
    if !global.quiet {
        output::data(&format!(
            "renamed `{}` to `{}` (`{id}`)\n",
            args.old, args.new
        ));
    }
    Ok(exit::SUCCESS)
}

/// Accepts a valid app name, for clap.
fn app_name(name: &str) -> Result<String, String> {
    if is_valid_name(name) {
        Ok(name.to_string())
    } else {
        Err("app names use lowercase letters, digits and '-', 1 to 63 characters, starting with a letter or a digit".into())
    }
}
