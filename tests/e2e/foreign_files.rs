//! Lockfiles and saved plans from elsewhere (issue 11, item 6): corrupt, truncated, of a
//! future version, hand-edited with unknown keys, or made for another target. Each gives a
//! clear error naming the file (with the line and column of a JSON error), sends nothing that
//! could change Recall, and leaves the file byte for byte as it was, whichever command met it.

use crate::common::*;

const LOCK: &str = "recallform.lock.json";

/// A harness whose manifest has `acme-prod` (applied, so recorded) and `acme-dev` (not yet),
/// and a saved plan `plan.json` that creates `acme-dev`.
fn applied() -> Harness {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "cid-prod")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.manifest(&[
        ("acme-prod", "user_level", "cid-prod"),
        ("acme-dev", "user_level", "cid-dev"),
    ]);
    h.run(&["plan", "--out", "plan.json"]).expect(0);
    h
}

/// Every command that reads the lockfile, with what it must exit with.
fn lockfile_commands(id: &str) -> Vec<Vec<String>> {
    [
        vec!["plan"],
        vec!["apply", "--auto-approve"],
        vec!["apply", "plan.json"],
        vec!["state", "list"],
        vec!["state", "show", "acme-prod"],
        vec!["state", "mv", "acme-prod", "acme-prod-2"],
        vec!["state", "rm", "acme-prod"],
        vec!["state", "unprotect", "acme-prod"],
        vec!["import", "acme-dev", id],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect()
}

/// Runs every command against the lockfile `text` and checks each one fails with exit 1,
/// naming the lockfile and saying `says`, with the lockfile's bytes and Recall unchanged.
fn refused_everywhere(what: &str, text: &[u8], says: &str) -> usize {
    let h = applied();
    let id = h.emulator.apps()[0].id.clone();
    std::fs::write(h.path(LOCK), text).unwrap();
    let before = h.emulator.apps();
    let writes = h.writes().len();
    let mut runs = 0;
    for args in lockfile_commands(&id) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = h.run(&args);
        let shown = format!(
            "{what}: `{}`:\n{}{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
        assert_eq!(out.code, 1, "{shown}");
        assert!(
            out.stderr.contains(&format!("the lockfile `{LOCK}`")),
            "{shown}"
        );
        assert!(out.stderr.contains(says), "{shown}");
        assert!(!out.stderr.contains("panicked"), "{shown}");
        assert_no_secret(what, &out.stderr);
        assert_eq!(
            std::fs::read(h.path(LOCK)).unwrap(),
            text,
            "{shown}: the lockfile changed"
        );
        runs += 1;
    }
    assert_eq!(h.writes().len(), writes, "{what}: {:?}", h.writes());
    assert_eq!(h.emulator.apps(), before, "{what}");
    runs
}

#[test]
fn unreadable_lockfiles_are_refused_and_never_overwritten() {
    let h = applied();
    let good = h.lockfile_text().unwrap();
    drop(h);
    let mut runs = 0;

    let corrupt = good
        .replacen("\"lineage\"", "\"lineage\" ", 1)
        .replacen(",\n", "\n", 1);
    runs += refused_everywhere(
        "a corrupt lockfile",
        corrupt.as_bytes(),
        "is not valid: expected `,` or `}` at line 3 column 3",
    );
    let truncated = &good.as_bytes()[..good.len() / 2];
    runs += refused_everywhere(
        "a truncated lockfile",
        truncated,
        "is not valid: EOF while parsing",
    );
    runs += refused_everywhere(
        "an empty lockfile",
        b"",
        "is not valid: EOF while parsing a value at line 1 column 0",
    );
    runs += refused_everywhere(
        "binary bytes",
        &[0xff, 0x00, 0x13, 0x37],
        "cannot read the lockfile",
    );
    let future = good.replace("\"version\": 2", "\"version\": 3");
    runs += refused_everywhere(
        "a lockfile of a future version",
        future.as_bytes(),
        "it has format version 3, written by a newer recallform; upgrade recallform (this one reads version 2)",
    );
    let top = good.replacen("{\n", "{\n  \"note\": \"hand edit\",\n", 1);
    runs += refused_everywhere(
        "an unknown top-level key",
        top.as_bytes(),
        "is not valid: unknown field `note`, expected one of `version`, `lineage`, `serial`, `api_url`, `salt`, `zoom_oauth_apps` at line 2 column 8",
    );
    let nested = good.replacen(
        "\"client_id\"",
        "\"owner\": \"team-a\",\n      \"client_id\"",
        1,
    );
    runs += refused_everywhere(
        "an unknown key in an app",
        nested.as_bytes(),
        "is not valid: unknown field `owner`",
    );
    eprintln!("lockfile scenarios run: {runs}");
}

#[test]
fn a_lockfile_of_another_target_is_refused_and_never_overwritten() {
    let h = applied();
    let text = h
        .lockfile_text()
        .unwrap()
        .replace(&h.emulator.url(), "https://us-west-2.recall.ai");
    std::fs::write(h.path(LOCK), &text).unwrap();
    let id = h.emulator.apps()[0].id.clone();
    let writes = h.writes().len();
    for args in lockfile_commands(&id) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The `state` commands edit a lockfile of any target, as documented: they send
        // nothing to Recall, so there is no other target to mix IDs with.
        if args[0] == "state" {
            continue;
        }
        let out = h.run(&args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with(&format!(
                "error: the lockfile `{LOCK}` records apps in `https://us-west-2.recall.ai`, but this run targets `{}`",
                h.emulator.url()
            )),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read_to_string(h.path(LOCK)).unwrap(),
            text,
            "{args:?}"
        );
    }
    assert_eq!(h.writes().len(), writes, "{:?}", h.writes());
}

