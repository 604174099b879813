//! The pull-request workflow: saved plans and their staleness, comments, the apply lock, exit
//! codes, interrupts and automation output.

use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use recallform::apply_lock::ApplyLock;
use recallform::emulator::{Fault, FaultKind, Route};

use crate::common::*;

/// Waits until a background apply has read the lockfile and listed Recall's apps (the list
/// is logged once answered), so what the test does next happens during the apply.
fn wait_until_listed(h: &Harness) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !h.requests().iter().any(|r| r.method == "GET") {
        assert!(
            std::time::Instant::now() < deadline,
            "the apply never listed the apps"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn two_apps(h: &Harness) {
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
    ]);
}

#[test]
fn a_saved_plan_is_applied_exactly_and_without_asking() {
    let h = Harness::new();
    two_apps(&h);
    let planned = h
        .run(&["plan", "--out", "plan.json", "--detailed-exitcode"])
        .expect(2);
    assert!(planned.stderr.contains("saved the plan to `plan.json`"));
    let saved = std::fs::read_to_string(h.path("plan.json")).unwrap();
    assert_no_secret("the plan file", &saved);
    assert!(h.writes().is_empty(), "planning changes nothing");

    // No terminal and no --auto-approve: the review happened on the plan.
    let applied = h
        .run(&["apply", "plan.json", "--detailed-exitcode"])
        .expect(2);
    assert!(applied.stdout.contains(
        "Apply complete: 2 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 0 moved, 0 failed."
    ));
    assert_eq!(h.emulator.apps().len(), 2);
    assert_eq!(h.lockfile()["serial"], 2);

    // The same file again is stale now: the lockfile and Recall moved on.
    let again = h.run(&["apply", "plan.json"]).expect(4);
    assert!(
        again
            .stderr
            .contains("the plan `plan.json` is stale, so nothing was applied")
    );
    assert!(
        again
            .stderr
            .contains("the lockfile `recallform.lock.json` was created"),
        "{}",
        again.stderr
    );
    assert_eq!(h.emulator.apps().len(), 2);

    h.run(&["plan", "--out", "empty.json"]).expect(0);
    h.run(&["apply", "empty.json", "--detailed-exitcode"])
        .expect(0);
}

/// Plans to `plan.json`, lets `change` alter the world, and returns what `apply plan.json`
/// printed on stderr, after checking it refused with exit 4 and changed nothing.
fn stale_after(h: &Harness, change: impl FnOnce(&Harness)) -> String {
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    change(h);
    let apps = h.emulator.apps();
    let lock = h.lockfile_text();
    let out = h.run(&["apply", "plan.json"]).expect(4);
    assert_eq!(
        h.emulator.apps(),
        apps,
        "a stale plan changes nothing in Recall"
    );
    assert_eq!(h.lockfile_text(), lock, "nor in the lockfile");
    out.stderr
}

#[test]
fn a_plan_is_stale_when_the_lockfile_changed() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let err = stale_after(&h, |h| {
        let text = h
            .lockfile_text()
            .unwrap()
            .replace("\"serial\": 2", "\"serial\": 3");
        h.write("recallform.lock.json", &text);
    });
    assert!(
        err.contains("the lockfile `recallform.lock.json` changed (serial 3, was 2)"),
        "{err}"
    );
}

#[test]
fn a_plan_is_stale_when_recall_changed() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let gone = h.emulator.apps()[0].id.clone();
    let err = stale_after(&h, |h| {
        h.emulator.remove(&gone);
        h.emulator.seed("user_level", "made-by-hand");
    });
    assert!(
        err.contains(&format!("Recall's app `{gone}` was deleted")),
        "{err}"
    );
    assert!(err.contains("Recall has a new app"), "{err}");
}

#[test]
fn a_plan_is_stale_when_the_manifest_changed() {
    let h = Harness::new();
    two_apps(&h);
    let err = stale_after(&h, |h| {
        let text = std::fs::read_to_string(h.path("recallform.yaml")).unwrap();
        h.write(
            "recallform.yaml",
            &format!("# a comment is a change too\n{text}"),
        );
    });
    assert!(
        err.contains("the manifest `recallform.yaml` changed"),
        "{err}"
    );
}

