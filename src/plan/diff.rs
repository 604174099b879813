//! The pure diff: manifest × lockfile × Recall → [`Plan`].
//!
//! Decisions, in order: renames from `moved` are applied to the lockfile's names; each manifest
//! app is matched to its record and its Recall app (no-op, update, replace), or found by client
//! ID (adopt), or planned (create); each record that left the manifest is a delete; apps left
//! behind by an interrupted replacement are deleted; then the guards mark what apply must
//! refuse, and `--target` narrows the result.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{Action, Change, Drift, FieldChange, FieldDiff, Plan, Unhandled, Unmanaged};
use crate::lockfile::record::LockedApp;
use crate::model::{DesiredApp, RemoteApp, SecretString};

/// What apply is allowed to do, from the manifest's policy and the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guards {
    /// Deletes are allowed (`--allow-delete` or `policy.allow_delete`).
    pub allow_delete: bool,
    /// Apps that may be replaced (`--allow-replace NAME`), besides `lifecycle.allow_replace`.
    pub allow_replace: BTreeSet<String>,
    /// More deletes than this are blocked (`policy.max_deletes`)…
    pub max_deletes: usize,
    /// …unless forced (`--force`).
    pub force: bool,
    /// Limit the plan to these apps (`--target`); empty for all.
    pub targets: BTreeSet<String>,
}

impl Default for Guards {
    fn default() -> Self {
        Guards {
            allow_delete: false,
            allow_replace: BTreeSet::new(),
            max_deletes: 3,
            force: false,
            targets: BTreeSet::new(),
        }
    }
}

/// Everything the diff reads.
pub struct Inputs<'a> {
    /// The manifest's apps, credentials resolved.
    pub desired: &'a [DesiredApp],
    /// The lockfile's records.
    pub locked: &'a BTreeMap<String, LockedApp>,
    /// Every app Recall has.
    pub remote: &'a [RemoteApp],
    /// The manifest's renames, (from, to).
    pub moves: &'a [(String, String)],
    /// The lockfile's fingerprint of a secret value (HMAC with its salt).
    pub fingerprint: &'a dyn Fn(&str) -> String,
    /// What apply may do.
    pub guards: &'a Guards,
}

/// Recall's apps, indexed for the planner.
struct Index<'a> {
    by_id: HashMap<&'a str, &'a RemoteApp>,
    by_client_id: HashMap<&'a str, Vec<&'a RemoteApp>>,
    /// Recall ID → the lockfile name it is recorded under (deposed IDs included).
    locked_as: HashMap<&'a str, &'a str>,
}

/// Computes the plan.
pub fn diff(i: &Inputs) -> Plan {
    let mut plan = Plan::default();
    let (locked, moved_from) = apply_moves(i.locked, i.moves, &mut plan.unhandled);
    let mut index = Index {
        by_id: i.remote.iter().map(|r| (r.id.as_str(), r)).collect(),
        by_client_id: HashMap::new(),
        locked_as: HashMap::new(),
    };
    for r in i.remote {
        index.by_client_id.entry(&r.client_id).or_default().push(r);
    }
    for (name, l) in &locked {
        index.locked_as.insert(&l.id, name);
        for d in &l.deposed {
            index.locked_as.insert(d, name);
        }
    }
    // IDs some manifest or lockfile entry accounts for; the rest are unmanaged.
    let mut claimed: HashSet<&str> = index.locked_as.keys().copied().collect();

    for app in i.desired {
        let lock = locked.get(&app.name).copied();
        let mut planned = plan_app(app, lock, &index, i, &mut claimed, &mut plan.drift);
        if let Ok(change) = &mut planned {
            change.moved_from = moved_from.get(app.name.as_str()).cloned();
        }
        match planned {
            Ok(change) => plan.changes.push(change),
            Err(unhandled) => plan.unhandled.push(unhandled),
        }
    }
    let names: HashSet<&str> = i.desired.iter().map(|d| d.name.as_str()).collect();
    for (name, lock) in &locked {
        if !names.contains(name.as_str()) {
            plan.changes
                .push(removed(name, lock, &index, &mut plan.drift));
        }
        plan.changes.extend(
            lock.deposed
                .iter()
                .map(|id| deposed(name, lock, id, &index)),
        );
    }

    plan.unmanaged = unmanaged(i.remote, &claimed);
    if !i.guards.targets.is_empty() {
        narrow(&mut plan, &i.guards.targets);
    }
    guard(&mut plan, i);
    plan.changes
        .sort_by(|a, b| (&a.name, a.deposed).cmp(&(&b.name, b.deposed)));
    plan.unhandled.sort_by(|a, b| a.name.cmp(&b.name));
    plan.drift.sort_by(|a, b| a.name.cmp(&b.name));
    plan
}

