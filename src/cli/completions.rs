//! `recallform completions`: a shell completion script, generated from the command line's own
//! definition so it never falls behind the options.
//!
//! It offers what `--help` shows: not the global options a command has no use for (see
//! `unused_globals`). It only prints the script; installing it is the shell's business (see
//! the README).

use clap_complete::Shell;

use super::output;
use crate::error::{Error, exit};

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> Result<u8, Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut super::completed(), "recallform", &mut script);
    let script = String::from_utf8(script)
        .map_err(|e| Error::Other(format!("the `{shell}` completion script is not UTF-8: {e}")))?;
    output::data(&script);
    Ok(exit::SUCCESS)
}
