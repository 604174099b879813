//! The lockfile's record as plain data: which Recall app each manifest name is, with the
//! fingerprints of the secrets last sent. No I/O: the pure planner reads these types, and
//! [`super::LockStore`] reads and writes the file they are stored in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The lockfile format this recallform writes. Version 1 (before secret fingerprints) is read
/// and upgraded on the next write.
pub const VERSION: u32 = 2;

/// The file's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    /// Format version.
    pub version: u32,
    /// A UUID chosen when the lockfile is first written; copies of one history share it.
    pub lineage: String,
    /// Grows by one with every change.
    pub serial: u64,
    /// The Recall deployment the IDs belong to (`sandbox` for `--sandbox`).
    pub api_url: String,
    /// The random key of the secret fingerprints (hex); empty in version 1.
    #[serde(default)]
    pub salt: String,
    /// The recorded apps, by manifest name.
    pub zoom_oauth_apps: BTreeMap<String, LockedApp>,
}

impl Lockfile {
    /// A new, empty lockfile for the target `api_url`: a fresh lineage and salt, serial 0
    /// (the first write makes it 1).
    pub fn new(api_url: &str) -> Lockfile {
        Lockfile {
            version: VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            api_url: api_url.into(),
            salt: new_salt(),
            zoom_oauth_apps: BTreeMap::new(),
        }
    }
}

/// A new random fingerprint key, in hex.
pub(super) fn new_salt() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// One recorded app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedApp {
    /// Recall's ID for the app.
    pub id: String,
    /// The app's kind.
    pub kind: String,
    /// The Zoom client ID.
    pub client_id: String,
    /// When Recall created it.
    pub created_at: String,
    /// The URL to enter in the Zoom app's event subscription.
    pub webhook_url: String,
    /// For each secret recallform last sent (`client_secret`, `webhook_secret`), its
    /// fingerprint: HMAC-SHA256 keyed with the lockfile's `salt`. Never the value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// Copied from the manifest's `lifecycle.protect`: the app cannot be deleted or replaced,
    /// even after it leaves the manifest, until `recallform state unprotect`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    /// IDs of apps this one replaced that still wait to be deleted (a replacement that
    /// creates first and was interrupted before the delete).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
