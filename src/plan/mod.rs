//! The plan: what recallform would change, computed by a pure function.
//!
//! [`diff`] compares the manifest's apps, the lockfile and Recall's apps and returns plain
//! data in a deterministic order. It never reaches the network or the filesystem, so every
//! scenario is a unit test. Rendering lives in [`render`] and [`markdown`]; carrying a plan out
//! in [`crate::apply`].

mod diff;
pub mod markdown;
pub mod render;

pub use diff::{Guards, Inputs, diff};

use serde::{Deserialize, Serialize};

/// What happens to one app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Create it in Recall.
    #[serde(rename = "create")]
    Create,
    /// Record an app that already exists in Recall (sending its secrets if they differ).
    #[serde(rename = "adopt")]
    Adopt,
    /// Send changed secrets with PATCH.
    #[serde(rename = "update")]
    Update,
    /// Delete and create again: its kind or client ID changed, which Recall cannot change.
    #[serde(rename = "replace")]
    Replace,
    /// Delete it from Recall (it left the manifest) and forget it.
    #[serde(rename = "delete")]
    Delete,
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
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
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
/// they change, and why.
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
    /// Why a secret is sent although its change cannot be seen, e.g. `secret not yet recorded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the change needs a new Recall app (kind and client_id are fixed at creation).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forces_replacement: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FieldDiff {
    /// A field whose values can be shown.
    pub fn plain(field: &str, before: Option<&str>, after: Option<&str>) -> FieldDiff {
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
            note: None,
            forces_replacement: false,
        }
    }

    /// A secret: only how it changes.
    pub fn secret(field: &str, change: FieldChange) -> FieldDiff {
        FieldDiff {
            field: field.into(),
            before: None,
            after: None,
            sensitive: true,
            change,
            note: None,
            forces_replacement: false,
        }
    }

    /// Whether apply changes this field at all.
    pub fn changes(&self) -> bool {
        self.change != FieldChange::Unchanged
    }
}

/// One planned change (or non-change) for an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The app's name (in the manifest, or in the lockfile for deletes).
    pub name: String,
    /// What will happen.
    pub action: Action,
    /// The app's Recall ID now: `None` for create.
    pub id: Option<String>,
    /// The app's kind (after apply; before it, for deletes).
    pub kind: String,
    /// The Zoom client ID (after apply; before it, for deletes).
    pub client_id: String,
    /// Why, in words.
    pub reason: String,
    /// What changed outside recallform, if anything did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    /// When Recall created the app (adopt, update, no-op, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The app's fields, before and after.
    pub fields: Vec<FieldDiff>,
    /// The lockfile name this record had before a `moved` entry renamed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// Changes to the lockfile record alone (no call to Recall), e.g. `protect: false -> true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lockfile_changes: Vec<String>,
    /// Whether this deletes an app left behind by an interrupted replacement.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deposed: bool,
    /// For a delete: the app is already gone from Recall, only its record goes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub already_gone: bool,
    /// Why apply will refuse this change, and how to allow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
}

impl Change {
    /// Whether apply does anything for it: a call to Recall or a lockfile edit.
    pub fn is_actionable(&self) -> bool {
        self.action != Action::NoOp
            || self.moved_from.is_some()
            || !self.lockfile_changes.is_empty()
    }

    /// Whether it deletes an app that exists in Recall (replacements included).
    pub fn deletes_an_app(&self) -> bool {
        self.action == Action::Replace || (self.action == Action::Delete && !self.already_gone)
    }
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
}

/// Something that changed in Recall without recallform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The app's name.
    pub name: String,
    /// The Recall ID involved.
    pub id: Option<String>,
    /// What changed.
    pub what: String,
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
    /// One entry per app, by name.
    pub changes: Vec<Change>,
    /// Differences not handled, by name.
    pub unhandled: Vec<Unhandled>,
    /// What changed outside recallform, by name.
    #[serde(default)]
    pub drift: Vec<Drift>,
    /// Recall apps outside recallform's management, by creation time.
    pub unmanaged: Vec<Unmanaged>,
    /// The apps the plan was limited to with `--target`; empty for a full plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
}

/// Counts per action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Apps to create.
    pub create: usize,
    /// Apps to adopt.
    pub adopt: usize,
    /// Apps whose secrets are sent again.
    pub update: usize,
    /// Apps to delete and create again.
    pub replace: usize,
    /// Apps to delete.
    pub delete: usize,
    /// Apps already in place in Recall (`no-op`), including the `lockfile_only` ones.
    pub no_op: usize,
    /// Of the `no_op` apps, those whose lockfile record changes besides a rename (e.g.
    /// `protect`): apply writes the lockfile for them but sends nothing to Recall.
    pub lockfile_only: usize,
    /// Apps renamed by a `moved` entry, whatever their action: a rename is a separate lockfile
    /// edit that apply makes first.
    #[serde(rename = "move")]
    pub moves: usize,
    /// Differences not handled.
    pub unhandled: usize,
    /// Changes apply will refuse without permission.
    pub blocked: usize,
    /// Changes made outside recallform.
    pub drift: usize,
}

impl Plan {
    /// Counts per action.
    pub fn summary(&self) -> Summary {
        let count = |a| self.changes.iter().filter(|c| c.action == a).count();
        Summary {
            create: count(Action::Create),
            adopt: count(Action::Adopt),
            update: count(Action::Update),
            replace: count(Action::Replace),
            delete: count(Action::Delete),
            no_op: count(Action::NoOp),
            lockfile_only: self
                .changes
                .iter()
                .filter(|c| c.action == Action::NoOp && !c.lockfile_changes.is_empty())
                .count(),
            moves: self
                .changes
                .iter()
                .filter(|c| c.moved_from.is_some())
                .count(),
            unhandled: self.unhandled.len(),
            blocked: self.blocked().count(),
            drift: self.drift.len(),
        }
    }

    /// Whether Recall or the lockfile differ from the manifest.
    pub fn has_changes(&self) -> bool {
        !self.unhandled.is_empty() || self.actionable().next().is_some()
    }

    /// The changes that apply will carry out (or refuse, when blocked).
    pub fn actionable(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_actionable())
    }

    /// The changes apply refuses without permission.
    pub fn blocked(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.blocked.is_some())
    }

    /// Whether apply would replace or delete an app in Recall. Reviewers are warned about these.
    pub fn is_destructive(&self) -> bool {
        self.actionable().any(Change::deletes_an_app)
    }
}

#[cfg(test)]
mod tests;
