//! `recallform zoom checklist`: for each app, what to set in the Zoom Marketplace, in the order
//! of Zoom's screens, as plain data ([`Checklist`]) rendered as text or Markdown.
//!
//! The steps come from the tables in [`crate::zoom`], so the checklist asks for exactly what the
//! lint checks. It names where each credential comes from and which manifest field it feeds by
//! the field's reference, never by a value; the values it shows (URLs, references, Recall's
//! validation time) are escaped in both forms, since the lockfile and Recall's answers are not
//! trusted to be printable.
//!
//! Not for: reading the manifest, the lockfile or Recall: the command does, and hands this the
//! results.

mod render;

use crate::manifest::{AppSpec, ValueSource};
use crate::model::Kind;
use crate::zoom::{self as needs, Role, ScopeModel};
pub use render::{markdown, text};

/// What Recall knows of an app, as far as the checklist needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recall {
    /// The lockfile does not record the app yet: it has no Recall webhook URL.
    NotRecorded,
    /// The lockfile records it.
    Recorded {
        /// Its Recall ID.
        id: String,
        /// Its Recall webhook URL, from the lockfile.
        webhook_url: String,
        /// Whether it is a sandbox app, whose URL no Zoom app can reach.
        sandbox: bool,
        /// What Recall says of Zoom's validation of that URL.
        validation: Validation,
    },
}

/// Recall's `webhook_last_validation` for an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validation {
    /// `null`: Zoom's Validate step has not reached Recall.
    Never,
    /// The time of the last validation, as Recall gives it.
    At(String),
    /// Recall has no app with the recorded ID.
    Gone,
}

/// One app's checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppChecklist {
    /// The app's name in the manifest.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its Zoom app's scope model.
    pub model: ScopeModel,
    /// Whether `zoom.scopes` is written (else `granular` is assumed).
    pub model_written: bool,
    /// `zoom.sdk`.
    pub sdk: bool,
    /// Where `client_id` is read from: `None` when it is written in the manifest.
    pub client_id: Option<String>,
    /// Where `client_secret` is read from (a reference, as written).
    pub client_secret: String,
    /// Where `webhook.secret` is read from.
    pub webhook_secret: String,
    /// `webhook.forward_from`.
    pub forward_from: Option<String>,
    /// What Recall knows of the app.
    pub recall: Recall,
}

impl AppChecklist {
    /// The checklist of a manifest entry, with what the lockfile and Recall say of it.
    pub fn new(spec: &AppSpec, recall: Recall) -> AppChecklist {
        AppChecklist {
            name: spec.name.clone(),
            kind: spec.kind,
            model: spec.scope_model(),
            model_written: spec
                .zoom
                .as_ref()
                .is_some_and(|z| z.scopes.location.is_some()),
            sdk: spec.sdk(),
            client_id: match &spec.client_id.value {
                ValueSource::Literal(_) => None,
                ValueSource::Reference(r) => Some(r.to_string()),
            },
            client_secret: spec.client_secret.value.to_string(),
            webhook_secret: spec.webhook_secret.value.to_string(),
            forward_from: spec.forward_from.as_ref().map(|f| f.value.to_string()),
            recall,
        }
    }
}

/// A piece of a line: our own words, or a value to escape.
#[derive(Clone, Debug)]
enum Piece {
    /// Text this module wrote (its backticks are code spans in both forms).
    Ours(String),
    /// A value from the manifest, the lockfile or Recall, shown as code.
    Value(String),
    /// A URL to copy, shown on a line of its own.
    Url(String),
}

/// One line under a step.
#[derive(Clone, Debug)]
struct Line {
    /// 0 under the step, 1 under the line before.
    level: usize,
    /// An item of a list (a `-` in text).
    bullet: bool,
    /// A text to paste (the reviewer note): in quotes, or a Markdown quote.
    quote: bool,
    pieces: Vec<Piece>,
}

/// One screen of Zoom's, and what to do there.
#[derive(Clone, Debug)]
struct Step {
    screen: String,
    lines: Vec<Line>,
}

/// What the checklist says about the app's state, after its steps.
#[derive(Clone, Debug)]
struct Note {
    warning: bool,
    pieces: Vec<Piece>,
}

fn ours(s: impl Into<String>) -> Piece {
    Piece::Ours(s.into())
}

fn value(s: impl Into<String>) -> Piece {
    Piece::Value(s.into())
}

fn line(level: usize, pieces: Vec<Piece>) -> Line {
    Line {
        level,
        bullet: false,
        quote: false,
        pieces,
    }
}

fn item(level: usize, pieces: Vec<Piece>) -> Line {
    Line {
        bullet: true,
        ..line(level, pieces)
    }
}

/// What `webhook.secret` or `client_secret` is read from, as a clause.
fn read_from(reference: &str) -> Vec<Piece> {
    vec![ours(", read from "), value(reference)]
}

