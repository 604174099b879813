//! Scenarios for the pure diff, built with one builder; what people read is snapshotted.

use std::collections::BTreeMap;

use super::markdown;
use super::render::{self, Style};
use super::*;
use crate::lockfile::LockedApp;
use crate::model::{DesiredApp, Kind, RemoteApp, SecretString};

/// The secrets every wanted app has, unless changed.
const CS: &str = "cs";
const WS: &str = "ws";

fn fp(v: &str) -> String {
    format!("fp:{v}")
}

#[derive(Default)]
struct World {
    desired: Vec<DesiredApp>,
    locked: BTreeMap<String, LockedApp>,
    remote: Vec<RemoteApp>,
    moves: Vec<(String, String)>,
    guards: Guards,
}

impl World {
    fn want(mut self, name: &str, kind: Kind, client_id: &str) -> Self {
        self.desired.push(DesiredApp {
            name: name.into(),
            kind,
            client_id: client_id.into(),
            client_secret: SecretString::new(CS.into()),
            webhook_secret: SecretString::new(WS.into()),
            allow_replace: false,
            protect: false,
        });
        self
    }

    /// Edits the last wanted app.
    fn with(mut self, edit: impl FnOnce(&mut DesiredApp)) -> Self {
        edit(self.desired.last_mut().expect("an app"));
        self
    }

    /// A record, with the fingerprints of the secrets the manifest has (as after an apply).
    fn locked(mut self, name: &str, id: &str, kind: Kind, client_id: &str) -> Self {
        self.locked.insert(
            name.into(),
            LockedApp {
                id: id.into(),
                kind: kind.as_str().into(),
                client_id: client_id.into(),
                created_at: "2026-01-01T00:00:00.000000Z".into(),
                webhook_url: format!("https://r/api/v2/zoom-oauth-apps/{id}/webhook"),
                secrets: [
                    ("client_secret".into(), fp(CS)),
                    ("webhook_secret".into(), fp(WS)),
                ]
                .into(),
                ..LockedApp::default()
            },
        );
        self
    }

    /// Edits a record.
    fn with_lock(mut self, name: &str, edit: impl FnOnce(&mut LockedApp)) -> Self {
        edit(self.locked.get_mut(name).expect("a record"));
        self
    }

    fn remote(mut self, id: &str, kind: Kind, client_id: &str) -> Self {
        let n = self.remote.len();
        self.remote.push(RemoteApp {
            id: id.into(),
            kind: kind.as_str().into(),
            client_id: client_id.into(),
            // Later calls are older, so ordering by creation time is really tested.
            created_at: format!("2026-01-01T00:00:00.{:06}Z", 999_999 - n),
            ..RemoteApp::default()
        });
        self
    }

    /// Recall returns the last remote app's secrets.
    fn readable(mut self, client_secret: &str, webhook_secret: &str) -> Self {
        let r = self.remote.last_mut().expect("a remote app");
        r.client_secret = Some(SecretString::new(client_secret.into()));
        r.webhook_secret = Some(SecretString::new(webhook_secret.into()));
        self
    }

    fn moved(mut self, from: &str, to: &str) -> Self {
        self.moves.push((from.into(), to.into()));
        self
    }

    fn guards(mut self, edit: impl FnOnce(&mut Guards)) -> Self {
        edit(&mut self.guards);
        self
    }

    fn plan(&self) -> Plan {
        diff(&Inputs {
            desired: &self.desired,
            locked: &self.locked,
            remote: &self.remote,
            moves: &self.moves,
            fingerprint: &fp,
            guards: &self.guards,
        })
    }
}

use Kind::{AccountLevel as Account, UserLevel as User};

fn actions(plan: &Plan) -> Vec<(&str, Action, Option<&str>)> {
    plan.changes
        .iter()
        .map(|c| (c.name.as_str(), c.action, c.id.as_deref()))
        .collect()
}

fn field<'a>(c: &'a Change, name: &str) -> &'a FieldDiff {
    c.fields.iter().find(|f| f.field == name).unwrap()
}

#[test]
fn nothing_is_nothing() {
    let plan = World::default().plan();
    assert_eq!(plan, Plan::default());
    assert!(!plan.has_changes());
}

