//! The command line as pipelines use it: confirmation, exit codes, targets, the sandbox.

use std::process::{Command as StdCommand, Stdio};

use crate::common::*;

#[test]
fn apply_without_a_terminal_or_auto_approve_changes_nothing() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let out = h.run(&["apply"]).expect(1);
    assert!(
        out.stderr
            .contains("refusing to apply without confirmation: stdin is not a terminal")
    );
    assert!(out.stderr.contains("--auto-approve"));
    assert!(
        out.stdout.contains("Plan: 1 to create"),
        "the plan is still shown"
    );
    assert!(h.writes().is_empty());
    assert!(h.emulator.apps().is_empty());
    assert!(h.lockfile_text().is_none());
}

#[test]
fn detailed_exitcode() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["plan"]).expect(0);
    h.run(&["plan", "--detailed-exitcode"]).expect(2);
    h.run(&["plan", "--detailed-exitcode", "--format", "json"])
        .expect(2);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
    // An error is 1, never mistaken for "changes".
    let mut cmd = h.cmd(&["plan", "--detailed-exitcode"]);
    cmd.env("RECALL_API_KEY", "nope");
    Outcome::of(cmd).expect(1);
    // Errors keep their own codes: the help must not say "1 on error" (issue 8, item 10).
    h.run(&["plan", "--detailed-exitcode", "--target", "nope"])
        .expect(64);
    h.manifest(&[]);
    h.run(&["apply", "--auto-approve", "--detailed-exitcode"])
        .expect(3);
    let help = |command: &str| {
        let out = Outcome::of(h.bare(&[command, "--help"])).expect(0).stdout;
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    assert!(
        help("plan").contains("--detailed-exitcode Exit 0 when there are no changes and 2 when there are, instead of 0 for both; errors exit as without it (1, or 64 for a wrong command line)"),
        "{}",
        help("plan")
    );
    assert!(
        help("apply").contains("--detailed-exitcode Exit 0 when there was nothing to do and 2 when changes were applied, instead of 0 for both; errors exit as without it (1, 3, 4, 5, 64 or 130: see the README's exit codes)"),
        "{}",
        help("apply")
    );
}

#[test]
fn usage_errors_exit_64() {
    let h = Harness::new();
    h.manifest(&[]);
    for args in [
        &["plan", "--format", "yaml"][..],
        &["frobnicate"],
        &["apply", "--parallelism", "0"],
        &[],
    ] {
        let out = Outcome::of(h.bare(args));
        assert_eq!(out.code, 64, "{args:?}: {}", out.stderr);
    }
    Outcome::of(h.bare(&["--help"])).expect(0);
    Outcome::of(h.bare(&["--version"])).expect(0);
    let out = h.run(&["plan", "--sandbox"]).expect(64);
    assert!(
        out.stderr
            .contains("`--sandbox` and `--api-url` name two different targets")
    );
    let out = Outcome::of(h.bare(&["plan", "--api-url", "http://recall.example"])).expect(64);
    assert!(
        out.stderr.contains("allowed only to loopback"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty());
}

#[test]
fn target_precedence_flag_then_env_then_manifest() {
    let h = Harness::new();
    // The manifest points at a closed port; the environment at the emulator.
    h.write(
        "recallform.yaml",
        "version: 1\nrecall:\n  base_url: http://127.0.0.1:9\n",
    );
    let mut cmd = h.bare(&["plan"]);
    cmd.env("RECALL_API_URL", h.emulator.url());
    Outcome::of(cmd).expect(0);
    assert_eq!(h.requests().len(), 1);
    // The flag beats the environment.
    let mut cmd = h.bare(&["plan", "--api-url", &h.emulator.url()]);
    cmd.env("RECALL_API_URL", "http://127.0.0.1:9");
    Outcome::of(cmd).expect(0);
    assert_eq!(h.requests().len(), 2);
}

#[test]
fn a_lockfile_for_another_recall_is_refused() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let text = h
        .lockfile_text()
        .unwrap()
        .replace(&h.emulator.url(), "https://eu-central-1.recall.ai");
    h.write("recallform.lock.json", &text);
    let seen = h.requests().len();
    let out = h.run(&["apply", "--auto-approve"]).expect(1);
    assert!(
        out.stderr
            .contains("records apps in `https://eu-central-1.recall.ai`, but this run targets"),
        "{}",
        out.stderr
    );
    assert_eq!(h.emulator.apps().len(), 1);
    assert_eq!(h.requests().len(), seen, "refused before any request");
}

#[test]
fn lockfile_path_can_be_chosen() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&[
        "apply",
        "--auto-approve",
        "--lockfile",
        "state/custom.lock.json",
    ])
    .expect(0);
    let text = std::fs::read_to_string(h.path("state/custom.lock.json")).unwrap();
    assert!(text.contains(&h.emulator.apps()[0].id));
    assert!(
        h.lockfile_text().is_none(),
        "the default path is not written"
    );
    h.run(&[
        "plan",
        "--detailed-exitcode",
        "--lockfile",
        "state/custom.lock.json",
    ])
    .expect(0);
}

