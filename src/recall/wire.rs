//! What travels on the wire: Recall's page and app shapes, and what a create sends.

use serde::Deserialize;

use super::redact::is_masked;
use crate::model::{Kind, RemoteApp, SecretString};

/// A page of `GET /api/v2/zoom-oauth-apps/`.
#[derive(Deserialize)]
pub(super) struct Page {
    pub(super) next: Option<String>,
    pub(super) results: Vec<WireApp>,
}

/// A Zoom OAuth app as Recall returns it. The secrets may or may not be there (UNCONFIRMED);
/// when they are, they go straight into [`SecretString`]s, which cannot be printed.
#[derive(Deserialize)]
pub(super) struct WireApp {
    id: String,
    kind: String,
    client_id: String,
    created_at: String,
    #[serde(default)]
    webhook_last_validation: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    webhook_secret: Option<String>,
}

impl From<WireApp> for RemoteApp {
    fn from(w: WireApp) -> RemoteApp {
        RemoteApp {
            id: w.id,
            kind: w.kind,
            client_id: w.client_id,
            created_at: w.created_at,
            webhook_last_validation: w.webhook_last_validation,
            // A masked or empty value tells nothing about the secret: treat it as unreadable.
            client_secret: readable(w.client_secret),
            webhook_secret: readable(w.webhook_secret),
        }
    }
}

/// A secret Recall returned, unless it is absent, empty or visibly masked (`****`, `••••`).
fn readable(value: Option<String>) -> Option<SecretString> {
    value
        .filter(|v| !v.is_empty() && !is_masked(v))
        .map(SecretString::new)
}

/// What a create sends; the secrets leave memory only in the request body.
pub struct NewApp<'a> {
    /// The app's kind.
    pub kind: Kind,
    /// The Zoom client ID.
    pub client_id: &'a str,
    /// The Zoom client secret.
    pub client_secret: &'a SecretString,
    /// Zoom's webhook Secret Token.
    pub webhook_secret: &'a SecretString,
}