/// The lockfile with the manifest's renames applied, and for each new name its old one. A
/// rename whose `from` is not recorded has already happened (or never will): nothing to do.
fn apply_moves<'a>(
    locked: &'a BTreeMap<String, LockedApp>,
    moves: &[(String, String)],
    unhandled: &mut Vec<Unhandled>,
) -> (BTreeMap<String, &'a LockedApp>, HashMap<String, String>) {
    let mut out: BTreeMap<String, &LockedApp> =
        locked.iter().map(|(n, l)| (n.clone(), l)).collect();
    let mut moved_from = HashMap::new();
    for (from, to) in moves {
        let Some(app) = locked.get(from) else {
            continue;
        };
        if locked.contains_key(to) {
            unhandled.push(Unhandled {
                name: to.clone(),
                id: Some(app.id.clone()),
                reason: format!(
                    "`moved` renames `{from}` to `{to}`, but the lockfile records both; forget one with `recallform state rm`"
                ),
            });
            continue;
        }
        out.remove(from);
        out.insert(to.clone(), app);
        moved_from.insert(to.clone(), from.clone());
    }
    (out, moved_from)
}

fn plan_app<'a>(
    app: &DesiredApp,
    lock: Option<&LockedApp>,
    index: &Index<'a>,
    i: &Inputs,
    claimed: &mut HashSet<&'a str>,
    drift: &mut Vec<Drift>,
) -> Result<Change, Unhandled> {
    let new = |action, live: Option<&RemoteApp>, reason: String, fields| Change {
        name: app.name.clone(),
        action,
        id: live.map(|r| r.id.clone()),
        kind: app.kind.to_string(),
        client_id: app.client_id.clone(),
        reason,
        drift: None,
        created_at: live.map(|r| r.created_at.clone()),
        fields,
        moved_from: None,
        lockfile_changes: Vec::new(),
        deposed: false,
        already_gone: false,
        blocked: None,
    };
    let unhandled = |id: Option<&str>, reason: String| Unhandled {
        name: app.name.clone(),
        id: id.map(str::to_string),
        reason,
    };

    if let Some(lock) = lock
        && let Some(live) = index.by_id.get(lock.id.as_str())
    {
        let mut fields = fixed_fields(Some(live), app);
        let replace = fields.iter().any(|f| f.forces_replacement);
        let (secrets, changed_outside) =
            secret_fields(app, Some(lock), Some(live), i.fingerprint, replace);
        fields.extend(secrets);
        for what in changed_outside {
            drift.push(Drift {
                name: app.name.clone(),
                id: Some(live.id.clone()),
                what,
            });
        }
        let (action, reason) = if replace {
            let why = fields
                .iter()
                .filter(|f| f.forces_replacement)
                .map(|f| format!("`{}` changed", f.field))
                .collect::<Vec<_>>()
                .join(" and ");
            (
                Action::Replace,
                format!("{why}, which Recall cannot change in place"),
            )
        } else if fields.iter().any(FieldDiff::changes) {
            (
                Action::Update,
                "its secrets differ from what Recall has".to_string(),
            )
        } else {
            (Action::NoOp, "up to date".to_string())
        };
        let mut change = new(action, Some(live), reason, fields);
        if lock.protect != app.protect {
            change
                .lockfile_changes
                .push(format!("protect: {} -> {}", lock.protect, app.protect));
        }
        return Ok(change);
    }

    // Not recorded, or recorded but gone from Recall: look for it by client ID.
    let gone = lock.map(|l| format!("the recorded app `{}` was deleted outside recallform", l.id));
    let mut note_drift = |what: &str| {
        if let Some(l) = lock {
            drift.push(Drift {
                name: app.name.clone(),
                id: Some(l.id.clone()),
                what: what.to_string(),
            });
        }
    };
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
        note_drift(gone.as_deref().unwrap_or_default());
        return Err(unhandled(Some(id), why));
    }
    claimed.extend(candidates.iter().map(|r| r.id.as_str()));
    match candidates {
        [] => {
            note_drift(gone.as_deref().unwrap_or_default());
            let reason = if gone.is_some() {
                "it no longer exists in Recall"
            } else {
                "not in Recall yet"
            };
            let mut fields = fixed_fields(None, app);
            fields.extend(secret_fields(app, None, None, i.fingerprint, true).0);
            let mut change = new(Action::Create, None, reason.into(), fields);
            change.drift = gone;
            Ok(change)
        }
        [found] if found.kind != app.kind.as_str() => {
            note_drift(gone.as_deref().unwrap_or_default());
            Err(unhandled(
                Some(&found.id),
                format!(
                    "Recall has client_id `{}` as `{}` with kind `{}`, but the manifest says `{}`; recallform does not replace an app it does not manage",
                    app.client_id, found.id, found.kind, app.kind
                ),
            ))
        }
        [found] => {
            let moved = gone
                .as_ref()
                .map(|g| format!("{g}; Recall has its client_id under `{}`", found.id));
            note_drift(moved.as_deref().unwrap_or_default());
            let mut fields = fixed_fields(Some(found), app);
            fields.extend(secret_fields(app, None, Some(found), i.fingerprint, false).0);
            let sends = fields.iter().any(FieldDiff::changes);
            let reason = format!(
                "Recall already has an app with client_id `{}`; it will be recorded{}",
                app.client_id,
                if sends {
                    " and its secrets sent"
                } else {
                    ", nothing is created"
                }
            );
            let mut change = new(Action::Adopt, Some(found), reason, fields);
            change.drift = moved;
            Ok(change)
        }
        several => {
            note_drift(gone.as_deref().unwrap_or_default());
            let ids: Vec<&str> = several.iter().map(|r| r.id.as_str()).collect();
            Err(unhandled(
                None,
                format!(
                    "Recall has {} apps with client_id `{}` ({}); recallform cannot tell which one to adopt",
                    ids.len(),
                    app.client_id,
                    ids.join(", ")
                ),
            ))
        }
    }
}