/// Applies the saved plan that `edit` makes of a good one (given the good one's text and the
/// emulator's URL) and checks it is refused with `code`, saying `says`, with the plan file, the
/// lockfile and Recall unchanged.
fn plan_refused(what: &str, edit: impl Fn(&str, &str) -> String, code: i32, says: &str) {
    let h = applied();
    let good = std::fs::read_to_string(h.path("plan.json")).unwrap();
    let text = edit(&good, &h.emulator.url());
    assert_ne!(text, good, "{what}: the edit changed nothing:\n{good}");
    std::fs::write(h.path("plan.json"), &text).unwrap();
    let lock = h.lockfile_text().unwrap();
    let writes = h.writes().len();
    for args in [&["apply", "plan.json"][..], &["show", "plan.json"]] {
        let out = h.run(args);
        let shown = format!("{what}: {args:?}:\n{}{}", out.stdout, out.stderr);
        // `show` reads the plan as it is; only `apply` checks it against the world.
        let code = if args[0] == "show" && code == 4 {
            0
        } else {
            code
        };
        assert_eq!(out.code, code, "{shown}");
        if code != 0 {
            assert!(out.stderr.contains(says), "{shown}");
        }
        assert!(!out.stderr.contains("panicked"), "{shown}");
        assert_eq!(
            std::fs::read_to_string(h.path("plan.json")).unwrap(),
            text,
            "{shown}"
        );
        assert_eq!(h.lockfile_text().unwrap(), lock, "{shown}");
    }
    assert_eq!(h.writes().len(), writes, "{what}: {:?}", h.writes());
}

#[test]
fn unreadable_saved_plans_are_refused_and_change_nothing() {
    plan_refused(
        "a corrupt plan",
        |good, _| good.replacen(",\n", "\n", 1),
        1,
        "`plan.json` is not a recallform plan this version can use: not JSON (expected `,` or `}` at line 3 column 3)",
    );
    plan_refused(
        "a truncated plan",
        |good, _| good[..good.len() / 2].to_string(),
        1,
        "`plan.json` is not a recallform plan this version can use: not JSON (EOF while parsing",
    );
    plan_refused(
        "a plan of a future format",
        |good, _| good.replace("\"format_version\": 1", "\"format_version\": 2"),
        1,
        "`plan.json` is not a recallform plan this version can use: its format version is 2; this recallform reads 1",
    );
    plan_refused(
        "an unknown top-level key",
        |good, _| good.replacen("{\n", "{\n  \"approved_by\": \"me\",\n", 1),
        1,
        "`plan.json` is not a recallform plan this version can use: unknown field `approved_by`",
    );
    plan_refused(
        "an unknown key inside the plan",
        |good, _| {
            good.replacen(
                "\"name\": \"acme-dev\"",
                "\"name\": \"acme-dev\",\n      \"note\": \"x\"",
                1,
            )
        },
        1,
        "it has the key `plan.",
    );
    plan_refused(
        "a plan for another target",
        |good, url| {
            good.replace(
                &format!("\"target\": \"{url}\""),
                "\"target\": \"https://us-west-2.recall.ai\"",
            )
        },
        4,
        "the plan was made for `https://us-west-2.recall.ai`, but this run targets `http://127.0.0.1:",
    );
}
