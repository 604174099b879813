//! The checks of what an app's `zoom:` declares against Recall's needs: missing scopes and
//! events, scopes Recall does not use, a Zoom app manifest's usage against `kind`, and `sdk` on
//! an admin-managed app. Each is a warning, located where the app declares it.
//!
//! Not for: where events are sent, which needs the lockfile ([`super::endpoints`]).

use crate::diagnostic::{Diagnostic, Location, did_you_mean};
use crate::manifest::{Located, ZoomSpec, backticked};
use crate::model::Kind;
use crate::zoom::{self as needs, ScopeModel, Verdict};

/// Where an app's scopes or events were read from, for messages and hints.
enum Source<'a> {
    /// `zoom.granted` or `zoom.events`.
    Listed(&'static str),
    /// The Zoom app manifest at this path.
    ZoomManifest(&'a str),
}

impl Source<'_> {
    /// How to record a change made in Zoom.
    fn then(&self) -> String {
        match self {
            Source::Listed(key) => format!("then add it to `{key}`"),
            Source::ZoomManifest(file) => {
                format!("then download the app manifest into `{file}` again")
            }
        }
    }
}

/// What an app declares it is granted or sends, and where that was read from.
struct Declared<'a> {
    /// Each scope or event type, with where it is written (the Zoom manifest's reference for
    /// those read from it).
    items: Vec<(String, Option<Location>)>,
    /// Where the list is.
    at: Option<Location>,
    source: Source<'a>,
    /// The Zoom manifest turns event subscriptions off.
    disabled: bool,
}

impl Declared<'_> {
    fn names(&self) -> Vec<&str> {
        self.items.iter().map(|(s, _)| s.as_str()).collect()
    }
}

/// The declared scopes: the Zoom manifest's when it is given (nothing when it lists none),
/// else `granted`.
fn declared_scopes(spec: &ZoomSpec) -> Option<Declared<'_>> {
    let listed = |l: &Located<Vec<Located<String>>>, key| Declared {
        items: l
            .value
            .iter()
            .map(|s| (s.value.clone(), s.location.clone()))
            .collect(),
        at: l.location.clone(),
        source: Source::Listed(key),
        disabled: false,
    };
    match &spec.manifest {
        Some(f) if f.content.has_scopes() => Some(Declared {
            items: f
                .content
                .scopes()
                .into_iter()
                .map(|s| (s.to_string(), Some(f.location.clone())))
                .collect(),
            at: Some(f.location.clone()),
            source: Source::ZoomManifest(&f.file),
            disabled: false,
        }),
        Some(_) => None,
        None => spec.granted.as_ref().map(|l| listed(l, "zoom.granted")),
    }
}

/// The declared events: the Zoom manifest's enabled subscriptions' when it is given, else
/// `events`.
fn declared_events(spec: &ZoomSpec) -> Option<Declared<'_>> {
    match &spec.manifest {
        Some(f) => Some(Declared {
            items: f
                .content
                .event_types()
                .into_iter()
                .map(|e| (e.to_string(), Some(f.location.clone())))
                .collect(),
            at: Some(f.location.clone()),
            source: Source::ZoomManifest(&f.file),
            disabled: f.content.events_disabled(),
        }),
        None => spec.events.as_ref().map(|l| Declared {
            items: l
                .value
                .iter()
                .map(|e| (e.value.clone(), e.location.clone()))
                .collect(),
            at: l.location.clone(),
            source: Source::Listed("zoom.events"),
            disabled: false,
        }),
    }
}