/// `kind` and `client_id`, from the live app (if any) to the manifest's.
fn fixed_fields(live: Option<&RemoteApp>, app: &DesiredApp) -> Vec<FieldDiff> {
    let mut kind = FieldDiff::plain(
        "kind",
        live.map(|r| r.kind.as_str()),
        Some(app.kind.as_str()),
    );
    let mut client_id = FieldDiff::plain(
        "client_id",
        live.map(|r| r.client_id.as_str()),
        Some(&app.client_id),
    );
    kind.forces_replacement = kind.change == FieldChange::Changed;
    client_id.forces_replacement = client_id.change == FieldChange::Changed;
    vec![kind, client_id]
}

/// The two secrets' fields, and what changed outside recallform. With `new_app` (create or
/// replace) they are simply added.
fn secret_fields(
    app: &DesiredApp,
    lock: Option<&LockedApp>,
    live: Option<&RemoteApp>,
    fingerprint: &dyn Fn(&str) -> String,
    new_app: bool,
) -> (Vec<FieldDiff>, Vec<String>) {
    let mut fields = Vec::new();
    let mut outside = Vec::new();
    let pairs = [
        (
            "client_secret",
            &app.client_secret,
            live.and_then(|r| r.client_secret.as_ref()),
        ),
        (
            "webhook_secret",
            &app.webhook_secret,
            live.and_then(|r| r.webhook_secret.as_ref()),
        ),
    ];
    for (field, wanted, in_recall) in pairs {
        if new_app {
            fields.push(FieldDiff::secret(field, FieldChange::Added));
            continue;
        }
        let recorded = lock.and_then(|l| l.secrets.get(field));
        let (change, note, changed_outside) =
            compare_secret(wanted, recorded, in_recall, fingerprint);
        if changed_outside {
            outside.push(format!("`{field}` was changed outside recallform"));
        }
        let mut f = FieldDiff::secret(field, change);
        f.note = note;
        fields.push(f);
    }
    (fields, outside)
}

/// Whether a secret must be sent, why (a note), and whether Recall's copy was changed behind
/// recallform's back. Recall's copy, when readable, is the truth; otherwise the fingerprint of
/// what recallform last sent is.
fn compare_secret(
    wanted: &SecretString,
    recorded: Option<&String>,
    in_recall: Option<&SecretString>,
    fingerprint: &dyn Fn(&str) -> String,
) -> (FieldChange, Option<String>, bool) {
    match in_recall {
        Some(current) => {
            let changed_outside = recorded.is_some_and(|r| *r != fingerprint(current.expose()));
            if current == wanted {
                (FieldChange::Unchanged, None, changed_outside)
            } else {
                // Both are true: it differs, and recallform has no record of sending it.
                let note = recorded
                    .is_none()
                    .then(|| "secret not yet recorded".to_string());
                (FieldChange::Changed, note, changed_outside)
            }
        }
        None => match recorded {
            None => (
                FieldChange::Changed,
                Some("secret not yet recorded".into()),
                false,
            ),
            Some(r) if *r != fingerprint(wanted.expose()) => (FieldChange::Changed, None, false),
            Some(_) => (FieldChange::Unchanged, None, false),
        },
    }
}

