//! The full lifecycle end to end: rotation, drift, replacement, guarded deletes, renames,
//! targets, and records from before fingerprints.

use std::time::Duration;

use recallform::emulator::{Config, Fault, FaultKind, Route};
use serde_json::json;

use crate::common::*;

fn patch_in_recall(h: &Harness, id: &str, body: serde_json::Value) {
    let url = format!("{}/api/v2/zoom-oauth-apps/{id}/", h.emulator.url());
    let status = h
        .runtime
        .block_on(
            reqwest::Client::new()
                .patch(url)
                .header("Authorization", format!("Token {API_KEY}"))
                .json(&body)
                .send(),
        )
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

fn methods(h: &Harness) -> Vec<String> {
    h.writes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}

#[test]
fn a_rotated_secret_is_sent_with_patch_when_recall_hides_secrets() {
    let h = Harness::with_config(Config {
        secrets_in_responses: false,
        ..Default::default()
    });
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let id = h.emulator.apps()[0].id.clone();

    let rotate = |args: &[&str]| {
        let mut cmd = h.cmd(args);
        cmd.env("ACME_PROD_CLIENT_SECRET", "rotated-client-secret-9Kd2");
        Outcome::of(cmd)
    };
    let plan = rotate(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("# zoom_oauth_app.acme-prod will be updated in place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ client_secret = (sensitive value changed)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 0 to adopt, 1 to update, 0 unchanged.")
    );
    assert!(!plan.stdout.contains("rotated-client-secret-9Kd2"));

    let before = h.writes().len();
    rotate(&["apply", "--auto-approve"]).expect(0);
    let writes = &h.writes()[before..];
    assert_eq!(writes.len(), 1);
    assert_eq!(
        (writes[0].method.as_str(), writes[0].uri.as_str()),
        ("PATCH", format!("/api/v2/zoom-oauth-apps/{id}/").as_str())
    );
    let app = &h.emulator.apps()[0];
    assert_eq!(app.client_secret, "rotated-client-secret-9Kd2");
    assert_eq!(
        app.webhook_secret,
        webhook_secret("acme-prod"),
        "only the changed secret was sent"
    );
    assert_eq!(app.id, id, "same app, same webhook URL");
    rotate(&["plan", "--detailed-exitcode"]).expect(0);
    let lock = h.lockfile_text().unwrap();
    assert!(!lock.contains("rotated-client-secret-9Kd2"));
    assert!(
        !lock.contains(&recallform::digest::sha256_hex(
            b"rotated-client-secret-9Kd2"
        )),
        "no bare hash"
    );
}

#[test]
fn a_secret_changed_in_recall_is_drift_and_is_put_back() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(0);
    let id = h.emulator.apps()[0].id.clone();
    patch_in_recall(
        &h,
        &id,
        json!({"webhook_secret": "set-by-hand-in-the-dashboard"}),
    );

    let drift = h
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(2);
    assert_eq!(
        drift.stdout,
        format!(
            "Changed outside recallform:\n\n  ~ zoom_oauth_app.acme-prod ({id}): `webhook_secret` was changed outside recallform\n\nDrift: 1 change found.\n"
        )
    );
    let plan = h.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("~ webhook_secret = (sensitive value changed)"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("set-by-hand"));
    h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        h.emulator.apps()[0].webhook_secret,
        webhook_secret("acme-prod")
    );
    h.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(0);
}

