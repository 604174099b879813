//! The README's "Setting up the Zoom side", followed from an empty folder on the sandbox: the
//! manifest is the one the guide shows, and each step's command runs as the guide says (with
//! `--sandbox`, as its rehearsal note says), so the guide cannot drift from the tool.

use std::path::Path;

use crate::common::{Outcome, repo_root};

/// The guide's section of the README.
fn guide() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("\n## Setting up the Zoom side\n")
        .expect("the guide");
    let rest = &readme[start + 1..];
    rest[..rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3)].to_string()
}

/// The first ```yaml block after `heading`.
fn yaml_after(text: &str, heading: &str) -> String {
    let at = text.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let block = &text[at..];
    let start = block.find("```yaml\n").unwrap() + 8;
    block[start..start + block[start..].find("```\n").unwrap()].to_string()
}

fn recallform(dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = assert_cmd::Command::from_std(std::process::Command::new(
        assert_cmd::cargo::cargo_bin("recallform"),
    ));
    cmd.current_dir(dir)
        .env_remove("RECALL_API_URL")
        .env_remove("RECALL_API_KEY")
        .env_remove("RECALLFORM_ENV_ALLOW")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .env("ACME_PROD_ZOOM_CLIENT_SECRET", "fake-guide-client-secret")
        .env("ACME_PROD_ZOOM_WEBHOOK_SECRET", "fake-guide-webhook-token")
        .args(args);
    Outcome::of(cmd)
}

#[test]
fn the_zoom_guide_runs_from_an_empty_folder_on_the_sandbox() {
    let guide = guide();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // 1. Start a manifest.
    recallform(dir, &["init"]).expect(0);
    // 3. Describe it: the manifest the guide shows replaces the starter.
    let manifest = yaml_after(&guide, "### 3. Describe it in the manifest");
    assert!(manifest.contains("zoom:"), "{manifest}");
    std::fs::write(dir.join("recallform.yaml"), &manifest).unwrap();

    // 4. It checks clean, strictly too: the guide's app is set up as Recall needs.
    for args in [&["validate"][..], &["validate", "--strict"]] {
        let out = recallform(dir, args).expect(0);
        assert_eq!(out.stdout, "`recallform.yaml` is valid (1 app)\n");
        assert_eq!(out.stderr, "");
    }

    // 5. Register it.
    let out = recallform(dir, &["plan", "--sandbox"]).expect(0);
    assert_eq!(
        out.plan_line(),
        "Plan: 1 to create, 0 to adopt, 0 unchanged."
    );
    recallform(dir, &["apply", "--sandbox", "--auto-approve"]).expect(0);

    // 6. The checklist: Zoom has not validated yet.
    let out = recallform(dir, &["zoom", "checklist", "--sandbox", "acme-prod"]).expect(0);
    assert!(
        out.stdout
            .contains("Features > Access > Event Subscription"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("warning: Zoom has never validated this app's webhook URL"),
        "{}",
        out.stdout
    );
    let out = recallform(dir, &["status", "--check", "--sandbox"]).expect(1);
    assert!(out.stdout.contains("validated:    never"), "{}", out.stdout);

    // 8. The webhook answers with the manifest's Secret Token (the sandbox records the probe
    // as a validation, as the guide warns Recall may).
    let out = recallform(dir, &["webhooks", "verify", "--sandbox"]).expect(0);
    assert!(
        out.stdout.contains("zoom_oauth_app.acme-prod: matches"),
        "{}",
        out.stdout
    );

    // 9. Done when `status --check` is green.
    let out = recallform(dir, &["status", "--check", "--sandbox"]).expect(0);
    assert!(
        out.stdout.ends_with("Status: 1 app, 0 need attention.\n"),
        "{}",
        out.stdout
    );
    for out in [&out.stdout, &out.stderr] {
        assert!(!out.contains("fake-guide-"), "a secret was printed:\n{out}");
    }
}
