//! An app's `zoom:`, checked: its keys, the Zoom app manifest it names, and what it declares
//! against what Recall needs ([`crate::zoom`]'s tables).
//!
//! `zoom.manifest` is the one file `validate` reads. It is not a secret, but it is read like
//! one: through the credentials reader, confined to the manifest's folder and size-capped, and
//! only the fields Recall's needs are checked against are kept (Zoom's manifest can hold custom
//! header credentials).
//!
//! What the Zoom app is granted and sends is set by hand in the Zoom Marketplace, where
//! recallform cannot look; so every finding about it is a warning (an error with `--strict`),
//! located at the key that declares it. Malformed keys are errors, as elsewhere.
//!
//! Not for: the tables themselves, which are in [`crate::zoom`].

use serde_saphyr::Spanned;

use super::raw::{RawSource, RawZoom, Reference};
use super::validate::{Checker, check_reference};
use super::{AppSpec, Located, ZoomManifestFile, ZoomSpec, backticked, credentials, folder_of};
use crate::diagnostic::{Diagnostic, Location, did_you_mean};
use crate::model::Kind;
use crate::zoom::app_manifest::ZoomAppManifest;
use crate::zoom::{self as needs, ScopeModel, Verdict};

/// Checks `zoom:` of the app `app` (of `kind`, when valid), reads its Zoom app manifest, and
/// reports what Recall would miss. `None` when a key is wrong (an error is reported).
pub(super) fn check(
    c: &mut Checker,
    app: &str,
    kind: Option<Kind>,
    raw: RawZoom,
) -> Option<ZoomSpec> {
    let scopes = scope_model(c, app, raw.scopes.as_ref());
    let manifest = match &raw.manifest {
        None => Some(None),
        Some(source) => zoom_manifest(c, app, source).map(Some),
    };
    let (scopes, manifest) = (scopes?, manifest?);
    let list = |c: &Checker, l: &Spanned<Vec<Spanned<String>>>| Located {
        value: l
            .value
            .iter()
            .map(|s| Located {
                value: s.value.clone(),
                location: Some(c.at(s)),
            })
            .collect(),
        location: Some(list_at(c, l)),
    };
    let spec = ZoomSpec {
        scopes,
        granted: raw.granted.as_ref().map(|l| list(c, l)),
        events: raw.events.as_ref().map(|l| list(c, l)),
        sdk: match &raw.sdk {
            Some(s) => Located {
                value: s.value,
                location: Some(c.at(s)),
            },
            None => Located {
                value: false,
                location: None,
            },
        },
        manifest,
    };
    if let Some(kind) = kind {
        for d in lint(app, kind, &spec) {
            c.report(d);
        }
    }
    Some(spec)
}

/// Where a list is written: its key for a block list (whose location is its first `-`, which
/// would read as a problem with that item), the `[` of a flow list.
fn list_at<T>(c: &Checker, list: &Spanned<T>) -> Location {
    let at = c.at(list);
    let dash = super::source::value_at(c.text, at.line, at.column).is_none()
        && c.text
            .lines()
            .nth(at.line as usize - 1)
            .and_then(|l| l.chars().nth(at.column as usize - 1))
            == Some('-');
    match super::source::parent_key(c.text, at.line, at.column) {
        Some((_, line, column)) if dash => Location::new(c.path, line, column),
        _ => at,
    }
}

/// `zoom.scopes`: `granular` or `legacy`, `granular` when not written.
fn scope_model(
    c: &mut Checker,
    app: &str,
    raw: Option<&Spanned<String>>,
) -> Option<Located<ScopeModel>> {
    let Some(raw) = raw else {
        return Some(Located {
            value: ScopeModel::default(),
            location: None,
        });
    };
    let at = c.at(raw);
    if let Some(model) = ScopeModel::parse(raw.value.trim()) {
        return Some(Located {
            value: model,
            location: Some(at),
        });
    }
    let names: Vec<&str> = ScopeModel::ALL.iter().map(|m| m.as_str()).collect();
    let hint = match did_you_mean(&raw.value, &names) {
        Some(close) => format!("did you mean `{close}`?"),
        None => {
            "use `granular` (Zoom apps created after 2024-03-21) or `legacy` (older ones)".into()
        }
    };
    c.report(
        Diagnostic::new(
            "invalid-scope-model",
            format!(
                "`zoom.scopes` of `{app}` is `{}`, which is not a scope model",
                raw.value.escape_debug()
            ),
            Some(at),
        )
        .with_hint(hint),
    );
    None
}