/// The Event notification endpoint URL and what to know about it.
fn endpoint_lines(app: &AppChecklist) -> Vec<Line> {
    let mut lines = vec![line(
        0,
        vec![ours(
            "Event notification endpoint URL, the same for development and production:",
        )],
    )];
    let recall_url = match &app.recall {
        Recall::Recorded { webhook_url, .. } => Some(webhook_url.as_str()),
        Recall::NotRecorded => None,
    };
    match (&app.forward_from, recall_url) {
        (Some(forward), to) => {
            lines.push(line(1, vec![Piece::Url(forward.clone())]));
            let mut note = vec![ours(
                "it is `webhook.forward_from`: your server must forward every event, with its body unchanged and its `x-zm-request-timestamp` and `x-zm-signature` headers, to ",
            )];
            match to {
                Some(url) => note.push(value(url)),
                None => note.push(ours(
                    "the app's Recall webhook URL, known once `recallform apply` has created the app",
                )),
            }
            lines.push(line(1, note));
        }
        (None, Some(url)) => lines.push(line(1, vec![Piece::Url(url.to_string())])),
        (None, None) => lines.push(line(
            1,
            vec![ours(
                "not known yet: `recallform apply` creates the app in Recall, which gives it its webhook URL",
            )],
        )),
    }
    if let Recall::Recorded { sandbox: true, .. } = app.recall {
        lines.push(line(
            1,
            vec![ours(
                "the sandbox's URLs (`.invalid`) are for trying recallform: no Zoom app can reach them",
            )],
        ));
    }
    lines
}

/// The steps, in the order of Zoom's screens.
fn steps(app: &AppChecklist) -> Vec<Step> {
    let kind = app.kind;
    let mut out = Vec::new();
    out.push(Step {
        screen: "Basic Information > Select how the app is managed".into(),
        lines: vec![line(
            0,
            vec![ours(format!(
                "{}, as `kind: {kind}` says; Recall cannot change the kind of an existing app",
                needs::app_type(kind)
            ))],
        )],
    });

    let mut client_id = vec![ours("Client ID -> `client_id`")];
    match &app.client_id {
        None => client_id.push(ours(", written in the manifest")),
        Some(r) => client_id.extend(read_from(r)),
    }
    let mut client_secret = vec![ours("Client Secret -> `client_secret`")];
    client_secret.extend(read_from(&app.client_secret));
    out.push(Step {
        screen: "Basic Information > App Credentials".into(),
        lines: vec![
            line(0, client_id),
            line(0, client_secret),
            line(
                0,
                vec![ours(
                    "the development and production versions of the Zoom app have credentials of their own: one manifest entry for each",
                )],
            ),
        ],
    });

    let mut token = vec![ours("Secret Token -> `webhook.secret`")];
    token.extend(read_from(&app.webhook_secret));
    out.push(Step {
        screen: "Features > Access > Secret Token".into(),
        lines: vec![
            line(0, token),
            line(
                0,
                vec![ours(
                    "run `recallform apply` whenever it changes: Recall answers Zoom's Validate with it",
                )],
            ),
        ],
    });

    let mut subscription = vec![line(
        0,
        vec![ours("turn it on, and add an event subscription")],
    )];
    subscription.extend(endpoint_lines(app));
    subscription.push(line(0, vec![ours("press Validate")]));
    subscription.push(line(0, vec![ours("Add Events:")]));
    for e in needs::EVENTS {
        subscription.push(item(
            1,
            vec![ours(format!(
                "{} > {} (`{}`): Recall needs it {}",
                e.category, e.label, e.name, e.why
            ))],
        ));
    }
    out.push(Step {
        screen: "Features > Access > Event Subscription".into(),
        lines: subscription,
    });

    let mut scopes = Vec::new();
    let mut reviewer = None;
    for s in needs::required_scopes(app.model, kind, app.sdk) {
        let mut text = format!(
            "{} > `{}`: Recall needs it {}",
            s.role.category(),
            s.name,
            s.why()
        );
        if s.role == Role::ListMeetings
            && app.model == ScopeModel::Granular
            && kind == Kind::UserLevel
        {
            text.push_str("; Zoom adds `meeting:read:meeting` with it");
        }
        if s.role == Role::ReadUsers {
            reviewer = Some(s.name);
        }
        scopes.push(item(0, vec![ours(text)]));
    }
    if let Some(scope) = reviewer {
        scopes.push(line(
            0,
            vec![ours(format!(
                "for Zoom's reviewer, explain `{scope}` in the app's scope description:"
            ))],
        ));
        scopes.push(Line {
            quote: true,
            ..line(1, vec![ours(needs::reviewer_note(scope))])
        });
    }
    if !app.model_written {
        scopes.push(line(
            0,
            vec![ours(
                "granular scopes are assumed (`zoom.scopes` is not set); for a Zoom app created before 2024-03-21, set `zoom.scopes: legacy`",
            )],
        ));
    }
    out.push(Step {
        screen: needs::SCOPES_SCREEN.into(),
        lines: scopes,
    });

    out.push(Step {
        screen: "Deauthorization Endpoint URL (asked for when the app is submitted for publishing)"
            .into(),
        lines: vec![line(
            0,
            vec![ours(
                "the URL of step 4: Zoom sends deauthorizations of published apps only, and Recall then marks the user's credential unhealthy",
            )],
        )],
    });
    out
}