#[test]
fn a_plan_is_stale_when_a_secret_changed() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    let mut cmd = h.cmd(&["apply", "plan.json"]);
    cmd.env("ACME_EU_WEBHOOK_SECRET", "rotated-Zp4Lq8");
    let out = Outcome::of(cmd).expect(4);
    assert!(
        out.stderr
            .contains("the value of `acme-eu.webhook_secret` changed"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("rotated-Zp4Lq8"));
    assert!(h.emulator.apps().is_empty());
}

#[test]
fn a_plan_is_stale_for_another_target() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    let other = h
        .runtime
        .block_on(recallform::emulator::Emulator::start(
            ([127, 0, 0, 1], 0).into(),
            Default::default(),
        ))
        .unwrap();
    let out = Outcome::of(h.bare(&["apply", "plan.json", "--api-url", &other.url()])).expect(4);
    assert!(
        out.stderr
            .contains(&format!("but this run targets `{}`", other.url())),
        "{}",
        out.stderr
    );
    assert!(other.apps().is_empty());
}

#[test]
fn zooms_validation_refreshes_do_not_make_a_plan_stale() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
        ("acme-dev", "user_level", "Dev1"),
    ]);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    // Zoom re-validates the webhook URL every few days; Recall records when.
    let app = h.emulator.apps()[0].clone();
    let url = format!(
        "{}/api/v2/zoom-oauth-apps/{}/webhook",
        h.emulator.url(),
        app.id
    );
    let body =
        serde_json::json!({"event": "endpoint.url_validation", "payload": {"plainToken": "t"}});
    let status = h
        .runtime
        .block_on(reqwest::Client::new().post(url).json(&body).send())
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_ne!(h.emulator.apps()[0].webhook_last_validation, None);
    h.run(&["apply", "plan.json"]).expect(0);
    assert_eq!(h.emulator.apps().len(), 3);
}

#[test]
fn show_renders_a_saved_plan_like_plan_does() {
    let h = Harness::new();
    two_apps(&h);
    h.emulator.seed("user_level", "unmanaged-one");
    for format in ["text", "json", "markdown"] {
        let plan = h
            .run(&["plan", "--format", format, "--out", "plan.json"])
            .expect(0);
        let shown = Outcome::of(h.bare(&["show", "plan.json", "--format", format])).expect(0);
        assert_eq!(shown.stdout, plan.stdout, "{format}");
    }
    let md = Outcome::of(h.bare(&["show", "plan.json", "--format", "markdown"]))
        .expect(0)
        .stdout;
    assert!(
        md.starts_with(
            "<!-- recallform:plan -->\n### recallform plan: 2 to create, 0 to adopt, 0 unchanged\n"
        ),
        "{md}"
    );
    assert!(md.contains("<code>unmanaged-one</code>"));
    h.write("notes.txt", "not a plan\n");
    let bad = Outcome::of(h.bare(&["show", "notes.txt"])).expect(1);
    assert!(
        bad.stderr.starts_with(
            "error: `notes.txt` is not a recallform plan this version can use: not JSON ("
        ),
        "{}",
        bad.stderr
    );
}

