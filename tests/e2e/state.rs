//! `state`, `import` and `export`: editing the record of which Recall app each manifest name
//! is, checked against the lockfile on disk, the requests Recall received, and the next plan.
//! `import` and `export` have a file each under `state/`.

mod export;
mod import;

use std::time::Duration;

use serde_json::json;

use crate::common::*;

/// A lockfile written by hand (as another recallform, or a person, would leave it) that
/// records two apps of the harness's emulator, one protected with a deposed app and a secret
/// fingerprint.
fn handwritten_lockfile(h: &Harness, prod: &str, eu: &str) {
    let url = h.emulator.url();
    let lock = json!({
        "version": 2,
        "lineage": "5b0f7c1e-0000-4000-8000-000000000001",
        "serial": 7,
        "api_url": url,
        "salt": "00112233445566778899aabbccddeeff",
        "zoom_oauth_apps": {
            "acme-prod": {
                "id": prod,
                "kind": "user_level",
                "client_id": "AbC123xyz",
                "created_at": "2026-01-02T03:04:05.000006Z",
                "webhook_url": format!("{url}/api/v2/zoom-oauth-apps/{prod}/webhook"),
                "secrets": {"client_secret": "9f86d081884c7d659a2feaa0c55ad015"},
                "protect": true,
                "deposed": ["0b5f6a63-9d7e-4c55-a0bb-1a2b3c4d5e6f"]
            },
            "acme-eu": {
                "id": eu,
                "kind": "account_level",
                "client_id": "XyZ789",
                "created_at": "2026-01-02T03:04:06.000007Z",
                "webhook_url": format!("{url}/api/v2/zoom-oauth-apps/{eu}/webhook")
            }
        }
    });
    h.write(
        "recallform.lock.json",
        &serde_json::to_string_pretty(&lock).unwrap(),
    );
}

/// Two apps created by apply: `acme-prod` (user_level, `AbC123xyz`) and `acme-eu`
/// (account_level, `XyZ789`). Returns their IDs.
fn applied(h: &Harness) -> (String, String) {
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let lock = h.lockfile();
    let id = |name: &str| {
        lock["zoom_oauth_apps"][name]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    (id("acme-prod"), id("acme-eu"))
}

/// Runs `plan --format json` and returns it.
fn plan_json(h: &Harness) -> serde_json::Value {
    h.run(&["plan", "--format", "json"]).expect(0).json()
}

#[test]
fn state_list_prints_an_aligned_table_and_json_without_fingerprints() {
    let h = Harness::new();
    let (prod, eu) = ("11111111-2222-4333-8444-555555555555", "eu-1");
    handwritten_lockfile(&h, prod, eu);

    let out = h.run(&["state", "list"]).expect(0);
    assert_eq!(
        out.stdout,
        format!(
            "NAME       ID                                    KIND           CLIENT ID\n\
             acme-eu    {eu}                                  account_level  XyZ789\n\
             acme-prod  {prod}  user_level     AbC123xyz  protected, 1 deposed\n"
        )
    );
    assert_eq!(out.stderr, "");

    let out = h.run(&["state", "list", "--format", "json"]).expect(0);
    let url = h.emulator.url();
    assert_eq!(
        out.json(),
        json!({"apps": [
            {
                "name": "acme-eu", "id": eu, "kind": "account_level", "client_id": "XyZ789",
                "created_at": "2026-01-02T03:04:06.000007Z",
                "webhook_url": format!("{url}/api/v2/zoom-oauth-apps/{eu}/webhook"),
                "protect": false, "secrets_recorded": [], "deposed": []
            },
            {
                "name": "acme-prod", "id": prod, "kind": "user_level", "client_id": "AbC123xyz",
                "created_at": "2026-01-02T03:04:05.000006Z",
                "webhook_url": format!("{url}/api/v2/zoom-oauth-apps/{prod}/webhook"),
                "protect": true, "secrets_recorded": ["client_secret"],
                "deposed": ["0b5f6a63-9d7e-4c55-a0bb-1a2b3c4d5e6f"]
            }
        ]})
    );
    assert!(!out.stdout.contains("9f86d081884c7d659a2feaa0c55ad015"));
    assert!(h.requests().is_empty(), "state list talks to no Recall");
}

#[test]
fn state_list_reads_a_lockfile_of_any_target_and_a_missing_one() {
    let h = Harness::new();
    let out = h.run(&["state", "list"]).expect(0);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "the lockfile `recallform.lock.json` does not exist: no app is recorded\n  = hint: pass `--lockfile PATH`, or `-f` with the manifest it sits beside, to read another one\n"
    );
    for args in [
        &["state", "show", "acme-eu"][..],
        &["state", "rm", "acme-eu"],
    ] {
        let out = h.run(args).expect(1);
        assert_eq!(
            out.stderr,
            "error: `acme-eu` is not recorded: the lockfile `recallform.lock.json` does not exist\n  = hint: pass `--lockfile PATH`, or `-f` with the manifest it sits beside, to read another one\n",
            "{args:?}"
        );
    }
    let out = h.run(&["state", "list", "--format", "json"]).expect(0);
    assert_eq!(out.json(), json!({"apps": []}));
    assert!(!h.path("recallform.lock.json").exists());

    // A lockfile of the sandbox, read with an `--api-url` to somewhere else: no complaint,
    // since nothing is sent anywhere.
    handwritten_lockfile(&h, "p", "e");
    let text = h
        .lockfile_text()
        .unwrap()
        .replace(&h.emulator.url(), "sandbox");
    h.write("recallform.lock.json", &text);
    let out = h.run(&["state", "show", "acme-eu", "--format", "json"]);
    let out = out.expect(0);
    assert_eq!(out.json()["id"], "e");
}