/// A record that left the manifest: delete its app (or just the record, if it is gone).
fn removed(name: &str, lock: &LockedApp, index: &Index, drift: &mut Vec<Drift>) -> Change {
    let live = index.by_id.get(lock.id.as_str());
    let already_gone = live.is_none();
    if already_gone {
        drift.push(Drift {
            name: name.to_string(),
            id: Some(lock.id.clone()),
            what: format!(
                "the recorded app `{}` was deleted outside recallform",
                lock.id
            ),
        });
    }
    let reason = if already_gone {
        "removed from the manifest and already gone from Recall; only its lockfile record goes"
    } else {
        "removed from the manifest"
    };
    Change {
        name: name.to_string(),
        action: Action::Delete,
        id: Some(lock.id.clone()),
        kind: lock.kind.clone(),
        client_id: lock.client_id.clone(),
        reason: reason.into(),
        drift: None,
        created_at: live.map(|r| r.created_at.clone()),
        fields: removed_fields(lock),
        moved_from: None,
        lockfile_changes: Vec::new(),
        deposed: false,
        already_gone,
        blocked: None,
    }
}

/// An app a replacement created a successor for but did not get to delete.
fn deposed(name: &str, lock: &LockedApp, id: &str, index: &Index) -> Change {
    let live = index.by_id.get(id);
    Change {
        name: name.to_string(),
        action: Action::Delete,
        id: Some(id.to_string()),
        kind: live.map_or(lock.kind.clone(), |r| r.kind.clone()),
        client_id: live.map_or(String::new(), |r| r.client_id.clone()),
        reason: "left behind by an interrupted replacement, which already created its successor"
            .into(),
        drift: None,
        created_at: live.map(|r| r.created_at.clone()),
        fields: Vec::new(),
        moved_from: None,
        lockfile_changes: Vec::new(),
        deposed: true,
        already_gone: live.is_none(),
        blocked: None,
    }
}

fn removed_fields(lock: &LockedApp) -> Vec<FieldDiff> {
    vec![
        FieldDiff::plain("kind", Some(&lock.kind), None),
        FieldDiff::plain("client_id", Some(&lock.client_id), None),
        FieldDiff::secret("client_secret", FieldChange::Removed),
        FieldDiff::secret("webhook_secret", FieldChange::Removed),
    ]
}

/// Keeps only the targeted apps (and what concerns them).
fn narrow(plan: &mut Plan, targets: &BTreeSet<String>) {
    plan.changes.retain(|c| targets.contains(&c.name));
    plan.unhandled.retain(|u| targets.contains(&u.name));
    plan.drift.retain(|d| targets.contains(&d.name));
    plan.unmanaged.clear();
    plan.targets = targets.iter().cloned().collect();
}

/// Marks what apply must refuse: deletes without permission, protected apps, replacements
/// without permission, and more deletes than the policy allows.
fn guard(plan: &mut Plan, i: &Inputs) {
    let g = i.guards;
    let desired: HashMap<&str, &DesiredApp> =
        i.desired.iter().map(|d| (d.name.as_str(), d)).collect();
    // Where the protection is (manifest, lockfile or both) decides which steps lift it.
    let protected = |name: &str| {
        (
            desired.get(name).is_some_and(|d| d.protect),
            i.locked.get(name).is_some_and(|l| l.protect),
        )
    };
    let allowed_replace = |name: &str| {
        g.allow_replace.contains(name) || desired.get(name).is_some_and(|d| d.allow_replace)
    };
    let deletes = plan
        .changes
        .iter()
        .filter(|c| c.deletes_an_app() && !c.deposed)
        .count();
    for c in &mut plan.changes {
        if !c.deletes_an_app() || c.deposed {
            continue;
        }
        let name = &c.name;
        let (in_manifest, in_lockfile) = protected(name);
        c.blocked = if in_manifest || in_lockfile {
            Some(match (in_manifest, in_lockfile) {
                (true, true) => format!(
                    "`{name}` is protected (`lifecycle.protect`); to allow it, remove `protect` from the manifest and run `recallform state unprotect {name}`"
                ),
                (true, false) => format!(
                    "`{name}` is protected (`lifecycle.protect`); to allow it, remove `protect` from the manifest"
                ),
                _ => format!(
                    "`{name}` is protected in the lockfile (`lifecycle.protect` when it was last applied); to allow it, run `recallform state unprotect {name}`"
                ),
            })
        } else if c.action == Action::Replace && !allowed_replace(&c.name) {
            Some(format!(
                "replacing gives `{}` a new Recall ID and webhook URL; allow it with `--allow-replace {}` or `lifecycle: {{allow_replace: true}}` on the app",
                c.name, c.name
            ))
        } else if c.action == Action::Delete && !g.allow_delete {
            Some(
                "deleting needs `--allow-delete` or `policy: {allow_delete: true}` in the manifest"
                    .into(),
            )
        } else if deletes > g.max_deletes && !g.force {
            Some(format!(
                "this plan deletes {deletes} apps, more than `policy.max_deletes` ({}); pass `--force` to allow it",
                g.max_deletes
            ))
        } else {
            None
        };
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
