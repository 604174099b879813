//! `recallform validate`: offline checks of the manifest, for people (text on stderr, one line
//! on stdout) or for programs (`--format json` on stdout).

use std::path::Path;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::{Global, output};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, exit, plural};
use crate::manifest::{self, Manifest};

/// The `format_version` of `validate --format json`; bumped only on incompatible changes.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// Options of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// How to report: `text` for people, `json` for editors and CI annotations (on stdout,
    /// with the same exit code).
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text, value_name = "FORMAT")]
    pub format: ValidateFormat,
}

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Diagnostics on stderr, as rustc prints them.
    #[default]
    Text,
    /// The diagnostics as one JSON document on stdout (`format_version` 1).
    Json,
}

/// Loads and validates the manifest; reads no secret and sends no request. Warnings do not
/// fail it.
pub fn run(global: &Global, args: &ValidateArgs) -> Result<u8, Error> {
    let path = &global.manifest;
    let result = manifest::load(path, &global.read_rules()?);
    if args.format == ValidateFormat::Json {
        output::data(&report_json(path, &result));
        return Ok(if result.is_ok() {
            exit::SUCCESS
        } else {
            exit::ERROR
        });
    }
    let m = result.map_err(|ds| crate::session::manifest_error(path, ds))?;
    if !global.quiet {
        output::diagnostics(&m.warnings);
        let with = match m.warnings.len() {
            0 => String::new(),
            n => format!(", with {}", plural(n, "warning")),
        };
        output::data(&format!(
            "`{}` is valid ({}){with}\n",
            path.display(),
            plural(m.apps.len(), "app")
        ));
    }
    Ok(exit::SUCCESS)
}

/// The JSON report: whether the manifest is valid, and every diagnostic with its location
/// (`line` and `column` from 1, `null` when unknown).
fn report_json(path: &Path, result: &Result<Manifest, Vec<Diagnostic>>) -> String {
    let diagnostics = match result {
        Ok(m) => &m.warnings,
        Err(ds) => ds,
    };
    let entries: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let file = d.location.as_ref().map_or(path, |l| l.file.as_path());
            json!({
                "severity": d.severity.as_str(),
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
                "file": file.display().to_string(),
                "line": d.location.as_ref().map(|l| l.line),
                "column": d.location.as_ref().map(|l| l.column),
            })
        })
        .collect();
    let doc = json!({
        "format_version": JSON_FORMAT_VERSION,
        "valid": result.is_ok(),
        "diagnostics": entries,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON serializes");
    text.push('\n');
    text
}
