//! A pull request's manifest can neither read nor reveal what it was not meant to.
//!
//! Each test is one way a manifest's author could try to get at the pipeline's secrets; each
//! asserts the exit code, the error code, that nothing was sent to Recall, and that the value
//! aimed at appears in no output. `every_artefact_is_free_of_every_secret` is the backstop: it
//! runs every attack and a normal workflow, then greps everything they left.

use std::path::Path;
use std::time::Duration;

use crate::common::*;

const HEAD: &str = "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n";

/// A value no test hands out on purpose: if it shows up anywhere, a defence failed.
const STOLEN: &str = "sk_live_SUPERSECRET_123";

/// What the pipeline's environment also holds, besides the harness's secrets.
fn pipeline_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ACME_CS", "acme-cs-value-9KqT"),
        ("GITHUB_TOKEN", "ghs_pipelineToken7Hx2"),
        ("ACME_PROD_ZOOM_CLIENT_ID", "AcmeProdClientId"),
    ]
}

/// An app entry with the given raw YAML for its three credential fields.
fn entry(name: &str, client_id: &str, client_secret: &str, webhook_secret: &str) -> String {
    format!(
        "  {name}:\n    kind: user_level\n    client_id: {client_id}\n    client_secret: {client_secret}\n    webhook:\n      secret: {webhook_secret}\n"
    )
}

/// Runs recallform in `h`'s folder with the pipeline's environment and `RECALL_API_KEY` set to
/// [`STOLEN`], against the emulator.
fn run(h: &Harness, args: &[&str]) -> Outcome {
    let mut cmd = h.cmd(args);
    cmd.env("RECALL_API_KEY", STOLEN)
        .timeout(Duration::from_secs(20));
    for (k, v) in pipeline_env() {
        cmd.env(k, v);
    }
    Outcome::of(cmd)
}

/// Asserts exit 1 with `code` at `at` (`file:line:col`), no request to Recall, and none of
/// `values` in stdout or stderr (at `-vv`).
fn refused(h: &Harness, args: &[&str], code: &str, at: &str, values: &[&str]) -> Outcome {
    let mut args = args.to_vec();
    args.push("-vv");
    let out = run(h, &args).expect(1);
    assert!(
        out.stderr.contains(&format!("error[{code}]")),
        "expected {code}:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("--> {at}")),
        "expected the location {at}:\n{}",
        out.stderr
    );
    for v in values {
        assert!(!out.stdout.contains(v), "stdout shows {v}:\n{}", out.stdout);
        assert!(!out.stderr.contains(v), "stderr shows {v}:\n{}", out.stderr);
    }
    assert!(h.requests().is_empty(), "{:?}", h.requests());
    assert!(h.lockfile_text().is_none());
    out
}

