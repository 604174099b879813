//! The manifest's diagnostics as a newcomer meets them (issue 8): the source line under each
//! problem with secrets masked, indentation mistakes named at the right line, suggestions for
//! typos, warnings, colour switches, and `validate --format json` for editors and CI.

use crate::common::*;

const HEAD: &str = "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n";

/// Writes `yaml` as the manifest and runs `args` on it.
fn run_on(h: &Harness, yaml: &str, args: &[&str]) -> Outcome {
    h.write("recallform.yaml", yaml);
    h.run(args)
}

/// An app whose `client_secret` line is `client_secret: <value>` (the value may span lines).
fn with_client_secret(value: &str) -> String {
    format!(
        "{HEAD}{}",
        app("acme-prod", "user_level", "AbC123xyz")
            .replace("{env: ACME_PROD_CLIENT_SECRET}", value)
    )
}

#[test]
fn issue_8_a_literal_secret_of_any_yaml_type_is_literal_secret_and_never_shown() {
    let h = Harness::new();
    let out = run_on(&h, &with_client_secret("31415926"), &["validate"]).expect(1);
    assert_eq!(
        out.stderr,
        "error[literal-secret]: `client_secret` is written in the manifest; secrets must be references\n  \
         --> recallform.yaml:8:20\n   \
         |\n \
         8 |     client_secret: (sensitive)\n   \
         |                    ^^^^^^^^^^^\n  \
         = hint: move the value out of the file (and out of git history) and write `{env: ACME_PROD_ZOOM_CLIENT_SECRET}` or `{file: secrets/acme-prod-zoom-client-secret}`\n\n\
         error: 1 problem in `recallform.yaml`\n"
    );

    // Every YAML type, in each of the three secret fields: the value never reaches the output.
    let values = [
        ("31415926", "31415926"),
        ("0x5eed", "5eed"),
        ("6.02e23", "6.02"),
        ("yes", "yes"),
        ("[hunter2, x]", "hunter2"),
        ("\"hunter2\"", "hunter2"),
        ("|\n      hunter2-block", "hunter2"),
        ("hunter2 # a comment", "hunter2"),
    ];
    for (value, shown) in values {
        let manifests = [
            with_client_secret(value),
            format!(
                "{HEAD}{}",
                app("acme-prod", "user_level", "AbC123xyz").replace(
                    "secret: {env: ACME_PROD_WEBHOOK_SECRET}",
                    &format!("secret: {}", value.replace("\n    ", "\n      "))
                )
            ),
            format!(
                "version: 1\nrecall:\n  region: us-east-1\n  api_key: {}\n",
                value.replace("\n      ", "\n    ")
            ),
        ];
        for yaml in &manifests {
            for args in [&["validate"][..], &["plan"]] {
                let out = run_on(&h, yaml, args).expect(1);
                assert!(
                    out.stderr.contains("error[literal-secret]: `"),
                    "{value}: {yaml}\n{}",
                    out.stderr
                );
                assert!(!out.stderr.contains("invalid-type"), "{}", out.stderr);
                assert!(
                    !out.stderr.contains(shown) && !out.stdout.contains(shown),
                    "{value} is shown:\n{}",
                    out.stderr
                );
                assert!(out.stderr.contains("(sensitive)"), "{}", out.stderr);
            }
        }
    }

    // No value at all says so, and still asks for a reference.
    let out = run_on(&h, &with_client_secret("~"), &["validate"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[literal-secret]: `client_secret` has no value; secrets must be references\n  --> recallform.yaml:8:20\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "  = hint: write `{env: ACME_PROD_ZOOM_CLIENT_SECRET}` or `{file: secrets/acme-prod-zoom-client-secret}`\n"
        ),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty());
}

