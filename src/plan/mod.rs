//! The plan: what recallform would change, computed by a pure function.
//!
//! [`diff`] compares the manifest's apps, the lockfile and Recall's apps and returns plain
//! data in a deterministic order. It never reaches the network or the filesystem, so every
//! scenario is a unit test. Rendering lives in [`render`] and [`markdown`]; carrying a plan out
//! in [`crate::apply`].

pub mod markdown;
pub mod render;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::lockfile::LockedApp;
use crate::model::{DesiredApp, Kind, RemoteApp};

/// What happens to one manifest app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

impl Action {
    /// The name used in JSON and Markdown.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Adopt => "adopt",
            Action::NoOp => "no-op",
        }
    }
}

/// How a field changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldChange {
    /// Same before and after.
    Unchanged,
    /// New (the app is created).
    Added,
    /// Different after apply.
    Changed,
    /// Gone after apply.
    Removed,
}

/// One field of an app, before and after. Sensitive fields never carry values: only whether
/// they change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The field's name, as Recall calls it.
    pub field: String,
    /// The value now; `None` when the app does not exist yet, and always for secrets.
    pub before: Option<String>,
    /// The value after apply; `None` when the app goes away, and always for secrets.
    pub after: Option<String>,
    /// Whether the value is a secret (shown only as `(sensitive)`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    /// How apply changes it.
    pub change: FieldChange,
    /// Whether the change needs a new Recall app (kind and client_id are fixed at creation).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forces_replacement: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FieldDiff {
    fn plain(field: &str, before: Option<&str>, after: Option<&str>) -> FieldDiff {
        let change = match (before, after) {
            (None, Some(_)) => FieldChange::Added,
            (Some(_), None) => FieldChange::Removed,
            (b, a) if b != a => FieldChange::Changed,
            _ => FieldChange::Unchanged,
        };
        FieldDiff {
            field: field.into(),
            before: before.map(str::to_string),
            after: after.map(str::to_string),
            sensitive: false,
            change,
            forces_replacement: false,
        }
    }

    fn secret(field: &str, change: FieldChange) -> FieldDiff {
        FieldDiff {
            field: field.into(),
            before: None,
            after: None,
            sensitive: true,
            change,
            forces_replacement: false,
        }
    }

    /// Whether apply changes this field at all.
    pub fn changes(&self) -> bool {
        self.change != FieldChange::Unchanged
    }
}

/// The fields of an app going from `before` (kind, client ID; `None` if it does not exist) to
/// `after`. Secrets are not compared in this version: they change only when the app is new.
fn app_fields(before: Option<(&str, &str)>, after: (&str, &str)) -> Vec<FieldDiff> {
    let secrets = match before {
        None => FieldChange::Added,
        Some(_) => FieldChange::Unchanged,
    };
    let mut kind = FieldDiff::plain("kind", before.map(|b| b.0), Some(after.0));
    let mut client_id = FieldDiff::plain("client_id", before.map(|b| b.1), Some(after.1));
    kind.forces_replacement = kind.change == FieldChange::Changed;
    client_id.forces_replacement = client_id.change == FieldChange::Changed;
    vec![
        kind,
        client_id,
        FieldDiff::secret("client_secret", secrets),
        FieldDiff::secret("webhook_secret", secrets),
    ]
}

/// One planned change (or non-change) for a manifest app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    /// When Recall created the app (adopt and no-op).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The app's fields, before and after.
    pub fields: Vec<FieldDiff>,
}

/// A difference this version of recallform does not act on; shown, never ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unhandled {
    /// The app's manifest (or lockfile) name.
    pub name: String,
    /// The Recall ID involved, if any.
    pub id: Option<String>,
    /// What differs and why nothing is done about it.
    pub reason: String,
    /// The fields that differ, when an app's fixed fields changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDiff>,
}

/// A Recall app that neither the manifest nor the lockfile knows; never touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    /// Recall's ID.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Its Zoom client ID.
    pub client_id: String,
}

/// The whole plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
        !self.unhandled.is_empty() || self.actionable().next().is_some()
    }

    /// The changes that apply will carry out.
    pub fn actionable(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }

    /// Whether apply would replace an app (a field that forces replacement changes), which
    /// gives it a new Recall ID and webhook URL. Reviewers are warned about these.
    pub fn is_destructive(&self) -> bool {
        self.actionable()
            .any(|c| c.fields.iter().any(|f| f.forces_replacement))
    }
}

/// Recall's apps, indexed for the planner.
struct Remote<'a> {
    by_id: HashMap<&'a str, &'a RemoteApp>,
    by_client_id: HashMap<&'a str, Vec<&'a RemoteApp>>,
    /// Recall ID → the lockfile name it is recorded under.
    locked_as: HashMap<&'a str, &'a str>,
}

/// What the planner decided for one manifest app.
enum Planned {
    Change(Change),
    Unhandled(Unhandled),
}