#[test]
fn quickstart_on_the_sandbox_twice() {
    let h = Harness::new();
    let src = repo_root().join("examples/quickstart");
    for rel in [
        "recallform.yaml",
        "secrets/zoom-client-secret",
        "secrets/zoom-webhook-secret",
    ] {
        h.write(
            &format!("quickstart/{rel}"),
            &std::fs::read_to_string(src.join(rel)).unwrap(),
        );
    }
    let run = || {
        let mut cmd = h.bare(&[
            "apply",
            "--sandbox",
            "--auto-approve",
            "-f",
            "quickstart/recallform.yaml",
        ]);
        cmd.env_remove("RECALL_API_KEY");
        Outcome::of(cmd)
    };
    let first = run().expect(0);
    assert!(
        first
            .stdout
            .contains("Apply complete: 2 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 0 moved, 0 failed."),
        "{}",
        first.stdout
    );
    let second = run().expect(0);
    assert!(
        second.stdout.starts_with("No changes."),
        "{}",
        second.stdout
    );
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(h.path("quickstart/recallform.lock.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(lock["api_url"], "sandbox");
    assert_eq!(lock["serial"], 2);
    let id = lock["zoom_oauth_apps"]["acme-dev"]["id"].as_str().unwrap();
    assert_eq!(
        lock["zoom_oauth_apps"]["acme-dev"]["webhook_url"],
        format!("https://sandbox.recallform.invalid/api/v2/zoom-oauth-apps/{id}/webhook")
    );
    assert!(h.path("quickstart/.recallform/sandbox.json").exists());
    assert!(
        h.requests().is_empty(),
        "the sandbox is in-process, not the harness's emulator"
    );
}

#[test]
fn sandbox_serve_is_a_local_recall() {
    let h = Harness::new();
    let (mut child, url) = serve_sandbox("local-key", &h.path("state.json"));

    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let apply = |key: &str| {
        let mut cmd = h.bare(&["apply", "--auto-approve", "--api-url", &url]);
        cmd.env("RECALL_API_KEY", key);
        Outcome::of(cmd)
    };
    let denied = apply("wrong");
    let created = apply("local-key");
    let again = apply("local-key");
    child.kill().unwrap();
    let _ = child.wait();

    assert_eq!(denied.code, 1);
    assert!(denied.stderr.contains("401"), "{}", denied.stderr);
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert!(again.stdout.starts_with("No changes."));
    // Killed, the sandbox left its last changes in the state's journal.
    let state = recallform::emulator::read_state(&h.path("state.json")).unwrap();
    assert!(
        state.apps.values().any(|a| a.client_id == "AbC123xyz"),
        "the workspace was saved"
    );
}

/// Runs recallform on a pseudo-terminal (util-linux `script`, part of every Debian system),
/// typing `answer` at the prompt.
fn on_a_terminal(h: &Harness, args: &str, answer: &str, no_color: bool) -> Outcome {
    use std::io::Write;
    let bin = assert_cmd::cargo::cargo_bin("recallform");
    let line = format!("{} {args} --api-url {}", bin.display(), h.emulator.url());
    let mut cmd = StdCommand::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(h.dir.path())
        .env("RECALL_API_KEY", API_KEY)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    cmd.envs(secret_env());
    let mut child = cmd.spawn().unwrap();
    // Typed before the prompt appears, as a fast typist would; the terminal buffers it.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn apply_on_a_terminal_asks_and_only_yes_applies() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);

    let refused = on_a_terminal(&h, "apply", "no", false).expect(1);
    assert!(
        refused.stdout.contains("Only 'yes' will be accepted"),
        "{}",
        refused.stdout
    );
    assert!(
        refused
            .stdout
            .contains("apply cancelled; nothing was changed")
    );
    assert!(
        refused.stdout.contains("\x1b[32m+\x1b[0m"),
        "colour on a terminal"
    );
    assert!(h.emulator.apps().is_empty());
    assert!(h.lockfile_text().is_none());

    let accepted = on_a_terminal(&h, "apply", "yes", true).expect(0);
    assert!(!accepted.stdout.contains('\x1b'), "no colour with NO_COLOR");
    assert!(accepted.stdout.contains("Apply complete: 1 created"));
    assert_eq!(h.emulator.apps().len(), 1);
}

#[test]
fn a_terminal_shows_progress_for_many_operations() {
    let h = Harness::new();
    h.manifest_of(7);
    let out = on_a_terminal(&h, "apply", "yes", true).expect(0);
    assert!(out.stdout.contains("/7 operations"), "{}", out.stdout);
    assert_eq!(h.emulator.apps().len(), 7);

    // Five or fewer: no bar.
    let h = Harness::new();
    h.manifest_of(5);
    let out = on_a_terminal(&h, "apply", "yes", true).expect(0);
    assert!(!out.stdout.contains("operations"), "{}", out.stdout);
}