#[test]
fn creates_what_recall_lacks() {
    let plan = World::default()
        .want("b", User, "cb")
        .want("a", Account, "ca")
        .plan();
    assert_eq!(
        actions(&plan),
        [("a", Action::Create, None), ("b", Action::Create, None)]
    );
    assert!(plan.has_changes());
    assert_eq!(plan.summary().create, 2);
    assert_eq!(
        field(&plan.changes[0], "client_secret").change,
        FieldChange::Added
    );
}

#[test]
fn recorded_and_present_is_a_no_op() {
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .plan();
    assert_eq!(actions(&plan), [("a", Action::NoOp, Some("id-a"))]);
    assert!(!plan.has_changes());
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn adopts_by_client_id_and_sends_the_secrets_once() {
    let plan = World::default()
        .want("a", User, "ca")
        .remote("id-x", User, "ca")
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Adopt, Some("id-x"))]);
    let secret = field(&plan.changes[0], "client_secret");
    assert_eq!(secret.change, FieldChange::Changed);
    assert_eq!(secret.note.as_deref(), Some("secret not yet recorded"));
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn adopts_without_sending_when_recall_shows_the_same_secrets() {
    let plan = World::default()
        .want("a", User, "ca")
        .remote("id-x", User, "ca")
        .readable(CS, WS)
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Adopt, Some("id-x"))]);
    assert!(plan.changes[0].fields.iter().all(|f| !f.changes()));
    // Other secrets in Recall: sent, and said to be not yet recorded.
    let plan = World::default()
        .want("a", User, "ca")
        .remote("id-x", User, "ca")
        .readable("x", WS)
        .plan();
    let secret = field(&plan.changes[0], "client_secret");
    assert_eq!(
        (secret.change, secret.note.as_deref()),
        (FieldChange::Changed, Some("secret not yet recorded"))
    );
    assert_eq!(
        field(&plan.changes[0], "webhook_secret").change,
        FieldChange::Unchanged
    );
}

#[test]
fn a_rotated_secret_is_an_update() {
    let plan = World::default()
        .want("a", User, "ca")
        .with(|a| a.webhook_secret = SecretString::new("ws-rotated".into()))
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Update, Some("id-a"))]);
    let c = &plan.changes[0];
    assert_eq!(field(c, "webhook_secret").change, FieldChange::Changed);
    assert_eq!(field(c, "webhook_secret").note, None);
    assert_eq!(field(c, "client_secret").change, FieldChange::Unchanged);
    assert!(c.blocked.is_none(), "updates need no permission");
}

#[test]
fn a_record_without_fingerprints_sends_the_secrets_once() {
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-a", User, "ca")
        .with_lock("a", |l| l.secrets.clear())
        .remote("id-a", User, "ca")
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Update, Some("id-a"))]);
    assert_eq!(
        field(&plan.changes[0], "client_secret").note.as_deref(),
        Some("secret not yet recorded")
    );
}

#[test]
fn readable_secrets_are_the_truth_and_reveal_outside_changes() {
    // Recall holds what the manifest says: nothing to do, whatever the record says.
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-a", User, "ca")
        .with_lock("a", |l| l.secrets.clear())
        .remote("id-a", User, "ca")
        .readable(CS, WS)
        .plan();
    assert_eq!(actions(&plan), [("a", Action::NoOp, Some("id-a"))]);
    // Someone changed the client secret in Recall: drift, and an update puts it back.
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .readable("changed-by-hand", WS)
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Update, Some("id-a"))]);
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(
        plan.drift[0].what,
        "`client_secret` was changed outside recallform"
    );
    let text = render::text(&plan, Style::new(false));
    assert!(!text.contains("changed-by-hand"), "{text}");
}

#[test]
fn recorded_but_deleted_is_created_again_as_drift() {
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-gone", User, "ca")
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Create, None)]);
    assert_eq!(
        plan.changes[0].drift.as_deref(),
        Some("the recorded app `id-gone` was deleted outside recallform")
    );
    assert_eq!(
        plan.drift[0].what,
        "the recorded app `id-gone` was deleted outside recallform"
    );
}

#[test]
fn recorded_but_moved_is_adopted_under_the_new_id() {
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-gone", User, "ca")
        .remote("id-new", User, "ca")
        .plan();
    assert_eq!(actions(&plan), [("a", Action::Adopt, Some("id-new"))]);
    assert!(
        plan.drift[0]
            .what
            .ends_with("Recall has its client_id under `id-new`")
    );
}

