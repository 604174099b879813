//! The lockfile's journal (`recallform.lock.json.journal`): an apply records each result as one
//! fsynced line there and folds it into the lockfile once at the end, so recording costs the
//! same per result at 100 apps as at 2,000; a journal a crash left is read through by readers
//! and folded by the next writer; a torn last line is ignored (and said at `-v`); a journal of
//! another lockfile is refused, and nothing is overwritten.

use std::os::unix::process::ExitStatusExt;

use recallform::emulator::Config;
use recallform::fsutil::failpoint;

use crate::common::*;

const LOCKFILE: &str = "recallform.lock.json";
const JOURNAL: &str = "recallform.lock.json.journal";
const CLIENT_SECRET_ENV: &str = "JOURNAL_ZOOM_CLIENT_SECRET";
const WEBHOOK_SECRET_ENV: &str = "JOURNAL_ZOOM_WEBHOOK_SECRET";

/// An emulator that lets thousands of creates through without a 429.
fn harness() -> Harness {
    Harness::with_config(Config {
        page_size: 100,
        list_per_minute: 1_000_000,
        other_per_minute: 1_000_000,
        ..Config::default()
    })
}

/// A manifest of `n` apps, `app-0000` on, all with the same two secrets.
fn manifest(h: &Harness, n: usize) {
    let mut yaml = String::from("version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  app-{i:04}:\n    kind: user_level\n    client_id: cid-{i:04}\n    client_secret: {{env: {CLIENT_SECRET_ENV}}}\n    webhook:\n      secret: {{env: {WEBHOOK_SECRET_ENV}}}\n"
        ));
    }
    h.write("recallform.yaml", &yaml);
}

fn cmd(h: &Harness, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = h.cmd(args);
    cmd.env(CLIENT_SECRET_ENV, "zcs-journal-T4kP9wQ2mX7v")
        .env(WEBHOOK_SECRET_ENV, "zws-journal-B6nR1yL8cJ3d");
    cmd
}

fn run(h: &Harness, args: &[&str]) -> Outcome {
    let out = Outcome::of(cmd(h, args));
    assert_no_secret("the output", &out.stdout);
    assert_no_secret("the output", &out.stderr);
    out
}

/// Runs an apply aborted at its fold's rename: every result is in the journal, and the
/// lockfile is as it was.
fn abort_before_the_fold(h: &Harness) {
    let out = cmd(h, &["apply", "--auto-approve"])
        .env(
            failpoint::VAR,
            format!("{} 1 {LOCKFILE}", failpoint::BEFORE_RENAME),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(6), "{out:?}");
}