/// Everything the app's `zoom:` says that Recall would miss: missing scopes and events, scopes
/// Recall does not use, a usage that contradicts `kind`, and `sdk` on an admin-managed app.
pub(super) fn lint(app: &str, kind: Kind, spec: &ZoomSpec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if spec.sdk.value && kind == Kind::AccountLevel {
        found.push(
            Diagnostic::warning(
                "zoom-sdk-mismatch",
                format!("`{app}` has `zoom.sdk: true`, but it is `account_level`, and Zoom's Meeting SDK apps offer user-level OAuth only"),
                spec.sdk.location.clone(),
            )
            .with_hint("Meeting SDK credentials come from a user-managed Zoom app: an admin-managed integration needs an OAuth app of its own; set `sdk: false` here"),
        );
    }
    if let Some(f) = &spec.manifest {
        for (key, list) in [("granted", &spec.granted), ("events", &spec.events)] {
            if let Some(list) = list {
                found.push(
                    Diagnostic::warning(
                        "zoom-manifest-overrides",
                        format!("`zoom.{key}` of `{app}` is not checked: `zoom.manifest` is given, and `{}` is checked instead", f.file),
                        list.location.clone(),
                    )
                    .with_hint(format!("keep one of the two: `zoom.{key}` or `zoom.manifest`")),
                );
            }
        }
    }
    if let Some(scopes) = declared_scopes(spec) {
        found.extend(scope_warnings(app, kind, spec, &scopes));
    }
    if let Some(events) = declared_events(spec) {
        found.extend(event_warnings(app, &events));
    }
    found.extend(usage_warning(app, kind, spec));
    found
}

/// The missing and the unknown scopes.
fn scope_warnings(app: &str, kind: Kind, spec: &ZoomSpec, scopes: &Declared) -> Vec<Diagnostic> {
    let (model, sdk) = (spec.scopes.value, spec.sdk.value);
    let mut found = Vec::new();
    for scope in needs::missing_scopes(model, kind, sdk, &scopes.names()) {
        let whose = match &scopes.source {
            Source::Listed(_) => format!("`{app}` is not granted `{}`", scope.name),
            Source::ZoomManifest(f) => format!(
                "the Zoom app manifest `{f}` of `{app}` does not ask for `{}`",
                scope.name
            ),
        };
        found.push(
            Diagnostic::warning(
                "zoom-missing-scope",
                format!("{whose}; Recall needs it {}", scope.why()),
                scopes.at.clone(),
            )
            .with_hint(format!(
                "add it in the Zoom Marketplace (your app > {}), {}",
                scope.screen(),
                scopes.source.then()
            )),
        );
    }
    for (scope, at) in &scopes.items {
        found.extend(unknown_scope(app, kind, spec, scope, at, &scopes.source));
    }
    found
}

/// The missing events, each with a typo it may be written as.
fn event_warnings(app: &str, events: &Declared) -> Vec<Diagnostic> {
    let sent = events.names();
    let mut found = Vec::new();
    for event in needs::missing_events(&sent) {
        let whose = match &events.source {
            Source::Listed(_) => format!("`{app}` does not list `{}` in `zoom.events`", event.name),
            Source::ZoomManifest(f) if events.disabled => format!(
                "the Zoom app manifest `{f}` of `{app}` sends no `{}`: its event subscriptions are turned off",
                event.name
            ),
            Source::ZoomManifest(f) => format!(
                "the Zoom app manifest `{f}` of `{app}` subscribes to no `{}`",
                event.name
            ),
        };
        let typo = did_you_mean(event.name, &sent)
            .map(|t| format!("`{}` is probably a typo of it; ", t.escape_debug()))
            .unwrap_or_default();
        found.push(
            Diagnostic::warning(
                "zoom-missing-event",
                format!("{whose}; Recall needs it {}", event.why),
                events.at.clone(),
            )
            .with_hint(format!(
                "{typo}add it in the Zoom Marketplace (your app > {}: \"{}\"), {}",
                event.screen(),
                event.label,
                events.source.then()
            )),
        );
    }
    found
}

