//! What Recall needs from a Zoom app, as plain data, and pure checks of what an app declares
//! against it: the scopes for each scope model (`granular`, `legacy`) and kind, the events, why
//! Recall needs each, and where in Zoom's screens each is set.
//!
//! The facts are those of Recall's Zoom OAuth guides (granular and legacy scopes) and of the
//! seed setup guide, as gathered in shared/zoom-webhooks.md §2. The manifest's lint
//! (`manifest::zoom`) and `recallform zoom checklist` ([`checklist`]) both read these tables, so
//! a warning and the checklist can never disagree about what an app needs.
//!
//! Not for: reading files, talking to Zoom or Recall, or printing. Zoom's app manifest JSON is
//! parsed in [`app_manifest`] from text someone else read.

pub mod app_manifest;
pub mod checklist;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::did_you_mean;
use crate::model::Kind;

/// Which family of scopes the Zoom app uses. Zoom introduced granular scopes for apps created
/// after 2024-03-21; older apps keep the legacy (classic) ones. The manifest's default is
/// `granular`, since every app made today has them.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ScopeModel {
    /// Granular scopes such as `meeting:read:list_meetings` (Zoom apps created after
    /// 2024-03-21).
    #[default]
    Granular,
    /// Legacy (classic) scopes such as `meeting:read` (Zoom apps created before).
    Legacy,
}

impl ScopeModel {
    /// Both models, as hints list them.
    pub const ALL: [ScopeModel; 2] = [ScopeModel::Granular, ScopeModel::Legacy];

    /// The name the manifest uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeModel::Granular => "granular",
            ScopeModel::Legacy => "legacy",
        }
    }

    /// Parses the exact name.
    pub fn parse(s: &str) -> Option<ScopeModel> {
        ScopeModel::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The other model.
    pub fn other(self) -> ScopeModel {
        match self {
            ScopeModel::Granular => ScopeModel::Legacy,
            ScopeModel::Legacy => ScopeModel::Granular,
        }
    }
}

/// What a scope is for. Each scope model and kind names (at most) one scope per role, so a scope
/// of the wrong model or kind has a counterpart to suggest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Mint the join token for local recording.
    JoinToken,
    /// List meetings, to map each meeting to the credential that fetches its join token.
    ListMeetings,
    /// Read users and their Personal Meeting IDs.
    ReadUsers,
    /// The user's ZAK, for bots that join with this app's Meeting SDK credentials.
    Zak,
    /// Added by Zoom with the meeting list scope; Recall does not ask for it.
    ReadMeeting,
}

/// Whether Recall needs a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Always.
    Required,
    /// Only when the same Zoom app also supplies the bots' Meeting SDK credentials.
    WithSdk,
    /// Not asked for: Zoom adds it by itself.
    AddedByZoom,
}

impl Role {
    /// Whether Recall needs a scope of this role.
    pub fn need(self) -> Need {
        match self {
            Role::JoinToken | Role::ListMeetings | Role::ReadUsers => Need::Required,
            Role::Zak => Need::WithSdk,
            Role::ReadMeeting => Need::AddedByZoom,
        }
    }

    /// Why Recall needs it, as a clause after "Recall needs it" (so also after a scope's name in
    /// the checklist).
    pub fn why(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Role::JoinToken, _) => {
                "to mint the join token for local recording, which lets bots record without asking the host"
            }
            (Role::ListMeetings, Kind::UserLevel) => {
                "to list the user's meetings, so that it knows which credential fetches each meeting's join token"
            }
            (Role::ListMeetings, Kind::AccountLevel) => {
                "to list the meetings of the account's users, so that it knows which credential fetches each meeting's join token"
            }
            (Role::ReadUsers, Kind::UserLevel) => {
                "to read the user's Personal Meeting ID (PMI), so that meetings hosted on it get join tokens too"
            }
            (Role::ReadUsers, Kind::AccountLevel) => {
                "to list the account's users and their Personal Meeting IDs (PMIs), so that meetings hosted on a PMI get join tokens too"
            }
            (Role::Zak, _) => {
                "to give bots the user's ZAK, because this Zoom app also supplies the bots' Meeting SDK credentials (`zoom.sdk: true`)"
            }
            (Role::ReadMeeting, _) => "it comes with the meeting list scope",
        }
    }

    /// The category the scope is listed under in Zoom's Add Scopes dialog.
    pub fn category(self) -> &'static str {
        match self {
            Role::JoinToken | Role::ListMeetings | Role::ReadMeeting => "Meeting",
            Role::ReadUsers | Role::Zak => "User",
        }
    }
}

