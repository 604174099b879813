//! The tools around the manifest: `init`, `completions`, `man` and the pre-commit hook.

use crate::common::*;

const SCHEMA_LINE: &str = "# yaml-language-server: $schema=./recallform.schema.json\n";

fn read(h: &Harness, rel: &str) -> String {
    std::fs::read_to_string(h.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn init_writes_a_manifest_that_validates_and_plans() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["init"])).expect(0);
    assert_eq!(
        out.stdout,
        "created `recallform.yaml`\ncreated `recallform.schema.json`\ncreated `.gitignore`\n"
    );
    for step in [
        "`EXAMPLE_APP_ZOOM_CLIENT_SECRET`",
        "`EXAMPLE_APP_ZOOM_WEBHOOK_SECRET`",
        "`recallform validate`",
        "`recallform plan`",
        // Issue 8: the way to try it before there is a Recall account or a Zoom app.
        "`recallform plan --sandbox`",
    ] {
        assert!(out.stderr.contains(step), "{step}: {}", out.stderr);
    }

    let manifest = read(&h, "recallform.yaml");
    assert!(manifest.starts_with(SCHEMA_LINE), "{manifest}");
    let schema = read(&h, "recallform.schema.json");
    let committed = std::fs::read_to_string(repo_root().join("schema/recallform.schema.json"));
    assert_eq!(schema, committed.unwrap());
    assert_eq!(
        read(&h, ".gitignore"),
        ".recallform/\n*.lock.json.lock\n*.lock.json.journal\n"
    );

    // What an editor would check, and what validate checks.
    let validator = jsonschema::validator_for(&serde_json::from_str(&schema).unwrap()).unwrap();
    let value: serde_json::Value = serde_saphyr::from_str(&manifest).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // It validates, with a warning for the placeholder (issue 8), which plan refuses.
    let out = Outcome::of(h.bare(&["validate"])).expect(0);
    assert_eq!(
        out.stdout,
        "`recallform.yaml` is valid (1 app), with 1 warning\n"
    );
    assert!(
        out.stderr
            .starts_with("warning[placeholder-client-id]: `client_id` of `example-app` is the placeholder `REPLACE_WITH_ZOOM_CLIENT_ID`\n"),
        "{}",
        out.stderr
    );
    let mut plan = h.bare(&["plan"]);
    plan.env("EXAMPLE_APP_ZOOM_CLIENT_SECRET", "dummy-client-secret")
        .env("EXAMPLE_APP_ZOOM_WEBHOOK_SECRET", "dummy-webhook-secret")
        .env("RECALL_API_URL", h.emulator.url());
    let out = Outcome::of(plan).expect(1);
    assert!(
        out.stderr.contains("error[placeholder-client-id]"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty());

    // With the variables the hint names, the sandbox plans it like any manifest.
    let mut plan = h.bare(&["plan", "--sandbox"]);
    plan.env("EXAMPLE_APP_ZOOM_CLIENT_SECRET", "dummy-client-secret")
        .env("EXAMPLE_APP_ZOOM_WEBHOOK_SECRET", "dummy-webhook-secret");
    let out = Outcome::of(plan).expect(0);
    assert!(
        out.stdout.contains("+ zoom_oauth_app \"example-app\" {"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("client_id      = \"REPLACE_WITH_ZOOM_CLIENT_ID\"")
    );
    assert_eq!(
        out.plan_line(),
        "Plan: 1 to create, 0 to adopt, 0 unchanged."
    );
    // Applied there, it names the sandbox's folder as the README and `.gitignore` do.
    let mut apply = h.bare(&["apply", "--sandbox", "--auto-approve"]);
    apply
        .env("EXAMPLE_APP_ZOOM_CLIENT_SECRET", "dummy-client-secret")
        .env("EXAMPLE_APP_ZOOM_WEBHOOK_SECRET", "dummy-webhook-secret");
    let applied = Outcome::of(apply).expect(0);
    assert!(
        applied
            .stdout
            .contains("Like the sandbox's state in `.recallform/`, it belongs to this machine"),
        "{}",
        applied.stdout
    );
    // The sandbox plans the placeholder, and says it is one, as validate does.
    assert!(
        out.stderr.starts_with(
            "warning[placeholder-client-id]: `client_id` of `example-app` is the placeholder"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn init_prints_an_allowlist_that_fits_its_manifest() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["init"])).expect(0);
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("--env-allow"))
        .unwrap_or_else(|| panic!("no --env-allow line:\n{}", out.stderr));
    assert_eq!(
        line.trim(),
        "`recallform plan --env-allow 'EXAMPLE_APP_ZOOM_*'`"
    );
    let mut plan = h.bare(&["plan", "--sandbox", "--env-allow", "EXAMPLE_APP_ZOOM_*"]);
    plan.env("EXAMPLE_APP_ZOOM_CLIENT_SECRET", "dummy-client-secret")
        .env("EXAMPLE_APP_ZOOM_WEBHOOK_SECRET", "dummy-webhook-secret");
    Outcome::of(plan).expect(0);
    // And it is narrow: a variable of another name is refused.
    let manifest = read(&h, "recallform.yaml")
        .replace("EXAMPLE_APP_ZOOM_CLIENT_SECRET", "OTHER_ZOOM_CLIENT_SECRET");
    h.write("recallform.yaml", &manifest);
    let out = Outcome::of(h.bare(&["validate", "--env-allow", "EXAMPLE_APP_ZOOM_*"])).expect(1);
    assert!(
        out.stderr.contains("error[env-not-allowed]"),
        "{}",
        out.stderr
    );
}