/// A Zoom app manifest whose usage contradicts `kind`, or is neither of Zoom's two.
fn usage_warning(app: &str, kind: Kind, spec: &ZoomSpec) -> Option<Diagnostic> {
    let f = spec.manifest.as_ref()?;
    let usage = f.content.usage()?;
    let says = match needs::kind_of_usage(usage) {
        Some(k) if k == kind => return None,
        Some(other) => format!(
            "says the Zoom app is {} (`{usage}`), but `{app}` has `kind: {kind}`",
            needs::app_type(other).to_lowercase()
        ),
        None => format!(
            "has the usage `{}`, which is neither `USER_OPERATION` nor `ADMIN_MANAGEMENT`",
            usage.escape_debug()
        ),
    };
    Some(
        Diagnostic::warning(
            "zoom-usage-mismatch",
            format!("the Zoom app manifest `{}` of `{app}` {says}", f.file),
            Some(f.location.clone()),
        )
        .with_hint(format!(
            "Recall's `kind` must match how the Zoom app is managed (Basic Information > Select how the app is managed): `user_level` for user-managed (`USER_OPERATION`), `account_level` for admin-managed (`ADMIN_MANAGEMENT`); `{app}` expects `{}`",
            needs::usage_of(kind)
        )),
    )
}

/// The warning for a granted scope that is not one of the app's table, if it is not.
fn unknown_scope(
    app: &str,
    kind: Kind,
    spec: &ZoomSpec,
    scope: &str,
    at: &Option<Location>,
    source: &Source,
) -> Option<Diagnostic> {
    let model = spec.scopes.value;
    let shown = scope.escape_debug();
    let (message, hint) = match needs::classify(scope, model, kind) {
        Verdict::Used => return None,
        Verdict::OtherKind(s) => {
            let instead = needs::counterpart(s.role, model, kind)
                .map(|c| format!("a {} app asks for `{}` instead", app_kind(kind), c.name))
                .unwrap_or_else(|| format!("a {} app does not need it", app_kind(kind)));
            (
                format!(
                    "`{shown}` is a scope of {} Zoom apps, but `{app}` is `{kind}`",
                    app_kind(s.kind)
                ),
                instead,
            )
        }
        Verdict::OtherModel(s) => {
            let counterpart = needs::counterpart(s.role, model, kind)
                .map(|c| format!("its {} counterpart is `{}`; ", model.as_str(), c.name))
                .unwrap_or_default();
            let defaulted = if spec.scopes.location.is_none() {
                " (the default)"
            } else {
                ""
            };
            (
                format!(
                    "`{shown}` is a {} scope, but `{app}` uses {} scopes{defaulted}",
                    s.model.as_str(),
                    model.as_str()
                ),
                format!(
                    "{counterpart}if the Zoom app was created {} 2024-03-21, set `zoom.scopes: {}`",
                    if s.model == ScopeModel::Legacy {
                        "before"
                    } else {
                        "after"
                    },
                    s.model.as_str()
                ),
            )
        }
        Verdict::Unknown {
            closest: Some(close),
        } => (
            format!("`{shown}` is not a scope Recall knows"),
            format!("did you mean `{close}`?"),
        ),
        Verdict::Unknown { closest: None } => {
            let wanted: Vec<&str> = needs::required_scopes(model, kind, spec.sdk.value)
                .iter()
                .map(|s| s.name)
                .collect();
            (
                format!("`{shown}` is not a scope Recall uses"),
                format!(
                    "Recall needs only {} from a {} app with {} scopes; keep it if your own code calls Zoom's API with it",
                    backticked(&wanted),
                    app_kind(kind),
                    model.as_str()
                ),
            )
        }
    };
    let message = match source {
        Source::Listed(_) => format!("{message} (in `zoom.granted`)"),
        Source::ZoomManifest(f) => format!("{message} (in the Zoom app manifest `{f}`)"),
    };
    Some(Diagnostic::warning("zoom-unknown-scope", message, at.clone()).with_hint(hint))
}

/// `user-managed` or `admin-managed`.
fn app_kind(kind: Kind) -> String {
    needs::app_type(kind).to_lowercase()
}

#[cfg(test)]
mod tests {
    use crate::manifest::{ReadRules, parse};

    fn lint_of(zoom: &str) -> Vec<(String, String)> {
        lint_with(zoom, "user_level")
    }