#[test]
fn a_kind_change_replaces_delete_first_when_allowed() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let old = h.emulator.apps()[0].id.clone();
    h.manifest(&[("acme-prod", "account_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(3);
    let before = h.writes().len();

    let out = h
        .run(&["apply", "--auto-approve", "--allow-replace", "acme-prod"])
        .expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    let new = &apps[0];
    assert_ne!(new.id, old);
    assert_eq!(new.kind, "account_level");
    assert_eq!(
        methods(&h)[before..],
        [
            format!("DELETE /api/v2/zoom-oauth-apps/{old}/"),
            "POST /api/v2/zoom-oauth-apps/".to_string()
        ],
        "same client_id: the old app goes first"
    );
    let url = format!(
        "{}/api/v2/zoom-oauth-apps/{}/webhook",
        h.emulator.url(),
        new.id
    );
    assert!(
        out.stdout.contains(&format!("!! NEW webhook URL: {url}")),
        "{}",
        out.stdout
    );
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"],
        new.id.as_str()
    );
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_client_id_change_replaces_create_first_and_cleans_up_after_an_interruption() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "DevClientId")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let old = h.emulator.apps()[0].id.clone();
    // Moving from Zoom's development to its production credentials, allowed in the manifest.
    let yaml = std::fs::read_to_string(h.path("recallform.yaml"))
        .unwrap()
        .replace(
            "client_id: DevClientId",
            "client_id: ProdClientId\n    lifecycle: {allow_replace: true}",
        );
    h.write("recallform.yaml", &yaml);
    // The old app's delete keeps failing: the new app must still be recorded, the old deposed.
    h.emulator.inject(Fault::new(
        Route::Delete,
        5,
        FaultKind::Status {
            status: 503,
            retry_after: Some(0),
        },
    ));
    let out = h.run(&["apply", "--auto-approve"]).expect(1);
    assert!(
        out.stdout.contains("but deleting the old app"),
        "{}",
        out.stdout
    );
    let lock = h.lockfile();
    let entry = &lock["zoom_oauth_apps"]["acme-prod"];
    assert_eq!(entry["client_id"], "ProdClientId");
    assert_eq!(entry["deposed"], json!([old]));
    assert_eq!(h.emulator.apps().len(), 2);

    let plan = h.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains(&format!(
            "app `{old}`, left behind by an interrupted replacement, will be deleted"
        )),
        "{}",
        plan.stdout
    );
    h.run(&["apply", "--auto-approve"]).expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].client_id, "ProdClientId");
    assert!(
        h.lockfile()["zoom_oauth_apps"]["acme-prod"]
            .get("deposed")
            .is_none()
    );
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn deletes_need_permission_and_treat_404_as_done() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "Dev1"),
        ("acme-eu", "account_level", "Eu1"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);

    let blocked = h.run(&["apply", "--auto-approve"]).expect(3);
    assert!(
        blocked
            .stdout
            .contains("Plan: 0 to create, 0 to adopt, 2 to delete, 1 unchanged.")
    );
    assert_eq!(h.emulator.apps().len(), 3);

    // One of them is already gone by the time Recall is asked: 404 counts as done.
    h.emulator.inject(Fault::new(
        Route::Delete,
        1,
        FaultKind::Status {
            status: 404,
            retry_after: None,
        },
    ));
    h.run(&["apply", "--auto-approve", "--allow-delete"])
        .expect(0);
    let left: Vec<String> = h.emulator.apps().into_iter().map(|a| a.client_id).collect();
    assert_eq!(
        left.len(),
        2,
        "one deleted for real, one answered 404: {left:?}"
    );
    let lock = h.lockfile();
    assert_eq!(
        lock["zoom_oauth_apps"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["acme-prod"]
    );
    // The app that answered 404 but still exists is now unmanaged, never deleted by guess.
    let plan = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(plan["unmanaged"].as_array().unwrap().len(), 1);
}

#[test]
fn policy_allows_deletes_up_to_max_deletes() {
    let h = Harness::new();
    h.manifest_of(5);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.write(
        "recallform.yaml",
        &format!("version: 1\nrecall: {{region: us-east-1}}\npolicy: {{allow_delete: true}}\nzoom_oauth_apps:\n{}", app(NAMES[0], "user_level", "cid-acme-prod")),
    );
    let out = h.run(&["apply", "--auto-approve"]).expect(3);
    assert!(
        out.stderr.contains(
            "this plan deletes 4 apps, more than `policy.max_deletes` (3); pass `--force`"
        ),
        "{}",
        out.stderr
    );
    h.run(&["apply", "--auto-approve", "--force"]).expect(0);
    assert_eq!(h.emulator.apps().len(), 1);
}

