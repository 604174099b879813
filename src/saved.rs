//! Saved plans: `plan --out FILE` writes one, `apply FILE` carries it out exactly, `show FILE`
//! renders it.
//!
//! A saved plan records what it was computed from (its [`Basis`]): the manifest's digest, an
//! HMAC of every resolved credential input, the lockfile's lineage and serial, and a
//! fingerprint of every Recall app it saw. `apply FILE` recomputes the basis and refuses a
//! plan whose world has moved on, naming each cause, because a reviewed plan is only safe to
//! apply against the state it was reviewed against.
//!
//! Secrets never enter the file: each input is an HMAC-SHA256 keyed with a random salt kept in
//! the file, so equal values can be recognised without storing them (or a bare hash of them).
//!
//! The manifest and lockfile are recorded both as given and relative to the plan file, so a
//! plan applies from any working folder (see [`paths`]).
//!
//! Not for: computing plans (that is `plan`) or carrying them out (that is `apply`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

mod paths;

pub use paths::Located;
use paths::{folder_of, relative};

use crate::digest::{hmac_sha256_hex, sha256_hex};
use crate::model::{DesiredApp, RemoteApp, SecretString};
use crate::plan::Plan;

/// The saved-plan format this recallform writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// What marks a file as a recallform plan.
const KIND: &str = "recallform-plan";

/// A plan file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    /// Always `recallform-plan`.
    pub kind: String,
    /// The file format's version.
    pub format_version: u32,
    /// The recallform that wrote it.
    pub recallform_version: String,
    /// When it was written.
    pub created_at: String,
    /// Whether it was planned against `--sandbox`.
    pub sandbox: bool,
    /// The target the lockfile records (`api_url` there).
    pub target: String,
    /// The manifest's path, as given when planning (relative to the folder plan ran in).
    pub manifest: String,
    /// The lockfile's path, as given when planning.
    pub lockfile: String,
    /// The manifest's path relative to the plan file's folder, so that the plan applies from
    /// any working folder; absent from plan files of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_from_plan: Option<String>,
    /// The lockfile's path relative to the plan file's folder; see `manifest_from_plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockfile_from_plan: Option<String>,
    /// What the plan was computed from.
    pub basis: Basis,
    /// The plan itself.
    pub plan: Plan,
}

/// What a plan was computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// SHA-256 of the manifest's text.
    pub manifest_sha256: String,
    /// The salt of the input HMACs (random, hex).
    pub inputs_salt: String,
    /// HMAC-SHA256 of each resolved input (API key, client IDs, secrets), by label.
    pub inputs: BTreeMap<String, String>,
    /// The lockfile's lineage and serial, or `None` when there was none.
    pub lockfile: Option<LockPosition>,
    /// A fingerprint of each Recall app seen, by ID.
    pub remote: BTreeMap<String, String>,
}

/// Where a lockfile's history stood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockPosition {
    /// The lockfile's lineage.
    pub lineage: String,
    /// Its serial.
    pub serial: u64,
}

/// The credential inputs of a plan, labelled: what, if it changed, changes what apply sends.
pub fn inputs<'a>(
    desired: &'a [DesiredApp],
    api_key: Option<&'a SecretString>,
) -> Vec<(String, &'a str)> {
    let mut all: Vec<(String, &str)> = Vec::new();
    if let Some(key) = api_key {
        all.push(("recall.api_key".into(), key.expose()));
    }
    for app in desired {
        all.push((format!("{}.client_id", app.name), &app.client_id));
        all.push((
            format!("{}.client_secret", app.name),
            app.client_secret.expose(),
        ));
        all.push((
            format!("{}.webhook_secret", app.name),
            app.webhook_secret.expose(),
        ));
    }
    all
}

/// A fresh random salt for a new plan.
pub fn new_salt() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Computes a basis with the given salt.
pub fn basis(
    manifest_sha256: &str,
    salt: &str,
    inputs: &[(String, &str)],
    lockfile: Option<LockPosition>,
    remote: &[RemoteApp],
) -> Basis {
    Basis {
        manifest_sha256: manifest_sha256.to_string(),
        inputs_salt: salt.to_string(),
        inputs: inputs
            .iter()
            .map(|(label, value)| {
                (
                    label.clone(),
                    hmac_sha256_hex(salt.as_bytes(), value.as_bytes()),
                )
            })
            .collect(),
        lockfile,
        remote: remote
            .iter()
            .map(|r| (r.id.clone(), fingerprint(r)))
            .collect(),
    }
}

/// What identifies a Recall app's state. `webhook_last_validation` is left out on purpose:
/// Zoom refreshes it every few days on its own, and it changes nothing apply would do.
fn fingerprint(app: &RemoteApp) -> String {
    sha256_hex(
        format!(
            "{}\0{}\0{}\0{}",
            app.id, app.kind, app.client_id, app.created_at
        )
        .as_bytes(),
    )
}

