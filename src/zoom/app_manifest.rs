//! Zoom's app manifest JSON (the build flow's "Manifest" download, an early preview), as far as
//! Recall's needs go: how the app is managed (`oauth_information.usage`), its scopes
//! (`oauth_information.scopes[]`) and its event subscriptions
//! (`features.event_subscription.events[]`, with their endpoint URLs).
//!
//! Every other field is skipped unread. That matters: an event subscription can carry custom
//! header credentials (`development_event_custom_header.password`, `client_secret`,
//! `custom_header_value`), so nothing but the fields below is kept, and a parse error says where
//! it is, never what it found.
//!
//! Not for: reading the file (the manifest's reader does, under the reading rules).

use serde::Deserialize;

/// The parts of a Zoom app manifest that Recall's needs are checked against.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ZoomAppManifest {
    /// Basic Information (how the app is managed) and Scopes.
    #[serde(default)]
    pub oauth_information: Option<OauthInformation>,
    /// Features, where the event subscriptions are.
    #[serde(default)]
    pub features: Option<Features>,
}

/// `oauth_information`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OauthInformation {
    /// `USER_OPERATION` (user-managed) or `ADMIN_MANAGEMENT` (admin-managed).
    #[serde(default)]
    pub usage: Option<String>,
    /// The scopes the app asks for.
    #[serde(default)]
    pub scopes: Option<Vec<ScopeEntry>>,
}

/// One entry of `oauth_information.scopes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ScopeEntry {
    /// The scope's name.
    pub scope: String,
    /// Whether the user may decline it when authorising the app.
    #[serde(default)]
    pub optional: bool,
}

/// `features`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Features {
    /// Features > Access > Event Subscription.
    #[serde(default)]
    pub event_subscription: Option<EventSubscription>,
}

/// `features.event_subscription`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct EventSubscription {
    /// Whether event subscriptions are turned on; absent counts as on.
    #[serde(default)]
    pub enable: Option<bool>,
    /// The subscriptions (Zoom allows 20).
    #[serde(default)]
    pub events: Option<Vec<Subscription>>,
}

/// One event subscription: which events go to which endpoint URLs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    /// Its name in Zoom's screens.
    #[serde(default)]
    pub subscription_name: Option<String>,
    /// The event types it sends.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// The endpoint URL of the development version of the app.
    #[serde(default)]
    pub development_webhook_url: Option<String>,
    /// The endpoint URL of the production version.
    #[serde(default)]
    pub production_webhook_url: Option<String>,
}

/// Why a text is not a Zoom app manifest, with where (1-based), and never a value it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, lowercase: `is not valid JSON`, say.
    pub why: &'static str,
    /// The line.
    pub line: u64,
    /// The column.
    pub column: u64,
}

impl ZoomAppManifest {
    /// Parses a manifest's text.
    pub fn parse(text: &str) -> Result<ZoomAppManifest, ParseError> {
        serde_json::from_str(text).map_err(|e| {
            use serde_json::error::Category;
            let why = match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => "is not valid JSON",
                // serde's message for a wrong type quotes the value found, which could be
                // anything: only the place is kept.
                Category::Data => "is not shaped like a Zoom app manifest",
            };
            ParseError {
                why,
                line: e.line() as u64,
                column: e.column() as u64,
            }
        })
    }

    /// The scopes the app asks for, optional ones included.
    pub fn scopes(&self) -> Vec<&str> {
        self.oauth_information
            .iter()
            .flat_map(|o| o.scopes.iter().flatten())
            .map(|s| s.scope.as_str())
            .collect()
    }

    /// `oauth_information.usage`, if written.
    pub fn usage(&self) -> Option<&str> {
        self.oauth_information.as_ref()?.usage.as_deref()
    }

    /// Whether the manifest lists scopes at all (a manifest without `oauth_information.scopes`
    /// says nothing about them, rather than that there are none).
    pub fn has_scopes(&self) -> bool {
        self.oauth_information
            .as_ref()
            .is_some_and(|o| o.scopes.is_some())
    }

    /// Whether event subscriptions are turned off (`enable: false`).
    pub fn events_disabled(&self) -> bool {
        self.event_subscription().and_then(|e| e.enable) == Some(false)
    }

    /// The event subscriptions, in order; none when they are turned off.
    pub fn subscriptions(&self) -> &[Subscription] {
        match self.event_subscription() {
            Some(e) if e.enable != Some(false) => e.events.as_deref().unwrap_or_default(),
            _ => &[],
        }
    }

    /// Every event type some (enabled) subscription sends.
    pub fn event_types(&self) -> Vec<&str> {
        self.subscriptions()
            .iter()
            .flat_map(|s| s.event_types.iter().map(String::as_str))
            .collect()
    }

    fn event_subscription(&self) -> Option<&EventSubscription> {
        self.features.as_ref()?.event_subscription.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like Zoom's documented manifest template, custom header credentials included.
    const TEMPLATE: &str = r#"{
  "display_information": {"display_name": "Acme"},
  "oauth_information": {
    "usage": "USER_OPERATION",
    "development_redirect_uri": "https://acme.example/oauth",
    "scopes": [
      {"scope": "meeting:read:list_meetings", "optional": false},
      {"scope": "user:read:user"}
    ],
    "scope_description": "why"
  },
  "features": {
    "products": ["ZOOM_MEETING"],
    "event_subscription": {
      "enable": true,
      "events": [{
        "subscription_name": "recall",
        "event_types": ["meeting.created", "user.updated"],
        "development_webhook_url": "https://a.example/hook",
        "production_webhook_url": "https://a.example/hook",
        "development_event_custom_header": {"custom_header_type": 1, "password": "hunter2"}
      }]
    }
  }
}"#;

    #[test]
    fn reads_what_recall_needs_and_nothing_else() {
        let m = ZoomAppManifest::parse(TEMPLATE).unwrap();
        assert_eq!(m.usage(), Some("USER_OPERATION"));
        assert_eq!(m.scopes(), ["meeting:read:list_meetings", "user:read:user"]);
        assert_eq!(m.event_types(), ["meeting.created", "user.updated"]);
        assert_eq!(
            m.subscriptions()[0].production_webhook_url.as_deref(),
            Some("https://a.example/hook")
        );
        assert!(!format!("{m:?}").contains("hunter2"), "{m:?}");
    }

    #[test]
    fn disabled_subscriptions_send_nothing() {
        let m = ZoomAppManifest::parse(&TEMPLATE.replace("\"enable\": true", "\"enable\": false"))
            .unwrap();
        assert!(m.events_disabled());
        assert!(m.event_types().is_empty());
        let empty = ZoomAppManifest::parse("{}").unwrap();
        assert!(!empty.has_scopes() && !empty.events_disabled());
        assert!(empty.usage().is_none());
    }

    #[test]
    fn errors_say_where_and_never_what() {
        let e = ZoomAppManifest::parse("{\n  \"oauth_information\": {\"usage\": 12345678}\n}")
            .unwrap_err();
        assert_eq!(e.why, "is not shaped like a Zoom app manifest");
        assert_eq!(e.line, 2);
        let e = ZoomAppManifest::parse("{\"a\": \"s3cret\",").unwrap_err();
        assert_eq!(e.why, "is not valid JSON");
    }
}
