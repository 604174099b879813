//! The emulated workspace: its apps, their logs and Zoom OAuth credentials, and the rules Recall
//! applies to them.
//!
//! Plain data and functions with no HTTP in them, so the rules (validation messages, the
//! webhook answer) can be read next to the API reference they follow. Logs and credentials are
//! only ever read through the API, as recallform only reads them: tests put them here with the
//! seeding functions, as Recall itself and Zoom's users would.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::time::now_rfc3339;

/// Longest string Recall accepts for `client_id` and the secrets.
const MAX_LEN: usize = 200;

/// An app as the emulated Recall stores it, secrets included (Recall needs the webhook secret
/// to answer Zoom).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredApp {
    /// Recall's ID (UUID v4).
    pub id: String,
    /// `user_level` or `account_level`.
    pub kind: String,
    /// The Zoom client ID.
    pub client_id: String,
    /// The Zoom client secret.
    pub client_secret: String,
    /// Zoom's Secret Token.
    pub webhook_secret: String,
    /// Last successful URL validation, if any.
    pub webhook_last_validation: Option<String>,
    /// Creation time, RFC 3339 with microseconds like Recall's.
    pub created_at: String,
    /// Creation order; the pagination position.
    pub seq: u64,
}

impl StoredApp {
    /// The app as the API returns it.
    pub fn to_json(&self, with_secrets: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "kind": self.kind,
            "client_id": self.client_id,
            "webhook_last_validation": self.webhook_last_validation,
            "created_at": self.created_at,
        });
        if with_secrets {
            v["client_secret"] = json!(self.client_secret);
            v["webhook_secret"] = json!(self.webhook_secret);
        }
        v
    }
}

/// One entry of an app's log (shared/recall-api.md §1.8): a warning or an error Recall
/// recorded about the app. Recall gives entries no ID and no level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLog {
    /// The app's ID.
    pub oauth_app: String,
    /// What happened, up to 2,000 characters.
    pub message: String,
    /// When, RFC 3339.
    pub created_at: String,
    /// Creation order; breaks ties between entries of the same time.
    pub seq: u64,
}

impl StoredLog {
    /// The entry as the API returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "oauth_app": self.oauth_app,
            "message": self.message,
            "created_at": self.created_at,
        })
    }
}

/// A Zoom OAuth credential (shared/recall-api.md §2): one Zoom user (or account) who
/// authorised the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredential {
    /// Recall's ID (UUID v4).
    pub id: String,
    /// The app's ID.
    pub oauth_app: String,
    /// `healthy` or `unhealthy`.
    pub status: String,
    /// The Zoom user, for a user-level app.
    pub user_id: Option<String>,
    /// The Zoom account, for an account-level app.
    pub account_id: Option<String>,
    /// Where Recall fetches access tokens (customer-managed OAuth only).
    pub access_token_callback_url: Option<String>,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// `not_started`, `in_progress`, `completed` or `failed`.
    pub meeting_sync_status: String,
    /// Creation order; the pagination position.
    pub seq: u64,
}

impl StoredCredential {
    /// The credential as the API returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "oauth_app": self.oauth_app,
            "status": self.status,
            "user_id": self.user_id,
            "account_id": self.account_id,
            "access_token_callback_url": self.access_token_callback_url,
            "created_at": self.created_at,
            "meeting_sync_status": self.meeting_sync_status,
        })
    }
}

/// The values of a credential's `status`.
pub const CREDENTIAL_STATUSES: [&str; 2] = ["healthy", "unhealthy"];

/// The values of a credential's `meeting_sync_status`.
pub const MEETING_SYNC_STATUSES: [&str; 4] = ["not_started", "in_progress", "completed", "failed"];

/// The workspace's persistent content. State files written before logs and credentials were
/// emulated have neither: they read as empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Workspace {
    /// Apps by ID, and in creation order.
    pub apps: super::apps::Apps,
    /// The next creation sequence number (of apps, log entries and credentials alike).
    pub next_seq: u64,
    /// Every app's log entries, in the order they were recorded.
    #[serde(default)]
    pub app_logs: Vec<StoredLog>,
    /// Zoom OAuth credentials by ID.
    #[serde(default)]
    pub credentials: BTreeMap<String, StoredCredential>,
}