/// The attack of the issue, as a pull request's author would write it, on the sandbox.
#[test]
fn the_reported_exfiltration_fails_with_clear_errors() {
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            entry(
                "evil",
                "{env: RECALL_API_KEY}",
                "{env: ACME_CS}",
                "{file: /etc/hostname}"
            )
        ),
    );
    let mut cmd = h.bare(&["plan", "--sandbox", "--format", "markdown"]);
    cmd.env("RECALL_API_KEY", STOLEN)
        .env("ACME_CS", "acme-cs-value");
    let out = Outcome::of(cmd).expect(1);
    assert_eq!(out.stdout, "", "no comment body is produced");
    assert_eq!(
        out.stderr,
        "error[api-key-reference]: `client_id` of `evil` reads `RECALL_API_KEY`, which holds the Recall API key\n  \
         --> recallform.yaml:7:16\n   \
         |\n \
         7 |     client_id: {env: RECALL_API_KEY}\n   \
         |                ^^^^^^^^^^^^^^^^^^^^^\n  \
         = hint: the API key is read as `recall.api_key` only; give this field a variable of its own\n\n\
         error[file-outside-manifest]: `webhook.secret` of `evil` reads `/etc/hostname`, which is outside the manifest's folder\n  \
         --> recallform.yaml:10:15\n   \
         |\n\
         10 |       secret: {file: /etc/hostname}\n   \
         |               ^^^^^^^^^^^^^^^^^^^^^\n  \
         = hint: `file` paths are relative to the manifest's folder and stay inside it; a trusted pipeline can lift this with `--allow-external-files`\n\n\
         error: 2 problems in `recallform.yaml`\n"
    );
    assert!(
        !h.path(".recallform").exists(),
        "refused before the sandbox started"
    );
    // `validate`, which fork pull requests run, says the same offline.
    let out = run(&h, &["validate"]).expect(1);
    assert!(
        out.stderr.contains("error[api-key-reference]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("error[file-outside-manifest]"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_app_field_reads_the_api_keys_variable() {
    for (field_at, yaml) in [
        (
            "recallform.yaml:8:20",
            entry("evil", "cid", "{env: RECALL_API_KEY}", "{env: ACME_CS}"),
        ),
        (
            "recallform.yaml:10:15",
            entry("evil", "cid", "{env: ACME_CS}", "{env: RECALL_API_KEY}"),
        ),
    ] {
        let h = Harness::new();
        h.write("recallform.yaml", &format!("{HEAD}{yaml}"));
        refused(&h, &["plan"], "api-key-reference", field_at, &[STOLEN]);
    }
    // The variable `recall.api_key` names is protected the same way.
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "version: 1\nrecall:\n  region: us-east-1\n  api_key: {{env: ACME_CS}}\nzoom_oauth_apps:\n{}",
            entry("evil", "{env: ACME_CS}", "{env: GITHUB_TOKEN}", "{env: GITHUB_TOKEN}")
        ),
    );
    refused(
        &h,
        &["validate"],
        "api-key-reference",
        "recallform.yaml:8:16",
        &["acme-cs-value-9KqT"],
    );
}