#[test]
fn changed_kind_or_client_id_is_a_replacement_blocked_until_allowed() {
    let world = || {
        World::default()
            .want("a", Account, "ca")
            .locked("a", "id-a", User, "ca")
            .remote("id-a", User, "ca")
    };
    let plan = world().plan();
    assert_eq!(actions(&plan), [("a", Action::Replace, Some("id-a"))]);
    let c = &plan.changes[0];
    assert!(field(c, "kind").forces_replacement);
    assert!(!field(c, "client_id").forces_replacement);
    assert!(
        c.blocked.as_deref().unwrap().contains("--allow-replace a"),
        "{:?}",
        c.blocked
    );
    assert!(plan.is_destructive());

    assert_eq!(
        world()
            .guards(|g| {
                g.allow_replace.insert("a".into());
            })
            .plan()
            .blocked()
            .count(),
        0
    );
    assert_eq!(
        world()
            .with(|a| a.allow_replace = true)
            .plan()
            .blocked()
            .count(),
        0
    );
    let protected = world()
        .with(|a| {
            a.allow_replace = true;
            a.protect = true;
        })
        .plan();
    assert!(
        protected.changes[0]
            .blocked
            .as_deref()
            .unwrap()
            .contains("is protected")
    );
}

#[test]
fn removed_from_the_manifest_is_a_guarded_delete() {
    let world = || {
        World::default()
            .locked("old", "id-old", User, "c")
            .remote("id-old", User, "c")
    };
    let plan = world().plan();
    assert_eq!(actions(&plan), [("old", Action::Delete, Some("id-old"))]);
    assert!(
        plan.changes[0]
            .blocked
            .as_deref()
            .unwrap()
            .contains("--allow-delete")
    );
    assert!(
        plan.unmanaged.is_empty(),
        "a recorded app is managed, not unmanaged"
    );

    let allowed = world().guards(|g| g.allow_delete = true).plan();
    assert_eq!(allowed.blocked().count(), 0);
    let protected = world()
        .with_lock("old", |l| l.protect = true)
        .guards(|g| g.allow_delete = true)
        .plan();
    assert!(
        protected.changes[0]
            .blocked
            .as_deref()
            .unwrap()
            .contains("state unprotect old")
    );
}

/// Issue 8, item 8: an app no longer in the manifest was told to "remove `protect` from the
/// manifest". The hint names only the steps that remain.
#[test]
fn the_protect_hint_names_only_the_steps_that_remain() {
    let blocked = |w: World| w.plan().changes[0].blocked.clone().unwrap();
    let gone = World::default()
        .locked("old", "id-old", User, "c")
        .with_lock("old", |l| l.protect = true)
        .remote("id-old", User, "c")
        .guards(|g| g.allow_delete = true);
    assert_eq!(
        blocked(gone),
        "`old` is protected in the lockfile (`lifecycle.protect` when it was last applied); to allow it, run `recallform state unprotect old`"
    );
    let replaced = || {
        World::default()
            .want("a", Account, "ca")
            .with(|a| a.allow_replace = true)
            .locked("a", "id-a", User, "ca")
            .remote("id-a", User, "ca")
    };
    assert_eq!(
        blocked(
            replaced()
                .with(|a| a.protect = true)
                .with_lock("a", |l| l.protect = true)
        ),
        "`a` is protected (`lifecycle.protect`); to allow it, remove `protect` from the manifest and run `recallform state unprotect a`"
    );
    assert_eq!(
        blocked(replaced().with(|a| a.protect = true)),
        "`a` is protected (`lifecycle.protect`); to allow it, remove `protect` from the manifest"
    );
    assert_eq!(
        blocked(replaced().with_lock("a", |l| l.protect = true)),
        "`a` is protected in the lockfile (`lifecycle.protect` when it was last applied); to allow it, run `recallform state unprotect a`"
    );
}

#[test]
fn an_already_deleted_record_is_dropped_without_permission() {
    let plan = World::default().locked("old", "id-gone", User, "c").plan();
    assert_eq!(actions(&plan), [("old", Action::Delete, Some("id-gone"))]);
    assert!(plan.changes[0].already_gone);
    assert_eq!(plan.blocked().count(), 0);
    assert!(!plan.is_destructive());
}

