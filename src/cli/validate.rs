//! `recallform validate`: offline checks of the manifest, for people (text on stderr, one line
//! on stdout) or for programs (`--format json` on stdout).
//!
//! It reads no secret and sends no request. It reads the manifest, an app's `zoom.manifest`
//! (Zoom's app manifest, under the reading rules), and, only when some app names one, the
//! lockfile, for the Recall webhook URLs the Zoom app manifests' endpoints must match.

use std::path::Path;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::{Global, output};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{Error, exit, plural};
use crate::lockfile::LockStore;
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
    /// Treat warnings as errors: report them as errors and exit 1.
    #[arg(long)]
    pub strict: bool,
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
/// fail it, unless `--strict`.
pub fn run(global: &Global, args: &ValidateArgs) -> Result<u8, Error> {
    let path = &global.manifest;
    let result = match manifest::load(path, &global.read_rules()?) {
        Ok(mut m) => {
            if m.has_zoom_manifests() {
                let lock = LockStore::open_any(&global.lockfile_path())?;
                m.check_zoom_endpoints(|name| lock.apps().get(name).map(|a| a.webhook_url.clone()));
            }
            match (args.strict, m.warnings.is_empty()) {
                (true, false) => Err(as_errors(m.warnings)),
                _ => Ok(m),
            }
        }
        Err(ds) if args.strict => Err(as_errors(ds)),
        Err(ds) => Err(ds),
    };
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

/// The diagnostics with every warning made an error, as `--strict` reports them.
pub fn as_errors(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .map(|d| Diagnostic {
            severity: Severity::Error,
            ..d
        })
        .collect()
}

/// For `--strict` on plan and apply: the error that stops the command when the manifest has
/// warnings, reported as errors.
pub fn strict_error(manifest: &Path, warnings: &[Diagnostic]) -> Option<Error> {
    (!warnings.is_empty())
        .then(|| crate::session::manifest_error(manifest, as_errors(warnings.to_vec())))
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