/// Issue 8, item 7: `recallform apply recallform.yaml` said "not JSON".
#[test]
fn apply_or_show_given_the_manifest_says_where_the_manifest_goes() {
    let h = Harness::new();
    two_apps(&h);
    let expected = "error: `recallform.yaml` is a manifest, not a saved plan: `apply FILE` and `show FILE` take a plan written by `recallform plan --out FILE`\n  = hint: the manifest goes with `-f`: `recallform plan -f recallform.yaml` shows what it would change, `recallform apply -f recallform.yaml` applies it\n";
    for command in ["apply", "show"] {
        let out = h.run(&[command, "recallform.yaml"]).expect(1);
        assert_eq!(out.stderr, expected, "{command}");
    }
    // Whatever its name: a YAML manifest is recognised by its content too.
    h.write(
        "prod.config",
        &std::fs::read_to_string(h.path("recallform.yaml")).unwrap(),
    );
    let out = h.run(&["apply", "prod.config"]).expect(1);
    assert!(
        out.stderr
            .starts_with("error: `prod.config` is a manifest, not a saved plan"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty() && h.lockfile_text().is_none());
}

#[test]
fn a_second_apply_is_refused_while_the_lock_is_held() {
    let h = Harness::new();
    two_apps(&h);
    let held = ApplyLock::acquire(
        &h.path("recallform.lock.json"),
        Duration::ZERO,
        "recallform apply (test)",
    )
    .unwrap();
    let out = h.run(&["apply", "--auto-approve"]).expect(4);
    assert!(
        out.stderr.contains("another apply holds the lock"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "`recallform apply (test)` (pid {}",
            std::process::id()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--lock-timeout"));
    assert!(h.requests().is_empty(), "refused before reading anything");

    // With a timeout, it waits for the holder to finish.
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        drop(held);
    });
    h.run(&["apply", "--auto-approve", "--lock-timeout", "10"])
        .expect(0);
    release.join().unwrap();
    assert_eq!(h.emulator.apps().len(), 2);
}

#[test]
fn two_concurrent_applies_create_each_app_once() {
    let h = Harness::new();
    two_apps(&h);
    h.emulator.inject(Fault::new(
        Route::Create,
        2,
        FaultKind::Delay(Duration::from_millis(1200)),
    ));
    let first = h
        .process(&["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_listed(&h);
    let second = h.run(&["apply", "--auto-approve"]).expect(4);
    assert!(
        second.stderr.contains("another apply holds the lock"),
        "{}",
        second.stderr
    );
    assert!(
        second
            .stderr
            .contains("`recallform apply --auto-approve --api-url"),
        "{}",
        second.stderr
    );
    let status = first.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(0));
    assert_eq!(h.emulator.apps().len(), 2);
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_lockfile_replaced_during_apply_blocks_it() {
    let h = Harness::new();
    two_apps(&h);
    h.emulator.inject(Fault::new(
        Route::Create,
        2,
        FaultKind::Delay(Duration::from_millis(800)),
    ));
    let child = h
        .process(&["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_listed(&h);
    // Someone writes another lockfile (another lineage) behind recallform's back.
    h.write(
        "recallform.lock.json",
        &format!(
            "{{\"api_url\": \"{}\", \"lineage\": \"someone-else\", \"serial\": 7, \"version\": 1, \"zoom_oauth_apps\": {{}}}}\n",
            h.emulator.url()
        ),
    );
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("was created by someone else; refusing to overwrite it"),
        "{stderr}"
    );
    assert!(
        h.lockfile_text().unwrap().contains("someone-else"),
        "their lockfile survived"
    );
}

#[test]
fn ctrl_c_finishes_what_is_in_flight_and_starts_nothing_more() {
    let h = Harness::new();
    h.manifest_of(6);
    h.emulator.inject(Fault::new(
        Route::Create,
        6,
        FaultKind::Delay(Duration::from_millis(1500)),
    ));
    let child = h
        .process(&["apply", "--auto-approve", "--parallelism", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_listed(&h);
    // The creates are sent right after the list; let them reach the emulator.
    std::thread::sleep(Duration::from_millis(300));
    let sent = StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the operations in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: interrupted: 2 operations finished and were recorded, 4 were not started"
        ),
        "{stderr}"
    );
    let created = h.emulator.apps();
    assert_eq!(
        created.len(),
        2,
        "the two in flight finished; no other started"
    );
    let lock = h.lockfile();
    assert_eq!(
        lock["zoom_oauth_apps"].as_object().unwrap().len(),
        2,
        "and both were recorded"
    );
    assert_eq!(
        stdout.matches("not started (interrupted)").count(),
        4,
        "{stdout}"
    );
    let plan = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(plan["summary"]["create"], 4, "the rest is still planned");
}

#[test]
fn apply_json_quiet_and_verbose() {
    let h = Harness::new();
    two_apps(&h);
    let out = h
        .run(&["apply", "--auto-approve", "--format", "json"])
        .expect(0);
    let doc = out.json();
    assert_eq!(doc["format_version"], 1);
    // Every action is counted (issue 8, item 1); `done`, `failed` and `skipped` stay.
    assert_eq!(
        doc["summary"],
        serde_json::json!({
            "done": 2, "failed": 0, "skipped": 0,
            "created": 2, "adopted": 0, "updated": 0, "replaced": 0, "deleted": 0,
            "moved": 0, "lockfile_only": 0,
        })
    );
    let results = doc["results"].as_array().unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme-eu", "acme-prod"], "by name");
    for r in results {
        let app = h
            .emulator
            .apps()
            .into_iter()
            .find(|a| a.id == r["id"])
            .expect("a real ID");
        assert_eq!(r["status"], "done");
        assert_eq!(r["action"], "create");
        assert_eq!(r["previous_id"], serde_json::Value::Null);
        assert_eq!(r["moved_from"], serde_json::Value::Null);
        assert_eq!(
            r["webhook_url"],
            format!(
                "{}/api/v2/zoom-oauth-apps/{}/webhook",
                h.emulator.url(),
                app.id
            )
        );
    }
    assert_eq!(doc["plan"]["summary"]["create"], 2);

    let quiet = h.run(&["plan", "-q"]).expect(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));

    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
        ("acme-dev", "user_level", "Dev1"),
    ]);
    let verbose = h.run(&["apply", "--auto-approve", "-v"]).expect(0);
    assert!(
        verbose.stderr.contains("GET http://127.0.0.1:"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose
            .stderr
            .contains("/api/v2/zoom-oauth-apps/ -> 201 Created in"),
        "{}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains("client_secret"),
        "-v shows no bodies"
    );

    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
        ("acme-dev", "user_level", "Dev1"),
        ("stark", "user_level", "Stark1"),
    ]);
    let debug = h.run(&["apply", "--auto-approve", "-vv"]).expect(0);
    assert!(
        debug.stderr.contains("authorization: Token (redacted)"),
        "{}",
        debug.stderr
    );
    assert!(
        debug.stderr.contains("\"client_secret\":\"(sensitive)\""),
        "{}",
        debug.stderr
    );
    assert!(debug.stderr.contains("idempotency-key: "));
    for out in [&verbose, &debug] {
        assert_no_secret("stderr", &out.stderr);
        assert_no_secret("stdout", &out.stdout);
    }
}

