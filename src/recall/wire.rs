//! What travels on the wire: Recall's page, app, app-log and credential shapes, and what a
//! create sends.

use serde::Deserialize;

use super::redact::is_masked;
use crate::model::{Kind, RemoteApp, SecretString};

/// A page of any of Recall's cursor-paginated lists (shared/recall-api.md §1.4).
#[derive(Deserialize)]
pub(super) struct Page<T> {
    pub(super) next: Option<String>,
    pub(super) results: Vec<T>,
}

/// What the client checks of each item an answer holds, beyond its shape.
pub(super) trait Item {
    /// What the item is, for messages: `app`, `credential`, `log entry`.
    const NOUN: &'static str;
    /// The same with its article: `an app`.
    const A_NOUN: &'static str;
    /// The item's own ID, which no two items of a list share; `None` for items without one.
    fn id(&self) -> Option<&str>;
    /// What is wrong with it, if anything, as what it has: ``the `id` `x`, which is not a
    /// UUID`` (an ID goes into paths and into the lockfile).
    fn problem(&self) -> Option<String>;
}

/// The problem of a `field` whose `value` is not a UUID for the field `field`, or `None` when it is one.
fn not_uuid(field: &str, value: &str) -> Option<String> {
    if uuid::Uuid::parse_str(value).is_ok() {
        return None;
    }
    // A hostile value could be long; the start names it well enough.
    let mut shown: String = value.chars().take(64).collect();
    if value.chars().count() > 64 {
        shown.push('…');
    }
    Some(format!("the `{field}` `{shown}`, which is not a UUID"))
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

impl WireApp {
    /// The Zoom client ID it says it has.
    pub(super) fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl Item for WireApp {
    const NOUN: &'static str = "app";
    const A_NOUN: &'static str = "an app";
    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn problem(&self) -> Option<String> {
        not_uuid("id", &self.id)
    }
}

impl Item for AppLog {
    const NOUN: &'static str = "log entry";
    const A_NOUN: &'static str = "a log entry";
    fn id(&self) -> Option<&str> {
        None
    }
    fn problem(&self) -> Option<String> {
        not_uuid("oauth_app", &self.oauth_app)
    }
}

impl Item for Credential {
    const NOUN: &'static str = "credential";
    const A_NOUN: &'static str = "a credential";
    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn problem(&self) -> Option<String> {
        not_uuid("id", &self.id).or_else(|| not_uuid("oauth_app", &self.oauth_app))
    }
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

/// An entry of `GET /api/v2/zoom-oauth-app-logs/`: a warning or an error Recall recorded about
/// an app. Recall gives entries neither an ID nor a level.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AppLog {
    /// The app's ID.
    pub oauth_app: String,
    /// What happened, as Recall wrote it (up to 2,000 characters), with every secret the
    /// client knows cut out.
    pub message: String,
    /// When, RFC 3339.
    pub created_at: String,
}

/// The newest entries of an app's log, as [`crate::recall::Client::list_app_logs`] read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppLogs {
    /// Newest first.
    pub entries: Vec<AppLog>,
    /// Whether Recall has more entries (older ones) than were read.
    pub more: bool,
}

/// A Zoom OAuth credential of `GET /api/v2/zoom-oauth-credentials/`: one Zoom user (or
/// account) who authorised an app. Its `access_token_callback_url` is not read: a URL of the
/// customer's, which may carry a token, and nothing recallform needs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Credential {
    /// Recall's ID.
    pub id: String,
    /// The app's ID.
    pub oauth_app: String,
    /// `healthy` or `unhealthy` (kept as text, so a status Recall adds later reads too).
    pub status: String,
    /// The Zoom user, for a user-level app.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The Zoom account, for an account-level app.
    #[serde(default)]
    pub account_id: Option<String>,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// `not_started`, `in_progress`, `completed` or `failed`.
    pub meeting_sync_status: String,
}

/// The filters of [`crate::recall::Client::list_credentials`]; `None` filters nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct CredentialFilter<'a> {
    /// Only this app's credentials.
    pub oauth_app: Option<&'a str>,
    /// Only those with this `status`.
    pub status: Option<&'a str>,
    /// Only those with this `meeting_sync_status`.
    pub meeting_sync_status: Option<&'a str>,
}

/// Decodes a page of `GET /api/v2/zoom-oauth-apps/` from a success body's bytes, as the client
/// does: the apps and the `next` link. For the fuzz target (`tests/fuzz.rs`); the client reads
/// pages through the same types.
pub fn decode_app_page(bytes: &[u8]) -> Result<(Vec<RemoteApp>, Option<String>), String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let page: Page<WireApp> = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok((
        page.results.into_iter().map(Into::into).collect(),
        page.next,
    ))
}