#[test]
fn init_refuses_an_existing_manifest_unless_forced() {
    let h = Harness::new();
    let mine = "version: 1\nrecall:\n  region: eu-central-1\n";
    h.write("recallform.yaml", mine);

    let out = Outcome::of(h.bare(&["init"])).expect(1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: `recallform.yaml` already exists; nothing was written\n  = hint: pass `--force` to replace it with the starter manifest\n"
    );
    assert_eq!(read(&h, "recallform.yaml"), mine);
    assert!(!h.path("recallform.schema.json").exists());
    assert!(!h.path(".gitignore").exists());

    let out = Outcome::of(h.bare(&["init", "--force"])).expect(0);
    assert_eq!(
        out.stdout,
        "replaced `recallform.yaml`\ncreated `recallform.schema.json`\ncreated `.gitignore`\n"
    );
    let manifest = read(&h, "recallform.yaml");
    assert!(manifest.starts_with(SCHEMA_LINE));
    assert!(manifest.contains("\n  example-app:\n"), "{manifest}");
    let out = Outcome::of(h.bare(&["validate"])).expect(0);
    assert_eq!(
        out.stdout,
        "`recallform.yaml` is valid (1 app), with 1 warning\n"
    );
}

#[test]
fn init_keeps_an_existing_schema_and_adds_the_ignore_rule_once() {
    let h = Harness::new();
    h.write("recallform.schema.json", "{}\n");
    h.write(".gitignore", "/target");

    let out = Outcome::of(h.bare(&["init"])).expect(0);
    assert_eq!(
        out.stdout,
        "created `recallform.yaml`\nadded `.recallform/`, `*.lock.json.lock` and `*.lock.json.journal` to `.gitignore`\n"
    );
    assert_eq!(read(&h, "recallform.schema.json"), "{}\n");
    assert_eq!(
        read(&h, ".gitignore"),
        "/target\n.recallform/\n*.lock.json.lock\n*.lock.json.journal\n"
    );

    let out = Outcome::of(h.bare(&["init", "--force"])).expect(0);
    assert_eq!(out.stdout, "replaced `recallform.yaml`\n");
    assert_eq!(
        read(&h, ".gitignore"),
        "/target\n.recallform/\n*.lock.json.lock\n*.lock.json.journal\n"
    );
}

#[test]
fn init_writes_beside_a_manifest_elsewhere_and_names_it_in_the_hints() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["init", "-f", "infra/recall.yaml"])).expect(0);
    assert_eq!(
        out.stdout,
        "created `infra/recall.yaml`\ncreated `infra/recallform.schema.json`\ncreated `infra/.gitignore`\n"
    );
    assert!(
        out.stderr
            .contains("`recallform validate -f infra/recall.yaml`"),
        "{}",
        out.stderr
    );
    assert!(read(&h, "infra/recall.yaml").contains("recallform plan -f infra/recall.yaml"));
    assert!(!h.path("recallform.yaml").exists());
    let out = Outcome::of(h.bare(&["validate", "-f", "infra/recall.yaml"])).expect(0);
    assert_eq!(
        out.stdout,
        "`infra/recall.yaml` is valid (1 app), with 1 warning\n"
    );

    // A folder is never a manifest, even with --force.
    let out = Outcome::of(h.bare(&["init", "--force", "-f", "infra"])).expect(1);
    assert!(
        out.stderr
            .starts_with("error: `infra` is a folder, not a manifest file\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn completions_cover_the_commands_and_their_options() {
    let h = Harness::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Outcome::of(h.bare(&["completions", shell])).expect(0);
        assert_eq!(out.stderr, "", "{shell}");
        assert!(out.stdout.len() > 1000, "{shell}: {}", out.stdout);
        for option in ["auto-approve", "detailed-exitcode", "force"] {
            // fish spells a long option `-l NAME`; the others as typed.
            let word = if shell == "fish" {
                format!("-l {option} ")
            } else {
                format!("--{option}")
            };
            assert!(out.stdout.contains(&word), "{shell} lacks {word}");
        }
        for command in ["plan", "apply", "init", "completions", "man"] {
            assert!(out.stdout.contains(command), "{shell} lacks {command}");
        }
    }
    // Each shell's own way of registering the script for `recallform`.
    let bash = Outcome::of(h.bare(&["completions", "bash"])).stdout;
    assert!(bash.contains("complete -F _recallform"), "{bash}");
    let zsh = Outcome::of(h.bare(&["completions", "zsh"])).stdout;
    assert!(zsh.starts_with("#compdef recallform\n"), "{zsh}");
    let fish = Outcome::of(h.bare(&["completions", "fish"])).stdout;
    assert!(fish.contains("complete -c recallform "), "{fish}");
}