/// A DRF-style answer: status and JSON body (`None` for 204).
pub type Answer = (u16, Option<Value>);

/// DRF's answer for an unknown ID.
pub fn not_found() -> Answer {
    (404, Some(json!({"detail": "Not found."})))
}

impl Workspace {
    /// `POST /api/v2/zoom-oauth-apps/`: validates like DRF and creates.
    pub fn create(&mut self, body: &Value, reject_duplicate_client_id: bool) -> Answer {
        let Some(obj) = body.as_object() else {
            return bad_request(
                json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
            );
        };
        let mut errors = Map::new();
        let kind = string_field(obj, "kind", &mut errors);
        if let Some(k) = &kind
            && k != "user_level"
            && k != "account_level"
        {
            errors.insert(
                "kind".into(),
                json!([format!("\"{k}\" is not a valid choice.")]),
            );
        }
        let client_id = string_field(obj, "client_id", &mut errors);
        let client_secret = string_field(obj, "client_secret", &mut errors);
        let webhook_secret = string_field(obj, "webhook_secret", &mut errors);
        if reject_duplicate_client_id
            && let Some(cid) = &client_id
            && self.apps.has_client_id(cid)
        {
            errors.insert(
                "client_id".into(),
                json!(["zoom o auth app with this client id already exists."]),
            );
        }
        if !errors.is_empty() {
            return bad_request(Value::Object(errors));
        }
        let (Some(kind), Some(client_id), Some(client_secret), Some(webhook_secret)) =
            (kind, client_id, client_secret, webhook_secret)
        else {
            unreachable!("every missing field was reported");
        };
        let app = StoredApp {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            client_id,
            client_secret,
            webhook_secret,
            webhook_last_validation: None,
            created_at: now_rfc3339(),
            seq: self.next_seq,
        };
        self.next_seq += 1;
        let answer = (201, Some(app.to_json(true)));
        self.apps.insert(app);
        answer
    }

    /// `PATCH /api/v2/zoom-oauth-apps/{id}/`: only the secrets can change; other fields are
    /// ignored like DRF ignores read-only fields.
    pub fn update(&mut self, id: &str, body: &Value) -> Answer {
        let Some(obj) = body.as_object() else {
            return bad_request(json!({"non_field_errors": ["Invalid data."]}));
        };
        let mut errors = Map::new();
        let mut changes = Vec::new();
        for field in ["client_secret", "webhook_secret"] {
            if obj.contains_key(field)
                && let Some(v) = string_field(obj, field, &mut errors)
            {
                changes.push((field, v));
            }
        }
        if !errors.is_empty() {
            return bad_request(Value::Object(errors));
        }
        let Some(app) = self.apps.get_mut(id) else {
            return not_found();
        };
        for (field, v) in changes {
            match field {
                "client_secret" => app.client_secret = v,
                _ => app.webhook_secret = v,
            }
        }
        (200, Some(app.to_json(true)))
    }

    /// `DELETE /api/v2/zoom-oauth-apps/{id}/`.
    pub fn delete(&mut self, id: &str) -> Answer {
        match self.apps.remove(id) {
            Some(_) => (204, None),
            None => not_found(),
        }
    }

    /// Apps matching the list filters, in creation order.
    pub fn filtered(&self, client_id: Option<&str>, kind: Option<&str>) -> Vec<&StoredApp> {
        self.apps
            .in_order(client_id)
            .filter(|a| kind.is_none_or(|k| a.kind == k))
            .collect()
    }

    /// Records a log entry about the app `app_id`, as Recall does when something goes wrong.
    pub fn seed_log(&mut self, app_id: &str, message: &str, created_at: &str) -> StoredLog {
        let entry = StoredLog {
            oauth_app: app_id.into(),
            message: message.into(),
            created_at: created_at.into(),
            seq: self.take_seq(),
        };
        self.app_logs.push(entry.clone());
        entry
    }