#[test]
fn issue_8_a_client_id_that_yaml_reads_as_a_number_keeps_its_quote_hint() {
    let h = Harness::new();
    let yaml = format!("{HEAD}{}", app("acme-prod", "user_level", "0123"));
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert_eq!(
        out.stderr,
        "error[invalid-type]: YAML reads `0123` as a number, not text\n  \
         --> recallform.yaml:7:16\n   \
         |\n \
         7 |     client_id: 0123\n   \
         |                ^^^^\n  \
         = hint: quote it: `\"0123\"`\n\n\
         error: 1 problem in `recallform.yaml`\n"
    );
    let yaml = format!("{HEAD}{}", app("acme-prod", "user_level", "~"));
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert!(
        out.stderr
            .starts_with("error[invalid-client-id]: `client_id` of `acme-prod` is empty\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn issue_8_a_key_indented_between_two_levels_is_an_indentation_error_at_its_line() {
    let h = Harness::new();
    let ok = app("acme-prod", "user_level", "AbC123xyz");
    let yaml = format!("{HEAD}{}", ok.replace("    webhook:", "   webhook:"));
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert_eq!(
        out.stderr,
        "error[invalid-indentation]: `webhook` is indented by 3 spaces, which lines up with no key above it\n  \
         --> recallform.yaml:9:4\n   \
         |\n \
         9 |    webhook:\n   \
         |    ^^^^^^^\n  \
         = hint: indent it by 4 spaces to put it beside `client_secret` (inside `acme-prod`), or by 2 to put it beside `acme-prod`\n\n\
         error: 1 problem in `recallform.yaml`\n"
    );

    let yaml = format!("{HEAD}{}", ok.replace("    webhook:", "     webhook:"));
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[invalid-indentation]: `webhook` is indented by 5 spaces, deeper than `client_secret` above it, which already has a value\n  --> recallform.yaml:9:6\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("  = hint: indent it by 4 spaces to put it beside `client_secret`\n"),
        "{}",
        out.stderr
    );

    // The key under an empty key, at the same indentation.
    let yaml = format!(
        "{HEAD}{}",
        ok.replace("      secret: {env:", "    secret: {env:")
    );
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[invalid-indentation]: `secret` is not indented under `webhook`, so `webhook` has no value\n  --> recallform.yaml:10:5\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "  = hint: indent `secret` by more spaces than `webhook` (6, say) to put it inside `webhook`\n"
        ),
        "{}",
        out.stderr
    );

    // A tab.
    let yaml = format!("{HEAD}{}", ok.replace("    webhook:", "\twebhook:"));
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[invalid-indentation]: `webhook` is indented with a tab\n  --> recallform.yaml:9:1\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("  = hint: YAML indents with spaces only: replace the tab with spaces\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn issue_8_a_missing_key_is_reported_at_the_mapping_that_lacks_it() {
    let h = Harness::new();
    let yaml = format!(
        "{HEAD}  acme-prod:\n    kind: user_level\n    client_id: AbC123xyz\n    client_secret: hunter2-missing\n"
    );
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert_eq!(
        out.stderr,
        "error[missing-key]: the required key `webhook` is missing from `acme-prod`\n  \
         --> recallform.yaml:5:3\n   \
         |\n \
         5 |   acme-prod:\n   \
         |   ^^^^^^^^^\n  \
         = hint: add `webhook:` with `secret: {env: NAME}` indented under it\n\n\
         error: 1 problem in `recallform.yaml`\n"
    );
}

