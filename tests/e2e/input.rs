//! Bad input: every manifest error is located, coded, exits 1 and sends no request; secrets
//! never leak; the committed schema matches the code and accepts every example.

use crate::common::*;

const HEAD: &str = "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n";

/// (what, manifest, code, line:column)
fn broken() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let ok = app("acme-prod", "user_level", "AbC123xyz");
    vec![
        (
            "syntax",
            format!("{HEAD}  acme-prod: {{kind: user_level\n"),
            "yaml-syntax",
            "",
        ),
        (
            "unknown key",
            format!("{HEAD}{ok}    colour: blue\n"),
            "unknown-key",
            "recallform.yaml:11:5",
        ),
        (
            "duplicate app name",
            format!("{HEAD}{ok}{}", app("acme-prod", "user_level", "Other")),
            "duplicate-key",
            "recallform.yaml:11:3",
        ),
        (
            "missing key",
            format!("{HEAD}  acme-prod:\n    kind: user_level\n"),
            "missing-key",
            "",
        ),
        (
            "wrong type",
            format!("{HEAD}  acme-prod:\n    kind: [a]\n"),
            "invalid-type",
            "recallform.yaml:6:11",
        ),
        (
            "version",
            format!("version: 2\nrecall: {{region: us-east-1}}\nzoom_oauth_apps:\n{ok}"),
            "unsupported-version",
            "recallform.yaml:1:10",
        ),
        (
            "region",
            format!("version: 1\nrecall: {{region: mars-1}}\nzoom_oauth_apps:\n{ok}"),
            "invalid-region",
            "recallform.yaml:2:18",
        ),
        (
            "no region",
            format!("version: 1\nrecall: {{}}\nzoom_oauth_apps:\n{ok}"),
            "missing-region",
            "recallform.yaml:2:9",
        ),
        (
            "plain http base_url",
            format!(
                "version: 1\nrecall: {{base_url: \"http://recall.example\"}}\nzoom_oauth_apps:\n{ok}"
            ),
            "invalid-base-url",
            "recallform.yaml:2:20",
        ),
        (
            "name",
            format!("{HEAD}{}", app("Acme_Prod", "user_level", "x")),
            "invalid-app-name",
            "recallform.yaml:5:3",
        ),
        (
            "kind",
            format!("{HEAD}{}", app("acme-prod", "user-level", "x")),
            "invalid-kind",
            "recallform.yaml:6:11",
        ),
        (
            "empty client_id",
            format!("{HEAD}{}", app("acme-prod", "user_level", "\"\"")),
            "invalid-client-id",
            "recallform.yaml:7:16",
        ),
        (
            "two apps, one client_id",
            format!("{HEAD}{ok}{}", app("acme-dev", "user_level", "AbC123xyz")),
            "duplicate-client-id",
            "recallform.yaml:13:16",
        ),
        (
            "literal secret",
            format!(
                "{HEAD}{}",
                ok.replace("{env: ACME_PROD_CLIENT_SECRET}", "plain-text-secret")
            ),
            "literal-secret",
            "recallform.yaml:8:20",
        ),
        (
            "bad reference",
            format!(
                "{HEAD}{}",
                ok.replace("{env: ACME_PROD_CLIENT_SECRET}", "{env: \"1X\"}")
            ),
            "invalid-reference",
            "recallform.yaml:8:20",
        ),
    ]
}

#[test]
fn every_invalid_manifest_exits_1_with_a_located_code_and_sends_nothing() {
    let h = Harness::new();
    for (what, yaml, code, at) in broken() {
        h.write("recallform.yaml", &yaml);
        for command in [&["validate"][..], &["plan"], &["apply", "--auto-approve"]] {
            let out = h.run(command);
            assert_eq!(out.code, 1, "{what}: {command:?}\n{}", out.stderr);
            assert!(
                out.stderr.contains(&format!("error[{code}]")),
                "{what}: expected {code}\n{}",
                out.stderr
            );
            assert!(
                out.stderr.contains(&format!(
                    "--> {}",
                    if at.is_empty() {
                        "recallform.yaml:"
                    } else {
                        at
                    }
                )),
                "{what}: expected at {at}\n{}",
                out.stderr
            );
            assert!(out.stdout.is_empty(), "{what}: {}", out.stdout);
        }
    }
    assert!(
        h.requests().is_empty(),
        "no request for an invalid manifest"
    );
    assert!(h.lockfile_text().is_none());
}