#[test]
fn the_allowlist_refuses_every_other_variable_before_reading_or_sending() {
    let h = Harness::new();
    let ok = app("acme-prod", "user_level", "AbC123xyz");
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{ok}{}",
            entry("evil", "cid-evil", "{env: ACME_CS}", "{env: GITHUB_TOKEN}")
        ),
    );
    let out = refused(
        &h,
        &[
            "plan",
            "--env-allow",
            "ACME_PROD_*",
            "--env-allow",
            "NOTHING_ELSE",
        ],
        "env-not-allowed",
        "recallform.yaml:14:20",
        &["acme-cs-value-9KqT", "ghs_pipelineToken7Hx2"],
    );
    assert!(
        out.stderr.contains(
            "error[env-not-allowed]: `client_secret` of `evil` reads `ACME_CS`, which this run does not allow (allowed: `ACME_PROD_*`, `NOTHING_ELSE`)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--> recallform.yaml:16:15"),
        "the webhook secret is reported too:\n{}",
        out.stderr
    );
    // The same list from the environment, comma-separated; validate refuses it offline too.
    let mut cmd = h.cmd(&["validate"]);
    cmd.env("RECALLFORM_ENV_ALLOW", "ACME_PROD_*,NOTHING_ELSE");
    let out = Outcome::of(cmd).expect(1);
    assert_eq!(out.stderr.matches("error[env-not-allowed]").count(), 2);
    // Without the intruder, the same allowlist lets the plan through.
    h.write("recallform.yaml", &format!("{HEAD}{ok}"));
    let mut cmd = h.cmd(&["plan"]);
    cmd.env("RECALLFORM_ENV_ALLOW", "ACME_PROD_*");
    let out = Outcome::of(cmd).expect(0);
    assert_eq!(
        out.plan_line(),
        "Plan: 1 to create, 0 to adopt, 0 unchanged."
    );
    // A pattern that is not a variable pattern is a usage error.
    let out = h.run(&["validate", "--env-allow", "ACME-*"]).expect(64);
    assert!(
        out.stderr
            .contains("`ACME-*` is not a variable name pattern"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_manifest_cannot_set_its_own_allowlist() {
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "version: 1\nrecall:\n  region: us-east-1\nenv_allow: ['*']\nzoom_oauth_apps:\n{}",
            app("acme-prod", "user_level", "AbC123xyz")
        ),
    );
    let out = refused(
        &h,
        &["plan", "--env-allow", "NONE"],
        "unknown-key",
        "recallform.yaml:4:1",
        &[],
    );
    assert!(
        out.stderr.contains("unknown key `env_allow`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_client_id_never_carries_a_secret() {
    // By value: another variable holding the same value as a secret.
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            entry(
                "evil",
                "{env: EVIL_ID}",
                "{env: ACME_PROD_CLIENT_SECRET}",
                "{env: ACME_CS}"
            )
        ),
    );
    let secret = client_secret("acme-prod");
    let mut cmd = h.cmd(&["plan", "--format", "markdown", "-vv"]);
    cmd.env("EVIL_ID", &secret)
        .env("ACME_CS", "x-acme-cs-value");
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr.contains(
            "error[secret-as-client-id]: the `client_id` of `evil` has the value of the `client_secret` of `evil`; neither is shown\n  --> recallform.yaml:7:16"
        ),
        "{}",
        out.stderr
    );
    assert_no_secret("stderr", &out.stderr);
    assert_eq!(out.stdout, "");
    assert!(h.requests().is_empty());

    // By value, against the API key held in another variable.
    let mut cmd = h.cmd(&["plan"]);
    cmd.env("EVIL_ID", API_KEY)
        .env("ACME_CS", "x-acme-cs-value");
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr
            .contains("the `client_id` of `evil` has the value of the Recall API key"),
        "{}",
        out.stderr
    );
    assert_no_secret("stderr", &out.stderr);
    assert!(h.requests().is_empty());

    // By source: a secret's own reference, or a variable or file named as a secret.
    for (client_id, at) in [
        ("{env: ACME_CS}", "recallform.yaml:7:16"),
        ("{env: GITHUB_TOKEN}", "recallform.yaml:7:16"),
        (
            "{file: secrets/globex-admin-client-secret}",
            "recallform.yaml:7:16",
        ),
    ] {
        let h = Harness::new();
        h.write(
            "secrets/globex-admin-client-secret",
            "zcs-globex-admin-in-a-file\n",
        );
        h.write(
            "recallform.yaml",
            &format!(
                "{HEAD}{}",
                entry(
                    "evil",
                    client_id,
                    "{env: ACME_CS}",
                    "{env: ACME_PROD_WEBHOOK_SECRET}"
                )
            ),
        );
        refused(
            &h,
            &["plan"],
            "secret-as-client-id",
            at,
            &[
                "acme-cs-value-9KqT",
                "ghs_pipelineToken7Hx2",
                "zcs-globex-admin-in-a-file",
            ],
        );
    }
    // A client ID from a variable of its own is fine.
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            entry(
                "acme-prod",
                "{env: ACME_PROD_ZOOM_CLIENT_ID}",
                "{env: ACME_PROD_CLIENT_SECRET}",
                "{env: ACME_PROD_WEBHOOK_SECRET}"
            )
        ),
    );
    let mut cmd = h.cmd(&["plan", "--env-allow", "ACME_PROD_*"]);
    cmd.env("ACME_PROD_ZOOM_CLIENT_ID", "AcmeProdClientId");
    let out = Outcome::of(cmd).expect(0);
    assert!(
        out.stdout.contains("\"AcmeProdClientId\""),
        "{}",
        out.stdout
    );
}