#[test]
fn state_show_prints_one_record_or_names_the_recorded_ones() {
    let h = Harness::new();
    let prod = "11111111-2222-4333-8444-555555555555";
    handwritten_lockfile(&h, prod, "eu-1");
    let url = h.emulator.url();

    let out = h.run(&["state", "show", "acme-prod"]).expect(0);
    assert_eq!(
        out.stdout,
        format!(
            r#"name             = "acme-prod"
id               = "{prod}"
kind             = "user_level"
client_id        = "AbC123xyz"
created_at       = "2026-01-02T03:04:05.000006Z"
webhook_url      = "{url}/api/v2/zoom-oauth-apps/{prod}/webhook"
protect          = true
secrets_recorded = ["client_secret"]
deposed          = ["0b5f6a63-9d7e-4c55-a0bb-1a2b3c4d5e6f"]
"#
        )
    );

    let out = h
        .run(&["state", "show", "acme-eu", "--format", "json"])
        .expect(0);
    assert_eq!(
        out.json(),
        json!({
            "name": "acme-eu", "id": "eu-1", "kind": "account_level", "client_id": "XyZ789",
            "created_at": "2026-01-02T03:04:06.000007Z",
            "webhook_url": format!("{url}/api/v2/zoom-oauth-apps/eu-1/webhook"),
            "protect": false, "secrets_recorded": [], "deposed": []
        })
    );

    let out = h.run(&["state", "show", "acme-dev"]).expect(1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: `acme-dev` is not recorded in the lockfile `recallform.lock.json`\n  = hint: it records `acme-eu`, `acme-prod`\n"
    );
}