#[test]
fn validate_reports_every_problem_at_once() {
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "version: 1\nrecall: {{region: mars-1}}\nzoom_oauth_apps:\n{}{}",
            app("Bad_Name", "user-level", "x"),
            app("ok", "user_level", "x").replace("{env: OK_CLIENT_SECRET}", "literal"),
        ),
    );
    let out = h.run(&["validate"]).expect(1);
    let codes: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error[")?.split(']').next())
        .collect();
    assert_eq!(
        codes,
        [
            "invalid-region",
            "invalid-app-name",
            "invalid-kind",
            "duplicate-client-id",
            "literal-secret"
        ]
    );
    assert!(
        out.stderr
            .ends_with("error: 5 problems in `recallform.yaml`\n"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("literal\n"),
        "the literal secret itself is not echoed"
    );
}

#[test]
fn validate_reads_no_secret_and_no_network() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let mut cmd = h.bare(&["validate"]);
    cmd.env_clear().env("RECALL_API_URL", "http://127.0.0.1:9");
    let out = Outcome::of(cmd).expect(0);
    assert_eq!(out.stdout, "`recallform.yaml` is valid (1 app)\n");
}

#[test]
fn unreadable_references_are_reported_together_before_any_request() {
    let h = Harness::new();
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}  a:\n    kind: user_level\n    client_id: {{env: A_CLIENT_ID}}\n    client_secret: {{env: NOT_SET_ANYWHERE}}\n    webhook:\n      secret: {{file: secrets/missing}}\n"
        ),
    );
    h.write("secrets/empty", "\n");
    let out = h.run(&["plan"]).expect(1);
    assert!(
        out.stderr
            .contains("error[unset-env]: the environment variable `A_CLIENT_ID` is not set")
    );
    assert!(
        out.stderr
            .contains("error[unset-env]: the environment variable `NOT_SET_ANYWHERE` is not set")
    );
    assert!(out.stderr.contains("error[unreadable-file]"));
    assert!(out.stderr.contains("--> recallform.yaml:10:15"));

    let mut cmd = h.cmd(&["plan"]);
    cmd.env_remove("RECALL_API_KEY");
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            app("acme-prod", "user_level", "x")
                .replace("{env: ACME_PROD_CLIENT_SECRET}", "{file: secrets/empty}")
        ),
    );
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr
            .contains("error[unset-env]: the environment variable `RECALL_API_KEY` is not set"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("error[empty-secret]: `{file: secrets/empty}` is empty"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty());
}

#[test]
fn no_secret_reaches_output_or_the_lockfile() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "account_level", "Dev1"),
    ]);
    let mut seen = Vec::new();
    seen.push(h.run(&["validate"]));
    seen.push(h.run(&["plan"]));
    seen.push(h.run(&["plan", "--format", "json"]));
    // A Recall that echoes the request body in its error must not leak it either.
    h.emulator.inject(recallform::emulator::Fault::new(
        recallform::emulator::Route::Create,
        1,
        recallform::emulator::FaultKind::Status {
            status: 400,
            retry_after: None,
        },
    ));
    seen.push(h.run(&["apply", "--auto-approve"]));
    seen.push(h.run(&["apply", "--auto-approve"]));
    seen.push(h.run(&["plan", "--detailed-exitcode"]));
    assert_eq!(h.emulator.apps().len(), 2);
    for out in &seen {
        assert_no_secret("stdout", &out.stdout);
        assert_no_secret("stderr", &out.stderr);
    }
    assert_no_secret("the lockfile", &h.lockfile_text().unwrap());
    // And a secret is still shown as sensitive in the plan.
    assert!(seen[1].stdout.contains("client_secret  = (sensitive)"));
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let h = Harness::new();
    let generated = h.bare(&["schema"]).output().unwrap();
    assert!(generated.status.success());
    let committed =
        std::fs::read_to_string(repo_root().join("schema/recallform.schema.json")).unwrap();
    assert_eq!(
        String::from_utf8(generated.stdout).unwrap(),
        committed,
        "schema/recallform.schema.json is stale: run `cargo run -- schema > schema/recallform.schema.json`"
    );
}

#[test]
fn every_example_manifest_matches_the_schema_and_validates() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema/recallform.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut manifests = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("examples")).unwrap() {
        let path = entry.unwrap().path().join("recallform.yaml");
        if path.exists() {
            manifests.push(path);
        }
    }
    assert!(manifests.len() >= 2, "{manifests:?}");
    for path in manifests {
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        let out = Outcome::of({
            let mut c = assert_cmd::Command::cargo_bin("recallform").unwrap();
            c.arg("validate").arg("-f").arg(&path);
            c
        });
        assert_eq!(out.code, 0, "{}: {}", path.display(), out.stderr);
    }
    // The schema rejects what validate rejects, so editors flag it as the user types.
    for bad in [
        serde_json::json!({"version": 1, "recall": {"region": "mars-1"}}),
        serde_json::json!({"version": 1, "recall": {"region": "us-east-1"}, "zoom_oauth_apps": {"Bad_Name": {}}}),
        serde_json::json!({"version": 1, "recall": {"region": "us-east-1"}, "zoom_oauth_apps": {"a": {
            "kind": "user_level", "client_id": "x", "client_secret": "literal", "webhook": {"secret": {"env": "X"}}}}}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}