#[test]
fn completions_for_an_unknown_or_missing_shell_are_usage_errors() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["completions", "tcsh"])).expect(64);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("invalid value 'tcsh'") && out.stderr.contains("bash"),
        "{}",
        out.stderr
    );
    let out = Outcome::of(h.bare(&["completions"])).expect(64);
    assert_eq!(out.stdout, "");
}

/// The `.TH` title line of a page: the first request after roff's string definitions.
fn title_line(page: &str) -> &str {
    page.lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .unwrap_or_default()
}

#[test]
fn man_prints_the_top_level_page() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["man"])).expect(0);
    assert_eq!(out.stderr, "");
    let page = &out.stdout;
    assert!(title_line(page).starts_with(".TH recallform 1 "), "{page}");
    assert!(page.contains("\n.SH NAME\nrecallform \\- "), "{page}");
    for sub in ["validate", "plan", "apply", "init", "completions", "man"] {
        assert!(
            page.contains(&format!("\nrecallform\\-{sub}(1)\n")),
            "{sub}"
        );
    }
    // clap's `help` subcommand has no page, so no page points at one.
    assert!(!page.contains("recallform\\-help"), "{page}");
}

#[test]
fn man_out_writes_one_page_per_command() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["man", "--out", "man"])).expect(0);
    let names = [
        "recallform",
        "recallform-validate",
        "recallform-schema",
        "recallform-plan",
        "recallform-show",
        "recallform-apply",
        "recallform-sandbox",
        "recallform-sandbox-serve",
        "recallform-init",
        "recallform-completions",
        "recallform-man",
        "recallform-state",
        "recallform-state-list",
        "recallform-state-show",
        "recallform-state-mv",
        "recallform-state-rm",
        "recallform-state-unprotect",
        "recallform-import",
        "recallform-export",
        "recallform-webhooks",
        "recallform-webhooks-verify",
        "recallform-status",
        "recallform-zoom",
        "recallform-zoom-checklist",
        "recallform-relay",
    ];
    let expected: String = names
        .iter()
        .map(|n| format!("wrote `man/{n}.1`\n"))
        .collect();
    assert_eq!(out.stdout, expected);
    let mut on_disk: Vec<String> = std::fs::read_dir(h.path("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut wanted: Vec<String> = names.iter().map(|n| format!("{n}.1")).collect();
    wanted.sort();
    assert_eq!(on_disk, wanted);
    let plan = read(&h, "man/recallform-plan.1");
    assert!(
        title_line(&plan).starts_with(".TH recallform-plan 1 "),
        "{plan}"
    );
    assert!(plan.contains("\\-\\-detailed\\-exitcode"), "{plan}");
    // The printed page and the written one are the same page.
    let printed = Outcome::of(h.bare(&["man"])).expect(0).stdout;
    assert_eq!(read(&h, "man/recallform.1"), printed);
}

#[test]
fn the_pre_commit_hook_validates_the_root_manifest() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(
        hooks,
        serde_json::json!([{
            "id": "recallform-validate",
            "name": "recallform validate",
            "description": "Check the recallform manifest offline (no network, no secret read).",
            "entry": "recallform validate",
            "language": "rust",
            "files": "^recallform\\.yaml$",
            "pass_filenames": false,
        }])
    );
    // The entry, run where pre-commit runs it (the repository root), checks the manifest.
    let h = Harness::new();
    Outcome::of(h.bare(&["init"])).expect(0);
    let entry = hooks[0]["entry"].as_str().unwrap();
    let args: Vec<&str> = entry.split_whitespace().skip(1).collect();
    let out = Outcome::of(h.bare(&args)).expect(0);
    assert_eq!(
        out.stdout,
        "`recallform.yaml` is valid (1 app), with 1 warning\n"
    );
}