/// A file outside the manifest's folder, with a distinctive value.
fn outside_file(value: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stolen-file");
    std::fs::write(&path, value).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn files_stay_inside_the_manifests_folder() {
    let (_outside, abs) = outside_file("outside-file-value-4Rw");
    let cases = [
        ("absolute", format!("{{file: '{abs}'}}")),
        ("dot-dot", "{file: secrets/../../stolen-file}".to_string()),
    ];
    for (what, reference) in cases {
        let h = Harness::new();
        h.write(
            "recallform.yaml",
            &format!(
                "{HEAD}{}",
                entry(
                    "evil",
                    &reference,
                    "{env: ACME_PROD_CLIENT_SECRET}",
                    &reference
                )
            ),
        );
        let out = refused(
            &h,
            &["plan"],
            "file-outside-manifest",
            "recallform.yaml:7:16",
            &["outside-file-value-4Rw"],
        );
        assert_eq!(
            out.stderr.matches("error[file-outside-manifest]").count(),
            2,
            "{what}: {}",
            out.stderr
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_folder_is_refused_at_any_level() {
    let (outside, abs) = outside_file("outside-file-value-4Rw");
    // A symlinked file, and a symlinked folder with an ordinary name inside it.
    for (link, target, reference) in [
        ("secrets/hook", abs.clone(), "secrets/hook"),
        (
            "secrets/dir",
            outside.path().display().to_string(),
            "secrets/dir/stolen-file",
        ),
    ] {
        let h = Harness::new();
        std::fs::create_dir_all(h.path("secrets")).unwrap();
        std::os::unix::fs::symlink(&target, h.path(link)).unwrap();
        h.write(
            "recallform.yaml",
            &format!(
                "{HEAD}{}",
                entry(
                    "acme-prod",
                    "AbC123xyz",
                    "{env: ACME_PROD_CLIENT_SECRET}",
                    &format!("{{file: {reference}}}")
                )
            ),
        );
        // validate cannot see it (it reads no file); plan and apply refuse it when reading.
        run(&h, &["validate"]).expect(0);
        for cmd in [&["plan"][..], &["apply", "--auto-approve"]] {
            let out = refused(
                &h,
                cmd,
                "file-outside-manifest",
                "recallform.yaml:10:15",
                &["outside-file-value-4Rw"],
            );
            assert!(
                out.stderr.contains("leads through a symlink to"),
                "{}",
                out.stderr
            );
        }
        assert!(h.emulator.apps().is_empty());
    }
}

#[test]
fn external_files_only_with_allow_external_files() {
    let (_outside, abs) = outside_file("zws-external-R2d2\n");
    let h = Harness::new();
    let reference = format!("{{file: '{abs}'}}");
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            entry(
                "acme-prod",
                "AbC123xyz",
                "{env: ACME_PROD_CLIENT_SECRET}",
                &reference
            )
        ),
    );
    run(&h, &["plan"]).expect(1);
    assert!(h.requests().is_empty());
    h.run(&["apply", "--auto-approve", "--allow-external-files"])
        .expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].webhook_secret, "zws-external-R2d2");
}

#[cfg(unix)]
#[test]
fn secret_files_must_be_small_utf8_regular_files() {
    let h = Harness::new();
    let big = "a".repeat(64 * 1024 + 1);
    h.write("secrets/big", &big);
    std::fs::write(h.path("secrets/binary"), [0xde, 0xad, 0xbe, 0xef, 0xff]).unwrap();
    std::fs::create_dir_all(h.path("secrets/folder")).unwrap();
    let fifo = h.path("secrets/fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (file, why) in [
        ("secrets/big", "larger than 64 KiB"),
        ("secrets/binary", "not valid UTF-8"),
        ("secrets/folder", "not a regular file"),
        // Opening a FIFO would wait for a writer forever; `run` would time out.
        ("secrets/fifo", "not a regular file"),
    ] {
        h.write(
            "recallform.yaml",
            &format!(
                "{HEAD}{}",
                entry(
                    "acme-prod",
                    "AbC123xyz",
                    "{env: ACME_PROD_CLIENT_SECRET}",
                    &format!("{{file: {file}}}")
                )
            ),
        );
        let out = refused(
            &h,
            &["plan"],
            "unreadable-file",
            "recallform.yaml:10:15",
            &[],
        );
        assert!(out.stderr.contains(why), "{file}: {}", out.stderr);
    }
    // A device, even where external files are allowed.
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            entry(
                "acme-prod",
                "AbC123xyz",
                "{env: ACME_PROD_CLIENT_SECRET}",
                "{file: /dev/zero}"
            )
        ),
    );
    let out = refused(
        &h,
        &["plan", "--allow-external-files"],
        "unreadable-file",
        "recallform.yaml:10:15",
        &[],
    );
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
}