/// Where every scope is added, in Zoom's screens.
pub const SCOPES_SCREEN: &str = "Scopes > Add Scopes";

/// Where events are added, in Zoom's screens.
pub const EVENTS_SCREEN: &str = "Features > Access > Event Subscription > Add Events";

/// One scope of the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Its name, as Zoom spells it.
    pub name: &'static str,
    /// What Recall uses it for.
    pub role: Role,
    /// The scope model it belongs to.
    pub model: ScopeModel,
    /// The kind of app it is for.
    pub kind: Kind,
}

impl Scope {
    /// Where it is added in Zoom: `Scopes > Add Scopes > Meeting`.
    pub fn screen(&self) -> String {
        format!("{SCOPES_SCREEN} > {}", self.role.category())
    }

    /// Why Recall needs it, after "Recall needs it".
    pub fn why(&self) -> &'static str {
        self.role.why(self.kind)
    }
}

/// The scope of each role, per scope model and kind, in the order the checklist lists them.
/// Sources: Recall's granular and legacy Zoom OAuth guides and its Zoom OAuth FAQ.
/// `meeting:read:meeting:admin` is inferred: Zoom adds `meeting:read:meeting` with the
/// user-managed list scope, and the admin one is the same scope's admin form. Meeting SDK apps
/// offer user-level OAuth only, so admin-managed tables have no ZAK scope.
fn table(model: ScopeModel, kind: Kind) -> &'static [(Role, &'static str)] {
    match (model, kind) {
        (ScopeModel::Granular, Kind::UserLevel) => &[
            (Role::JoinToken, "meeting:read:local_recording_token"),
            (Role::ListMeetings, "meeting:read:list_meetings"),
            (Role::ReadUsers, "user:read:user"),
            (Role::Zak, "user:read:zak"),
            (Role::ReadMeeting, "meeting:read:meeting"),
        ],
        (ScopeModel::Granular, Kind::AccountLevel) => &[
            (Role::JoinToken, "meeting:read:local_recording_token:admin"),
            (Role::ListMeetings, "meeting:read:list_meetings:admin"),
            (Role::ReadUsers, "user:read:list_users:admin"),
            (Role::ReadMeeting, "meeting:read:meeting:admin"),
        ],
        (ScopeModel::Legacy, Kind::UserLevel) => &[
            (Role::JoinToken, "meeting_token:read:local_recording"),
            (Role::ListMeetings, "meeting:read"),
            (Role::ReadUsers, "user:read"),
            (Role::Zak, "user_zak:read"),
        ],
        (ScopeModel::Legacy, Kind::AccountLevel) => &[
            (Role::JoinToken, "meeting_token:read:admin:local_recording"),
            (Role::ListMeetings, "meeting:read:admin"),
            (Role::ReadUsers, "user:read:admin"),
        ],
    }
}

/// Every scope of one model and kind.
pub fn scopes_of(model: ScopeModel, kind: Kind) -> Vec<Scope> {
    table(model, kind)
        .iter()
        .map(|&(role, name)| Scope {
            name,
            role,
            model,
            kind,
        })
        .collect()
}

/// The scopes Recall needs for the model and kind (`sdk`: the app also supplies Meeting SDK
/// credentials), in the checklist's order.
pub fn required_scopes(model: ScopeModel, kind: Kind, sdk: bool) -> Vec<Scope> {
    scopes_of(model, kind)
        .into_iter()
        .filter(|s| match s.role.need() {
            Need::Required => true,
            Need::WithSdk => sdk,
            Need::AddedByZoom => false,
        })
        .collect()
}

/// Every scope the tables name, of every model and kind.
pub fn known_scopes() -> Vec<Scope> {
    ScopeModel::ALL
        .into_iter()
        .flat_map(|m| Kind::ALL.into_iter().flat_map(move |k| scopes_of(m, k)))
        .collect()
}

/// The scope of `role` for a model and kind, if it has one.
pub fn counterpart(role: Role, model: ScopeModel, kind: Kind) -> Option<Scope> {
    scopes_of(model, kind).into_iter().find(|s| s.role == role)
}

/// What a granted scope is, for an app of a model and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A scope of the app's own table.
    Used,
    /// A scope of the app's kind in the other scope model.
    OtherModel(Scope),
    /// A scope of the app's model for the other kind.
    OtherKind(Scope),
    /// In no table: a typo (with the closest scope of the app's table), or a scope Recall does
    /// not use.
    Unknown {
        /// The scope of the app's table it is probably a typo of.
        closest: Option<&'static str>,
    },
}

