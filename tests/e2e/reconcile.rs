//! Create, adopt, drift and no-op, checked against what Recall holds and what the lockfile says.

use crate::common::*;

#[test]
fn creates_from_empty_then_plans_nothing() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
    ]);

    let first = h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        first.plan_line(),
        "Plan: 2 to create, 0 to adopt, 0 unchanged."
    );
    assert!(first.stdout.contains(
        "Apply complete: 2 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 0 moved, 0 failed."
    ));

    // What Recall holds: both apps, with the secrets the manifest references.
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 2);
    let prod = apps.iter().find(|a| a.client_id == "AbC123xyz").unwrap();
    assert_eq!(prod.kind, "user_level");
    assert_eq!(prod.client_secret, client_secret("acme-prod"));
    assert_eq!(prod.webhook_secret, webhook_secret("acme-prod"));
    let eu = apps.iter().find(|a| a.client_id == "XyZ789").unwrap();
    assert_eq!(eu.kind, "account_level");

    // What the lockfile says.
    let lock = h.lockfile();
    assert_eq!(lock["version"], 2);
    assert_eq!(lock["serial"], 2, "one write per created app");
    assert_eq!(lock["api_url"], h.emulator.url());
    let entry = &lock["zoom_oauth_apps"]["acme-prod"];
    assert_eq!(entry["id"], prod.id.as_str());
    assert_eq!(entry["kind"], "user_level");
    assert_eq!(entry["client_id"], "AbC123xyz");
    assert_eq!(entry["created_at"], prod.created_at.as_str());
    let url = format!(
        "{}/api/v2/zoom-oauth-apps/{}/webhook",
        h.emulator.url(),
        prod.id
    );
    assert_eq!(entry["webhook_url"], url.as_str());
    assert!(
        first.stdout.contains(&format!("webhook URL: {url}")),
        "{}",
        first.stdout
    );

    // The second run changes nothing and does not rewrite the lockfile.
    let before = h.lockfile_text().unwrap();
    let second = h.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(
        second.plan_line(),
        "Plan: 0 to create, 0 to adopt, 2 unchanged."
    );
    assert!(second.stdout.starts_with("No changes."));
    let again = h.run(&["apply", "--auto-approve"]).expect(0);
    assert!(again.stdout.starts_with("No changes."));
    assert_eq!(h.lockfile_text().unwrap(), before);
    assert_eq!(h.emulator.apps().len(), 2);
}

#[test]
fn plan_lists_with_paginated_calls_only() {
    let h = Harness::with_config(recallform::emulator::Config {
        page_size: 2,
        ..Default::default()
    });
    for i in 0..7 {
        h.emulator.seed("user_level", &format!("unmanaged-{i}"));
    }
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let out = h.run(&["plan", "--format", "json"]).expect(0);
    let plan = out.json();
    let unmanaged: Vec<&str> = plan["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["client_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..7).map(|i| format!("unmanaged-{i}")).collect();
    assert_eq!(unmanaged, expected, "every page was read, in order");

    let requests = h.requests();
    assert_eq!(
        requests.len(),
        4,
        "7 apps at 2 per page: 4 list calls, nothing else"
    );
    assert!(requests.iter().all(|r| r.method == "GET"
        && r.uri.starts_with("/api/v2/zoom-oauth-apps/?")
        || r.uri == "/api/v2/zoom-oauth-apps/"));
    assert!(requests[1..].iter().all(|r| r.uri.contains("cursor=")));
}