#[test]
fn more_deletes_than_the_policy_allows_need_force() {
    let mut world = World::default().guards(|g| g.allow_delete = true);
    for i in 0..4 {
        world = world.locked(
            &format!("old-{i}"),
            &format!("id-{i}"),
            User,
            &format!("c{i}"),
        );
        world = world.remote(&format!("id-{i}"), User, &format!("c{i}"));
    }
    let plan = world.plan();
    assert_eq!(plan.blocked().count(), 4);
    assert!(
        plan.changes[0]
            .blocked
            .as_deref()
            .unwrap()
            .contains("deletes 4 apps, more than `policy.max_deletes` (3)")
    );
    assert_eq!(world.guards(|g| g.force = true).plan().blocked().count(), 0);
}

#[test]
fn moves_rename_records_without_touching_recall() {
    let plan = World::default()
        .want("new", User, "ca")
        .locked("old", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .moved("old", "new")
        .plan();
    assert_eq!(actions(&plan), [("new", Action::NoOp, Some("id-a"))]);
    assert_eq!(plan.changes[0].moved_from.as_deref(), Some("old"));
    assert!(plan.has_changes(), "the lockfile changes");
    // Both names recorded: not guessed.
    let plan = World::default()
        .want("new", User, "ca")
        .locked("old", "id-a", User, "ca")
        .locked("new", "id-b", User, "cb")
        .moved("old", "new")
        .plan();
    assert!(
        plan.unhandled[0]
            .reason
            .contains("the lockfile records both")
    );
}

#[test]
fn deposed_apps_are_deleted_without_asking_again() {
    let plan = World::default()
        .want("a", User, "new")
        .locked("a", "id-new", User, "new")
        .with_lock("a", |l| l.deposed = vec!["id-old".into()])
        .remote("id-new", User, "new")
        .remote("id-old", User, "old")
        .plan();
    assert_eq!(
        actions(&plan),
        [
            ("a", Action::NoOp, Some("id-new")),
            ("a", Action::Delete, Some("id-old"))
        ]
    );
    assert!(plan.changes[1].deposed);
    assert_eq!(plan.blocked().count(), 0);
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn protect_is_copied_into_the_record() {
    let plan = World::default()
        .want("a", User, "ca")
        .with(|a| a.protect = true)
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .plan();
    assert_eq!(plan.changes[0].lockfile_changes, ["protect: false -> true"]);
    assert!(plan.changes[0].is_actionable());
}

#[test]
fn targets_narrow_the_plan() {
    let plan = World::default()
        .want("a", User, "ca")
        .want("b", User, "cb")
        .remote("id-x", User, "unmanaged")
        .guards(|g| {
            g.targets.insert("b".into());
        })
        .plan();
    assert_eq!(actions(&plan), [("b", Action::Create, None)]);
    assert_eq!(plan.targets, ["b"]);
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn adoption_with_another_kind_is_not_handled() {
    let plan = World::default()
        .want("a", User, "ca")
        .remote("id-x", Account, "ca")
        .plan();
    assert!(plan.changes.is_empty());
    assert!(
        plan.unhandled[0]
            .reason
            .contains("with kind `account_level`")
    );
}

#[test]
fn ambiguous_client_ids_are_not_guessed() {
    let plan = World::default()
        .want("a", User, "ca")
        .remote("id-1", User, "ca")
        .remote("id-2", User, "ca")
        .plan();
    assert!(plan.changes.is_empty());
    assert!(
        plan.unhandled[0]
            .reason
            .contains("2 apps with client_id `ca` (id-1, id-2)")
    );
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn never_adopts_an_app_recorded_under_another_name() {
    let plan = World::default()
        .want("a", User, "new")
        .locked("a", "id-a", User, "old")
        .remote("id-a", User, "old")
        .want("b", User, "old")
        .plan();
    let b = plan.unhandled.iter().find(|u| u.name == "b").unwrap();
    assert!(
        b.reason.contains("recorded in the lockfile as `a`"),
        "{}",
        b.reason
    );
    assert!(plan.changes.iter().all(|c| c.action != Action::Adopt));
}

#[test]
fn unmanaged_apps_are_listed_oldest_first() {
    let plan = World::default()
        .remote("id-newer", User, "x")
        .remote("id-older", Account, "y")
        .plan();
    let ids: Vec<_> = plan.unmanaged.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["id-older", "id-newer"]);
    assert!(!plan.has_changes(), "unmanaged apps are never changes");
}

fn mixed() -> Plan {
    World::default()
        .want("acme-prod", User, "AbC123xyz")
        .want("acme-eu", Account, "XyZ789")
        .remote("32721c6e-3acf-4511-851c-55772cfb34b7", Account, "XyZ789")
        .want("acme-dev", User, "Dev456")
        .locked(
            "acme-dev",
            "0b5f6a63-9d7e-4c55-a0bb-1a2b3c4d5e6f",
            User,
            "Dev456",
        )
        .want("acme-ok", User, "Ok1")
        .locked(
            "acme-ok",
            "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
            User,
            "Ok1",
        )
        .remote("9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f", User, "Ok1")
        .locked(
            "retired",
            "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
            User,
            "Old1",
        )
        .remote("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", User, "Old1")
        .remote("e1e2e3e4-f5f6-4a7a-8b9b-c0c1c2c3c4c5", Account, "HandMade")
        .plan()
}

#[test]
fn text_plan() {
    insta::assert_snapshot!("text_plan_mixed", render::text(&mixed(), Style::new(false)));
}

#[test]
fn text_plan_without_changes() {
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .plan();
    insta::assert_snapshot!(
        "text_plan_no_changes",
        render::text(&plan, Style::new(false))
    );
}

#[test]
fn json_plan() {
    insta::assert_json_snapshot!("json_plan_mixed", render::json(&mixed()));
}

#[test]
fn colour_only_when_asked() {
    let plan = World::default().want("a", User, "ca").plan();
    assert!(!render::text(&plan, Style::new(false)).contains('\x1b'));
    assert!(render::text(&plan, Style::new(true)).contains("\x1b[32m+\x1b[0m"));
}

#[test]
fn markdown_plan() {
    insta::assert_snapshot!(
        "markdown_plan_mixed",
        markdown::markdown(&mixed(), markdown::GITHUB_COMMENT_LIMIT, Some("plan.json"))
    );
}

#[test]
fn markdown_plan_without_changes() {
    let plan = World::default()
        .want("a", User, "ca")
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .plan();
    let md = markdown::markdown(&plan, markdown::GITHUB_COMMENT_LIMIT, None);
    assert_eq!(
        md,
        "<!-- recallform:plan -->\n### recallform plan: no changes\n\nRecall matches the manifest (1 app).\n"
    );
}

#[test]
fn markdown_warns_only_when_an_app_would_be_replaced_or_deleted() {
    let calm = World::default()
        .want("a", User, "ca")
        .remote("id-x", User, "ca")
        .plan();
    assert!(!markdown::markdown(&calm, 65_536, None).contains("[!WARNING]"));
    let plan = World::default()
        .want("a", Account, "ca")
        .locked("a", "id-a", User, "ca")
        .remote("id-a", User, "ca")
        .locked("old", "id-o", User, "co")
        .remote("id-o", User, "co")
        .plan();
    let md = markdown::markdown(&plan, 65_536, None);
    assert!(
        md.contains("> [!WARNING]\n> This plan replaces 1 app (<code>a</code>): each gets a new Recall ID and webhook URL, which must be entered in its Zoom app again; and it deletes 1 app from Recall (<code>old</code>).\n"),
        "{md}"
    );
    assert!(
        md.contains("> [!CAUTION]\n> `apply` will refuse this plan (exit 3)"),
        "{md}"
    );
}

#[test]
fn markdown_stays_under_githubs_limit_with_500_apps() {
    let mut world = World::default();
    for i in 0..500 {
        world = world.want(
            &format!("app-{i:03}"),
            User,
            &format!("client-id-{i:03}-{}", "x".repeat(40)),
        );
    }
    for i in 0..300 {
        world = world.remote(
            &format!("unmanaged-{i:03}"),
            Account,
            &format!("other-{i:03}"),
        );
    }
    let md = markdown::markdown(
        &world.plan(),
        markdown::GITHUB_COMMENT_LIMIT,
        Some("plan.json"),
    );
    assert!(
        md.chars().count() <= markdown::GITHUB_COMMENT_LIMIT,
        "{} characters",
        md.chars().count()
    );
    assert!(md.starts_with(
        "<!-- recallform:plan -->\n### recallform plan: 500 to create, 0 to adopt, 0 unchanged\n"
    ));
    let shown = md.matches("<details>").count();
    assert!(shown < 500, "{shown} details shown");
    let rows = md.matches("| create | ").count();
    assert!(rows >= 250, "the table keeps most rows: {rows}");
    assert_eq!(rows, 500, "all 500 rows fit; {} characters", md.len());
    assert!(
        md.contains(&format!("_{} of 500 app details left out to stay under GitHub's comment limit; `recallform show plan.json` shows the full plan._", 500 - shown)),
        "{}",
        &md[md.len() - 3000..]
    );
    assert!(
        md.contains("### Unmanaged apps in Recall"),
        "unmanaged apps come last, still"
    );
}

#[test]
fn markdown_escapes_values_from_recall() {
    let plan = World::default()
        .remote("id-1", User, "evil</code>| <img src=x> ``` **x**")
        .plan();
    let md = markdown::markdown(&plan, 65_536, None);
    assert!(md.contains("<code>evil&lt;/code&gt;&#124; &lt;img src=x&gt; &#96;&#96;&#96; &#42;&#42;x&#42;&#42;</code>"), "{md}");
}

#[test]
fn plans_round_trip_through_json() {
    let plan = mixed();
    let text = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<Plan>(&text).unwrap(), plan);
}

#[test]
fn markdown_cuts_the_table_itself_when_it_must() {
    let mut world = World::default();
    for i in 0..2_000 {
        world = world.want(&format!("app-{i:04}"), User, &format!("client-{i:04}"));
    }
    let md = markdown::markdown(&world.plan(), markdown::GITHUB_COMMENT_LIMIT, None);
    assert!(md.chars().count() <= markdown::GITHUB_COMMENT_LIMIT);
    let rows = md.matches("| create | ").count();
    assert!(rows < 2_000);
    assert!(
        md.contains(&format!("| _{} more left out_ | | | |\n", 2_000 - rows)),
        "{}",
        &md[md.len() - 500..]
    );
    let shown = md.matches("<details>").count();
    assert!(md.contains(&format!("_{} of 2000 app details left out", 2_000 - shown)));
}

/// A fixed scenario for each kind of entry the renderers draw.
fn scenarios() -> Vec<(&'static str, Plan)> {
    vec![
        (
            "create",
            World::default().want("acme-prod", User, "AbC123xyz").plan(),
        ),
        (
            "adopt_after_drift",
            World::default()
                .want("acme-eu", Account, "XyZ789")
                .locked("acme-eu", "old-id", Account, "XyZ789")
                .remote("new-id", Account, "XyZ789")
                .plan(),
        ),
        (
            "kind_changed",
            World::default()
                .want("acme-prod", Account, "AbC123xyz")
                .locked("acme-prod", "id-1", User, "AbC123xyz")
                .remote("id-1", User, "AbC123xyz")
                .plan(),
        ),
        (
            "unmanaged_only",
            World::default()
                .remote("id-9", User, "Somebody\"Else")
                .plan(),
        ),
        (
            "update_not_yet_recorded",
            World::default()
                .want("acme-prod", User, "AbC123xyz")
                .with(|a| a.client_secret = SecretString::new("rotated".into()))
                .locked("acme-prod", "id-1", User, "AbC123xyz")
                .with_lock("acme-prod", |l| {
                    l.secrets.remove("webhook_secret");
                })
                .remote("id-1", User, "AbC123xyz")
                .plan(),
        ),
        (
            "replace_allowed_new_client_id",
            World::default()
                .want("acme-prod", User, "ProdClientId")
                .with(|a| a.allow_replace = true)
                .locked("acme-prod", "id-1", User, "DevClientId")
                .remote("id-1", User, "DevClientId")
                .plan(),
        ),
        (
            "delete_blocked",
            World::default()
                .locked("retired", "id-2", Account, "Old1")
                .remote("id-2", Account, "Old1")
                .plan(),
        ),
        (
            "moved_and_protected",
            World::default()
                .want("acme-production", User, "AbC123xyz")
                .with(|a| a.protect = true)
                .locked("acme-prod", "id-1", User, "AbC123xyz")
                .remote("id-1", User, "AbC123xyz")
                .moved("acme-prod", "acme-production")
                .plan(),
        ),
    ]
}

#[test]
fn every_scenario_in_every_format() {
    for (name, plan) in scenarios() {
        insta::assert_snapshot!(
            format!("scenario_{name}_text"),
            render::text(&plan, Style::new(false))
        );
        insta::assert_snapshot!(
            format!("scenario_{name}_markdown"),
            markdown::markdown(&plan, markdown::GITHUB_COMMENT_LIMIT, Some("plan.json"))
        );
        insta::assert_json_snapshot!(format!("scenario_{name}_json"), render::json(&plan));
    }
}
