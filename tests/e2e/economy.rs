//! Request economy (issue 12, item 2): `plan` makes ceil(N / page size) list calls and nothing
//! else; `apply` adds exactly one write per change and no read. Counted in the emulator's
//! request log, for N = 0, 1, a page, a page and one, and 250 apps.

use recallform::emulator::{Config, Logged};

use crate::common::*;

/// The emulator's page size in these tests.
const PAGE: usize = 10;

/// The sizes every scenario runs at: none, one, a full page, a page and one, many pages.
const SIZES: [usize; 5] = [0, 1, PAGE, PAGE + 1, 250];

/// A harness with `n` apps in its manifest (`app-0` ...), each with its own secrets, whose
/// values end in `round` so that a new round changes every secret.
struct Fleet {
    h: Harness,
    n: usize,
    round: u32,
}

impl Fleet {
    fn new(n: usize) -> Fleet {
        // No 429 from the emulator either: its retries would be requests of its own making.
        let h = Harness::with_config(Config {
            page_size: PAGE,
            list_per_minute: 100_000,
            other_per_minute: 100_000,
            ..Config::default()
        });
        let fleet = Fleet { h, n, round: 0 };
        fleet.write_manifest(n);
        fleet
    }

    /// The manifest with the first `count` apps.
    fn write_manifest(&self, count: usize) {
        let mut yaml = String::from("version: 1\nrecall:\n  region: us-east-1\n");
        if count > 0 {
            yaml.push_str("zoom_oauth_apps:\n");
        }
        for i in 0..count {
            yaml.push_str(&format!(
                "  app-{i}:\n    kind: user_level\n    client_id: cid-{i}\n    client_secret: {{env: CS_{i}}}\n    webhook:\n      secret: {{env: WS_{i}}}\n"
            ));
        }
        self.h.write("recallform.yaml", &yaml);
    }

    /// Runs recallform with every app's secrets of this round in the environment, and
    /// returns what it sent.
    fn run(&self, args: &[&str]) -> (Outcome, Vec<Logged>) {
        let before = self.h.requests().len();
        let mut cmd = self.h.cmd(args);
        for i in 0..self.n {
            cmd.env(format!("CS_{i}"), format!("cs-{i}-secret-r{}", self.round));
            cmd.env(format!("WS_{i}"), format!("ws-{i}-secret-r{}", self.round));
        }
        let out = Outcome::of(cmd).expect(0);
        let sent = self.h.requests()[before..].to_vec();
        let failed: Vec<&Logged> = sent
            .iter()
            .filter(|r| !r.status.is_some_and(|s| (200..300).contains(&s)))
            .collect();
        assert!(failed.is_empty(), "every request succeeds once: {failed:?}");
        (out, sent)
    }
}

/// The list calls a workspace of `apps` apps needs: one page, or ceil(apps / page).
fn lists(apps: usize) -> usize {
    apps.div_ceil(PAGE).max(1)
}

/// What was sent: (list GETs, other GETs, POSTs, PATCHes, DELETEs).
fn tally(sent: &[Logged]) -> (usize, usize, usize, usize, usize) {
    let count = |m: &str| sent.iter().filter(|r| r.method == m).count();
    let is_list = |r: &&Logged| r.uri.split('?').next() == Some("/api/v2/zoom-oauth-apps/");
    let list_gets = sent
        .iter()
        .filter(|r| r.method == "GET")
        .filter(is_list)
        .count();
    (
        list_gets,
        count("GET") - list_gets,
        count("POST"),
        count("PATCH"),
        count("DELETE"),
    )
}

#[test]
fn plan_lists_ceil_n_over_page_and_sends_nothing_else() {
    for n in SIZES {
        let f = Fleet::new(n);
        for i in 0..n {
            f.h.emulator.seed("user_level", &format!("cid-{i}"));
        }
        let (_, sent) = f.run(&["plan"]);
        assert_eq!(tally(&sent), (lists(n), 0, 0, 0, 0), "plan of {n} apps");
    }
}

#[test]
fn apply_adds_one_write_per_change_and_no_read() {
    for n in SIZES {
        let mut f = Fleet::new(n);
        let parallelism = "16";

        // Creates: Recall has none yet, so one page of list, then one POST per app.
        let (_, sent) = f.run(&["apply", "--auto-approve", "--parallelism", parallelism]);
        assert_eq!(tally(&sent), (1, 0, n, 0, 0), "apply of {n} creates");
        assert_eq!(f.h.emulator.apps().len(), n);

        // Nothing to do: the list, and nothing else.
        let (_, sent) = f.run(&["apply", "--auto-approve"]);
        assert_eq!(tally(&sent), (lists(n), 0, 0, 0, 0), "no-op apply of {n}");

        // Every secret changed: one PATCH per app.
        f.round = 1;
        let (_, sent) = f.run(&["apply", "--auto-approve", "--parallelism", parallelism]);
        assert_eq!(tally(&sent), (lists(n), 0, 0, n, 0), "apply of {n} patches");

        // Every app removed from the manifest: one DELETE per app.
        f.write_manifest(0);
        let (_, sent) = f.run(&[
            "apply",
            "--auto-approve",
            "--allow-delete",
            "--force",
            "--parallelism",
            parallelism,
        ]);
        assert_eq!(tally(&sent), (lists(n), 0, 0, 0, n), "apply of {n} deletes");
        assert!(f.h.emulator.apps().is_empty());
    }
}