#[test]
fn state_mv_renames_the_record_so_a_renamed_manifest_entry_is_unchanged() {
    let h = Harness::new();
    let (prod, eu) = applied(&h);
    // The manifest renames `acme-eu` to `globex`: without `state mv` (or a `moved` entry), the
    // plan deletes `acme-eu` and cannot adopt its app for `globex` (it is recorded).
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("globex", "account_level", "XyZ789"),
    ]);
    let before = plan_json(&h);
    assert_eq!(before["summary"]["delete"], 1, "{before}");
    assert_eq!(before["summary"]["unhandled"], 1, "{before}");

    let requests = h.requests().len();
    let entry = h.lockfile()["zoom_oauth_apps"]["acme-eu"].clone();
    let out = h.run(&["state", "mv", "acme-eu", "globex"]).expect(0);
    assert_eq!(
        out.stdout,
        format!("renamed `acme-eu` to `globex` (`{eu}`)\n")
    );
    assert_eq!(h.requests().len(), requests, "mv sends nothing to Recall");
    let lock = h.lockfile();
    assert_eq!(lock["zoom_oauth_apps"]["globex"], entry);
    assert!(lock["zoom_oauth_apps"].get("acme-eu").is_none());

    let after = plan_json(&h);
    let globex = after["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "globex")
        .unwrap();
    // The same Recall app, now under its new name; `globex` references other secrets than
    // `acme-eu` did, so they are sent to it: an update, never a new app.
    assert_eq!(globex["action"], "update", "{after}");
    assert_eq!(globex["id"], eu.as_str());
    assert_eq!(after["summary"]["create"], 0, "{after}");
    assert_eq!(after["summary"]["unhandled"], 0, "{after}");
    assert_eq!(after["unmanaged"], json!([]));
    assert_eq!(h.emulator.apps().len(), 2);
    assert_ne!(prod, eu);
}

#[test]
fn state_mv_refusals_change_nothing() {
    let h = Harness::new();
    applied(&h);
    let before = h.lockfile_text().unwrap();

    let out = h.run(&["state", "mv", "acme-eu", "Acme_EU"]).expect(64);
    assert!(
        out.stderr.starts_with(
            "error: invalid value 'Acme_EU' for '<NEW>': app names use lowercase letters, digits and '-', 1 to 63 characters, starting with a letter or a digit\n"
        ),
        "{}",
        out.stderr
    );
    let out = h.run(&["state", "mv", "acme-eu", "acme-prod"]).expect(1);
    let prod = h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"].clone();
    assert_eq!(
        out.stderr,
        format!(
            "error: `acme-prod` is already recorded in the lockfile `recallform.lock.json`, as the app `{}`\n  = hint: `recallform state rm acme-prod` forgets it first (the app stays in Recall)\n",
            prod.as_str().unwrap()
        )
    );
    let out = h.run(&["state", "mv", "acme-dev", "globex"]).expect(1);
    assert_eq!(
        out.stderr,
        "error: `acme-dev` is not recorded in the lockfile `recallform.lock.json`\n  = hint: it records `acme-eu`, `acme-prod`\n"
    );
    assert_eq!(h.lockfile_text().unwrap(), before);
}

#[test]
fn state_rm_forgets_an_app_the_next_plan_adopts_again_while_the_manifest_has_it() {
    let h = Harness::new();
    let (_, eu) = applied(&h);
    let requests = h.requests().len();

    let out = h.run(&["state", "rm", "acme-eu"]).expect(0);
    assert_eq!(
        out.stdout,
        format!("removed `acme-eu` from the lockfile; the app `{eu}` stays in Recall\n")
    );
    assert_eq!(
        out.stderr,
        format!(
            "the next plan adopts `{eu}` again if the manifest has an app with client_id `XyZ789`, and lists it as unmanaged otherwise\n"
        )
    );
    assert_eq!(h.requests().len(), requests, "rm sends nothing to Recall");
    assert_eq!(h.emulator.apps().len(), 2, "the app stays in Recall");
    let lock = h.lockfile();
    assert!(lock["zoom_oauth_apps"].get("acme-eu").is_none());
    assert_eq!(lock["serial"], 3, "two creates, then the rm");

    let plan = plan_json(&h);
    let change = &plan["changes"][0];
    assert_eq!(
        (&change["name"], &change["action"], &change["id"]),
        (&json!("acme-eu"), &json!("adopt"), &json!(eu))
    );
    assert_eq!(plan["summary"]["adopt"], 1);
    assert_eq!(plan["unmanaged"], json!([]));
}

#[test]
fn state_rm_of_an_app_gone_from_the_manifest_leaves_it_unmanaged() {
    let h = Harness::new();
    let (_, eu) = applied(&h);
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let plan = plan_json(&h);
    assert_eq!(plan["changes"][0]["name"], "acme-eu", "{plan}");
    assert_eq!(plan["changes"][0]["action"], "delete", "{plan}");

    h.run(&["state", "rm", "acme-eu"]).expect(0);
    let plan = plan_json(&h);
    assert_eq!(plan["summary"]["delete"], 0);
    assert_eq!(
        plan["unmanaged"],
        json!([{"id": eu, "kind": "account_level", "client_id": "XyZ789"}])
    );
    assert_eq!(plan["summary"]["adopt"], 0);
    assert_eq!(h.emulator.apps().len(), 2);
}

