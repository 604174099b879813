//! `recallform schema`: the manifest's JSON Schema, for editors.

use super::output;
use crate::error::{Error, exit};
use crate::manifest::raw::RawManifest;

/// The schema as committed in `schema/recallform.schema.json`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawManifest);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}

/// Prints the schema.
pub fn run() -> Result<u8, Error> {
    output::data(&schema_json());
    Ok(exit::SUCCESS)
}
