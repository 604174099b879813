//! Runs the steps of examples/github-actions/recallform.yml, as written there, in the order
//! GitHub would (pull request, another push to it, merge, next pull request), against
//! `recallform sandbox serve`, with examples/multi-app/recallform.yaml as the repository's
//! manifest. `gh` is a stub that keeps the one comment; `git push` goes to a local bare repo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::Value;

use crate::common::{API_KEY, repo_root, serve_sandbox};

const GH_STUB: &str = r#"#!/usr/bin/env bash
# A stand-in for the GitHub CLI: remembers one pull-request comment.
set -eu
echo "gh $*" >> "$GH_STATE/calls"
if [ "$1" = api ] && [ "$2" = -X ]; then
  method=$3
  for a in "$@"; do case "$a" in body=@*) cp "${a#body=@}" "$GH_STATE/comment.md" ;; esac; done
  if [ "$method" = POST ]; then echo 4242 > "$GH_STATE/comment_id"; fi
  exit 0
fi
# Listing the comments with --jq: print the marked comment's id, if there is one.
if [ -f "$GH_STATE/comment_id" ] && head -n 1 "$GH_STATE/comment.md" | grep -q '^<!-- recallform:plan -->'; then
  cat "$GH_STATE/comment_id"
fi
"#;

struct Repo {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    remote: PathBuf,
    state: PathBuf,
    bin: PathBuf,
    workflow: Value,
    api_url: String,
    sandbox: Child,
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = self.sandbox.kill();
        let _ = self.sandbox.wait();
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let remote = tmp.path().join("remote.git");
        let state = tmp.path().join("gh");
        let bin = tmp.path().join("bin");
        for d in [&work, &state, &bin] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::copy(
            repo_root().join("examples/multi-app/recallform.yaml"),
            work.join("recallform.yaml"),
        )
        .unwrap();
        std::fs::write(
            work.join(".gitignore"),
            "secrets/\n.recallform/\n*.lock.json.lock\nplan.*\napply.txt\n",
        )
        .unwrap();
        std::fs::write(bin.join("gh"), GH_STUB).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(bin.join("gh"), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
        git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["add", "."]);
        git(
            &work,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "commit",
                "-qm",
                "manifest",
            ],
        );
        git(
            &work,
            &["remote", "add", "origin", remote.to_str().unwrap()],
        );
        git(&work, &["push", "-q", "origin", "main"]);

        let (sandbox, api_url) = serve_sandbox(API_KEY, &tmp.path().join("recall.json"));

        let text =
            std::fs::read_to_string(repo_root().join("examples/github-actions/recallform.yml"))
                .unwrap();
        let workflow: Value = serde_saphyr::from_str(&text).unwrap();
        Repo {
            _tmp: tmp,
            work,
            remote,
            state,
            bin,
            workflow,
            api_url,
            sandbox,
        }
    }

    /// What `${{ ... }}` expressions stand for in this run.
    fn expression(expr: &str, event: &str) -> String {
        let secrets: BTreeMap<&str, &str> = [
            ("secrets.RECALL_API_KEY", API_KEY),
            (
                "secrets.ACME_DEV_ZOOM_CLIENT_SECRET",
                "dev-client-secret-Xq1",
            ),
            (
                "secrets.ACME_DEV_ZOOM_WEBHOOK_SECRET",
                "dev-webhook-token-Xq2",
            ),
            (
                "secrets.ACME_PROD_ZOOM_CLIENT_SECRET",
                "prod-client-secret-Xq3",
            ),
            (
                "secrets.ACME_PROD_ZOOM_WEBHOOK_TOKEN",
                "prod-webhook-token-Xq4",
            ),
            (
                "secrets.GLOBEX_ADMIN_ZOOM_CLIENT_SECRET",
                "globex-client-secret-Xq5",
            ),
            (
                "secrets.GLOBEX_ADMIN_ZOOM_WEBHOOK_TOKEN",
                "globex-webhook-token-Xq6",
            ),
            ("vars.ACME_PROD_ZOOM_CLIENT_ID", "AcmeProdZoomClientId"),
            ("github.token", "ghs_test"),
            ("github.repository", "acme/zoom-apps"),
            ("github.event.pull_request.number", "17"),
        ]
        .into_iter()
        .collect();
        match expr {
            "github.event_name" => event.into(),
            e => secrets.get(e).map(|v| v.to_string()).unwrap_or_default(),
        }
    }

    fn substitute(text: &str, event: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closed expression") + start;
            out.push_str(&Self::expression(rest[start + 3..end].trim(), event));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Runs the step `id` of `job` with bash as GitHub does (`bash -e -o pipefail`); returns
    /// the step's outputs.
    fn step(&self, job: &str, id: &str, event: &str) -> BTreeMap<String, String> {
        let (out, outputs) = self.run_step(job, id, event);
        assert!(
            out.status.success(),
            "step `{id}` failed ({:?})\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        outputs
    }

    /// Runs the step like [`Repo::step`]; returns what it printed and its outputs, whether it
    /// succeeded or not. No step ever prints a secret.
    fn run_step(
        &self,
        job: &str,
        id: &str,
        event: &str,
    ) -> (std::process::Output, BTreeMap<String, String>) {
        let steps = self.workflow["jobs"][job]["steps"].as_array().unwrap();
        let step = steps
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("the workflow has no step `{id}` in job `{job}`"));
        let script = step["run"].as_str().unwrap();
        let outputs = self.state.join(format!("output-{id}"));
        let _ = std::fs::remove_file(&outputs);
        let path = format!(
            "{}:{}:{}",
            self.bin.display(),
            assert_cmd::cargo::cargo_bin("recallform")
                .parent()
                .unwrap()
                .display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            script,
        ])
        .current_dir(&self.work)
        .env_clear()
        .env("PATH", path)
        .env("HOME", self.state.parent().unwrap())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", self.state.join("summary.md"))
        .env("GH_STATE", &self.state)
        // The workflow talks to Recall; here Recall is the local sandbox.
        .env("RECALL_API_URL", &self.api_url);
        for scope in [
            &self.workflow["env"],
            &self.workflow["jobs"][job]["env"],
            &step["env"],
        ] {
            for (k, v) in scope.as_object().into_iter().flatten() {
                cmd.env(k, Self::substitute(v.as_str().unwrap(), event));
            }
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for secret in ["Xq1", "Xq2", "Xq3", "Xq4", "Xq5", "Xq6", API_KEY] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "step `{id}` printed a secret"
            );
        }
        let outputs = std::fs::read_to_string(&outputs)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (out, outputs)
    }

    fn comment(&self) -> String {
        std::fs::read_to_string(self.state.join("comment.md")).unwrap()
    }

    fn gh_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The pull-request phase: validate, plan, comment. Returns whether the plan had changes.
    fn pull_request(&self) -> bool {
        self.step("plan", "validate", "pull_request");
        self.step("plan", "file-secrets", "pull_request");
        let out = self.step("plan", "plan", "pull_request");
        self.step("plan", "comment", "pull_request");
        out["changes"] == "true"
    }
}

