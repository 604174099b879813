//! What `--help`, `man` and the completions say: the exit codes (from the one table, and equal
//! to the README's), the global options under their own heading and only where they mean
//! something, and the answer to a Terraform habit (`-auto-approve`).

use crate::common::*;

/// The README's Exit codes table: (code, meaning) per row.
fn readme_exit_codes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Exit codes\n")
        .nth(1)
        .expect("the README has an Exit codes section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').splitn(2, '|').collect();
            (cells[0].trim().to_string(), cells[1].trim().to_string())
        })
        .collect()
}

/// The "Exit codes:" section of `recallform --help`: (code, meaning) per line.
fn help_exit_codes(help: &str) -> Vec<(String, String)> {
    let section = help
        .split("\nExit codes:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Exit codes section in:\n{help}"));
    section
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let (code, meaning) = l.trim().split_once(' ').unwrap();
            (code.to_string(), meaning.trim().to_string())
        })
        .collect()
}

#[test]
fn help_and_man_list_the_readmes_exit_codes() {
    let h = Harness::new();
    let help = Outcome::of(h.bare(&["--help"])).expect(0).stdout;
    let listed = help_exit_codes(&help);
    let readme = readme_exit_codes();
    let codes = |rows: &[(String, String)]| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&listed), codes(&readme));
    assert_eq!(codes(&listed), ["0", "1", "2", "3", "4", "5", "64", "130"]);
    for ((code, short), (_, full)) in listed.iter().zip(&readme) {
        assert!(
            full.starts_with(short.as_str()),
            "exit {code}: the README's row must begin with `{short}`, but it is `{full}`"
        );
        // Fits an 80-column terminal after the code.
        assert!(short.len() <= 73, "exit {code}: `{short}` is too long");
    }
    // `-h` stays short.
    let brief = Outcome::of(h.bare(&["-h"])).expect(0).stdout;
    assert!(!brief.contains("Exit codes:"), "{brief}");

    let man = Outcome::of(h.bare(&["man"])).expect(0).stdout;
    let section = man
        .split("\n.SH \"EXIT STATUS\"\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no EXIT STATUS in:\n{man}"));
    let section = section.split("\n.SH ").next().unwrap();
    let roff: String = listed
        .iter()
        .map(|(code, meaning)| format!(".TP\n\\fB{code}\\fR\n{}\n", meaning.replace('-', "\\-")))
        .collect();
    assert_eq!(format!("{section}\n"), roff);
    assert!(
        man.contains("\n.SH VERSION\n"),
        "the section comes before VERSION"
    );
    assert!(
        !man.contains(".SH EXTRA"),
        "the help's text is not repeated"
    );
}

#[test]
fn global_options_have_their_own_heading_after_the_commands_own() {
    let h = Harness::new();
    let help = Outcome::of(h.bare(&["plan", "-h"])).expect(0).stdout;
    let (own, global) = help
        .split_once("\nGlobal options:\n")
        .unwrap_or_else(|| panic!("no Global options heading in:\n{help}"));
    for option in ["--sandbox", "--out", "--detailed-exitcode", "--target"] {
        assert!(own.contains(option), "{option} is plan's own:\n{help}");
        assert!(!global.contains(option), "{option}:\n{help}");
    }
    for option in [
        "--manifest",
        "--lockfile",
        "--api-url",
        "--timeout",
        "--quiet",
    ] {
        assert!(global.contains(option), "{option} is global:\n{help}");
        assert!(!own.contains(option), "{option}:\n{help}");
    }
}