#[test]
fn every_exit_code() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["plan", "--detailed-exitcode"]).expect(2);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    h.run(&["apply", "plan.json", "--detailed-exitcode"])
        .expect(2);
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
    h.run(&["apply", "plan.json"]).expect(4);
    Outcome::of(h.bare(&["plan", "--bogus"])).expect(64);
    h.write("recallform.yaml", "version: 7\n");
    h.run(&["plan"]).expect(1);
    // 3, 5 and 130 have their own tests above and in faults.rs.
}

/// Issue 8, item 3: `cd /tmp && recallform apply /tmp/x/plan.json` failed with `cannot read
/// the manifest recallform.yaml`: the plan's paths were relative to the folder plan ran in.
#[test]
fn a_saved_plan_applies_from_any_folder() {
    let h = Harness::new();
    two_apps(&h);
    std::fs::create_dir(h.path("plans")).unwrap();
    h.run(&["plan", "--out", "plans/plan.json"]).expect(0);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(h.path("plans/plan.json")).unwrap()).unwrap();
    assert_eq!(saved["manifest"], "recallform.yaml", "as given, as before");
    assert_eq!(saved["manifest_from_plan"], "../recallform.yaml");
    assert_eq!(saved["lockfile_from_plan"], "../recallform.lock.json");

    // From an unrelated folder, by absolute path.
    let elsewhere = tempfile::tempdir().unwrap();
    let plan = h.path("plans/plan.json");
    let mut cmd = h.cmd(&["apply", plan.to_str().unwrap()]);
    cmd.current_dir(elsewhere.path());
    let out = Outcome::of(cmd).expect(0);
    assert!(
        out.stdout.contains("Apply complete: 2 created"),
        "{}",
        out.stdout
    );
    assert_eq!(h.emulator.apps().len(), 2);
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"].as_object().unwrap().len(),
        2,
        "recorded in the lockfile beside the manifest"
    );
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing written where apply ran"
    );

    // From the plan's own folder, by a relative path; a stale cause names the lockfile as
    // found from there.
    h.manifest(&[("acme-dev", "user_level", "Dev1")]);
    h.run(&["plan", "--out", "plans/next.json", "--allow-delete"])
        .expect(0);
    h.run(&["state", "rm", "acme-eu"]).expect(0);
    let mut cmd = h.cmd(&["apply", "next.json"]);
    cmd.current_dir(h.path("plans"));
    let out = Outcome::of(cmd).expect(4);
    assert_eq!(
        out.stderr,
        "error: the plan `next.json` is stale, so nothing was applied:\n  - the lockfile `../recallform.lock.json` changed (serial 3, was 2)\n  = hint: run `recallform plan -f ../recallform.yaml --out next.json` again, review it, and apply the new plan\n",
    );
}