/// What the lockfile and Recall say of the app.
fn notes(app: &AppChecklist) -> Vec<Note> {
    let name = &app.name;
    let (warning, pieces) = match &app.recall {
        Recall::NotRecorded => (
            true,
            vec![
                value(name),
                ours(
                    " is not in the lockfile yet: run `recallform apply` first, then this checklist again for its webhook URL",
                ),
            ],
        ),
        Recall::Recorded {
            validation: Validation::Never,
            ..
        } => (
            true,
            vec![ours(
                "Zoom has never validated this app's webhook URL: the Validate step (4) is not done",
            )],
        ),
        Recall::Recorded {
            validation: Validation::At(at),
            ..
        } => (
            false,
            vec![ours("Zoom last validated the webhook URL at "), value(at)],
        ),
        Recall::Recorded {
            id,
            validation: Validation::Gone,
            ..
        } => (
            true,
            vec![
                ours("the lockfile records this app as "),
                value(id),
                ours(", but Recall has no such app: run `recallform plan` to see why"),
            ],
        ),
    };
    vec![Note { warning, pieces }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(recall: Recall) -> AppChecklist {
        AppChecklist {
            name: "acme".into(),
            kind: Kind::UserLevel,
            model: ScopeModel::Granular,
            model_written: true,
            sdk: false,
            client_id: None,
            client_secret: "{env: ACME_SECRET}".into(),
            webhook_secret: "{file: secrets/a|b`<x>`}".into(),
            forward_from: None,
            recall,
        }
    }

    fn recorded(validation: Validation) -> Recall {
        Recall::Recorded {
            id: "id-1".into(),
            webhook_url: "https://r.example/api/v2/zoom-oauth-apps/id-1/webhook".into(),
            sandbox: false,
            validation,
        }
    }

    #[test]
    fn the_steps_follow_zooms_screens_and_ask_for_what_recall_needs() {
        let t = text(&[app(recorded(Validation::At("2026-01-02T03:04:05Z".into())))]);
        let screens: Vec<&str> = t
            .lines()
            .filter(|l| l.starts_with("  ") && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
            .collect();
        assert_eq!(
            screens,
            [
                "  1. Basic Information > Select how the app is managed",
                "  2. Basic Information > App Credentials",
                "  3. Features > Access > Secret Token",
                "  4. Features > Access > Event Subscription",
                "  5. Scopes > Add Scopes",
                "  6. Deauthorization Endpoint URL (asked for when the app is submitted for publishing)",
            ]
        );
        assert!(
            t.contains("\n       https://r.example/api/v2/zoom-oauth-apps/id-1/webhook\n"),
            "{t}"
        );
        assert!(
            t.contains("`meeting:read:list_meetings`: Recall needs it"),
            "{t}"
        );
        assert!(!t.contains("user:read:zak"), "{t}");
        assert!(
            t.contains("explain `user:read:user` in the app's scope description"),
            "{t}"
        );
        assert!(
            t.ends_with("  Zoom last validated the webhook URL at `2026-01-02T03:04:05Z`\n"),
            "{t}"
        );
    }

    #[test]
    fn never_validated_and_not_recorded_are_warnings() {
        let t = text(&[app(recorded(Validation::Never))]);
        assert!(t.ends_with("  warning: Zoom has never validated this app's webhook URL: the Validate step (4) is not done\n"), "{t}");
        let t = text(&[app(Recall::NotRecorded)]);
        assert!(
            t.contains("not known yet: `recallform apply` creates the app"),
            "{t}"
        );
        assert!(t.ends_with("  warning: `acme` is not in the lockfile yet: run `recallform apply` first, then this checklist again for its webhook URL\n"), "{t}");
    }

    #[test]
    fn markdown_escapes_every_value() {
        let mut a = app(recorded(Validation::At("<script>|x".into())));
        a.forward_from = Some("https://hooks.example/z".into());
        let md = markdown(&[a]);
        assert!(
            md.contains("<code>{file: secrets/a&#124;b&#96;&lt;x&gt;&#96;}</code>"),
            "{md}"
        );
        assert!(md.contains("<code>&lt;script&gt;&#124;x</code>"), "{md}");
        assert!(!md.contains("<script>"), "{md}");
        assert!(
            md.contains("- [ ] **4. Features > Access > Event Subscription**"),
            "{md}"
        );
        assert!(
            md.contains("    - <code>https://hooks.example/z</code>"),
            "{md}"
        );
    }
}
