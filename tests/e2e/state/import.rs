//! `import NAME ID`: what it records, what it sends, and every refusal.

use serde_json::json;

use super::handwritten_lockfile;
use crate::common::*;

/// `acme-eu` in the manifest, its client ID read from `ACME_EU_ID`, and an app in Recall that
/// matches it.
fn importable(h: &Harness) -> recallform::emulator::StoredApp {
    importable_manifest(h);
    h.emulator.seed("account_level", "XyZ789")
}

fn importable_manifest(h: &Harness) {
    h.write(
        "recallform.yaml",
        "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n  acme-eu:\n    kind: account_level\n    client_id: {env: ACME_EU_ID}\n    client_secret: {env: ACME_EU_CLIENT_SECRET}\n    webhook:\n      secret: {env: ACME_EU_WEBHOOK_SECRET}\n",
    );
}

/// `import` with `ACME_EU_ID` set to `client_id` and the app's secrets unset.
fn import(h: &Harness, args: &[&str], client_id: &str) -> Outcome {
    let mut cmd = h.cmd(args);
    cmd.env("ACME_EU_ID", client_id)
        .env_remove("ACME_EU_CLIENT_SECRET")
        .env_remove("ACME_EU_WEBHOOK_SECRET");
    Outcome::of(cmd)
}

#[test]
fn import_records_recalls_app_without_secrets_and_sends_nothing() {
    let h = Harness::new();
    let app = importable(&h);

    let out = import(&h, &["import", "acme-eu", &app.id], "XyZ789").expect(0);
    let url = format!(
        "{}/api/v2/zoom-oauth-apps/{}/webhook",
        h.emulator.url(),
        app.id
    );
    assert_eq!(
        out.stdout,
        format!(
            "zoom_oauth_app.acme-eu: imported `{}`\n    webhook URL: {url}\n",
            app.id
        )
    );
    assert_eq!(
        out.stderr,
        "no secret is recorded for it yet: the next plan shows the manifest's secrets as `(secret not yet recorded)`, unless Recall shows the same ones, and the apply after it sends them once\n"
    );
    let lock = h.lockfile();
    assert_eq!(lock["api_url"], h.emulator.url());
    assert_eq!(lock["serial"], 1);
    assert_eq!(
        lock["zoom_oauth_apps"],
        json!({"acme-eu": {
            "id": app.id,
            "kind": "account_level",
            "client_id": "XyZ789",
            "created_at": app.created_at,
            "webhook_url": url,
        }})
    );
    let requests: Vec<(String, String)> = h
        .requests()
        .into_iter()
        .map(|r| (r.method, r.uri))
        .collect();
    assert_eq!(
        requests,
        [(
            "GET".to_string(),
            format!("/api/v2/zoom-oauth-apps/{}/", app.id)
        )],
        "one read, no POST"
    );
    assert_eq!(h.emulator.apps(), [app]);
}

/// `plan` or `apply` for the importable manifest, with these secrets.
fn with_secrets(h: &Harness, args: &[&str], client_secret: &str, webhook_secret: &str) -> Outcome {
    let mut cmd = h.cmd(args);
    cmd.env("ACME_EU_ID", "XyZ789")
        .env("ACME_EU_CLIENT_SECRET", client_secret)
        .env("ACME_EU_WEBHOOK_SECRET", webhook_secret);
    Outcome::of(cmd)
}

/// The lines of a text plan that show a secret as not yet recorded.
fn not_yet_recorded(out: &Outcome) -> Vec<String> {
    out.stdout
        .lines()
        .filter(|l| l.contains("(secret not yet recorded)"))
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn after_an_import_only_secrets_recall_does_not_show_as_equal_are_sent() {
    // What `import` says about the next plan, checked: Recall shows its secrets here, and the
    // equal ones are left alone.
    let h = Harness::new();
    let app = importable(&h);
    import(&h, &["import", "acme-eu", &app.id], "XyZ789").expect(0);
    let seeded = ("seeded-client-secret", "seeded-webhook-secret");
    let out = with_secrets(&h, &["plan"], seeded.0, seeded.1).expect(0);
    assert!(out.stdout.starts_with("No changes."), "{}", out.stdout);
    let out = with_secrets(&h, &["plan"], "new-client-secret-Zx1", seeded.1).expect(0);
    assert_eq!(not_yet_recorded(&out), ["client_secret"], "{}", out.stdout);
    with_secrets(&h, &["apply", "--auto-approve"], seeded.0, seeded.1).expect(0);
    assert!(h.writes().is_empty(), "nothing was sent");

    // Recall does not show them: both are shown as not yet recorded, and sent once.
    let h = Harness::with_config(recallform::emulator::Config {
        secrets_in_responses: false,
        ..Default::default()
    });
    let app = importable(&h);
    import(&h, &["import", "acme-eu", &app.id], "XyZ789").expect(0);
    let out = with_secrets(&h, &["plan"], seeded.0, seeded.1).expect(0);
    assert_eq!(
        not_yet_recorded(&out),
        ["client_secret", "webhook_secret"],
        "{}",
        out.stdout
    );
    with_secrets(&h, &["apply", "--auto-approve"], seeded.0, seeded.1).expect(0);
    let writes: Vec<String> = h.writes().into_iter().map(|w| w.method).collect();
    assert_eq!(writes, ["PATCH"]);
    let out = with_secrets(&h, &["plan"], seeded.0, seeded.1).expect(0);
    assert!(out.stdout.starts_with("No changes."), "{}", out.stdout);
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"]["acme-eu"]["secrets"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["client_secret", "webhook_secret"]
    );
}