#[test]
fn issue_8_unknown_keys_kinds_and_regions_get_a_suggestion() {
    let h = Harness::new();
    let ok = app("acme-prod", "user_level", "AbC123xyz");
    let out = run_on(
        &h,
        &format!("{HEAD}{}", ok.replace("client_secret:", "client_secrte:")),
        &["validate"],
    )
    .expect(1);
    assert!(
        out.stderr.starts_with(
            "error[unknown-key]: unknown key `client_secrte`\n  --> recallform.yaml:8:5\n   |\n 8 |     client_secrte: {env: ACME_PROD_CLIENT_SECRET}\n   |     ^^^^^^^^^^^^^\n  = hint: did you mean `client_secret`?\n"
        ),
        "{}",
        out.stderr
    );
    // A typo'd secret key's literal value is masked like the right key's.
    let out = run_on(
        &h,
        &format!(
            "{HEAD}{}",
            ok.replace(
                "client_secret: {env: ACME_PROD_CLIENT_SECRET}",
                "client_secrte: hunter2"
            )
        ),
        &["validate"],
    )
    .expect(1);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    assert!(
        out.stderr.contains(" 8 |     client_secrte: (sensitive)\n"),
        "{}",
        out.stderr
    );

    // A key of another level says where it belongs.
    let out = run_on(
        &h,
        "version: 1\nregion: us-east-1\nrecall: {}\n",
        &["validate"],
    )
    .expect(1);
    assert!(
        out.stderr
            .contains("error[unknown-key]: unknown key `region`\n  --> recallform.yaml:2:1\n")
            && out
                .stderr
                .contains("  = hint: `region` belongs under `recall`; check its indentation\n"),
        "{}",
        out.stderr
    );

    let out = run_on(
        &h,
        &format!(
            "version: 1\nrecall:\n  region: us-east1\nzoom_oauth_apps:\n{}",
            app("acme-prod", "usr_level", "AbC123xyz")
        ),
        &["validate"],
    )
    .expect(1);
    assert!(
        out.stderr
            .contains("error[invalid-region]: unknown region `us-east1`\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("  = hint: did you mean `us-east-1`?\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("  = hint: did you mean `user_level`?\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn issue_9_a_malformed_reference_is_invalid_reference() {
    let h = Harness::new();
    for (value, message) in [
        (
            "{env: A, file: B}",
            "a reference has exactly one key, `env` or `file`; found another key `file`",
        ),
        ("{vault: x}", "`vault` is not a kind of reference"),
        ("{}", "an empty mapping is not a reference"),
    ] {
        let out = run_on(&h, &with_client_secret(value), &["validate"]).expect(1);
        assert!(
            out.stderr.starts_with(&format!(
                "error[invalid-reference]: {message}\n  --> recallform.yaml:8:20\n"
            )),
            "{value}:\n{}",
            out.stderr
        );
    }
    let out = run_on(&h, &with_client_secret("{evn: X}"), &["validate"]).expect(1);
    assert!(
        out.stderr.contains("  = hint: did you mean `env`?\n"),
        "{}",
        out.stderr
    );
    // The name or path is taken as written, even one YAML would read as a boolean or a number.
    let yaml = format!(
        "{HEAD}{}",
        app("acme-prod", "user_level", "AbC123xyz")
            .replace("{env: ACME_PROD_CLIENT_SECRET}", "{env: Y}")
            .replace("{env: ACME_PROD_WEBHOOK_SECRET}", "{file: 2024}")
    );
    h.write("recallform.yaml", &yaml);
    h.write("2024", "zws-from-a-file\n");
    let mut cmd = h.bare(&["plan", "--sandbox"]);
    cmd.env("Y", "zcs-from-y");
    let out = Outcome::of(cmd).expect(0);
    assert_eq!(
        out.plan_line(),
        "Plan: 1 to create, 0 to adopt, 0 unchanged."
    );
    // The value under a wrong key may be the secret itself: it is masked.
    let out = run_on(&h, &with_client_secret("{value: hunter2}"), &["validate"]).expect(1);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

#[test]
fn issue_8_no_manifest_hints_at_init_and_a_named_one_that_is_missing_says_so() {
    let h = Harness::new();
    let cwd = h.dir.path().canonicalize().unwrap();
    let out = h.run(&["validate"]).expect(1);
    assert_eq!(
        out.stderr,
        format!(
            "error[unreadable-manifest]: there is no manifest `recallform.yaml` in `{}`\n  \
             = hint: run `recallform init` to write a starter manifest, or pass the path of yours with `-f PATH`\n\n\
             error: 1 problem in `recallform.yaml`\n",
            cwd.display()
        )
    );
    let out = h.run(&["plan", "-f", "infra/recall.yaml"]).expect(1);
    assert_eq!(
        out.stderr,
        format!(
            "error[unreadable-manifest]: the manifest `infra/recall.yaml` does not exist\n  \
             = hint: `-f` paths are relative to the working folder, `{}`\n\n\
             error: 1 problem in `infra/recall.yaml`\n",
            cwd.display()
        )
    );
    std::fs::create_dir(h.path("infra")).unwrap();
    let out = h.run(&["validate", "-f", "infra"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[unreadable-manifest]: `infra` is a folder, not a manifest file\n  = hint: name a file with `-f`, for example `-f infra/recallform.yaml`\n"
        ),
        "{}",
        out.stderr
    );
    std::fs::write(h.path("recallform.yaml"), b"version: 1\n\xff\n").unwrap();
    let out = h.run(&["validate"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[unreadable-manifest]: the manifest `recallform.yaml` is not UTF-8 text\n  --> recallform.yaml:2:1\n  = hint: save it as UTF-8\n"
        ),
        "{}",
        out.stderr
    );
    let out = run_on(&h, "# nothing yet\n", &["validate"]).expect(1);
    assert!(
        out.stderr
            .starts_with("error[yaml-syntax]: the manifest is empty\n  --> recallform.yaml:1:1\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("  = hint: start it with `version: 1`, or run `recallform init --force` to write a starter manifest\n"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn issue_8_a_non_utf8_variable_is_set_but_not_utf8_and_the_folder_hint_is_for_missing_files() {
    use std::os::unix::ffi::OsStrExt;
    let h = Harness::new();
    let yaml = format!(
        "{HEAD}{}",
        app("acme-prod", "user_level", "AbC123xyz")
            .replace("{env: ACME_PROD_WEBHOOK_SECRET}", "{file: hook/token}")
    );
    h.write("recallform.yaml", &yaml);
    h.write("hook", "a file, not a folder");
    let mut cmd = h.cmd(&["plan"]);
    cmd.env(
        "ACME_PROD_CLIENT_SECRET",
        std::ffi::OsStr::from_bytes(b"zcs-\xff-not-utf8"),
    );
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr.contains(
            "error[unset-env]: the environment variable `ACME_PROD_CLIENT_SECRET` is set, but its value is not valid UTF-8\n"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not-utf8"), "{}", out.stderr);
    assert!(
        out.stderr.contains("error[unreadable-file]"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("relative to the manifest's folder"),
        "the path was found; the hint is for a missing file\n{}",
        out.stderr
    );
    std::fs::remove_file(h.path("hook")).unwrap();
    let out = h.run(&["plan"]).expect(1);
    assert!(
        out.stderr
            .contains("  = hint: `file` paths are relative to the manifest's folder\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn issue_8_a_placeholder_client_id_warns_in_validate_and_stops_plan_but_not_the_sandbox() {
    let h = Harness::new();
    let yaml = format!(
        "{HEAD}{}",
        app("acme-prod", "user_level", "REPLACE_WITH_ZOOM_CLIENT_ID")
    );
    let out = run_on(&h, &yaml, &["validate"]).expect(0);
    assert_eq!(
        out.stdout,
        "`recallform.yaml` is valid (1 app), with 1 warning\n"
    );
    assert_eq!(
        out.stderr,
        "warning[placeholder-client-id]: `client_id` of `acme-prod` is the placeholder `REPLACE_WITH_ZOOM_CLIENT_ID`\n  \
         --> recallform.yaml:7:16\n   \
         |\n \
         7 |     client_id: REPLACE_WITH_ZOOM_CLIENT_ID\n   \
         |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  \
         = hint: write your Zoom app's Client ID here (Zoom App Marketplace > your app > App Credentials); `plan` and `apply` refuse a placeholder, and `--sandbox` tries the manifest without a Recall account\n\n"
    );
    // `-q` keeps validate quiet unless something is wrong.
    let out = h.run(&["validate", "-q"]).expect(0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));

    for args in [&["plan"][..], &["apply", "--auto-approve"]] {
        let out = h.run(args).expect(1);
        assert!(
            out.stderr.starts_with(
                "error[placeholder-client-id]: `client_id` of `acme-prod` is the placeholder `REPLACE_WITH_ZOOM_CLIENT_ID`\n  --> recallform.yaml:7:16\n"
            ),
            "{args:?}\n{}",
            out.stderr
        );
        assert!(
            out.stderr
                .ends_with("error: 1 problem in `recallform.yaml`\n"),
            "{}",
            out.stderr
        );
    }
    assert!(h.requests().is_empty(), "{:?}", h.requests());
    // It is reported with the other problems, not after them.
    let mut cmd = h.cmd(&["plan"]);
    cmd.env_remove("ACME_PROD_CLIENT_SECRET");
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr.contains("error[placeholder-client-id]")
            && out.stderr.contains("error[unset-env]"),
        "{}",
        out.stderr
    );
    // Read from a variable, it is refused as well.
    let yaml = format!(
        "{HEAD}{}",
        app("acme-prod", "user_level", "{env: ACME_PROD_ZOOM_CLIENT_ID}")
    );
    h.write("recallform.yaml", &yaml);
    let mut cmd = h.cmd(&["plan"]);
    cmd.env("ACME_PROD_ZOOM_CLIENT_ID", "REPLACE_WITH_ZOOM_CLIENT_ID");
    let out = Outcome::of(cmd).expect(1);
    assert!(
        out.stderr.contains("error[placeholder-client-id]"),
        "{}",
        out.stderr
    );

    // The sandbox is the place to try a manifest before there is a Zoom app.
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            app("acme-prod", "user_level", "REPLACE_WITH_ZOOM_CLIENT_ID")
        ),
    );
    let out = Outcome::of(h.bare(&["plan", "--sandbox"])).expect(0);
    assert_eq!(
        out.plan_line(),
        "Plan: 1 to create, 0 to adopt, 0 unchanged."
    );
}

#[test]
fn issue_8_validate_format_json_lists_the_diagnostics_for_programs() {
    let h = Harness::new();
    let yaml = format!(
        "version: 1\nrecall: {{region: us-east-1}}\nzoom_oauth_apps:\n{}{}",
        app("acme-prod", "user-level", "AbC123xyz"),
        app("acme-dev", "user_level", "REPLACE_WITH_ZOOM_CLIENT_ID"),
    );
    // As text, the summary counts the warning apart from the problem.
    let out = run_on(&h, &yaml, &["validate"]).expect(1);
    assert!(
        out.stderr
            .ends_with("\nerror: 1 problem and 1 warning in `recallform.yaml`\n"),
        "{}",
        out.stderr
    );
    let out = h.run(&["validate", "--format", "json"]).expect(1);
    assert_eq!(out.stderr, "");
    assert!(out.stdout.ends_with("}\n"), "{}", out.stdout);
    assert_eq!(
        out.json(),
        serde_json::json!({
            "format_version": 1,
            "valid": false,
            "diagnostics": [
                {
                    "severity": "error",
                    "code": "invalid-kind",
                    "message": "unknown kind `user-level`",
                    "hint": "did you mean `user_level`?",
                    "file": "recallform.yaml",
                    "line": 5,
                    "column": 11,
                },
                {
                    "severity": "warning",
                    "code": "placeholder-client-id",
                    "message": "`client_id` of `acme-dev` is the placeholder `REPLACE_WITH_ZOOM_CLIENT_ID`",
                    "hint": "write your Zoom app's Client ID here (Zoom App Marketplace > your app > App Credentials); `plan` and `apply` refuse a placeholder, and `--sandbox` tries the manifest without a Recall account",
                    "file": "recallform.yaml",
                    "line": 12,
                    "column": 16,
                },
            ],
        })
    );

    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let out = h.run(&["validate", "--format", "json"]).expect(0);
    assert_eq!(
        out.json(),
        serde_json::json!({"format_version": 1, "valid": true, "diagnostics": []})
    );
    // `-q` does not silence the JSON asked for.
    let out = h.run(&["validate", "--format", "json", "-q"]).expect(0);
    assert_eq!(out.json()["valid"], true);

    let out = h
        .run(&["validate", "--format", "json", "-f", "missing.yaml"])
        .expect(1);
    let d = &out.json()["diagnostics"][0];
    assert_eq!(d["code"], "unreadable-manifest");
    assert_eq!(d["file"], "missing.yaml");
    assert_eq!((d["line"].is_null(), d["column"].is_null()), (true, true));

    // A usage error is still one, on stderr.
    let out = h
        .run(&["validate", "--format", "json", "--env-allow", "A-B"])
        .expect(64);
    assert_eq!(out.stdout, "");
    let out = h.run(&["validate", "--format", "yaml"]).expect(64);
    assert!(out.stderr.contains("--format"), "{}", out.stderr);
}

/// Runs `args` on a pseudo-terminal (through `script`, where there is one) and returns what
/// it printed; `None` where no `script` can provide the terminal.
fn on_a_terminal(h: &Harness, args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    if !cfg!(target_os = "linux")
        || std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("no `script`: the colour test is skipped");
        return None;
    }
    let program = assert_cmd::cargo::cargo_bin("recallform");
    let line = std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(h.dir.path())
        .env_remove("NO_COLOR")
        .env_remove("RECALL_API_URL")
        .env_remove("RECALLFORM_ENV_ALLOW")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .envs(secret_env())
        .envs(env.iter().copied());
    let out = cmd.output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn issue_8_no_color_and_no_color_env_turn_off_colour_in_diagnostics_and_plans() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user-level", "AbC123xyz")]);
    let Some(coloured) = on_a_terminal(&h, &["validate"], &[]) else {
        return;
    };
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    assert!(coloured.contains("invalid-kind"), "{coloured:?}");
    for (args, env) in [
        (&["validate", "--no-color"][..], &[][..]),
        (&["--no-color", "validate"], &[]),
        (&["validate"], &[("NO_COLOR", "1")]),
    ] {
        let plain = on_a_terminal(&h, args, env).unwrap();
        assert!(!plain.contains('\x1b'), "{args:?} {env:?}: {plain:?}");
        assert!(plain.contains("error[invalid-kind]"), "{plain:?}");
    }

    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let coloured = on_a_terminal(&h, &["plan", "--sandbox"], &[]).unwrap();
    assert!(coloured.contains("\x1b[32m"), "{coloured:?}");
    let plain = on_a_terminal(&h, &["plan", "--sandbox", "--no-color"], &[]).unwrap();
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(plain.contains("Plan: 1 to create"), "{plain:?}");
}

#[test]
fn issue_8_every_code_recallform_reports_is_in_the_readme() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for code in recallform::diagnostic::CODES {
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "the README's code tables lack `{code}`"
        );
    }
}

#[test]
fn no_color_also_turns_off_the_colour_of_claps_own_messages() {
    let h = Harness::new();
    let Some(coloured) = on_a_terminal(&h, &["plan", "--bogus"], &[]) else {
        return;
    };
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    let plain = on_a_terminal(&h, &["plan", "--bogus", "--no-color"], &[]).unwrap();
    assert!(plain.contains("unexpected argument '--bogus'"), "{plain:?}");
    assert!(!plain.contains("\x1b["), "{plain:?}");
}