    fn lint_with(zoom: &str, kind: &str) -> Vec<(String, String)> {
        let text = format!(
            "version: 1\nrecall: {{region: us-east-1}}\nzoom_oauth_apps:\n  acme:\n    kind: {kind}\n    client_id: cid\n    client_secret: {{env: S}}\n    webhook: {{secret: {{env: W}}}}\n    zoom: {zoom}\n"
        );
        match parse(std::path::Path::new("m.yaml"), &text, &ReadRules::default()) {
            Ok(m) => m
                .warnings
                .iter()
                .map(|d| (d.code.to_string(), d.message.clone()))
                .collect(),
            Err(ds) => ds
                .iter()
                .map(|d| (d.code.to_string(), d.message.clone()))
                .collect(),
        }
    }

    fn codes(found: &[(String, String)]) -> Vec<&str> {
        found.iter().map(|(c, _)| c.as_str()).collect()
    }

    #[test]
    fn a_complete_declaration_has_no_warning() {
        let ok = "{granted: [meeting:read:local_recording_token, meeting:read:list_meetings, meeting:read:meeting, user:read:user], events: [meeting.created, user.updated]}";
        assert_eq!(lint_of(ok), []);
        let legacy = "{scopes: legacy, sdk: true, granted: [meeting:read, meeting_token:read:local_recording, user:read, user_zak:read]}";
        assert_eq!(lint_of(legacy), []);
        assert_eq!(lint_of("{}"), [], "nothing declared, nothing checked");
    }

    #[test]
    fn missing_scopes_name_the_scope_why_and_where() {
        let found = lint_of("{granted: [meeting:read:list_meetings, user:read:user]}");
        assert_eq!(codes(&found), ["zoom-missing-scope"]);
        assert_eq!(
            found[0].1,
            "`acme` is not granted `meeting:read:local_recording_token`; Recall needs it to mint the join token for local recording, which lets bots record without asking the host"
        );
        // The ZAK scope only with sdk.
        let found = lint_of(
            "{sdk: true, granted: [meeting:read:local_recording_token, meeting:read:list_meetings, user:read:user]}",
        );
        assert_eq!(codes(&found), ["zoom-missing-scope"]);
        assert!(found[0].1.contains("`user:read:zak`"), "{found:?}");
    }

    #[test]
    fn unknown_scopes_get_the_closest_or_the_counterpart() {
        let all = "meeting:read:local_recording_token, meeting:read:list_meetings, user:read:user";
        let found = lint_of(&format!("{{granted: [{all}, meeting:read:list_meeting]}}"));
        assert_eq!(codes(&found), ["zoom-unknown-scope"]);
        assert_eq!(
            found[0].1,
            "`meeting:read:list_meeting` is not a scope Recall knows (in `zoom.granted`)"
        );
        let found = lint_of(&format!("{{granted: [{all}, meeting:read]}}"));
        assert_eq!(
            found[0].1,
            "`meeting:read` is a legacy scope, but `acme` uses granular scopes (the default) (in `zoom.granted`)"
        );
        let found = lint_of(&format!("{{granted: [{all}, user:read:list_users:admin]}}"));
        assert_eq!(
            found[0].1,
            "`user:read:list_users:admin` is a scope of admin-managed Zoom apps, but `acme` is `user_level` (in `zoom.granted`)"
        );
        let found = lint_of(&format!("{{granted: [{all}, recording:read]}}"));
        assert_eq!(
            found[0].1,
            "`recording:read` is not a scope Recall uses (in `zoom.granted`)"
        );
    }

    #[test]
    fn events_sdk_and_the_scope_model_are_checked() {
        let found = lint_of("{events: [meeting.create]}");
        assert_eq!(codes(&found), ["zoom-missing-event", "zoom-missing-event"]);
        assert!(found[0].1.contains("`meeting.created`"), "{found:?}");
        let found = lint_with("{sdk: true}", "account_level");
        assert_eq!(codes(&found), ["zoom-sdk-mismatch"]);
        let found = lint_of("{scopes: granualr}");
        assert_eq!(codes(&found), ["invalid-scope-model"]);
        let found = lint_of("{manifest: {env: X}}");
        assert_eq!(codes(&found), ["invalid-reference"]);
        let found = lint_of("{manifest: {file: ../x.json}}");
        assert_eq!(codes(&found), ["file-outside-manifest"]);
    }
}
