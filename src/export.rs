//! What `recallform export` writes: a manifest and a lockfile that manage every app of a
//! Recall workspace, computed from the list of those apps.
//!
//! Pure: names, text and records from data, so every rule is a unit test; `cli/export.rs`
//! lists the apps and writes the files. The manifest it produces passes `validate` (it is
//! parsed here before it is returned), and the lockfile records the same target the manifest
//! names, so the first plan finds every app recorded.
//!
//! Not for: secrets. Recall does not give them back, so the manifest references each one by a
//! documented environment variable name, and the lockfile records no fingerprint: the first
//! plan after an export sends each secret once.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::path::Path;

use crate::lockfile::{LockedApp, Lockfile};
use crate::manifest::{self, names};
use crate::model::{Kind, Region, RemoteApp, webhook_url};
use crate::recall::target::Target;

/// One exported app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedApp {
    /// Its name in the manifest and the lockfile.
    pub name: String,
    /// Its Recall ID.
    pub id: String,
    /// The environment variable its client secret is read from.
    pub client_secret_env: String,
    /// The environment variable its webhook secret is read from.
    pub webhook_secret_env: String,
}

/// The two files, and what is in them.
#[derive(Clone, Debug)]
pub struct Export {
    /// The manifest's text.
    pub manifest: String,
    /// The lockfile's content (serial 1, a new lineage).
    pub lockfile: Lockfile,
    /// The apps, in Recall's creation order.
    pub apps: Vec<ExportedApp>,
}

/// Why a workspace cannot be exported as it is.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Recall has an app of a kind this recallform does not know.
    #[error(
        "Recall's app `{id}` has the kind `{kind}`, which this recallform does not know; nothing was written\n  = hint: upgrade recallform"
    )]
    UnknownKind {
        /// The app.
        id: String,
        /// Its kind, escaped.
        kind: String,
    },
    /// Recall has several apps with one client ID; a manifest names each Zoom app once.
    #[error(
        "Recall has {count} apps with client_id `{client_id}` ({ids}); a manifest names each Zoom app once, so nothing was written\n  = hint: delete the extra apps in Recall, then export again"
    )]
    DuplicateClientId {
        /// The client ID, escaped.
        client_id: String,
        /// How many apps have it.
        count: usize,
        /// Their IDs, in backticks.
        ids: String,
    },
    /// The target is one a manifest may not name as its `base_url` (a proxy, say).
    #[error(
        "a manifest may point only at Recall (`https://<region>.recall.ai`) or a loopback address, not at `{url}`, so nothing was written\n  = hint: a manifest reaches Recall through a proxy only when every run sets `RECALL_API_URL` (or `--api-url`) to it; write that manifest's `recall.region` by hand"
    )]
    UnnameableTarget {
        /// The target's URL.
        url: String,
    },
    /// The manifest would not pass `validate` (for example a client ID longer than 200
    /// characters).
    #[error(
        "the exported manifest would not be valid, so nothing was written:\n{problems}\n  = hint: fix these apps in Recall, then export again"
    )]
    Invalid {
        /// Each problem, one per line.
        problems: String,
    },
}

/// The manifest and the lockfile for `remote` (every app of the workspace) at `target`.
/// `manifest_path` is where the manifest will be written, for the check that it validates.
pub fn export(
    remote: &[RemoteApp],
    target: &Target,
    manifest_path: &Path,
) -> Result<Export, ExportError> {
    check_target(target)?;
    let mut apps: Vec<&RemoteApp> = remote.iter().collect();
    // Stable: apps created in the same microsecond keep Recall's (creation) order.
    apps.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    check(&apps)?;
    let names = names::unique_names(apps.iter().map(|a| a.client_id.as_str()));
    let exported: Vec<ExportedApp> = apps
        .iter()
        .zip(&names)
        .map(|(app, name)| {
            let (client_secret_env, webhook_secret_env) = names::secret_env_names(name);
            ExportedApp {
                name: name.clone(),
                id: app.id.clone(),
                client_secret_env,
                webhook_secret_env,
            }
        })
        .collect();

    let text = manifest_text(target, &apps, &exported);
    if let Err(diagnostics) = manifest::parse(manifest_path, &text, &manifest::ReadRules::default())
    {
        let problems: Vec<String> = diagnostics.iter().map(|d| format!("  - {d}")).collect();
        return Err(ExportError::Invalid {
            problems: problems.join("\n"),
        });
    }

    let mut lockfile = Lockfile::new(&target.name);
    lockfile.serial = 1;
    lockfile.zoom_oauth_apps = apps
        .iter()
        .zip(&exported)
        .map(|(app, e)| {
            let record = LockedApp {
                id: app.id.clone(),
                kind: app.kind.clone(),
                client_id: app.client_id.clone(),
                created_at: app.created_at.clone(),
                webhook_url: webhook_url(&target.public_base, &app.id),
                ..LockedApp::default()
            };
            (e.name.clone(), record)
        })
        .collect::<BTreeMap<_, _>>();
    Ok(Export {
        manifest: text,
        lockfile,
        apps: exported,
    })
}

