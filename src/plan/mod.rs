//! The plan: what recallform would change, computed by a pure function.
//!
//! [`diff`] compares the manifest's apps, the lockfile and Recall's apps and returns plain
//! data in a deterministic order. It never reaches the network or the filesystem, so every
//! scenario is a unit test. Rendering lives in [`render`]; carrying a plan out in
//! [`crate::apply`].

pub mod render;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::lockfile::LockedApp;
use crate::model::{DesiredApp, Kind, RemoteApp};

/// What happens to one manifest app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Create it in Recall.
    #[serde(rename = "create")]
    Create,
    /// Record an app that already exists in Recall; nothing is created.
    #[serde(rename = "adopt")]
    Adopt,
    /// Already in place.
    #[serde(rename = "no-op")]
    NoOp,
}

/// One planned change (or non-change) for a manifest app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The app's manifest name.
    pub name: String,
    /// What will happen.
    pub action: Action,
    /// The Recall ID: the existing one for adopt and no-op, `None` for create.
    pub id: Option<String>,
    /// The app's kind.
    pub kind: Kind,
    /// The Zoom client ID.
    pub client_id: String,
    /// Why, in words.
    pub reason: String,
    /// What changed outside recallform, if anything did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    /// When Recall created the app (adopt and no-op).
    #[serde(skip)]
    pub created_at: Option<String>,
}

/// A difference this version of recallform does not act on; shown, never ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unhandled {
    /// The app's manifest (or lockfile) name.
    pub name: String,
    /// The Recall ID involved, if any.
    pub id: Option<String>,
    /// What differs and why nothing is done about it.
    pub reason: String,
}

/// A Recall app that neither the manifest nor the lockfile knows; never touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmanaged {
    /// Recall's ID.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Its Zoom client ID.
    pub client_id: String,
}

/// The whole plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// One entry per manifest app that can be acted on, by name.
    pub changes: Vec<Change>,
    /// Differences not handled by this version, by name.
    pub unhandled: Vec<Unhandled>,
    /// Recall apps outside recallform's management, by creation time.
    pub unmanaged: Vec<Unmanaged>,
}

/// Counts per action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Apps to create.
    pub create: usize,
    /// Apps to adopt.
    pub adopt: usize,
    /// Apps already in place.
    pub no_op: usize,
    /// Differences not handled by this version.
    pub unhandled: usize,
}

impl Plan {
    /// Counts per action.
    pub fn summary(&self) -> Summary {
        let count = |a| self.changes.iter().filter(|c| c.action == a).count();
        Summary {
            create: count(Action::Create),
            adopt: count(Action::Adopt),
            no_op: count(Action::NoOp),
            unhandled: self.unhandled.len(),
        }
    }

