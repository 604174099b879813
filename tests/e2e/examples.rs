//! The examples run as the README says: the multi-app example's one-liner, as written there,
//! against the sandbox.

use std::path::Path;

use crate::common::*;

/// The README's command that plans examples/multi-app in the sandbox: its variables and its
/// arguments after `cargo run --release --`.
fn readme_one_liner() -> (Vec<(String, String)>, Vec<String>) {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.ends_with("plan --sandbox -f examples/multi-app/recallform.yaml"))
        .expect("the README has the multi-app one-liner");
    let (env, command): (Vec<&str>, Vec<&str>) = line
        .split_whitespace()
        .partition(|w| w.contains('=') && !w.starts_with('-'));
    let args = command
        .strip_prefix(&["cargo", "run", "--release", "--"][..])
        .unwrap_or_else(|| panic!("not a `cargo run --release --` line: {line}"));
    let env = env
        .iter()
        .map(|w| {
            let (k, v) = w.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    (env, args.iter().map(|a| a.to_string()).collect())
}

/// Copies the example's committed files into `dir`, at the same relative paths.
fn copy_example(dir: &Path) {
    let src = repo_root().join("examples/multi-app");
    for rel in [
        "recallform.yaml",
        ".gitignore",
        "secrets/acme-prod-webhook-token",
        "secrets/globex-admin-client-secret",
        "secrets/globex-admin-webhook-token",
    ] {
        let to = dir.join("examples/multi-app").join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), to).unwrap();
    }
}

fn run(dir: &Path, env: &[(String, String)], args: &[String]) -> Outcome {
    let mut cmd = assert_cmd::Command::cargo_bin("recallform").unwrap();
    cmd.current_dir(dir)
        .env_remove("RECALL_API_KEY")
        .env_remove("RECALL_API_URL")
        .env_remove("RECALLFORM_ENV_ALLOW")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Outcome::of(cmd)
}

#[test]
fn the_multi_app_example_runs_as_the_readme_says() {
    let (env, args) = readme_one_liner();
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());

    let out = run(dir.path(), &env, &args).expect(0);
    assert_eq!(
        out.plan_line(),
        "Plan: 3 to create, 0 to adopt, 0 unchanged.",
        "{}",
        out.stdout
    );
    for name in ["acme-dev", "acme-prod", "globex-admin"] {
        assert!(
            out.stdout
                .contains(&format!("+ zoom_oauth_app \"{name}\" {{")),
            "{name}: {}",
            out.stdout
        );
    }
    let example = dir.path().join("examples/multi-app");
    assert!(
        !example.join("recallform.lock.json").exists(),
        "plan writes no lockfile"
    );

    // `apply --auto-approve` in place of `plan`, as the README goes on.
    let apply: Vec<String> = args
        .iter()
        .flat_map(|a| match a.as_str() {
            "plan" => vec!["apply".to_string(), "--auto-approve".to_string()],
            _ => vec![a.clone()],
        })
        .collect();
    let out = run(dir.path(), &env, &apply).expect(0);
    assert!(
        out.stdout
            .contains("Apply complete: 3 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 0 moved, 0 failed."),
        "{}",
        out.stdout
    );
    assert!(example.join("recallform.lock.json").exists());
    assert!(example.join(".recallform/sandbox.json").exists());
    let ignored = std::fs::read_to_string(example.join(".gitignore")).unwrap();
    for line in [
        ".recallform/",
        "recallform.lock.json",
        "*.lock.json.lock",
        "*.lock.json.journal",
    ] {
        assert!(ignored.lines().any(|l| l == line), "{line}: {ignored}");
    }
    let out = run(dir.path(), &env, &args).expect(0);
    assert!(out.stdout.starts_with("No changes."), "{}", out.stdout);
}

#[test]
fn the_example_secrets_are_clearly_fake() {
    let dir = repo_root().join("examples/multi-app/secrets");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("fake-") && text.trim_end().ends_with("-for-the-sandbox"),
            "{}: {text}",
            path.display()
        );
        files += 1;
    }
    assert_eq!(files, 3);
    let (env, _) = readme_one_liner();
    for (name, value) in env {
        assert!(
            value.starts_with("fake-") || name.ends_with("_CLIENT_ID"),
            "{name}={value}"
        );
    }
}