/// Computes the plan. `desired` is the manifest's apps, `locked` the lockfile's, `remote`
/// every app Recall has.
pub fn diff(
    desired: &[DesiredApp],
    locked: &BTreeMap<String, LockedApp>,
    remote: &[RemoteApp],
) -> Plan {
    let mut index = Remote {
        by_id: remote.iter().map(|r| (r.id.as_str(), r)).collect(),
        by_client_id: HashMap::new(),
        locked_as: locked
            .iter()
            .map(|(n, l)| (l.id.as_str(), n.as_str()))
            .collect(),
    };
    for r in remote {
        index.by_client_id.entry(&r.client_id).or_default().push(r);
    }
    // IDs some manifest or lockfile entry accounts for; the rest are unmanaged.
    let mut claimed: HashSet<&str> = index.locked_as.keys().copied().collect();

    let mut plan = Plan::default();
    for app in desired {
        match plan_app(app, locked.get(&app.name), &index, &mut claimed) {
            Planned::Change(c) => plan.changes.push(c),
            Planned::Unhandled(u) => plan.unhandled.push(u),
        }
    }
    let names: HashSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    plan.unhandled.extend(
        locked
            .iter()
            .filter(|(name, _)| !names.contains(name.as_str()))
            .map(|(name, lock)| removed(name, lock, &index)),
    );
    plan.unmanaged = unmanaged(remote, &claimed);
    plan.changes.sort_by(|a, b| a.name.cmp(&b.name));
    plan.unhandled.sort_by(|a, b| a.name.cmp(&b.name));
    plan
}

fn plan_app<'a>(
    app: &DesiredApp,
    lock: Option<&LockedApp>,
    index: &Remote<'a>,
    claimed: &mut HashSet<&'a str>,
) -> Planned {
    let wanted = (app.kind.as_str(), app.client_id.as_str());
    let change = |action, live: Option<&RemoteApp>, reason: String| {
        Planned::Change(Change {
            name: app.name.clone(),
            action,
            id: live.map(|r| r.id.clone()),
            kind: app.kind,
            client_id: app.client_id.clone(),
            reason,
            drift: None,
            created_at: live.map(|r| r.created_at.clone()),
            fields: app_fields(
                live.map(|r| (r.kind.as_str(), r.client_id.as_str())),
                wanted,
            ),
        })
    };
    let unhandled = |id: Option<&str>, reason: String, fields: Vec<FieldDiff>| {
        Planned::Unhandled(Unhandled {
            name: app.name.clone(),
            id: id.map(str::to_string),
            reason,
            fields,
        })
    };
    let with_drift = |planned: Planned, drift: Option<String>| match planned {
        Planned::Change(mut c) => {
            c.drift = drift;
            Planned::Change(c)
        }
        other => other,
    };

    if let Some(live) = lock.and_then(|l| index.by_id.get(l.id.as_str())) {
        return match immutable_difference(app, live) {
            Some(why) => unhandled(
                Some(&live.id),
                format!(
                    "{why}; Recall cannot change it in place and replacing an app is not supported yet"
                ),
                app_fields(Some((&live.kind, &live.client_id)), wanted),
            ),
            None => change(Action::NoOp, Some(live), "up to date".into()),
        };
    }

    // Not recorded, or recorded but gone from Recall: look for it by client ID.
    let gone = lock.map(|l| format!("the recorded app `{}` was deleted outside recallform", l.id));
    let candidates = index
        .by_client_id
        .get(app.client_id.as_str())
        .map(Vec::as_slice)
        .unwrap_or_default();
    if let Some((other, id)) = candidates.iter().find_map(|r| {
        index
            .locked_as
            .get(r.id.as_str())
            .map(|n| (*n, r.id.as_str()))
    }) {
        let why = format!(
            "Recall's app with client_id `{}` is recorded in the lockfile as `{other}`",
            app.client_id
        );
        return unhandled(Some(id), why, Vec::new());
    }
    claimed.extend(candidates.iter().map(|r| r.id.as_str()));
    match candidates {
        [] => {
            let reason = match gone {
                Some(_) => "it no longer exists in Recall",
                None => "not in Recall yet",
            };
            with_drift(change(Action::Create, None, reason.into()), gone)
        }
        [found] if found.kind != app.kind.as_str() => unhandled(
            Some(&found.id),
            format!(
                "Recall has client_id `{}` as `{}` with kind `{}`, but the manifest says `{}`; replacing an app is not supported yet",
                app.client_id, found.id, found.kind, app.kind
            ),
            Vec::new(),
        ),
        [found] => {
            let reason = format!(
                "Recall already has an app with client_id `{}`; it will be recorded, nothing is created",
                app.client_id
            );
            let drift = gone.map(|g| format!("{g}; Recall has the client_id under `{}`", found.id));
            with_drift(change(Action::Adopt, Some(found), reason), drift)
        }
        several => {
            let ids: Vec<&str> = several.iter().map(|r| r.id.as_str()).collect();
            let why = format!(
                "Recall has {} apps with client_id `{}` ({}); recallform cannot tell which one to adopt",
                ids.len(),
                app.client_id,
                ids.join(", ")
            );
            unhandled(None, why, Vec::new())
        }
    }
}

/// A recorded app that left the manifest.
fn removed(name: &str, lock: &LockedApp, index: &Remote) -> Unhandled {
    let where_ = if index.by_id.contains_key(lock.id.as_str()) {
        "it stays in Recall and in the lockfile"
    } else {
        "it is already gone from Recall and stays in the lockfile"
    };
    Unhandled {
        name: name.to_string(),
        id: Some(lock.id.clone()),
        reason: format!("removed from the manifest; deleting is not supported yet, so {where_}"),
        fields: Vec::new(),
    }
}

/// Recall's apps that nothing claimed, oldest first.
fn unmanaged(remote: &[RemoteApp], claimed: &HashSet<&str>) -> Vec<Unmanaged> {
    let mut apps: Vec<&RemoteApp> = remote
        .iter()
        .filter(|r| !claimed.contains(r.id.as_str()))
        .collect();
    apps.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    apps.into_iter()
        .map(|r| Unmanaged {
            id: r.id.clone(),
            kind: r.kind.clone(),
            client_id: r.client_id.clone(),
        })
        .collect()
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