/// `zoom.manifest`: a `{file: PATH}` under the reading rules, read and parsed.
fn zoom_manifest(
    c: &mut Checker,
    app: &str,
    source: &Spanned<RawSource>,
) -> Option<ZoomManifestFile> {
    let at = c.at(source);
    let rel = match &source.value {
        RawSource::Reference(Reference::File(rel)) => rel.clone(),
        _ => {
            c.report(
                Diagnostic::new(
                    "invalid-reference",
                    format!("`zoom.manifest` of `{app}` is not a `{{file: PATH}}`"),
                    Some(at),
                )
                .with_hint("write `manifest: {file: zoom/APP.manifest.json}`, the app manifest JSON downloaded from Zoom's build flow, relative to this manifest's folder"),
            );
            return None;
        }
    };
    if !check_reference(
        c,
        &Reference::File(rel.clone()),
        &at,
        Some(app),
        "zoom.manifest",
    ) {
        return None;
    }
    let dir = folder_of(c.path);
    let text = match credentials::read_plain_file(dir, c.rules, &rel, &Some(at.clone())) {
        Ok(text) => text,
        Err(d) => {
            c.report(d);
            return None;
        }
    };
    match ZoomAppManifest::parse(&text) {
        Ok(content) => Some(ZoomManifestFile {
            file: rel,
            location: at,
            content,
        }),
        Err(e) => {
            // Located in the JSON file, which gets no snippet: it may hold header credentials.
            let json = if dir == std::path::Path::new(".") {
                std::path::PathBuf::from(&rel)
            } else {
                dir.join(&rel)
            };
            c.report(
                Diagnostic::new(
                    "invalid-zoom-manifest",
                    format!(
                        "the Zoom app manifest `{rel}` of `{app}` {} (line {}, column {})",
                        e.why, e.line, e.column
                    ),
                    Some(Location::new(&json, e.line, e.column)),
                )
                .with_hint("download it again from Zoom's build flow (your app > Basic Information > Manifest), or leave `zoom.manifest` out"),
            );
            None
        }
    }
}

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
fn lint(app: &str, kind: Kind, spec: &ZoomSpec) -> Vec<Diagnostic> {
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

/// The warnings about where the app's Zoom app manifest sends Recall's events: each endpoint URL
/// of a subscription that carries `meeting.created` or `user.updated` must be the app's Recall
/// webhook URL (`recorded`, from the lockfile) or its `webhook.forward_from`. Nothing when the
/// app is not recorded yet (there is nothing to compare with) or names no Zoom app manifest.
pub(super) fn endpoints(app: &AppSpec, recorded: Option<&str>) -> Vec<Diagnostic> {
    let (Some(file), Some(recall)) = (
        app.zoom.as_ref().and_then(|z| z.manifest.as_ref()),
        recorded,
    ) else {
        return Vec::new();
    };
    let forward = app.forward_from.as_ref().map(|f| f.value.as_str());
    let allowed: Vec<&str> = std::iter::once(recall).chain(forward).collect();
    let (neither, expected) = match forward {
        Some(f) => (
            "which is neither the app's Recall webhook URL nor its `webhook.forward_from`",
            format!("`{f}` (its `webhook.forward_from`, which forwards to `{recall}`)"),
        ),
        None => (
            "which is not the app's Recall webhook URL",
            format!("`{recall}`"),
        ),
    };
    let mut found = Vec::new();
    for (i, sub) in file.content.subscriptions().iter().enumerate() {
        if !sub.event_types.iter().any(|e| needs::is_needed_event(e)) {
            continue; // the team's own subscription
        }
        let name = sub
            .subscription_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map_or_else(
                || format!("#{}", i + 1),
                |n| format!("`{}`", n.escape_debug()),
            );
        let url = |u: &Option<String>| u.as_deref().unwrap_or_default().trim().to_string();
        let (dev, prod) = (
            url(&sub.development_webhook_url),
            url(&sub.production_webhook_url),
        );
        let wrong = |u: &str| !allowed.iter().any(|a| needs::same_url(u, a));
        let versions: Vec<(&str, &str)> = match (wrong(&dev), wrong(&prod)) {
            (true, true) if dev == prod => vec![("development and production", &dev)],
            (d, p) => [("development", &dev, d), ("production", &prod, p)]
                .into_iter()
                .filter(|(_, _, w)| *w)
                .map(|(which, u, _)| (which, u.as_str()))
                .collect(),
        };
        for (which, u) in versions {
            let sends = if u.is_empty() {
                format!("has no {which} endpoint URL")
            } else {
                format!("sends the {which} events to `{}`, {neither}", shown_url(u))
            };
            found.push(
                Diagnostic::warning(
                    "zoom-endpoint-mismatch",
                    format!(
                        "the event subscription {name} in the Zoom app manifest `{}` of `{}` {sends}",
                        file.file, app.name
                    ),
                    Some(file.location.clone()),
                )
                .with_hint(format!(
                    "set its Event notification endpoint URL (Features > Access > Event Subscription) to {expected}, for development and production alike"
                )),
            );
        }
    }
    found
}

/// An endpoint URL as a message quotes it: without user info or query, which could hold a
/// credential, and with control characters escaped.
fn shown_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            let hidden = !url.username().is_empty()
                || url.password().is_some()
                || url.query().is_some()
                || url.fragment().is_some();
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            if hidden {
                format!("{url}…")
            } else {
                url.to_string()
            }
        }
        Err(_) => raw
            .chars()
            .take(200)
            .collect::<String>()
            .escape_debug()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn urls_are_quoted_without_credentials() {
        assert_eq!(
            shown_url("https://u:p@hooks.example/z?token=abc"),
            "https://hooks.example/z…"
        );
        assert_eq!(
            shown_url("https://hooks.example/z"),
            "https://hooks.example/z"
        );
        assert_eq!(shown_url("not\na url"), "not\\na url");
    }
}
