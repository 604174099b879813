//! The manifest: loading `recallform.yaml`, validating it, and resolving its credential
//! references.
//!
//! `load` goes from bytes to a validated [`Manifest`] without reading any secret or environment
//! variable, which is what `recallform validate` needs; [`credentials::resolve`] then turns a
//! manifest into [`crate::model::DesiredApp`]s for plan and apply. This module is the only user
//! of the YAML crate.

pub mod credentials;
pub mod names;
pub mod raw;
pub mod rules;
mod validate;

use std::path::{Path, PathBuf};

use url::Url;

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{Kind, Region};
pub use names::is_valid_name;
pub use raw::{Reference, ValueSource};
pub use rules::{EnvAllowlist, ReadRules};

/// A value together with where the manifest set it (`None` for defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where the manifest wrote it.
    pub location: Option<Location>,
}

/// A manifest that passed every offline check.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest's path, as given.
    pub path: PathBuf,
    /// The region, if the manifest names one.
    pub region: Option<Region>,
    /// The manifest's `base_url`, if set; already checked.
    pub base_url: Option<Url>,
    /// Where the API key is read from.
    pub api_key: Located<Reference>,
    /// The apps, in manifest order.
    pub apps: Vec<AppSpec>,
    /// Renames (`from`, `to`) of lockfile records.
    pub moves: Vec<(String, String)>,
    /// Guards for deletes.
    pub policy: Policy,
    /// SHA-256 of the manifest's text, so a saved plan can tell that it changed.
    pub sha256: String,
    /// The reading rules it was checked under; its references are read under the same ones.
    pub rules: ReadRules,
}

/// One app of a valid manifest; credentials are still references.
#[derive(Clone, Debug)]
pub struct AppSpec {
    /// The app's name.
    pub name: String,
    /// Where the name is written.
    pub location: Location,
    /// The Zoom app's kind.
    pub kind: Kind,
    /// The client ID, inline or a reference.
    pub client_id: Located<ValueSource>,
    /// Where the client secret is read from.
    pub client_secret: Located<Reference>,
    /// Where the webhook secret is read from.
    pub webhook_secret: Located<Reference>,
    /// `lifecycle.allow_replace`.
    pub allow_replace: bool,
    /// `lifecycle.protect`.
    pub protect: bool,
}

/// The manifest's `policy`, with defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `policy.allow_delete` (default `false`).
    pub allow_delete: bool,
    /// `policy.max_deletes` (default 3).
    pub max_deletes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_delete: false,
            max_deletes: 3,
        }
    }
}

impl Manifest {
    /// The folder that `{file: ...}` references are relative to.
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }
}

/// Reads and validates the manifest at `path` under `rules`: every problem found is returned
/// at once.
pub fn load(path: &Path, rules: &ReadRules) -> Result<Manifest, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![
            Diagnostic::new(
                "unreadable-manifest",
                format!("cannot read the manifest `{}`: {e}", path.display()),
                None,
            )
            .with_hint("pass its path with `-f/--manifest`"),
        ]
    })?;
    parse(path, &text, rules)
}

/// Parses and validates manifest text; `path` is used for locations and relative files.
pub fn parse(path: &Path, text: &str, rules: &ReadRules) -> Result<Manifest, Vec<Diagnostic>> {
    let raw: raw::RawManifest =
        serde_saphyr::from_str(text).map_err(|e| vec![yaml_error(path, &e)])?;
    let mut manifest = validate::validate(path, raw, rules)?;
    manifest.sha256 = crate::digest::sha256_hex(text.as_bytes());
    Ok(manifest)
}

/// Turns the YAML crate's error into a diagnostic with a stable code.
fn yaml_error(path: &Path, error: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    let location = error
        .location()
        .map(|l| Location::new(path, l.line(), l.column()));
    let (code, message, hint): (&'static str, String, Option<String>) =
        match error.without_snippet() {
            E::DuplicateMappingKey { key, .. } => (
                "duplicate-key",
                match key {
                    Some(k) => format!("the key `{k}` appears twice in one mapping"),
                    None => "a key appears twice in one mapping".into(),
                },
                Some("each app name, and each setting, may appear only once".into()),
            ),
            E::SerdeUnknownField {
                field, expected, ..
            } => (
                "unknown-key",
                format!("unknown key `{field}`"),
                Some(format!("expected one of {}", backticked(expected))),
            ),
            E::SerdeMissingField { field, .. } => (
                "missing-key",
                format!("the required key `{field}` is missing"),
                None,
            ),
            E::SerdeInvalidType {
                unexpected,
                expected,
                ..
            }
            | E::SerdeInvalidValue {
                unexpected,
                expected,
                ..
            } => (
                "invalid-type",
                format!("expected {expected}, found {unexpected}"),
                None,
            ),
            E::SerdeUnknownVariant {
                variant, expected, ..
            } => (
                "invalid-type",
                format!("unknown value `{variant}`"),
                Some(format!("expected one of {}", backticked(expected))),
            ),
            E::Message { msg, .. } => ("invalid-type", msg.clone(), None),
            E::Unexpected { expected, .. } => {
                ("invalid-type", format!("expected {expected} here"), None)
            }
            other => ("yaml-syntax", plain_message(other), None),
        };
    let mut d = Diagnostic::new(code, message, location);
    d.hint = hint;
    d
}

/// The YAML crate's message without its location suffix or source snippet (we print our own).
fn plain_message(error: &serde_saphyr::Error) -> String {
    let rendered = error
        .without_snippet()
        .render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        });
    let first = rendered.lines().next().unwrap_or("invalid YAML");
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// Formats names as a comma-separated list of `code` spans.
pub(crate) fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