/// Classifies a scope granted to an app of `model` and `kind`.
pub fn classify(scope: &str, model: ScopeModel, kind: Kind) -> Verdict {
    let own = scopes_of(model, kind);
    if own.iter().any(|s| s.name == scope) {
        return Verdict::Used;
    }
    // A scope can be in two tables (none is today); the app's own model is checked first, so
    // an admin scope in a user app reads as the other kind rather than the other model.
    let other_kind = Kind::ALL.into_iter().find(|k| *k != kind).unwrap_or(kind);
    if let Some(s) = scopes_of(model, other_kind)
        .into_iter()
        .find(|s| s.name == scope)
    {
        return Verdict::OtherKind(s);
    }
    if let Some(s) = Kind::ALL
        .into_iter()
        .flat_map(|k| scopes_of(model.other(), k))
        .find(|s| s.name == scope)
    {
        return Verdict::OtherModel(s);
    }
    let names: Vec<&'static str> = own.iter().map(|s| s.name).collect();
    Verdict::Unknown {
        closest: did_you_mean(scope, &names),
    }
}

/// The scopes Recall needs that `granted` lacks, in the checklist's order.
pub fn missing_scopes(model: ScopeModel, kind: Kind, sdk: bool, granted: &[&str]) -> Vec<Scope> {
    required_scopes(model, kind, sdk)
        .into_iter()
        .filter(|s| !granted.contains(&s.name))
        .collect()
}

/// An event Recall needs the Zoom app to send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event type, as Zoom's webhooks and app manifest name it.
    pub name: &'static str,
    /// The category of Zoom's Add Events dialog.
    pub category: &'static str,
    /// Its label in that dialog.
    pub label: &'static str,
    /// Why Recall needs it, after "Recall needs it".
    pub why: &'static str,
}

impl Event {
    /// Where it is added in Zoom: `... > Add Events > Meeting`.
    pub fn screen(&self) -> String {
        format!("{EVENTS_SCREEN} > {}", self.category)
    }
}

/// The events Recall needs, for both kinds of app.
pub const EVENTS: [Event; 2] = [
    Event {
        name: "meeting.created",
        category: "Meeting",
        label: "Meeting has been created",
        why: "to add each new meeting to its map of meetings to credentials as soon as it is created",
    },
    Event {
        name: "user.updated",
        category: "User",
        label: "User's profile info has been updated",
        why: "to keep the user's Personal Meeting ID (PMI) in sync",
    },
];

/// Whether an event type is one Recall needs.
pub fn is_needed_event(name: &str) -> bool {
    EVENTS.iter().any(|e| e.name == name)
}

/// The events Recall needs that `subscribed` lacks.
pub fn missing_events(subscribed: &[&str]) -> Vec<Event> {
    EVENTS
        .into_iter()
        .filter(|e| !subscribed.contains(&e.name))
        .collect()
}

/// How Zoom's app manifest writes how the app is managed (`oauth_information.usage`) for a kind.
pub fn usage_of(kind: Kind) -> &'static str {
    match kind {
        Kind::UserLevel => "USER_OPERATION",
        Kind::AccountLevel => "ADMIN_MANAGEMENT",
    }
}

/// The kind a Zoom app manifest's `usage` means, if it is one of Zoom's two values.
pub fn kind_of_usage(usage: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| usage_of(*k) == usage)
}

/// How Zoom's screens name the app type of a kind (Basic Information > Select how the app is
/// managed).
pub fn app_type(kind: Kind) -> &'static str {
    match kind {
        Kind::UserLevel => "User-managed",
        Kind::AccountLevel => "Admin-managed",
    }
}

/// The note to Zoom's reviewer about the user-read scope (`{scope}` is its name), paraphrasing
/// the seed guide: without it, meetings hosted on a Personal Meeting ID get no OAuth tokens.
const REVIEWER_NOTE: &str = "Our app uses Zoom OAuth to record our users' meetings without asking the host each time. Our users often host meetings on their Personal Meeting ID (PMI), and we want OAuth to cover those meetings too. The {scope} scope lets us look up each user's PMI so that we can provide OAuth tokens for meetings hosted on it; without it, those meetings could not use OAuth.";

/// The note to Zoom's reviewer explaining why the app asks for `scope`, its user-read scope.
pub fn reviewer_note(scope: &str) -> String {
    REVIEWER_NOTE.replace("{scope}", scope)
}