/// Issue 8, item 3: a plan file from an older recallform (paths relative to the folder plan
/// ran in) still applies from that folder, and elsewhere the error says where the path came
/// from.
#[test]
fn an_older_plan_file_applies_from_its_folder_and_says_where_its_paths_come_from() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(h.path("plan.json")).unwrap()).unwrap();
    let fields = old.as_object_mut().unwrap();
    fields.remove("manifest_from_plan").unwrap();
    fields.remove("lockfile_from_plan").unwrap();
    h.write("plan.json", &serde_json::to_string_pretty(&old).unwrap());

    let elsewhere = tempfile::tempdir().unwrap();
    let plan = h.path("plan.json");
    let mut cmd = h.cmd(&["apply", plan.to_str().unwrap()]);
    cmd.current_dir(elsewhere.path());
    let out = Outcome::of(cmd).expect(1);
    assert_eq!(
        out.stderr,
        format!(
            "error: the manifest `recallform.yaml` recorded in the plan file `{}` is not at `recallform.yaml` in the current folder `{}`\n  = hint: this plan file was written by an older recallform, which recorded paths relative to the folder it ran in: apply it from that folder, or name the manifest with `-f PATH` (and the lockfile with `--lockfile PATH`)\n",
            plan.display(),
            elsewhere.path().canonicalize().unwrap().display()
        )
    );
    assert!(h.writes().is_empty() && h.lockfile_text().is_none());

    // `-f` says where the manifest is; the lockfile goes beside it, as the plan recorded.
    let manifest = h.path("recallform.yaml");
    let mut cmd = h.cmd(&[
        "apply",
        plan.to_str().unwrap(),
        "-f",
        manifest.to_str().unwrap(),
        "--lockfile",
        h.path("recallform.lock.json").to_str().unwrap(),
    ]);
    cmd.current_dir(elsewhere.path());
    Outcome::of(cmd).expect(0);
    assert_eq!(h.emulator.apps().len(), 2);
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

