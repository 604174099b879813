//! An app's `zoom:`, checked: its keys, the Zoom app manifest it names, and what it declares
//! against what Recall needs ([`crate::zoom`]'s tables).
//!
//! `zoom.manifest` is the one file `validate` reads. It is not a secret, but it is read like
//! one: through the credentials reader, confined to the manifest's folder and size-capped, and
//! only the fields Recall's needs are checked against are kept (Zoom's manifest can hold custom
//! header credentials).
//!
//! What the Zoom app is granted and sends is set by hand in the Zoom Marketplace, where
//! recallform cannot look; so every finding about it is a warning (an error with `--strict`),
//! located at the key that declares it. Malformed keys are errors, as elsewhere.
//!
//! Not for: the tables themselves, which are in [`crate::zoom`].

use serde_saphyr::Spanned;

mod endpoints;
mod lint;

use super::raw::{RawSource, RawZoom, Reference};
use super::validate::{Checker, check_reference};
use super::{Located, ZoomManifestFile, ZoomSpec, credentials, folder_of};
use crate::diagnostic::{Diagnostic, Location, did_you_mean};
use crate::model::Kind;
use crate::zoom::ScopeModel;
use crate::zoom::app_manifest::ZoomAppManifest;
pub(super) use endpoints::endpoints;
use lint::lint;

/// Checks `zoom:` of the app `app` (of `kind`, when valid), reads its Zoom app manifest, and
/// reports what Recall would miss. `None` when a key is wrong (an error is reported).
pub(super) fn check(
    c: &mut Checker,
    app: &str,
    kind: Option<Kind>,
    raw: RawZoom,
) -> Option<ZoomSpec> {
    let scopes = scope_model(c, app, raw.scopes.as_ref());
    let manifest = match &raw.manifest {
        None => Some(None),
        Some(source) => zoom_manifest(c, app, source).map(Some),
    };
    let (scopes, manifest) = (scopes?, manifest?);
    let list = |c: &Checker, l: &Spanned<Vec<Spanned<String>>>| Located {
        value: l
            .value
            .iter()
            .map(|s| Located {
                value: s.value.clone(),
                location: Some(c.at(s)),
            })
            .collect(),
        location: Some(list_at(c, l)),
    };
    let spec = ZoomSpec {
        scopes,
        granted: raw.granted.as_ref().map(|l| list(c, l)),
        events: raw.events.as_ref().map(|l| list(c, l)),
        sdk: match &raw.sdk {
            Some(s) => Located {
                value: s.value,
                location: Some(c.at(s)),
            },
            None => Located {
                value: false,
                location: None,
            },
        },
        manifest,
    };
    if let Some(kind) = kind {
        for d in lint(app, kind, &spec) {
            c.report(d);
        }
    }
    Some(spec)
}

/// Where a list is written: its key for a block list (whose location is its first `-`, which
/// would read as a problem with that item), the `[` of a flow list.
fn list_at<T>(c: &Checker, list: &Spanned<T>) -> Location {
    let at = c.at(list);
    let dash = super::source::value_at(&c.lines, at.line, at.column).is_none()
        && c.lines
            .get(at.line)
            .and_then(|l| l.chars().nth(at.column as usize - 1))
            == Some('-');
    match super::source::parent_key(&c.lines, at.line, at.column) {
        Some((_, line, column)) if dash => Location::new(c.path, line, column),
        _ => at,
    }
}

/// `zoom.scopes`: `granular` or `legacy`, `granular` when not written.
fn scope_model(
    c: &mut Checker,
    app: &str,
    raw: Option<&Spanned<String>>,
) -> Option<Located<ScopeModel>> {
    let Some(raw) = raw else {
        return Some(Located {
            value: ScopeModel::default(),
            location: None,
        });
    };
    let at = c.at(raw);
    if let Some(model) = ScopeModel::parse(raw.value.trim()) {
        return Some(Located {
            value: model,
            location: Some(at),
        });
    }
    let names: Vec<&str> = ScopeModel::ALL.iter().map(|m| m.as_str()).collect();
    let hint = match did_you_mean(&raw.value, &names) {
        Some(close) => format!("did you mean `{close}`?"),
        None => {
            "use `granular` (Zoom apps created after 2024-03-21) or `legacy` (older ones)".into()
        }
    };
    c.report(
        Diagnostic::new(
            "invalid-scope-model",
            format!(
                "`zoom.scopes` of `{app}` is `{}`, which is not a scope model",
                raw.value.escape_debug()
            ),
            Some(at),
        )
        .with_hint(hint),
    );
    None
}

/// `zoom.manifest`: a `{file: PATH}` under the reading rules, read and parsed.
fn zoom_manifest(
    c: &mut Checker,
    app: &str,
    source: &Spanned<RawSource>,
) -> Option<ZoomManifestFile> {
    let at = c.at(source);
    let rel = match &source.value {
        RawSource::Reference(Reference::File(rel)) => rel.clone(),
        _ => {
            c.report(
                Diagnostic::new(
                    "invalid-reference",
                    format!("`zoom.manifest` of `{app}` is not a `{{file: PATH}}`"),
                    Some(at),
                )
                .with_hint("write `manifest: {file: zoom/APP.manifest.json}`, the app manifest JSON downloaded from Zoom's build flow, relative to this manifest's folder"),
            );
            return None;
        }
    };
    if !check_reference(
        c,
        &Reference::File(rel.clone()),
        &at,
        Some(app),
        "zoom.manifest",
    ) {
        return None;
    }
    let dir = folder_of(c.path);
    let text = match credentials::read_plain_file(dir, c.rules, &rel, &Some(at.clone())) {
        Ok(text) => text,
        Err(d) => {
            c.report(d);
            return None;
        }
    };
    match ZoomAppManifest::parse(&text) {
        Ok(content) => Some(ZoomManifestFile {
            file: rel,
            location: at,
            content,
        }),
        Err(e) => {
            // Located in the JSON file, which gets no snippet: it may hold header credentials.
            let json = if dir == std::path::Path::new(".") {
                std::path::PathBuf::from(&rel)
            } else {
                dir.join(&rel)
            };
            c.report(
                Diagnostic::new(
                    "invalid-zoom-manifest",
                    format!(
                        "the Zoom app manifest `{rel}` of `{app}` {} (line {}, column {})",
                        e.why, e.line, e.column
                    ),
                    Some(Location::new(&json, e.line, e.column)),
                )
                .with_hint("download it again from Zoom's build flow (your app > Basic Information > Manifest), or leave `zoom.manifest` out"),
            );
            None
        }
    }
}