#[test]
fn the_example_workflow_from_pull_request_to_merge() {
    let repo = Repo::new();

    // A pull request adds the manifest: the comment shows three apps to create.
    assert!(repo.pull_request());
    let comment = repo.comment();
    assert!(
        comment.starts_with(
            "<!-- recallform:plan -->\n### recallform plan: 3 to create, 0 to adopt, 0 unchanged\n"
        ),
        "{comment}"
    );
    assert!(
        comment.contains("| create | <code>globex-admin</code> | (new) | new app |"),
        "{comment}"
    );
    let calls = repo.gh_calls();
    assert!(
        calls
            .last()
            .unwrap()
            .starts_with("gh api -X POST repos/acme/zoom-apps/issues/17/comments"),
        "{calls:?}"
    );

    // Another push to the pull request updates the same comment.
    assert!(repo.pull_request());
    let calls = repo.gh_calls();
    assert!(
        calls
            .last()
            .unwrap()
            .starts_with("gh api -X PATCH repos/acme/zoom-apps/issues/comments/4242"),
        "{calls:?}"
    );
    assert_eq!(
        calls.iter().filter(|c| c.contains("-X POST")).count(),
        1,
        "still one comment"
    );

    // Merged: plan on main, save it, apply exactly that saved plan, commit the lockfile.
    repo.step("plan", "validate", "push");
    repo.step("plan", "file-secrets", "push");
    let planned = repo.step("plan", "plan", "push");
    assert_eq!(planned["changes"], "true");
    repo.step("apply", "apply-file-secrets", "push");
    repo.step("apply", "apply", "push");
    repo.step("apply", "commit-lockfile", "push");

    let log = git(&repo.remote, &["log", "--format=%s", "main"]);
    assert!(
        log.starts_with("recallform: record applied apps in recallform.lock.json\n"),
        "{log}"
    );
    let lock: Value =
        serde_json::from_str(&git(&repo.remote, &["show", "main:recallform.lock.json"])).unwrap();
    let apps = lock["zoom_oauth_apps"].as_object().unwrap();
    assert_eq!(
        apps.keys().collect::<Vec<_>>(),
        ["acme-dev", "acme-prod", "globex-admin"]
    );
    assert_eq!(apps["acme-prod"]["client_id"], "AcmeProdZoomClientId");
    assert_eq!(lock["api_url"], repo.api_url);
    let summary = std::fs::read_to_string(repo.state.join("summary.md")).unwrap();
    assert!(
        summary.contains("Apply complete: 3 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 0 moved, 0 failed."),
        "{summary}"
    );

    // The next pull request's plan is empty, and so is its comment.
    assert!(!repo.pull_request());
    let empty = "<!-- recallform:plan -->\n### recallform plan: no changes\n\nRecall matches the manifest (3 apps).\n";
    assert_eq!(repo.comment(), empty);

    // A hostile pull request points a client ID at a variable the plan step has (GH_STATE
    // stands for any variable of the runner) and at a file secret written for another app:
    // the workflow's allowlist and recallform's rules stop the plan, and no comment changes.
    let manifest = std::fs::read_to_string(repo.work.join("recallform.yaml")).unwrap();
    let hostile = manifest
        .replace(
            "client_id: AcmeDevZoomClientId",
            "client_id: {env: GH_STATE}",
        )
        .replace(
            "client_id: GlobexAdminZoomClientId",
            "client_id: {file: secrets/acme-prod-webhook-token}",
        );
    assert_ne!(hostile, manifest);
    std::fs::write(repo.work.join("recallform.yaml"), hostile).unwrap();
    let (out, _) = repo.run_step("plan", "validate", "pull_request");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("error[env-not-allowed]: `client_id` of `acme-dev` reads `GH_STATE`"),
        "{stderr}"
    );
    assert!(stderr.contains("error[secret-as-client-id]"), "{stderr}");
    repo.step("plan", "file-secrets", "pull_request");
    let (out, _) = repo.run_step("plan", "plan", "pull_request");
    assert!(!out.status.success());
    assert_eq!(
        repo.comment(),
        empty,
        "the comment still shows the last good plan"
    );
}