#[test]
fn protected_apps_survive_leaving_the_manifest() {
    let h = Harness::new();
    let yaml = format!(
        "version: 1\nrecall: {{region: us-east-1}}\nzoom_oauth_apps:\n{}    lifecycle: {{protect: true}}\n",
        app("acme-prod", "user_level", "AbC123xyz")
    );
    h.write("recallform.yaml", &yaml);
    h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"]["acme-prod"]["protect"],
        true
    );
    h.manifest(&[]);
    let out = h
        .run(&["apply", "--auto-approve", "--allow-delete"])
        .expect(3);
    assert!(
        out.stderr.contains("`acme-prod` is protected"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("recallform state unprotect acme-prod"));
    assert_eq!(h.emulator.apps().len(), 1);

    // The deliberate step: unprotect, then the delete goes through.
    Outcome::of(h.bare(&["state", "unprotect", "acme-prod"])).expect(0);
    h.run(&["apply", "--auto-approve", "--allow-delete"])
        .expect(0);
    assert!(h.emulator.apps().is_empty());
    assert!(
        h.lockfile()["zoom_oauth_apps"]
            .as_object()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn moved_renames_the_record_with_no_call_to_recall() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let id = h.emulator.apps()[0].id.clone();
    // Rename acme-prod to acme-production in the manifest, with a `moved` entry (the secrets'
    // variables keep their names).
    let renamed = format!(
        "version: 1\nrecall: {{region: us-east-1}}\nmoved:\n  - {{from: acme-prod, to: acme-production}}\nzoom_oauth_apps:\n{}",
        app("acme-prod", "user_level", "AbC123xyz").replacen(
            "  acme-prod:\n",
            "  acme-production:\n",
            1
        )
    );
    h.write("recallform.yaml", &renamed);
    let plan = h.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("# zoom_oauth_app.acme-production (moved from `acme-prod`) only its lockfile record changes"), "{}", plan.stdout);
    let writes = h.writes().len();
    h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(h.writes().len(), writes, "no call to Recall");
    let lock = h.lockfile();
    assert_eq!(
        lock["zoom_oauth_apps"]["acme-production"]["id"],
        id.as_str()
    );
    assert!(lock["zoom_oauth_apps"].get("acme-prod").is_none());
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn target_limits_plan_and_apply() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "Dev1"),
    ]);
    let out = h
        .run(&["apply", "--auto-approve", "--target", "acme-dev"])
        .expect(0);
    assert!(
        out.stderr
            .contains("warning: this apply is limited by `--target`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("Warning: this plan is limited to `acme-dev` (`--target`)")
    );
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].client_id, "Dev1");
    let plan = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(plan["summary"]["create"], 1, "the other app is still to do");
    let requests = h.requests().len();
    h.run(&["plan", "--target", "nobody"]).expect(64);
    assert_eq!(h.requests().len(), requests, "refused before any request");
}

#[test]
fn a_version_1_lockfile_sends_each_secret_once_then_is_upgraded() {
    let h = Harness::with_config(Config {
        secrets_in_responses: false,
        ..Default::default()
    });
    let existing = h.emulator.seed("user_level", "AbC123xyz");
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.write(
        "recallform.lock.json",
        &format!(
            "{{\"api_url\": \"{}\", \"lineage\": \"l-1\", \"serial\": 4, \"version\": 1, \"zoom_oauth_apps\": {{\"acme-prod\": {{\"client_id\": \"AbC123xyz\", \"created_at\": \"{}\", \"id\": \"{}\", \"kind\": \"user_level\", \"webhook_url\": \"x\"}}}}}}\n",
            h.emulator.url(),
            existing.created_at,
            existing.id
        ),
    );
    let plan = h.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("~ client_secret  = (secret not yet recorded)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ webhook_secret = (secret not yet recorded)")
    );
    h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        h.emulator.apps()[0].client_secret,
        client_secret("acme-prod")
    );
    let lock = h.lockfile();
    assert_eq!(
        (
            lock["version"].clone(),
            lock["lineage"].clone(),
            lock["serial"].clone()
        ),
        (json!(2), json!("l-1"), json!(5))
    );
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn an_imported_app_gets_its_secrets_once() {
    let h = Harness::with_config(Config {
        secrets_in_responses: false,
        ..Default::default()
    });
    let existing = h.emulator.seed("account_level", "XyZ789");
    h.manifest(&[("acme-eu", "account_level", "XyZ789")]);
    h.run(&["import", "acme-eu", &existing.id]).expect(0);
    let plan = h.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("~ client_secret  = (secret not yet recorded)"),
        "{}",
        plan.stdout
    );
    h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(h.emulator.apps()[0].client_secret, client_secret("acme-eu"));
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