#[test]
fn state_unprotect_clears_protect_once() {
    let h = Harness::new();
    let prod = "11111111-2222-4333-8444-555555555555";
    handwritten_lockfile(&h, prod, "eu-1");

    let out = h.run(&["state", "unprotect", "acme-prod"]).expect(0);
    assert_eq!(
        out.stdout,
        format!("`acme-prod` (`{prod}`) is no longer protected: apply may delete or replace it\n")
    );
    let lock = h.lockfile();
    let entry = &lock["zoom_oauth_apps"]["acme-prod"];
    assert!(
        entry.get("protect").is_none(),
        "false is not written: {entry}"
    );
    assert_eq!(
        entry["deposed"],
        json!(["0b5f6a63-9d7e-4c55-a0bb-1a2b3c4d5e6f"])
    );
    assert_eq!(
        entry["secrets"],
        json!({"client_secret": "9f86d081884c7d659a2feaa0c55ad015"})
    );
    assert_eq!(lock["serial"], 8);
    assert_eq!(lock["lineage"], "5b0f7c1e-0000-4000-8000-000000000001");

    let written = h.lockfile_text().unwrap();
    let out = h.run(&["state", "unprotect", "acme-prod"]).expect(0);
    assert_eq!(
        out.stdout,
        "`acme-prod` was not protected; nothing changed\n"
    );
    assert_eq!(h.lockfile_text().unwrap(), written, "not rewritten");
    h.run(&["state", "unprotect", "acme-dev"]).expect(1);
    assert!(h.requests().is_empty());
}

#[test]
fn state_changes_wait_for_the_apply_lock() {
    let h = Harness::new();
    handwritten_lockfile(&h, "p", "e");
    let before = h.lockfile_text().unwrap();
    let held = recallform::apply_lock::ApplyLock::acquire(
        &h.path("recallform.lock.json"),
        Duration::ZERO,
        "recallform apply --auto-approve",
    )
    .unwrap();
    for args in [
        &["state", "mv", "acme-eu", "globex"][..],
        &["state", "rm", "acme-eu"],
        &["state", "unprotect", "acme-prod"],
        &["import", "acme-eu", "e"],
    ] {
        if args[0] == "import" {
            h.manifest(&[("acme-eu", "account_level", "XyZ789")]);
        }
        let out = h.run(args).expect(4);
        assert!(
            out.stderr
                .starts_with("error: another apply holds the lock `")
                && out
                    .stderr
                    .contains("`recallform apply --auto-approve` (pid "),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(h.lockfile_text().unwrap(), before);
    drop(held);
    h.run(&["state", "rm", "acme-eu", "--lock-timeout", "1"])
        .expect(0);
}

#[test]
fn the_lock_message_names_the_command_that_holds_it() {
    let h = Harness::new();
    handwritten_lockfile(&h, "p", "e");
    h.manifest(&[("acme-eu", "account_level", "XyZ789")]);
    let _held = recallform::apply_lock::ApplyLock::acquire(
        &h.path("recallform.lock.json"),
        Duration::ZERO,
        "recallform state rm acme-eu",
    )
    .unwrap();
    for args in [
        &["apply", "--auto-approve"][..],
        &["import", "acme-eu", "e"],
    ] {
        let out = h.run(args).expect(4);
        let start = format!(
            "error: another `state rm` holds the lock `recallform.lock.json.lock`: `recallform state rm acme-eu` (pid {} on ",
            std::process::id()
        );
        assert!(out.stderr.starts_with(&start), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.ends_with(
                ")\n  = hint: run again once it has finished, or pass `--lock-timeout SECONDS` to wait for it\n"
            ),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("another apply"), "{}", out.stderr);
    }
    assert!(h.requests().is_empty());
}