/// A plan file moved away from its manifest: the error names both places it looked.
#[test]
fn a_plan_file_moved_away_from_its_manifest_says_where_it_looked() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    let away = tempfile::tempdir().unwrap();
    let moved = away.path().join("plan.json");
    std::fs::rename(h.path("plan.json"), &moved).unwrap();
    let mut cmd = h.cmd(&["apply", moved.to_str().unwrap()]);
    cmd.current_dir(away.path());
    let out = Outcome::of(cmd).expect(1);
    let cwd = away.path().canonicalize().unwrap();
    assert!(
        out.stderr.starts_with(&format!(
            "error: the manifest `recallform.yaml` recorded in the plan file `{}` is not at `{}/",
            moved.display(),
            away.path().display(),
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "recallform.yaml` nor at `recallform.yaml` in the current folder `{}`\n  = hint: keep the plan file where it was written",
            cwd.display()
        )),
        "{}",
        out.stderr
    );
    assert!(h.writes().is_empty());

    // `-f` names the manifest; the lockfile, not there yet, goes beside it.
    let manifest = h.path("recallform.yaml");
    let mut cmd = h.cmd(&[
        "apply",
        moved.to_str().unwrap(),
        "-f",
        manifest.to_str().unwrap(),
    ]);
    cmd.current_dir(away.path());
    Outcome::of(cmd).expect(0);
    assert_eq!(h.emulator.apps().len(), 2);
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"].as_object().unwrap().len(),
        2
    );
    assert!(!away.path().join("recallform.lock.json").exists());
}

/// The stale plan's hint is a command that makes the same plan again: a sandbox plan's hint
/// said `recallform plan --out plan.json`, which plans against Recall itself.
#[test]
fn a_stale_sandbox_plans_hint_plans_the_sandbox_again() {
    let h = Harness::new();
    two_apps(&h);
    Outcome::of(h.bare(&[
        "plan",
        "--sandbox",
        "--target",
        "acme-eu",
        "--out",
        "plan.json",
    ]))
    .expect(0);
    let text = std::fs::read_to_string(h.path("recallform.yaml")).unwrap();
    h.write("recallform.yaml", &format!("# changed\n{text}"));
    let out = Outcome::of(h.bare(&["apply", "plan.json"])).expect(4);
    assert!(
        out.stderr.ends_with(
            "  = hint: run `recallform plan --sandbox --target acme-eu --out plan.json` again, review it, and apply the new plan\n"
        ),
        "{}",
        out.stderr
    );
}

/// `plan --out` said "apply exactly this plan" of a plan that apply refuses, or that does
/// nothing.
#[test]
fn the_saved_message_says_what_applying_the_plan_would_do() {
    let h = Harness::new();
    two_apps(&h);
    let out = h.run(&["plan", "--out", "plan.json"]).expect(0);
    assert_eq!(
        out.stderr,
        "saved the plan to `plan.json`; apply exactly this plan with `recallform apply plan.json`\n"
    );
    h.run(&["apply", "plan.json"]).expect(0);
    let out = h.run(&["plan", "--out", "plan.json"]).expect(0);
    assert_eq!(
        out.stderr,
        "saved the plan to `plan.json`; it has nothing to apply\n"
    );
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let out = h.run(&["plan", "--out", "plan.json"]).expect(0);
    assert_eq!(
        out.stderr,
        "saved the plan to `plan.json`, but `recallform apply plan.json` would refuse it (exit 3): it has blocked changes\n  = hint: plan again with the permissions the blocked changes name, review it, and apply that plan\n"
    );
    h.run(&["apply", "plan.json"]).expect(3);
}

#[test]
fn a_blocked_saved_plan_says_to_plan_again_with_the_permissions() {
    let h = Harness::new();
    h.manifest_of(2);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.manifest_of(1);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    let out = h.run(&["apply", "plan.json"]).expect(3);
    assert!(
        out.stderr.ends_with(
            "  - `acme-dev`: deleting needs `--allow-delete` or `policy: {allow_delete: true}` in the manifest\n  \
             = hint: a saved plan is applied exactly as it was made: add the permissions to `recallform plan --out plan.json`, review that plan, and apply it\n"
        ),
        "{}",
        out.stderr
    );
    // Applied from the manifest, the permissions go to apply itself.
    let out = h.run(&["apply", "--auto-approve"]).expect(3);
    assert!(
        out.stderr.ends_with(
            "  = hint: allow them with the options named above, or change the manifest\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(h.emulator.apps().len(), 2, "nothing was deleted");
}