#[test]
fn base_url_cannot_send_the_key_elsewhere() {
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "version: 1\nrecall:\n  base_url: https://collector.attacker.example\nzoom_oauth_apps:\n{}",
            app("acme-prod", "user_level", "AbC123xyz")
        ),
    );
    // No --api-url: the manifest alone decides where the key would go.
    let out = Outcome::of(h.bare(&["plan"])).expect(1);
    assert!(
        out.stderr.contains("error[invalid-base-url]: `base_url` points at `collector.attacker.example`, which is neither Recall"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--> recallform.yaml:3:13"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty());
    // `export` will not write a manifest that names such a host either; it asks no one.
    let out = Outcome::of(h.bare(&[
        "export",
        "--api-url",
        "https://proxy.corp.example",
        "--out",
        "exported",
    ]))
    .expect(64);
    assert!(
        out.stderr.contains("a manifest may point only at Recall (`https://<region>.recall.ai`) or a loopback address, not at `https://proxy.corp.example`, so nothing was written"),
        "{}",
        out.stderr
    );
    assert!(!h.path("exported").exists());
    // Recall's own hosts and loopback stay fine.
    for url in ["https://eu-central-1.recall.ai", "https://api.recall.ai/"] {
        h.write(
            "recallform.yaml",
            &format!("version: 1\nrecall:\n  base_url: {url}\n"),
        );
        Outcome::of(h.bare(&["validate"])).expect(0);
    }
}

/// Stand-ins for every program a manifest might try to make recallform run: each leaves a
/// mark if it is ever started.
fn trap_path(h: &Harness) -> std::path::PathBuf {
    let bin = h.path("trap-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mark = h.path("executed");
    for name in [
        "sh", "bash", "dash", "zsh", "env", "cat", "touch", "curl", "wget", "git", "gpg", "op",
        "vault", "aws", "gcloud", "pass", "security", "python3", "node",
    ] {
        let script = bin.join(name);
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho {name} >> '{}'\n", mark.display()),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    bin
}

#[test]
fn no_reference_form_is_executed() {
    let h = Harness::new();
    let bin = trap_path(&h);
    let forms = [
        "{cmd: 'touch pwned'}",
        "{exec: 'touch pwned'}",
        "{command: [sh, -c, 'touch pwned']}",
        "{shell: 'touch pwned'}",
        "{env: '$(touch pwned)'}",
        "{file: '$(touch pwned)'}",
        "{file: '|touch pwned'}",
        "{file: '`touch pwned`'}",
        "'$(touch pwned)'",
        "!shell 'touch pwned'",
        "!!python/object/apply:os.system ['touch pwned']",
        "{env: 'X; touch pwned'}",
    ];
    for form in forms {
        let yaml = format!(
            "{HEAD}{}",
            entry("acme-prod", form, form, "{env: ACME_PROD_WEBHOOK_SECRET}")
        );
        h.write("recallform.yaml", &yaml);
        for args in [&["validate"][..], &["plan"], &["plan", "--sandbox"]] {
            let mut cmd = h.cmd(args);
            cmd.env("PATH", &bin).timeout(Duration::from_secs(20));
            let out = Outcome::of(cmd);
            // validate reads no file, so a strange but well-formed path passes it.
            let expected: &[i32] = if args == ["validate"] { &[0, 1] } else { &[1] };
            assert!(
                expected.contains(&out.code),
                "{form} with {args:?}: exit {}\n{}",
                out.code,
                out.stderr
            );
        }
    }
    // `show` renders a saved plan: a hostile one is text, never commands.
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    let text = std::fs::read_to_string(h.path("plan.json"))
        .unwrap()
        .replace("AbC123xyz", "$(touch pwned)`touch pwned`");
    h.write("plan.json", &text);
    for format in ["text", "json", "markdown"] {
        let mut cmd = h.cmd(&["show", "plan.json", "--format", format]);
        cmd.env("PATH", &bin);
        let out = Outcome::of(cmd).expect(0);
        assert!(out.stdout.contains("touch pwned"), "{}", out.stdout);
    }
    assert!(!h.path("pwned").exists(), "a command ran");
    assert!(!h.path("executed").exists(), "a program was started");
}

/// recallform's own code never starts a process: there is nothing a manifest could steer.
#[test]
fn recallform_never_spawns_a_process() {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in [
                    "process::Command",
                    "Command::new",
                    "tokio::process",
                    "execv",
                    "posix_spawn",
                    "libc::system",
                ] {
                    if text.contains(needle) {
                        found.push(format!("{}: {needle}", path.display()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo_root().join("src"), &mut found);
    assert!(found.is_empty(), "{found:#?}");
}

/// The backstop: every attack above and an ordinary workflow, then every byte they left (output
/// at `-vv`, the lockfile, saved plans, anything else in the folder) is searched for every
/// secret the test handed out, in the environment or in files.
#[cfg(unix)]
#[test]
fn every_artefact_is_free_of_every_secret() {
    let (outside, abs) = outside_file("outside-file-value-4Rw");
    let file_secrets = [
        (
            "secrets/acme-dev-webhook-token",
            "zws-acme-dev-from-file-P0o9",
        ),
        (
            "secrets/acme-dev-client-secret",
            "zcs-acme-dev-from-file-L8k7",
        ),
    ];
    let mut secrets: Vec<String> = all_secrets();
    secrets.extend(
        pipeline_env()
            .iter()
            .filter(|(k, _)| !k.ends_with("CLIENT_ID"))
            .map(|(_, v)| v.to_string()),
    );
    secrets.extend(file_secrets.iter().map(|(_, v)| v.to_string()));
    secrets.push(STOLEN.into());
    secrets.push("outside-file-value-4Rw".into());

    let h = Harness::new();
    for (file, value) in file_secrets {
        h.write(file, &format!("{value}\n"));
    }
    std::os::unix::fs::symlink(outside.path(), h.path("secrets/out")).unwrap();
    let good = format!(
        "{HEAD}{}{}",
        app("acme-prod", "user_level", "AbC123xyz"),
        entry(
            "acme-dev",
            "AcmeDevClientId",
            "{file: secrets/acme-dev-client-secret}",
            "{file: secrets/acme-dev-webhook-token}"
        )
    );
    let attacks = [
        entry(
            "evil",
            "{env: RECALL_API_KEY}",
            "{env: ACME_CS}",
            "{file: /etc/hostname}",
        ),
        entry(
            "evil",
            "{env: GITHUB_TOKEN}",
            "{env: ACME_CS}",
            "{env: ACME_CS}",
        ),
        entry("evil", "{env: EVIL_ID}", "{env: ACME_CS}", "{env: ACME_CS}"),
        entry(
            "evil",
            "{file: secrets/acme-dev-client-secret}",
            "{env: ACME_CS}",
            "{env: ACME_CS}",
        ),
        entry(
            "evil",
            "{file: secrets/out/stolen-file}",
            "{env: ACME_CS}",
            "{env: ACME_CS}",
        ),
        entry(
            "evil",
            &format!("{{file: '{abs}'}}"),
            "{env: ACME_CS}",
            "{env: ACME_CS}",
        ),
        entry(
            "evil",
            "{file: ../stolen-file}",
            "{env: ACME_CS}",
            "{env: ACME_CS}",
        ),
    ];
    let mut outputs = Vec::new();
    let mut record = |out: Outcome| {
        outputs.push(out.stdout);
        outputs.push(out.stderr);
    };
    for attack in &attacks {
        h.write("recallform.yaml", &format!("{good}{attack}"));
        for args in [
            &["validate", "-vv"][..],
            &[
                "plan",
                "-vv",
                "--format",
                "markdown",
                "--out",
                "attack-plan.json",
            ],
            &[
                "plan",
                "-vv",
                "--format",
                "json",
                "--env-allow",
                "ACME_PROD_*",
            ],
            &["apply", "-vv", "--auto-approve", "--format", "json"],
        ] {
            let mut cmd = h.cmd(args);
            for (k, v) in pipeline_env() {
                cmd.env(k, v);
            }
            cmd.env("EVIL_ID", "acme-cs-value-9KqT")
                .env("RECALL_API_KEY", API_KEY);
            let out = Outcome::of(cmd);
            // Some attacks only show when a file is read, which validate never does.
            let expected: &[i32] = if args[0] == "validate" { &[0, 1] } else { &[1] };
            assert!(
                expected.contains(&out.code),
                "{attack} {args:?}:\n{}",
                out.stderr
            );
            record(out);
        }
    }
    assert!(
        h.writes().is_empty(),
        "an attack reached Recall: {:?}",
        h.writes()
    );
    // An ordinary run, every output format, at -vv.
    h.write("recallform.yaml", &good);
    for args in [
        &["validate", "-vv"][..],
        &["plan", "-vv", "--format", "markdown", "--out", "plan.json"],
        &["show", "plan.json", "--format", "json"],
        &["apply", "-vv", "plan.json"],
        &["plan", "-vv", "--format", "json"],
        &["state", "list"],
        &["state", "show", "acme-dev"],
    ] {
        let out = h.run(args);
        assert_eq!(out.code, 0, "{args:?}:\n{}", out.stderr);
        record(out);
    }
    assert_eq!(h.emulator.apps().len(), 2);

    let mut artefacts: Vec<(String, String)> = outputs
        .into_iter()
        .enumerate()
        .map(|(i, text)| (format!("output {i}"), text))
        .collect();
    let secret_files: Vec<_> = file_secrets.iter().map(|(f, _)| h.path(f)).collect();
    let mut stack = vec![h.path("")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_symlink() || secret_files.contains(&path) {
                continue;
            }
            // The sandbox keeps what it was sent, like Recall; this run used none.
            if meta.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                artefacts.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    assert!(
        artefacts
            .iter()
            .any(|(p, _)| p.ends_with("recallform.lock.json")),
        "the lockfile is searched"
    );
    assert!(artefacts.iter().any(|(p, _)| p.ends_with("plan.json")));
    for (what, text) in &artefacts {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} contains a secret:\n{text}"
            );
        }
    }
}

#[test]
fn a_plan_in_ci_without_an_allowlist_says_so() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let warning =
        "warning: no `--env-allow`: the manifest may read any environment variable of this job";
    let mut cmd = h.cmd(&["plan"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let out = Outcome::of(cmd).expect(0);
    assert!(out.stderr.starts_with(warning), "{}", out.stderr);
    let mut cmd = h.cmd(&["plan", "--env-allow", "ACME_PROD_*"]);
    cmd.env("CI", "true");
    let out = Outcome::of(cmd).expect(0);
    assert_eq!(out.stderr, "");
    // Outside CI, nothing.
    let out = h.run(&["plan"]).expect(0);
    assert_eq!(out.stderr, "");
}