    /// Adds a credential to the app `app_id`, as a Zoom user authorising it would: with a Zoom
    /// user ID for a user-level app, an account ID for an account-level one.
    pub fn seed_credential(
        &mut self,
        app_id: &str,
        status: &str,
        meeting_sync_status: &str,
    ) -> StoredCredential {
        let seq = self.take_seq();
        let account_level = self
            .apps
            .get(app_id)
            .is_some_and(|a| a.kind == "account_level");
        let zoom_id = format!("zoom-{seq:06}");
        let credential = StoredCredential {
            id: uuid::Uuid::new_v4().to_string(),
            oauth_app: app_id.into(),
            status: status.into(),
            user_id: (!account_level).then(|| zoom_id.clone()),
            account_id: account_level.then_some(zoom_id),
            access_token_callback_url: None,
            created_at: now_rfc3339(),
            meeting_sync_status: meeting_sync_status.into(),
            seq,
        };
        self.credentials
            .insert(credential.id.clone(), credential.clone());
        credential
    }

    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq - 1
    }

    /// Zoom's `endpoint.url_validation` challenge, answered with the app's webhook secret.
    pub fn url_validation(&mut self, id: &str, plain_token: &str) -> Answer {
        let Some(app) = self.apps.get_mut(id) else {
            return not_found();
        };
        let encrypted = hmac_hex(app.webhook_secret.as_bytes(), plain_token.as_bytes());
        app.webhook_last_validation = Some(now_rfc3339());
        (
            200,
            Some(json!({"plainToken": plain_token, "encryptedToken": encrypted})),
        )
    }

    /// Checks Zoom's `x-zm-signature` over a webhook's raw body, in constant time, with the
    /// app's webhook secret; `None` when there is no such app.
    pub fn signature_ok(
        &self,
        id: &str,
        timestamp: &str,
        body: &[u8],
        signature: &str,
    ) -> Option<bool> {
        let app = self.apps.get(id)?;
        let secret = crate::model::SecretString::new(app.webhook_secret.clone());
        Some(crate::webhook::verify_signature(
            &secret, timestamp, body, signature,
        ))
    }
}

/// DRF's handling of a required string field: missing, null, wrong type, blank, too long.
fn string_field(
    obj: &Map<String, Value>,
    field: &str,
    errors: &mut Map<String, Value>,
) -> Option<String> {
    let message = match obj.get(field) {
        None => "This field is required.",
        Some(Value::Null) => "This field may not be null.",
        Some(Value::String(s)) if s.trim().is_empty() => "This field may not be blank.",
        Some(Value::String(s)) if s.chars().count() > MAX_LEN => {
            "Ensure this field has no more than 200 characters."
        }
        Some(Value::String(s)) => return Some(s.clone()),
        Some(_) => "Not a valid string.",
    };
    errors.insert(field.into(), json!([message]));
    None
}

fn bad_request(errors: Value) -> Answer {
    (400, Some(errors))
}

/// Lowercase hex of HMAC-SHA256, as Zoom computes `encryptedToken` and signatures.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    crate::digest::hmac_sha256_hex(key, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_like_drf() {
        let mut w = Workspace::default();
        let (status, body) = w.create(
            &json!({"kind": "x", "client_id": "", "client_secret": 3}),
            false,
        );
        assert_eq!(status, 400);
        assert_eq!(
            body.unwrap(),
            json!({
                "kind": ["\"x\" is not a valid choice."],
                "client_id": ["This field may not be blank."],
                "client_secret": ["Not a valid string."],
                "webhook_secret": ["This field is required."],
            })
        );
        assert!(w.apps.is_empty());
    }

    #[test]
    fn zoom_url_validation_answer() {
        // Zoom's documented formula: hex(HMAC-SHA256(secret, plainToken)).
        let mut w = Workspace::default();
        let (_, body) = w.create(
            &json!({"kind": "user_level", "client_id": "c", "client_secret": "s", "webhook_secret": "key"}),
            false,
        );
        let id = body.unwrap()["id"].as_str().unwrap().to_string();
        let (status, body) = w.url_validation(&id, "The quick brown fox jumps over the lazy dog");
        assert_eq!(status, 200);
        assert_eq!(
            body.unwrap()["encryptedToken"],
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert!(w.apps[&id].webhook_last_validation.is_some());
    }
}