#[test]
fn commands_do_not_offer_global_options_they_ignore() {
    let h = Harness::new();
    for command in [&["completions"][..], &["man"], &["schema"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = Outcome::of(h.bare(&args)).expect(0).stdout;
        assert!(!help.contains("Global options"), "{command:?}:\n{help}");
        for option in [
            "--manifest",
            "--lockfile",
            "--api-url",
            "--quiet",
            "--env-allow",
            "--no-color",
        ] {
            assert!(
                !help.contains(option),
                "{command:?} offers {option}:\n{help}"
            );
        }
    }
    // Some commands use some of them: only the others are hidden, down to subcommands.
    for (command, shown, hidden) in [
        (
            &["state", "list"][..],
            &["--manifest", "--lockfile", "--quiet"][..],
            &["--api-url", "--timeout", "--env-allow"][..],
        ),
        (
            &["sandbox", "serve"],
            &["--verbose"],
            &[
                "--manifest",
                "--lockfile",
                "--api-url",
                "--quiet",
                "--no-color",
            ],
        ),
        (
            &["show"],
            &["--no-color"],
            &[
                "--manifest",
                "--lockfile",
                "--api-url",
                "--quiet",
                "--env-allow",
            ],
        ),
        (
            &["export"],
            &["--api-url", "--timeout"],
            &["--manifest", "--lockfile", "--env-allow"],
        ),
        (
            &["validate"],
            &["--manifest", "--env-allow", "--lockfile"],
            &["--api-url"],
        ),
        (
            &["apply"],
            &[
                "--manifest",
                "--lockfile",
                "--api-url",
                "--timeout",
                "--env-allow",
            ],
            &[],
        ),
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = Outcome::of(h.bare(&args)).expect(0).stdout;
        for option in shown {
            assert!(help.contains(option), "{command:?} lacks {option}:\n{help}");
        }
        for option in hidden {
            assert!(
                !help.contains(option),
                "{command:?} offers {option}:\n{help}"
            );
        }
    }

    // Nor their man pages and completions.
    Outcome::of(h.bare(&["man", "--out", "man"])).expect(0);
    let page = std::fs::read_to_string(h.path("man/recallform-completions.1")).unwrap();
    assert!(!page.contains("\\-\\-manifest"), "{page}");
    let page = std::fs::read_to_string(h.path("man/recallform-plan.1")).unwrap();
    assert!(page.contains(".SH \"GLOBAL OPTIONS\""), "{page}");
    let fish = Outcome::of(h.bare(&["completions", "fish"]))
        .expect(0)
        .stdout;
    let for_sub = |sub: &str| {
        fish.lines()
            .filter(|l| l.contains(&format!("__fish_recallform_using_subcommand {sub}\"")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(!for_sub("completions").contains("-l manifest"), "{fish}");
    assert!(for_sub("plan").contains("-l manifest"), "{fish}");

    // Still accepted, before or after the command: a global option is global.
    Outcome::of(h.bare(&["completions", "bash", "-q", "-f", "x.yaml"])).expect(0);
    Outcome::of(h.bare(&["--lockfile", "x.json", "schema"])).expect(0);
}

#[test]
fn terraform_style_single_dash_options_name_the_option_meant() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    for (args, typed, meant) in [
        (
            &["apply", "-auto-approve"][..],
            "-auto-approve",
            "--auto-approve",
        ),
        (
            &["plan", "-detailed-exitcode"],
            "-detailed-exitcode",
            "--detailed-exitcode",
        ),
        (
            &["plan", "-target=acme-prod"],
            "-target=acme-prod",
            "--target=acme-prod",
        ),
        (
            &["plan", "-out=plan.json"],
            "-out=plan.json",
            "--out=plan.json",
        ),
        // clap alone would take this one as `-f orce`, a manifest named `orce`.
        (&["plan", "-force"], "-force", "--force"),
        (&["-quiet", "plan"], "-quiet", "--quiet"),
    ] {
        let out = h.run(args).expect(64);
        assert_eq!(out.stdout, "", "{args:?}");
        assert_eq!(
            out.stderr,
            format!(
                "error: unexpected argument `{typed}`\n  = hint: did you mean `{meant}`? recallform's long options take two dashes\n"
            ),
            "{args:?}"
        );
    }
    assert!(h.requests().is_empty(), "refused before any request");
    assert_eq!(h.lockfile_text(), None);
    // Short options, bundled or not, and anything after `--`, are left to clap.
    h.run(&["plan", "-vv"]).expect(0);
    h.run(&["plan", "-q", "-f", "recallform.yaml"]).expect(0);
    let out = h.run(&["plan", "-q", "--", "-auto-approve"]).expect(64);
    assert!(
        !out.stderr.contains("did you mean `--auto-approve`"),
        "{}",
        out.stderr
    );
}