/// Why a saved plan no longer matches the world, one sentence per cause; empty when it still
/// does. `at` names the manifest and lockfile as this run found them.
pub fn stale_causes(saved: &SavedPlan, target: &str, now: &Basis, at: &Located) -> Vec<String> {
    let was = &saved.basis;
    let (manifest, lockfile) = (at.manifest.display(), at.lockfile.display());
    let mut causes = Vec::new();
    if saved.target != target {
        causes.push(format!(
            "the plan was made for `{}`, but this run targets `{target}`",
            saved.target
        ));
    }
    if was.manifest_sha256 != now.manifest_sha256 {
        causes.push(format!("the manifest `{manifest}` changed"));
    }
    for (label, old) in &was.inputs {
        match now.inputs.get(label) {
            None => causes.push(format!("`{label}` is no longer an input")),
            Some(new) if new != old => causes.push(format!("the value of `{label}` changed")),
            Some(_) => {}
        }
    }
    for label in now.inputs.keys().filter(|l| !was.inputs.contains_key(*l)) {
        causes.push(format!("`{label}` is a new input"));
    }
    match (&was.lockfile, &now.lockfile) {
        (None, None) => {}
        (None, Some(_)) => causes.push(format!("the lockfile `{lockfile}` was created")),
        (Some(_), None) => causes.push(format!("the lockfile `{lockfile}` was deleted")),
        (Some(a), Some(b)) if a.lineage != b.lineage => causes.push(format!(
            "the lockfile `{lockfile}` was replaced by another one (lineage `{}`, was `{}`)",
            b.lineage, a.lineage
        )),
        (Some(a), Some(b)) if a.serial != b.serial => causes.push(format!(
            "the lockfile `{lockfile}` changed (serial {}, was {})",
            b.serial, a.serial
        )),
        _ => {}
    }
    for (id, old) in &was.remote {
        match now.remote.get(id) {
            None => causes.push(format!("Recall's app `{id}` was deleted")),
            Some(new) if new != old => causes.push(format!("Recall's app `{id}` changed")),
            Some(_) => {}
        }
    }
    for id in now.remote.keys().filter(|id| !was.remote.contains_key(*id)) {
        causes.push(format!("Recall has a new app `{id}`"));
    }
    causes
}

/// Why a plan file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// The file could not be read or written.
    #[error("cannot {action} the plan file `{path}`: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The manifest a plan file records is in none of the places its paths lead to.
    #[error(
        "the manifest `{recorded}` recorded in the plan file `{plan}` is not at {}\n  = hint: {hint}",
        tried.join(" nor at ")
    )]
    ManifestMissing {
        /// The manifest's path as the plan file records it.
        recorded: String,
        /// The plan file.
        plan: String,
        /// Where it was looked for, each in backticks.
        tried: Vec<String>,
        /// What to do.
        hint: String,
    },
    /// The file is a manifest, given where a plan file is expected.
    #[error(
        "`{path}` is a manifest, not a saved plan: `apply FILE` and `show FILE` take a plan written by `recallform plan --out FILE`\n  = hint: the manifest goes with `-f`: `recallform plan -f {path}` shows what it would change, `recallform apply -f {path}` applies it"
    )]
    Manifest {
        /// The file.
        path: String,
    },
    /// The file is not a plan this recallform can apply.
    #[error("`{path}` is not a recallform plan this version can use: {detail}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
}

impl SavedPlan {
    /// Reads a plan file, refusing other files and newer formats.
    pub fn read(path: &Path) -> Result<SavedPlan, SavedPlanError> {
        let shown = path.display().to_string();
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
            && !meta.is_dir()
        {
            return Err(SavedPlanError::Invalid {
                path: shown,
                detail: "it is not a regular file".into(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Io {
            action: "read",
            path: shown.clone(),
            source,
        })?;
        let invalid = |detail: String| SavedPlanError::Invalid {
            path: shown.clone(),
            detail,
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(_) if looks_like_a_manifest(path, &text) => {
                return Err(SavedPlanError::Manifest { path: shown });
            }
            Err(e) => return Err(invalid(format!("not JSON ({e})"))),
        };
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(invalid(
                "it has no `\"kind\": \"recallform-plan\"`; write one with `recallform plan --out FILE`".into(),
            ));
        }
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(invalid(format!(
                    "its format version is {v}; this recallform reads {FORMAT_VERSION}"
                )));
            }
            None => return Err(invalid("it has no `format_version`".into())),
        }
        // From the text, so that serde's error says at which line and column.
        let plan: SavedPlan = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        // A key this version does not know is refused, at any depth: what was reviewed must be
        // what is applied, and a key that would be dropped may have meant something.
        let back = serde_json::to_value(&plan).expect("a plan serializes");
        if let Some(key) = unknown_key(&value, &back, String::new()) {
            return Err(invalid(format!(
                "it has the key `{key}`, which this recallform does not know; it applies only plans it wrote itself"
            )));
        }
        Ok(plan)
    }

    /// A new plan file's content, to be written to `plan_file`.
    pub fn new(
        plan: Plan,
        basis: Basis,
        sandbox: bool,
        target: &str,
        paths: (&Path, &Path),
        plan_file: &Path,
    ) -> SavedPlan {
        let (manifest, lockfile) = paths;
        let dir = folder_of(plan_file);
        SavedPlan {
            kind: KIND.into(),
            format_version: FORMAT_VERSION,
            recallform_version: env!("CARGO_PKG_VERSION").into(),
            created_at: crate::time::now_rfc3339(),
            sandbox,
            target: target.into(),
            manifest: manifest.display().to_string(),
            lockfile: lockfile.display().to_string(),
            manifest_from_plan: relative(dir, manifest),
            lockfile_from_plan: relative(dir, lockfile),
            basis,
            plan,
        }
    }

