//! `recallform validate`: offline checks of the manifest.

use super::Global;
use super::output;
use crate::error::{Error, exit, plural};

/// Loads and validates the manifest; reads no secret and sends no request.
pub fn run(global: &Global) -> Result<u8, Error> {
    let m = super::target::load_manifest(global, &global.manifest)?;
    output::data(&format!(
        "`{}` is valid ({})\n",
        global.manifest.display(),
        plural(m.apps.len(), "app")
    ));
    Ok(exit::SUCCESS)
}