/// The stdout of an apply from the line after `Plan:` to the `Apply complete:` line.
fn results(stdout: &str) -> &str {
    let start = stdout.find("\nPlan: ").expect("a Plan line");
    let start = start + stdout[start + 1..].find('\n').unwrap() + 2;
    let end = stdout.find("Apply complete:").expect("a summary");
    let end = end + stdout[end..].find('\n').unwrap() + 1;
    &stdout[start..end]
}

/// Issue 8, item 1: seven rotations, a replace and a delete ended with `0 created, 0 adopted,
/// 0 failed`, and results came in the order they happened to finish.
#[test]
fn the_apply_summary_counts_every_action_and_lists_results_by_name() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-dev", "user_level", "Dev1"),
        ("acme-eu", "account_level", "EuDev"),
        ("acme-prod", "user_level", "AbC123xyz"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let before = h.lockfile();
    let id = |lock: &serde_json::Value, name: &str| {
        lock["zoom_oauth_apps"][name]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // acme-dev leaves, acme-eu moves to production credentials, acme-prod's secret rotates,
    // stark is new.
    h.manifest(&[
        ("acme-eu", "account_level", "EuProd"),
        ("acme-prod", "user_level", "AbC123xyz"),
        ("stark", "user_level", "Stark1"),
    ]);
    // Deletes are slow: by completion, acme-dev and acme-eu would come last.
    h.emulator.inject(Fault::new(
        Route::Delete,
        2,
        FaultKind::Delay(Duration::from_millis(1500)),
    ));
    let mut cmd = h.cmd(&[
        "apply",
        "--auto-approve",
        "--allow-delete",
        "--allow-replace",
        "acme-eu",
    ]);
    cmd.env("ACME_PROD_CLIENT_SECRET", "rotated-client-secret-7Hq3");
    let out = Outcome::of(cmd).expect(0);
    assert_eq!(
        out.plan_line(),
        "Plan: 1 to create, 0 to adopt, 1 to update, 1 to replace, 1 to delete, 0 unchanged."
    );
    let after = h.lockfile();
    let url = |id: &str| format!("{}/api/v2/zoom-oauth-apps/{id}/webhook", h.emulator.url());
    let (eu, prod, stark) = (
        id(&after, "acme-eu"),
        id(&after, "acme-prod"),
        id(&after, "stark"),
    );
    assert_eq!(
        results(&out.stdout),
        format!(
            "\n\
             zoom_oauth_app.acme-dev: deleted `{}`\n\
             zoom_oauth_app.acme-eu: replaced `{}` with `{eu}`\n\
             \n    !! NEW webhook URL: {}\n\
             \x20   !! enter it in the Zoom app (event notification endpoint and deauthorization endpoint): the old URL no longer works\n\
             \n\
             zoom_oauth_app.acme-prod: updated `{prod}`\n    webhook URL: {}\n\
             zoom_oauth_app.stark: created `{stark}`\n    webhook URL: {}\n\
             \n\
             Apply complete: 1 created, 0 adopted, 1 updated, 1 replaced, 1 deleted, 0 moved, 0 failed.\n",
            id(&before, "acme-dev"),
            id(&before, "acme-eu"),
            url(&eu),
            url(&prod),
            url(&stark),
        ),
        "{}",
        out.stdout
    );
}

/// Issue 8, item 1: a rename and a `protect` change were `1 unchanged` in the plan and
/// nothing at all in the apply summary.
#[test]
fn renames_and_protect_changes_are_counted() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let id = h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // acme-prod is renamed and protected; acme-eu is only protected.
    let yaml = format!(
        "version: 1\nrecall: {{region: us-east-1}}\nmoved:\n  - {{from: acme-prod, to: acme-production}}\nzoom_oauth_apps:\n{}    lifecycle: {{protect: true}}\n{}    lifecycle: {{protect: true}}\n",
        app("acme-prod", "user_level", "AbC123xyz").replacen(
            "  acme-prod:\n",
            "  acme-production:\n",
            1
        ),
        app("acme-eu", "account_level", "XyZ789"),
    );
    h.write("recallform.yaml", &yaml);
    let plan = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(plan["summary"]["move"], 1, "{}", plan["summary"]);
    assert_eq!(plan["summary"]["lockfile_only"], 2, "{}", plan["summary"]);
    assert_eq!(plan["summary"]["no_op"], 2, "{}", plan["summary"]);
    let writes = h.writes().len();
    let out = h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(h.writes().len(), writes, "no call to Recall");
    assert_eq!(
        out.plan_line(),
        "Plan: 0 to create, 0 to adopt, 1 to move, 2 lockfile-only, 0 unchanged."
    );
    let url = |id: &str| format!("{}/api/v2/zoom-oauth-apps/{id}/webhook", h.emulator.url());
    let eu = h.lockfile()["zoom_oauth_apps"]["acme-eu"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        results(&out.stdout),
        format!(
            "\n\
             zoom_oauth_app.acme-eu: lockfile record updated (`{eu}`): protect: false -> true\n    webhook URL: {}\n\
             zoom_oauth_app.acme-production: lockfile record updated (`{id}`): renamed from `acme-prod`, protect: false -> true\n    webhook URL: {}\n\
             \n\
             Apply complete: 0 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 1 moved, 2 lockfile-only, 0 failed.\n",
            url(&eu),
            url(&id),
        ),
        "{}",
        out.stdout
    );
    // Nothing to enter in Zoom: no app got a new webhook URL.
    assert!(!out.stdout.contains("In each Zoom app"), "{}", out.stdout);
    assert!(
        out.stdout.ends_with("now records 2 apps: commit it.\n"),
        "{}",
        out.stdout
    );
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

/// Issue 8, item 8: `--target nope` did not say which names there are.
#[test]
fn an_unknown_target_or_replacement_lists_the_names_there_are() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "Dev1"),
        ("stark", "user_level", "Stark1"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    // `stark` leaves the manifest but stays in the lockfile: still a name `--target` takes.
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "Dev1"),
    ]);
    let requests = h.requests().len();
    for flag in ["--target", "--allow-replace"] {
        let out = h
            .run(&["plan", flag, "acme-dev", flag, "acme-prd"])
            .expect(64);
        assert_eq!(
            out.stderr,
            format!(
                "error: `{flag}` names `acme-prd`, which is neither in the manifest nor in the lockfile\n  = hint: the names it takes: `acme-dev`, `acme-prod`, `stark`\n"
            )
        );
        let out = h.run(&["apply", "--auto-approve", flag, "nope"]).expect(64);
        assert!(
            out.stderr
                .contains("the names it takes: `acme-dev`, `acme-prod`, `stark`"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(h.requests().len(), requests, "refused before any request");
}

/// A replacement printed last was followed by two blank lines, and in the sandbox it said to
/// enter a `.invalid` URL in the Zoom app.
#[test]
fn a_sandbox_replacement_does_not_send_its_url_to_zoom() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let sandbox = |args: &[&str]| {
        let mut cmd = h.bare(&[&["apply", "--sandbox", "--auto-approve"], args].concat());
        cmd.env_remove("RECALL_API_KEY");
        Outcome::of(cmd)
    };
    sandbox(&[]).expect(0);
    let old = h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    h.manifest(&[("acme-prod", "account_level", "AbC123xyz")]);
    let out = sandbox(&["--allow-replace", "acme-prod"]).expect(0);
    let new = h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        results(&out.stdout),
        format!(
            "\n\
             zoom_oauth_app.acme-prod: replaced `{old}` with `{new}`\n\
             \n    !! NEW webhook URL: https://sandbox.recallform.invalid/api/v2/zoom-oauth-apps/{new}/webhook\n\
             \x20   !! against Recall, it would go into the Zoom app (a sandbox URL does not): the old URL no longer works\n\
             \n\
             Apply complete: 0 created, 0 adopted, 0 updated, 1 replaced, 0 deleted, 0 moved, 0 failed.\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("These are sandbox webhook URLs (`.invalid`)"),
        "{}",
        out.stdout
    );
}