#[test]
fn adopts_an_existing_app_by_client_id() {
    let h = Harness::new();
    let existing = h.emulator.seed("account_level", "XyZ789");
    h.manifest(&[("acme-eu", "account_level", "XyZ789")]);

    let plan = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(plan["changes"][0]["action"], "adopt");
    assert_eq!(plan["changes"][0]["id"], existing.id.as_str());
    assert_eq!(plan["summary"]["adopt"], 1);

    let out = h.run(&["apply", "--auto-approve"]).expect(0);
    assert!(out.stdout.contains(&format!(
        "zoom_oauth_app.acme-eu: adopted `{}`",
        existing.id
    )));
    // Recall showed other secrets than the manifest's: adoption sent them, and nothing else.
    let writes = h.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].uri,
        format!("/api/v2/zoom-oauth-apps/{}/", existing.id)
    );
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].client_secret, client_secret("acme-eu"));
    assert_eq!(apps[0].webhook_secret, webhook_secret("acme-eu"));
    let lock = h.lockfile();
    assert_eq!(
        lock["zoom_oauth_apps"]["acme-eu"]["id"],
        existing.id.as_str()
    );
    let recorded = lock["zoom_oauth_apps"]["acme-eu"]["secrets"]
        .as_object()
        .unwrap();
    assert_eq!(
        recorded.keys().collect::<Vec<_>>(),
        ["client_secret", "webhook_secret"]
    );
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn an_app_deleted_outside_recallform_is_shown_as_drift_and_created_again() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let old = h.emulator.apps()[0].id.clone();
    assert!(h.emulator.remove(&old));

    let plan = h.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains(&format!(
            "will be created again: the recorded app `{old}` was deleted outside recallform"
        )),
        "{}",
        plan.stdout
    );
    let json = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(json["changes"][0]["action"], "create");
    assert_eq!(
        json["changes"][0]["drift"],
        format!("the recorded app `{old}` was deleted outside recallform")
    );

    h.run(&["apply", "--auto-approve"]).expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    assert_ne!(apps[0].id, old);
    let lock = h.lockfile();
    assert_eq!(
        lock["zoom_oauth_apps"]["acme-prod"]["id"],
        apps[0].id.as_str()
    );
    assert_eq!(lock["serial"], 2);
}

#[test]
fn replacements_and_deletes_are_blocked_until_allowed() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "Old1"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.manifest(&[("acme-prod", "account_level", "AbC123xyz")]);

    let out = h.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        out.stdout
            .contains("# zoom_oauth_app.acme-prod must be replaced: `kind` changed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("# zoom_oauth_app.acme-dev will be deleted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Plan: 0 to create, 0 to adopt, 1 to replace, 1 to delete, 0 unchanged.")
    );
    let before = h.emulator.apps();
    let refused = h.run(&["apply", "--auto-approve"]).expect(3);
    assert!(
        refused.stderr.contains(
            "blocked: this plan has changes that need permission, so nothing was changed"
        ),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--allow-replace acme-prod"));
    assert!(refused.stderr.contains("--allow-delete"));
    assert_eq!(h.emulator.apps(), before, "nothing was changed in Recall");
}

#[test]
fn unmanaged_apps_are_listed_and_never_touched() {
    let h = Harness::new();
    let stranger = h.emulator.seed("user_level", "SomeoneElse");
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let out = h.run(&["apply", "--auto-approve"]).expect(0);
    assert!(out.stdout.contains(&format!(
        "? {}  user_level  client_id = \"SomeoneElse\"",
        stranger.id
    )));
    assert!(h.emulator.apps().contains(&stranger));
    assert!(h.lockfile()["zoom_oauth_apps"].get("SomeoneElse").is_none());
}

#[test]
fn creates_concurrently_each_app_once() {
    let h = Harness::new();
    h.manifest_of(NAMES.len());
    let out = h
        .run(&["apply", "--auto-approve", "--parallelism", "4"])
        .expect(0);
    assert!(
        out.stdout
            .contains(&format!("Apply complete: {} created", NAMES.len()))
    );
    let held = h.emulator.apps();
    assert_eq!(held.len(), NAMES.len());
    let lock = h.lockfile();
    assert_eq!(lock["serial"], NAMES.len());
    for a in &held {
        let name = a.client_id.strip_prefix("cid-").unwrap();
        assert_eq!(lock["zoom_oauth_apps"][name]["id"], a.id.as_str());
    }
}

#[test]
fn works_when_recall_does_not_return_secrets() {
    let h = Harness::with_config(recallform::emulator::Config {
        secrets_in_responses: false,
        ..Default::default()
    });
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}