/// Whether two endpoint URLs are the same, compared as parsed URLs (so `HTTPS://Host` equals
/// `https://host/`); text that is not a URL equals nothing.
pub fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a.trim()), url::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_required_scopes_follow_recalls_tables() {
        let names = |m, k, sdk| -> Vec<&str> {
            required_scopes(m, k, sdk)
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        use Kind::*;
        use ScopeModel::*;
        assert_eq!(
            names(Granular, UserLevel, false),
            [
                "meeting:read:local_recording_token",
                "meeting:read:list_meetings",
                "user:read:user"
            ]
        );
        assert_eq!(
            names(Granular, UserLevel, true).last(),
            Some(&"user:read:zak")
        );
        assert_eq!(
            names(Granular, AccountLevel, true),
            [
                "meeting:read:local_recording_token:admin",
                "meeting:read:list_meetings:admin",
                "user:read:list_users:admin"
            ],
            "no ZAK for admin-managed apps, even with sdk"
        );
        assert_eq!(
            names(Legacy, UserLevel, false),
            [
                "meeting_token:read:local_recording",
                "meeting:read",
                "user:read"
            ]
        );
        assert_eq!(
            names(Legacy, UserLevel, true).last(),
            Some(&"user_zak:read")
        );
        assert_eq!(
            names(Legacy, AccountLevel, false),
            [
                "meeting_token:read:admin:local_recording",
                "meeting:read:admin",
                "user:read:admin"
            ]
        );
    }

    #[test]
    fn scopes_are_classified_with_a_counterpart_or_the_closest() {
        use Kind::*;
        use ScopeModel::*;
        assert_eq!(
            classify("meeting:read:meeting", Granular, UserLevel),
            Verdict::Used,
            "Zoom adds it: never a warning"
        );
        assert_eq!(
            classify("user:read:zak", Granular, UserLevel),
            Verdict::Used
        );
        match classify("meeting:read:list_meetings:admin", Granular, UserLevel) {
            Verdict::OtherKind(s) => {
                assert_eq!(s.role, Role::ListMeetings);
                assert_eq!(
                    counterpart(s.role, Granular, UserLevel).unwrap().name,
                    "meeting:read:list_meetings"
                );
            }
            v => panic!("{v:?}"),
        }
        match classify("meeting:read", Granular, UserLevel) {
            Verdict::OtherModel(s) => assert_eq!(s.model, Legacy),
            v => panic!("{v:?}"),
        }
        assert_eq!(
            classify("meeting:read:list_meeting", Granular, UserLevel),
            Verdict::Unknown {
                closest: Some("meeting:read:list_meetings")
            }
        );
        assert_eq!(
            classify("recording:read", Granular, UserLevel),
            Verdict::Unknown { closest: None }
        );
    }

    #[test]
    fn every_role_of_every_table_is_unique_and_known() {
        for m in ScopeModel::ALL {
            for k in Kind::ALL {
                let roles: Vec<Role> = scopes_of(m, k).iter().map(|s| s.role).collect();
                let mut unique = roles.clone();
                unique.dedup();
                assert_eq!(roles, unique, "{m:?} {k:?}");
            }
        }
        let all = known_scopes();
        let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "a scope in two tables");
    }

    #[test]
    fn events_usage_and_urls() {
        assert_eq!(
            missing_events(&["meeting.created", "meeting.ended"])
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>(),
            ["user.updated"]
        );
        assert!(missing_events(&["user.updated", "meeting.created"]).is_empty());
        assert_eq!(kind_of_usage("USER_OPERATION"), Some(Kind::UserLevel));
        assert_eq!(kind_of_usage("ADMIN_MANAGEMENT"), Some(Kind::AccountLevel));
        assert_eq!(kind_of_usage("user_operation"), None);
        assert!(same_url(
            "HTTPS://Hooks.Example/a",
            "https://hooks.example/a"
        ));
        assert!(!same_url(
            "https://hooks.example/a",
            "https://hooks.example/a/"
        ));
        assert!(!same_url("not a url", "not a url"));
        assert!(reviewer_note("user:read:user").contains("The user:read:user scope lets us"));
    }

    #[test]
    fn scope_models_parse() {
        assert_eq!(ScopeModel::parse("legacy"), Some(ScopeModel::Legacy));
        assert_eq!(ScopeModel::parse("Legacy"), None);
        assert_eq!(ScopeModel::default(), ScopeModel::Granular);
    }
}
