//! Domain types shared by every layer: what an app *is*, independent of where it was read from.
//!
//! Nothing here does I/O. The manifest, the Recall client and the lockfile each convert their own
//! wire or file shapes into these types, so the planner compares like with like.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the Zoom app is installed, which decides whose meetings Recall can reach.
///
/// A user-managed Zoom app maps to `user_level`, an admin-managed (account-wide) one to
/// `account_level`. Recall never lets it change after creation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A user-managed Zoom app: each user authorises it for their own meetings.
    UserLevel,
    /// An admin-managed Zoom app: an account admin authorises it for the whole account.
    AccountLevel,
}

impl Kind {
    /// Every kind, in the order they are listed in hints.
    pub const ALL: [Kind; 2] = [Kind::UserLevel, Kind::AccountLevel];

    /// The name Recall and the manifest use.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UserLevel => "user_level",
            Kind::AccountLevel => "account_level",
        }
    }

    /// Parses the exact wire name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Recall deployment. Each is separate: its own keys, its own app IDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Region {
    /// US East (`https://us-east-1.recall.ai`), also reached as `api.recall.ai`.
    #[serde(rename = "us-east-1")]
    UsEast1,
    /// US West (`https://us-west-2.recall.ai`).
    #[serde(rename = "us-west-2")]
    UsWest2,
    /// EU, Frankfurt (`https://eu-central-1.recall.ai`).
    #[serde(rename = "eu-central-1")]
    EuCentral1,
    /// Asia, Tokyo (`https://ap-northeast-1.recall.ai`).
    #[serde(rename = "ap-northeast-1")]
    ApNortheast1,
}

impl Region {
    /// Every region, in the order they are listed in hints.
    pub const ALL: [Region; 4] = [
        Region::UsEast1,
        Region::UsWest2,
        Region::EuCentral1,
        Region::ApNortheast1,
    ];

    /// The region's name as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::UsEast1 => "us-east-1",
            Region::UsWest2 => "us-west-2",
            Region::EuCentral1 => "eu-central-1",
            Region::ApNortheast1 => "ap-northeast-1",
        }
    }

    /// Parses the exact region name.
    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The region's API base URL, without a trailing slash.
    pub fn base_url(self) -> String {
        format!("https://{}.recall.ai", self.as_str())
    }
}

/// A secret value read from a credential reference.
///
/// It has no `Display`, no `Serialize`, and a redacted `Debug`, so it cannot reach output,
/// logs or files by accident; [`SecretString::expose`] is the one door out, used only to
/// build request bodies.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        SecretString(value)
    }

    /// The secret value itself. Only for sending it to Recall.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

/// An app as the manifest wants it, with its credentials resolved.
#[derive(Clone, Debug)]
pub struct DesiredApp {
    /// The app's name in the manifest and the lockfile.
    pub name: String,
    /// The Zoom app's kind.
    pub kind: Kind,
    /// The Zoom app's client ID (not a secret: it appears in Zoom install URLs).
    pub client_id: String,
    /// The Zoom app's client secret.
    pub client_secret: SecretString,
    /// Zoom's "Secret Token" for the app's webhooks.
    pub webhook_secret: SecretString,
    /// `lifecycle.allow_replace` in the manifest.
    pub allow_replace: bool,
    /// `lifecycle.protect` in the manifest.
    pub protect: bool,
}

/// An app as Recall holds it: the fields recallform reads back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteApp {
    /// Recall's ID for the app (a UUID).
    pub id: String,
    /// The app's kind, as Recall names it (kept as text so a kind added by Recall later does
    /// not make the whole workspace unreadable).
    pub kind: String,
    /// The Zoom client ID it was registered with.
    pub client_id: String,
    /// When Recall created it (RFC 3339).
    pub created_at: String,
    /// When Zoom last validated the app's webhook URL against Recall, if ever.
    pub webhook_last_validation: Option<String>,
    /// Recall's copy of the client secret, when Recall returns it (UNCONFIRMED that it does):
    /// only ever compared, never shown or stored.
    pub client_secret: Option<SecretString>,
    /// Recall's copy of the webhook secret, likewise.
    pub webhook_secret: Option<SecretString>,
}

/// The Recall webhook URL for an app: the address to enter in the Zoom app's event
/// subscription and deauthorization settings.
pub fn webhook_url(base_url: &str, id: &str) -> String {
    format!(
        "{}/api/v2/zoom-oauth-apps/{id}/webhook",
        base_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = SecretString::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
    }

    #[test]
    fn webhook_url_has_no_double_slash() {
        assert_eq!(
            webhook_url("https://us-east-1.recall.ai/", "abc"),
            "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/abc/webhook"
        );
    }

    #[test]
    fn kinds_and_regions_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for r in Region::ALL {
            assert_eq!(Region::parse(r.as_str()), Some(r));
        }
        assert_eq!(
            Region::EuCentral1.base_url(),
            "https://eu-central-1.recall.ai"
        );
    }
}