#[test]
fn import_refusals_exit_1_and_leave_the_lockfile_alone() {
    let h = Harness::new();
    let app = importable(&h);
    let other = h.emulator.seed("account_level", "Other42");
    let missing = "00000000-0000-4000-8000-000000000000";
    let id = app.id.as_str();
    let cases: Vec<(Vec<&str>, &str, String)> = vec![
        (
            vec!["import", "acme-dev", id],
            "XyZ789",
            "error: the manifest `recallform.yaml` has no app `acme-dev`\n  = hint: it has `acme-eu`; add the app to `zoom_oauth_apps` first\n".into(),
        ),
        (
            vec!["import", "acme-eu", missing],
            "XyZ789",
            format!(
                "error: Recall has no app `{missing}` at `{}`\n  = hint: `recallform plan` lists the apps recallform does not manage, with their IDs\n",
                h.emulator.url()
            ),
        ),
        (
            vec!["import", "acme-eu", id],
            "xyz789",
            format!(
                "error: Recall's app `{id}` has client_id `XyZ789`, but the manifest's `acme-eu` has `xyz789`; nothing was recorded\n  = hint: Recall cannot change client_id: import the app whose client_id matches, or correct the manifest\n"
            ),
        ),
    ];
    for (args, client_id, stderr) in &cases {
        let out = import(&h, args, client_id).expect(1);
        assert_eq!(&out.stderr, stderr, "{args:?}");
        assert_eq!(out.stdout, "");
        assert_eq!(h.lockfile_text(), None, "{args:?}");
    }

    // The kind differs.
    let manifest = std::fs::read_to_string(h.path("recallform.yaml")).unwrap();
    h.write(
        "recallform.yaml",
        &manifest.replace("kind: account_level", "kind: user_level"),
    );
    let out = import(&h, &["import", "acme-eu", id], "XyZ789").expect(1);
    assert_eq!(
        out.stderr,
        format!(
            "error: Recall's app `{id}` has kind `account_level`, but the manifest's `acme-eu` has `user_level`; nothing was recorded\n  = hint: Recall cannot change kind: import the app whose kind matches, or correct the manifest\n"
        )
    );
    assert_eq!(h.lockfile_text(), None);
    importable_manifest(&h);

    // Already recorded: under this name, or this ID under another name.
    import(&h, &["import", "acme-eu", id], "XyZ789").expect(0);
    let recorded = h.lockfile_text().unwrap();
    let out = import(&h, &["import", "acme-eu", &other.id], "Other42").expect(1);
    assert_eq!(
        out.stderr,
        format!(
            "error: `acme-eu` is already recorded in the lockfile `recallform.lock.json`, as the app `{id}`\n  = hint: `recallform state rm acme-eu` forgets it first (the app stays in Recall)\n"
        )
    );
    h.run(&["state", "mv", "acme-eu", "globex"]).expect(0);
    let renamed = h.lockfile_text().unwrap();
    let out = import(&h, &["import", "acme-eu", id], "XyZ789").expect(1);
    assert_eq!(
        out.stderr,
        format!(
            "error: the app `{id}` is already recorded in the lockfile `recallform.lock.json` as `globex`\n  = hint: `recallform state mv globex acme-eu` renames the record\n"
        )
    );
    assert_eq!(h.lockfile_text().unwrap(), renamed);
    assert_ne!(recorded, renamed);
    assert!(
        h.writes().is_empty(),
        "no refusal (and no import) sent a write to Recall"
    );
}

#[test]
fn import_checks_the_lockfile_target_and_needs_the_client_id() {
    let h = Harness::new();
    let app = importable(&h);
    handwritten_lockfile(&h, "p", "e");
    let text = h
        .lockfile_text()
        .unwrap()
        .replace(&h.emulator.url(), "sandbox");
    h.write("recallform.lock.json", &text);
    let out = import(&h, &["import", "acme-eu", &app.id], "XyZ789").expect(1);
    let url = h.emulator.url();
    assert_eq!(
        out.stderr,
        format!(
            "error: the lockfile `recallform.lock.json` records apps in `sandbox`, but this run targets `{url}`; app IDs exist in one Recall only\n  = hint: it is the record of `--sandbox` runs, which `plan --sandbox` and `apply --sandbox` use; pass `--lockfile PATH` to keep the record of `{url}` in another file\n"
        )
    );
    assert_eq!(h.lockfile_text().unwrap(), text);

    std::fs::remove_file(h.path("recallform.lock.json")).unwrap();
    let mut cmd = h.cmd(&["import", "acme-eu", &app.id]);
    cmd.env_remove("ACME_EU_ID");
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[unset-env]: the environment variable `ACME_EU_ID` is not set\n  --> recallform.yaml:7:16\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        h.requests().is_empty(),
        "nothing is sent before the checks pass"
    );
}