    /// Writes the plan file atomically.
    pub fn write(&self, path: &Path) -> Result<(), SavedPlanError> {
        let mut text = serde_json::to_string_pretty(self).expect("a plan serializes");
        text.push('\n');
        crate::fsutil::write_atomically(path, text.as_bytes(), crate::fsutil::Mode::Shared).map_err(
            |source| SavedPlanError::Io {
                action: "write",
                path: path.display().to_string(),
                source,
            },
        )
    }
}

/// The first key of `read` that `known` (the same file read and written back) lacks, as a
/// path (`plan.changes[0].note`): a key that reading dropped.
fn unknown_key(read: &serde_json::Value, known: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match (read, known) {
        (Value::Object(r), Value::Object(k)) => r.iter().find_map(|(key, value)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match k.get(key) {
                None => Some(path),
                Some(kv) => unknown_key(value, kv, path),
            }
        }),
        (Value::Array(r), Value::Array(k)) => r
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (rv, kv))| unknown_key(rv, kv, format!("{at}[{i}]"))),
        _ => None,
    }
}

/// Whether a file that is not JSON is a manifest: named `.yaml` or `.yml`, or with one of a
/// manifest's top-level keys at the start of a line. A guess that only picks the message.
fn looks_like_a_manifest(path: &Path, text: &str) -> bool {
    let yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    yaml || text.lines().any(|l| {
        ["zoom_oauth_apps:", "recall:", "version:"]
            .iter()
            .any(|key| l.starts_with(key))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(id: &str, validated: Option<&str>) -> RemoteApp {
        RemoteApp {
            id: id.into(),
            kind: "user_level".into(),
            client_id: "c".into(),
            created_at: "t".into(),
            webhook_last_validation: validated.map(Into::into),
            ..RemoteApp::default()
        }
    }

    fn saved(basis: Basis) -> SavedPlan {
        SavedPlan::new(
            Plan::default(),
            basis,
            false,
            "https://r",
            (
                Path::new("recallform.yaml"),
                Path::new("recallform.lock.json"),
            ),
            Path::new("plan.json"),
        )
    }

    #[test]
    fn each_cause_is_named_and_validation_refreshes_are_not_one() {
        let pos = |serial| {
            Some(LockPosition {
                lineage: "l".into(),
                serial,
            })
        };
        let inputs = |v: &'static str| vec![("a.client_secret".to_string(), v)];
        let then = basis("m1", "salt", &inputs("s1"), pos(1), &[remote("x", None)]);
        let plan = saved(then.clone());
        let at = Located {
            manifest: "recallform.yaml".into(),
            lockfile: "recallform.lock.json".into(),
        };

        let same = basis(
            "m1",
            "salt",
            &inputs("s1"),
            pos(1),
            &[remote("x", Some("2026-01-01"))],
        );
        assert!(stale_causes(&plan, "https://r", &same, &at).is_empty());

        let moved = basis("m2", "salt", &inputs("s2"), pos(2), &[remote("y", None)]);
        assert_eq!(
            stale_causes(&plan, "https://other", &moved, &at),
            [
                "the plan was made for `https://r`, but this run targets `https://other`",
                "the manifest `recallform.yaml` changed",
                "the value of `a.client_secret` changed",
                "the lockfile `recallform.lock.json` changed (serial 2, was 1)",
                "Recall's app `x` was deleted",
                "Recall has a new app `y`",
            ]
        );
    }

    #[test]
    fn inputs_are_salted_hmacs_never_values() {
        let b = basis("m", "salt-1", &[("k".into(), "hunter2")], None, &[]);
        let text = serde_json::to_string(&b).unwrap();
        assert!(!text.contains("hunter2"));
        assert!(
            !text.contains(&sha256_hex(b"hunter2")),
            "not a bare hash either"
        );
        let other_salt = basis("m", "salt-2", &[("k".into(), "hunter2")], None, &[]);
        assert_ne!(b.inputs["k"], other_salt.inputs["k"]);
    }

    #[test]
    fn reads_only_plan_files_of_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let plan = saved(basis("m", "s", &[], None, &[]));
        plan.write(&path).unwrap();
        assert_eq!(SavedPlan::read(&path).unwrap(), plan);

        std::fs::write(&path, r#"{"version": 1}"#).unwrap();
        assert!(
            SavedPlan::read(&path)
                .unwrap_err()
                .to_string()
                .contains("recallform plan --out")
        );
        let newer = serde_json::to_string(&plan)
            .unwrap()
            .replace("\"format_version\":1", "\"format_version\":2");
        std::fs::write(&path, newer).unwrap();
        assert!(
            SavedPlan::read(&path)
                .unwrap_err()
                .to_string()
                .contains("format version is 2")
        );
    }
}