/// The numbers of apply's `-vv` line "recorded N results: J bytes appended to the journal, L
/// bytes of lockfile written, P bytes per result; T bytes written to files in all".
fn recording_cost(stderr: &str) -> [u64; 5] {
    let line = stderr
        .lines()
        .find(|l| l.contains("results: ") && l.contains("bytes per result"))
        .unwrap_or_else(|| panic!("no recording line at -vv:\n{stderr}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    // The timestamp's numbers come first; the line's own five are last.
    numbers[numbers.len() - 5..].try_into().unwrap()
}

/// Applies `n` creates with `-vv`; the recording's cost per result, in bytes, and checks the
/// figures add up: one line per result, one fold, and nothing else written to files.
fn cost_per_result(n: usize) -> f64 {
    let h = harness();
    manifest(&h, n);
    let out = run(
        &h,
        &["apply", "--auto-approve", "-vv", "--parallelism", "16"],
    )
    .expect(0);
    let [records, journal, lockfile, per_result, total] = recording_cost(&out.stderr);
    assert_eq!(records, n as u64, "one record per create");
    let final_size = std::fs::metadata(h.path(LOCKFILE)).unwrap().len();
    assert_eq!(
        lockfile, final_size,
        "the lockfile is written once, at the end"
    );
    assert_eq!(total, journal + lockfile, "no other file written");
    assert_eq!(per_result, (journal + lockfile) / records);
    assert!(
        !h.path(JOURNAL).exists(),
        "the journal is folded and removed"
    );
    assert_eq!(h.lockfile()["serial"], n as u64, "one serial per result");
    (journal + lockfile) as f64 / n as f64
}

/// Recording is O(1) per result: the bytes written to disk per recorded result are the same at
/// 100 and at 2,000 apps (the whole-lockfile rewrite per result this replaced wrote 20 times
/// more per result at 2,000 than at 100).
#[test]
fn recording_costs_the_same_per_result_at_100_and_2000_apps() {
    let small = cost_per_result(100);
    let large = cost_per_result(2_000);
    eprintln!("bytes written per recorded result: {small:.0} at 100 apps, {large:.0} at 2,000");
    assert!(
        large / small < 1.2 && small / large < 1.2,
        "not flat: {small:.0} bytes per result at 100 apps, {large:.0} at 2,000"
    );
}

/// An apply aborted at the fold's rename: every result is in the journal, which `plan` and
/// `state list` read through (writing nothing), and the next apply folds (with nothing to do).
#[test]
fn a_journal_left_by_a_crash_is_read_through_and_folded_by_the_next_apply() {
    let h = harness();
    manifest(&h, 5);
    abort_before_the_fold(&h);
    assert!(
        !h.path(LOCKFILE).exists(),
        "aborted before the fold's rename"
    );
    let journal = std::fs::read_to_string(h.path(JOURNAL)).unwrap();
    assert_eq!(
        journal.lines().count(),
        6,
        "a header and 5 records:\n{journal}"
    );
    assert!(journal.lines().all(|l| l.starts_with("{\"sha256\":\"")));
    assert_no_secret("the journal", &journal);

    let plan = run(&h, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the plan reads the journal:\n{}", plan.stdout);
    let list = run(&h, &["state", "list"]).expect(0);
    assert_eq!(
        list.stdout.lines().filter(|l| l.contains("app-")).count(),
        5
    );
    assert_eq!(std::fs::read_to_string(h.path(JOURNAL)).unwrap(), journal);
    assert!(!h.path(LOCKFILE).exists(), "readers write nothing");
    let requests = h.requests().len();

    let out = run(&h, &["apply", "--auto-approve", "-v"]).expect(0);
    assert!(
        out.stderr.contains("folded the journal `") && out.stderr.contains("(5 records)"),
        "{}",
        out.stderr
    );
    assert!(!h.path(JOURNAL).exists());
    let lock = h.lockfile();
    assert_eq!(lock["serial"], 5);
    assert_eq!(lock["zoom_oauth_apps"].as_object().unwrap().len(), 5);
    assert_eq!(h.emulator.apps().len(), 5, "nothing created twice");
    assert_eq!(h.requests().len() - requests, 1, "one list, no write");
}

/// A state command finds a journal and folds it before its own change.
#[test]
fn a_state_command_folds_a_journal_before_its_change() {
    let h = harness();
    manifest(&h, 3);
    abort_before_the_fold(&h);
    run(&h, &["state", "mv", "app-0001", "renamed"]).expect(0);
    assert!(!h.path(JOURNAL).exists());
    let lock = h.lockfile();
    assert_eq!(lock["serial"], 4, "3 records folded, then the rename");
    let names: Vec<&String> = lock["zoom_oauth_apps"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, ["app-0000", "app-0002", "renamed"]);
}

/// Aborted half-way through the third append: the journal ends in a torn line. It is ignored
/// (that result was never reported as recorded) and said at `-v`; the next apply adopts that
/// app by client ID instead of creating it again, and so the fourth, if its create (sent once
/// the third's request was answered, while the third was being recorded) reached Recall.
#[test]
fn a_torn_last_line_is_ignored_and_reported_at_verbose() {
    let h = harness();
    manifest(&h, 5);
    let out = cmd(&h, &["apply", "--auto-approve", "--parallelism", "1"])
        .env(
            failpoint::VAR,
            format!("{} 3 {JOURNAL}", failpoint::HALF_APPENDED),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(6), "{out:?}");
    let journal = std::fs::read_to_string(h.path(JOURNAL)).unwrap();
    assert!(!journal.ends_with('\n'), "torn:\n{journal}");
    assert_eq!(
        journal.lines().count(),
        4,
        "a header, 2 records, half a line"
    );

    let plan = run(&h, &["plan", "-v"]).expect(0);
    assert!(
        plan.stderr
            .contains(&format!("the journal `{JOURNAL}` ends in a torn line ("))
            && plan
                .stderr
                .contains("cut short by a crash before it was reported as recorded; it is ignored"),
        "{}",
        plan.stderr
    );
    let created = h.emulator.apps().len();
    assert!((3..=4).contains(&created), "{created} apps in Recall");
    assert_eq!(
        plan.plan_line(),
        format!(
            "Plan: {} to create, {} to adopt, 2 unchanged.",
            5 - created,
            created - 2
        ),
        "2 recorded, the torn one (and the fourth, if sent) adopted, the rest never created"
    );
    let quiet = run(&h, &["plan"]).expect(0);
    assert!(!quiet.stderr.contains("torn"), "{}", quiet.stderr);

    run(&h, &["apply", "--auto-approve"]).expect(0);
    assert!(!h.path(JOURNAL).exists());
    assert_eq!(h.emulator.apps().len(), 5, "nothing created twice");
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"].as_object().unwrap().len(),
        5
    );
}

/// A journal that does not continue the lockfile beside it (another lineage) is refused by
/// readers and writers alike, and neither file is touched.
#[test]
fn a_journal_of_another_lockfile_is_refused_and_nothing_is_overwritten() {
    let h = harness();
    manifest(&h, 2);
    abort_before_the_fold(&h);
    // Someone puts another lockfile of this target in place.
    let theirs = format!(
        "{{\"api_url\": \"{}\", \"lineage\": \"someone-else\", \"serial\": 7, \"version\": 1, \"zoom_oauth_apps\": {{}}}}\n",
        h.emulator.url()
    );
    h.write(LOCKFILE, &theirs);
    let journal = std::fs::read_to_string(h.path(JOURNAL)).unwrap();
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["state", "list"],
        &["state", "rm", "app-0000"],
    ] {
        let out = run(&h, args).expect(1);
        let lineage = journal.split("\"lineage\":\"").nth(1).unwrap();
        let lineage = &lineage[..lineage.find('"').unwrap()];
        assert_eq!(
            out.stderr,
            format!(
                "error: the journal `{journal_path}` continues the lockfile of lineage `{lineage}`, and `{lockfile}` has lineage `someone-else`; refusing to use it or to write the lockfile `{lockfile}`\n  = hint: it holds results an apply recorded for another lockfile: put back the lockfile it belongs to and run `recallform plan`, or move the journal away (keep it: its lines name the apps it recorded)\n",
                journal_path = JOURNAL,
                lockfile = LOCKFILE,
            ),
            "{args:?}"
        );
        assert_eq!(h.lockfile_text().unwrap(), theirs, "{args:?}");
        assert_eq!(std::fs::read_to_string(h.path(JOURNAL)).unwrap(), journal);
    }
    assert_eq!(h.emulator.apps().len(), 2, "nothing more created");
}

/// A journal of another target is refused like its lockfile would be.
#[test]
fn a_journal_of_another_target_is_refused() {
    let h = harness();
    manifest(&h, 2);
    abort_before_the_fold(&h);
    let journal = std::fs::read_to_string(h.path(JOURNAL)).unwrap();
    let out = Outcome::of({
        let mut c = h.bare(&["plan", "--api-url", "http://127.0.0.1:9"]);
        c.env(CLIENT_SECRET_ENV, "x").env(WEBHOOK_SECRET_ENV, "y");
        c
    })
    .expect(1);
    assert!(
        out.stderr.starts_with(&format!(
            "error: the lockfile `{LOCKFILE}` records apps in `{}`, but this run targets `http://127.0.0.1:9`;",
            h.emulator.url()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(h.path(JOURNAL)).unwrap(), journal);
    assert!(!h.path(LOCKFILE).exists());
}