/// Refuses what a manifest cannot express: an unknown kind, or one client ID twice.
fn check(apps: &[&RemoteApp]) -> Result<(), ExportError> {
    if let Some(app) = apps.iter().find(|a| Kind::parse(&a.kind).is_none()) {
        return Err(ExportError::UnknownKind {
            id: app.id.clone(),
            kind: app.kind.escape_debug().to_string(),
        });
    }
    let mut seen = HashSet::new();
    for app in apps {
        if !seen.insert(app.client_id.as_str()) {
            let ids: Vec<String> = apps
                .iter()
                .filter(|a| a.client_id == app.client_id)
                .map(|a| format!("`{}`", a.id))
                .collect();
            return Err(ExportError::DuplicateClientId {
                client_id: app.client_id.escape_debug().to_string(),
                count: ids.len(),
                ids: ids.join(", "),
            });
        }
    }
    Ok(())
}

/// Refuses a target whose URL the exported manifest could not name: call it before reading
/// Recall, so a refused export costs no request.
pub fn check_target(target: &Target) -> Result<(), ExportError> {
    if region_of(target).is_some() || manifest::rules::may_name_base_url(&target.api_url) {
        Ok(())
    } else {
        Err(ExportError::UnnameableTarget {
            url: target.name.clone(),
        })
    }
}

/// The region whose URL the target is, if any: such a manifest says `region:`, others
/// `base_url:`.
fn region_of(target: &Target) -> Option<Region> {
    Region::ALL
        .into_iter()
        .find(|r| r.base_url() == target.name)
}

/// A YAML double-quoted scalar: JSON's string syntax is valid YAML, and quoting every value
/// from Recall keeps any character from being read as YAML syntax.
fn yaml_string(value: &str) -> String {
    serde_json::to_string(value).expect("a string serializes")
}