    /// Whether Recall or the lockfile differ from the manifest: something to apply, or a
    /// difference this version cannot apply.
    pub fn has_changes(&self) -> bool {
        !self.unhandled.is_empty() || self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// The changes that apply will carry out.
    pub fn actionable(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }
}

/// Computes the plan. `desired` is the manifest's apps, `locked` the lockfile's, `remote`
/// every app Recall has.
pub fn diff(
    desired: &[DesiredApp],
    locked: &BTreeMap<String, LockedApp>,
    remote: &[RemoteApp],
) -> Plan {
    let by_id: HashMap<&str, &RemoteApp> = remote.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut by_client_id: HashMap<&str, Vec<&RemoteApp>> = HashMap::new();
    for r in remote {
        by_client_id
            .entry(r.client_id.as_str())
            .or_default()
            .push(r);
    }
    // IDs some manifest or lockfile entry accounts for; the rest are unmanaged.
    let locked_as: HashMap<&str, &str> = locked
        .iter()
        .map(|(n, l)| (l.id.as_str(), n.as_str()))
        .collect();
    let mut claimed: HashSet<&str> = locked_as.keys().copied().collect();
    let mut plan = Plan::default();

    for app in desired {
        let change = |action, id: Option<&str>, created_at: Option<&str>, reason: String| Change {
            name: app.name.clone(),
            action,
            id: id.map(str::to_string),
            kind: app.kind,
            client_id: app.client_id.clone(),
            reason,
            drift: None,
            created_at: created_at.map(str::to_string),
        };
        let unhandled = |id: Option<&str>, reason: String| Unhandled {
            name: app.name.clone(),
            id: id.map(str::to_string),
            reason,
        };

        let lock = locked.get(&app.name);
        if let Some(live) = lock.and_then(|l| by_id.get(l.id.as_str())) {
            match immutable_difference(app, live) {
                Some(why) => plan.unhandled.push(unhandled(
                    Some(&live.id),
                    format!("{why}; Recall cannot change it in place and replacing an app is not supported yet"),
                )),
                None => plan.changes.push(change(
                    Action::NoOp,
                    Some(&live.id),
                    Some(&live.created_at),
                    "up to date".into(),
                )),
            }
            continue;
        }

        // Not recorded, or recorded but gone from Recall: look for it by client ID.
        let gone =
            lock.map(|l| format!("the recorded app `{}` was deleted outside recallform", l.id));
        let candidates = by_client_id
            .get(app.client_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some((other, id)) = candidates
            .iter()
            .find_map(|r| locked_as.get(r.id.as_str()).map(|n| (*n, r.id.as_str())))
        {
            plan.unhandled.push(unhandled(
                Some(id),
                format!(
                    "Recall's app with client_id `{}` is recorded in the lockfile as `{other}`",
                    app.client_id
                ),
            ));
            continue;
        }
        match candidates {
            [] => {
                let reason = match &gone {
                    Some(_) => "it no longer exists in Recall".to_string(),
                    None => "not in Recall yet".to_string(),
                };
                let mut c = change(Action::Create, None, None, reason);
                c.drift = gone;
                plan.changes.push(c);
            }
            [found] => {
                claimed.insert(found.id.as_str());
                if found.kind != app.kind.as_str() {
                    plan.unhandled.push(unhandled(
                        Some(&found.id),
                        format!(
                            "Recall has client_id `{}` as `{}` with kind `{}`, but the manifest says `{}`; replacing an app is not supported yet",
                            app.client_id, found.id, found.kind, app.kind
                        ),
                    ));
                    continue;
                }
                let mut c = change(
                    Action::Adopt,
                    Some(&found.id),
                    Some(&found.created_at),
                    format!(
                        "Recall already has an app with client_id `{}`; it will be recorded, nothing is created",
                        app.client_id
                    ),
                );
                c.drift =
                    gone.map(|g| format!("{g}; Recall has the client_id under `{}`", found.id));
                plan.changes.push(c);
            }
            several => {
                let ids: Vec<&str> = several.iter().map(|r| r.id.as_str()).collect();
                claimed.extend(ids.iter().copied());
                plan.unhandled.push(unhandled(
                    None,
                    format!(
                        "Recall has {} apps with client_id `{}` ({}); recallform cannot tell which one to adopt",
                        ids.len(),
                        app.client_id,
                        ids.join(", ")
                    ),
                ));
            }
        }
    }

    let names: HashSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    for (name, lock) in locked {
        if names.contains(name.as_str()) {
            continue;
        }
        let where_ = if by_id.contains_key(lock.id.as_str()) {
            "it stays in Recall and in the lockfile"
        } else {
            "it is already gone from Recall and stays in the lockfile"
        };
        plan.unhandled.push(Unhandled {
            name: name.clone(),
            id: Some(lock.id.clone()),
            reason: format!(
                "removed from the manifest; deleting is not supported yet, so {where_}"
            ),
        });
    }

    let mut unmanaged: Vec<&RemoteApp> = remote
        .iter()
        .filter(|r| !claimed.contains(r.id.as_str()))
        .collect();
    unmanaged.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    plan.unmanaged = unmanaged
        .into_iter()
        .map(|r| Unmanaged {
            id: r.id.clone(),
            kind: r.kind.clone(),
            client_id: r.client_id.clone(),
        })
        .collect();
    plan.changes.sort_by(|a, b| a.name.cmp(&b.name));
    plan.unhandled.sort_by(|a, b| a.name.cmp(&b.name));
    plan
}

/// Kind and client ID are fixed at creation; a difference can only be fixed by replacing.
fn immutable_difference(app: &DesiredApp, live: &RemoteApp) -> Option<String> {
    if live.kind != app.kind.as_str() {
        Some(format!(
            "kind changed from `{}` to `{}`",
            live.kind, app.kind
        ))
    } else if live.client_id != app.client_id {
        Some(format!(
            "client_id changed from `{}` to `{}`",
            live.client_id, app.client_id
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