fn manifest_text(target: &Target, apps: &[&RemoteApp], exported: &[ExportedApp]) -> String {
    let mut out = format!(
        "# The Zoom OAuth apps of the Recall workspace at {}, written by\n\
         # `recallform export`. recallform.lock.json, beside this file, records which\n\
         # Recall app each entry is.\n\
         #\n\
         # Recall does not give secrets back, so each secret below is read from an\n\
         # environment variable: set them (and RECALL_API_KEY) before `recallform plan`.\n\
         # The first plan sends each secret to Recall once.\n\
         #\n\
         # For completion in editors, save the JSON Schema beside this file with\n\
         # `recallform schema > recallform.schema.json` and point the file at it (see\n\
         # \"Editor support\" in recallform's README; `recallform init` shows the line).\n\
         \n\
         version: 1\n\
         \n\
         recall:\n",
        target.name
    );
    match region_of(target) {
        Some(region) => {
            let _ = writeln!(out, "  region: {}", region.as_str());
        }
        None => {
            let _ = writeln!(out, "  base_url: {}", yaml_string(&target.name));
        }
    }
    if exported.is_empty() {
        out.push_str("\nzoom_oauth_apps: {}\n");
        return out;
    }
    out.push_str("\nzoom_oauth_apps:\n");
    for (app, e) in apps.iter().zip(exported) {
        let _ = write!(
            out,
            "  {name}:\n    kind: {kind}\n    client_id: {client_id}\n    client_secret: {{env: {cs}}}\n    webhook:\n      secret: {{env: {ws}}}\n",
            name = e.name,
            kind = app.kind,
            client_id = yaml_string(&app.client_id),
            cs = e.client_secret_env,
            ws = e.webhook_secret_env,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(id: &str, kind: &str, client_id: &str, created_at: &str) -> RemoteApp {
        RemoteApp {
            id: id.into(),
            kind: kind.into(),
            client_id: client_id.into(),
            created_at: created_at.into(),
            ..RemoteApp::default()
        }
    }

    fn region_target() -> Target {
        Target::remote(url::Url::parse("https://eu-central-1.recall.ai").unwrap())
    }

    #[test]
    fn a_region_target_writes_region_and_records_the_same_target() {
        let apps = [
            remote(
                "id-2",
                "account_level",
                "Second\"Quote",
                "2026-01-02T00:00:00Z",
            ),
            remote("id-1", "user_level", "First", "2026-01-01T00:00:00Z"),
        ];
        let out = export(&apps, &region_target(), Path::new("recallform.yaml")).unwrap();
        assert_eq!(
            out.manifest.split_once("version: 1").unwrap().1,
            r#"

recall:
  region: eu-central-1

zoom_oauth_apps:
  first:
    kind: user_level
    client_id: "First"
    client_secret: {env: FIRST_ZOOM_CLIENT_SECRET}
    webhook:
      secret: {env: FIRST_ZOOM_WEBHOOK_SECRET}
  second-quote:
    kind: account_level
    client_id: "Second\"Quote"
    client_secret: {env: SECOND_QUOTE_ZOOM_CLIENT_SECRET}
    webhook:
      secret: {env: SECOND_QUOTE_ZOOM_WEBHOOK_SECRET}
"#
        );
        assert!(
            !out.manifest.contains("$schema"),
            "no schema line without a schema file"
        );
        let lock = &out.lockfile;
        assert_eq!(lock.api_url, "https://eu-central-1.recall.ai");
        assert_eq!(lock.serial, 1);
        let first = &lock.zoom_oauth_apps["first"];
        assert_eq!(first.id, "id-1");
        assert_eq!(
            first.webhook_url,
            "https://eu-central-1.recall.ai/api/v2/zoom-oauth-apps/id-1/webhook"
        );
        assert!(first.secrets.is_empty() && !first.protect);
        let parsed = manifest::parse(
            Path::new("recallform.yaml"),
            &out.manifest,
            &manifest::ReadRules::default(),
        )
        .unwrap();
        assert_eq!(parsed.region, Some(Region::EuCentral1));
    }

    #[test]
    fn another_target_writes_base_url_that_resolves_to_the_recorded_target() {
        let target = Target::remote(url::Url::parse("http://127.0.0.1:8787/").unwrap());
        let out = export(&[], &target, Path::new("recallform.yaml")).unwrap();
        assert!(
            out.manifest.ends_with(
                "recall:\n  base_url: \"http://127.0.0.1:8787\"\n\nzoom_oauth_apps: {}\n"
            ),
            "{}",
            out.manifest
        );
        let parsed = manifest::parse(
            Path::new("recallform.yaml"),
            &out.manifest,
            &manifest::ReadRules::default(),
        )
        .unwrap();
        let resolved = crate::session::resolve_target(None, &parsed).unwrap();
        assert_eq!(resolved.name, out.lockfile.api_url);
    }

    #[test]
    fn refuses_what_a_manifest_cannot_say() {
        let t = region_target();
        let p = Path::new("recallform.yaml");
        let dup = [
            remote("a", "user_level", "Same", "1"),
            remote("b", "user_level", "Same", "2"),
        ];
        let err = export(&dup, &t, p).unwrap_err().to_string();
        assert!(
            err.starts_with("Recall has 2 apps with client_id `Same` (`a`, `b`)"),
            "{err}"
        );
        let odd = [remote("a", "team_level", "X", "1")];
        let err = export(&odd, &t, p).unwrap_err().to_string();
        assert!(err.contains("the kind `team_level`"), "{err}");
        let long = [remote("a", "user_level", &"z".repeat(201), "1")];
        let err = export(&long, &t, p).unwrap_err().to_string();
        assert!(err.contains("invalid-client-id"), "{err}");
    }
}
