//! Client-side pacing (issue 12, item 1) as the real binary does it: Recall's documented limits
//! by default, `recall.rate_limit` in the manifest, `--rate-limit` over it, a 429 that pauses
//! every task of its class, and `--parallelism 16` still 16 in flight when pacing is generous.
//!
//! The harness turns pacing off (`RECALLFORM_RATE_LIMIT=off`); these tests set it again.

use std::time::Duration;

use recallform::emulator::{Fault, FaultKind, Logged, Route};

use crate::common::*;

/// A limit of 614 a minute paces at 600: one request every 100 ms.
const TENTH_OF_A_SECOND: &str = "614/min";

/// The requests with `method`, in the order they arrived.
fn arrived(h: &Harness, method: &str) -> Vec<Logged> {
    let mut sent: Vec<Logged> = h
        .requests()
        .into_iter()
        .filter(|r| r.method == method)
        .collect();
    sent.sort_by_key(|r| r.at);
    sent
}

/// The gaps between consecutive requests.
fn gaps(sent: &[Logged]) -> Vec<Duration> {
    sent.windows(2)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect()
}

/// A harness whose Recall has 11 apps, so that a plan reads two pages of the default 10.
fn two_pages() -> Harness {
    let h = Harness::new();
    h.manifest(&[]);
    for i in 0..11 {
        h.emulator.seed("user_level", &format!("seeded-{i}"));
    }
    h
}

/// `recallform ARGS -v` with the pacing of `rate_limit` (`None`: the default, as a user has it).
fn verbose(h: &Harness, args: &[&str], rate_limit: Option<&str>) -> Outcome {
    let mut cmd = h.cmd(args);
    cmd.arg("-v");
    match rate_limit {
        Some(limits) => cmd.env("RECALLFORM_RATE_LIMIT", limits),
        None => cmd.env_remove("RECALLFORM_RATE_LIMIT"),
    };
    let out = Outcome::of(cmd).expect(0);
    assert_no_secret("stderr", &out.stderr);
    out
}

#[test]
fn by_default_lists_go_at_57_a_minute() {
    let h = two_pages();
    let out = verbose(&h, &["plan"], None);
    let lists = arrived(&h, "GET");
    assert_eq!(lists.len(), 2);
    let gap = gaps(&lists)[0];
    // 60/57 s, less what the first answer took.
    assert!(
        gap >= Duration::from_millis(1000),
        "the second list came {gap:?} after the first"
    );
    assert_eq!(
        out.stderr
            .lines()
            .filter(
                |l| l.contains("for the next list request: paced at 57/min under Recall's 60/min")
            )
            .count(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn the_flag_wins_over_the_manifest_which_wins_over_the_default() {
    let h = two_pages();
    h.write(
        "recallform.yaml",
        &format!("version: 1\nrecall:\n  region: us-east-1\n  rate_limit:\n    list: {TENTH_OF_A_SECOND}\n"),
    );
    let paced_line = |out: &Outcome| -> Vec<String> {
        out.stderr
            .lines()
            .filter(|l| l.contains("for the next list request"))
            .map(|l| l.rsplit_once(": ").unwrap().1.to_string())
            .collect()
    };

    let out = verbose(&h, &["plan"], None);
    assert_eq!(
        paced_line(&out),
        ["paced at 600/min under Recall's 614/min"]
    );
    let lists = arrived(&h, "GET");
    assert!(gaps(&lists)[0] >= Duration::from_millis(80), "{lists:?}");

    let out = verbose(&h, &["plan", "--rate-limit", "list=1228/min"], None);
    assert_eq!(
        paced_line(&out),
        ["paced at 1202/min under Recall's 1228/min"]
    );
    // The environment variable is the flag's.
    let out = verbose(&h, &["plan"], Some("list=1228/min,write=off"));
    assert_eq!(
        paced_line(&out),
        ["paced at 1202/min under Recall's 1228/min"]
    );
    // `off` paces nothing, whatever the manifest says.
    let out = verbose(&h, &["plan", "--rate-limit", "list=off"], None);
    assert_eq!(paced_line(&out), Vec::<String>::new());
}

#[test]
fn a_bad_rate_limit_is_a_usage_error_or_a_located_diagnostic() {
    let h = Harness::new();
    h.manifest(&[]);
    let out = h.run(&["plan", "--rate-limit", "list=60"]).expect(64);
    assert_eq!(
        out.stderr,
        "error: invalid value 'list=60' for '--rate-limit <LIMITS>': `60` is not a rate such as `60/min`\n\nFor more information, try '--help'.\n"
    );
    assert!(h.requests().is_empty());

    h.write(
        "recallform.yaml",
        "version: 1\nrecall:\n  region: us-east-1\n  rate_limit:\n    list: 60/min\n    write: 300/hour\n",
    );
    let out = h.run(&["validate"]).expect(1);
    assert!(
        out.stderr.starts_with(
            "error[invalid-rate-limit]: `recall.rate_limit.write`: `hour` in `300/hour` is not `min` or `s`\n  --> recallform.yaml:6:12\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "  = hint: write Recall's limit as requests a minute or a second, such as `write: 300/min`, or `off` for no pacing\n"
        ),
        "{}",
        out.stderr
    );
    let out = h.run(&["plan"]).expect(1);
    assert!(
        out.stderr.contains("error[invalid-rate-limit]"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty(), "bad input costs no request");
}

#[test]
fn a_429_pauses_every_write_not_only_the_one_that_got_it() {
    let h = Harness::new();
    h.manifest_of(12);
    // The fourth create is refused; every other takes 200 ms, so the three sent before it are
    // still on their way when the 429 comes, and their tasks would go on at once, unpaused.
    h.emulator.inject(
        Fault::new(
            Route::Create,
            1,
            FaultKind::Status {
                status: 429,
                retry_after: Some(2),
            },
        )
        .after(3),
    );
    h.emulator.inject(Fault::new(
        Route::Create,
        12,
        FaultKind::Delay(Duration::from_millis(200)),
    ));
    // Unpaced writes, so that only the pause can hold the other tasks back.
    let out = verbose(
        &h,
        &["apply", "--auto-approve", "--parallelism", "4"],
        Some("write=off"),
    );
    assert!(
        out.stderr
            .contains("Recall answered 429: pausing every write request for 2000 ms"),
        "{}",
        out.stderr
    );
    let posts = arrived(&h, "POST");
    assert_eq!(posts.len(), 13, "12 creates and one retry: {posts:?}");
    assert_eq!(h.emulator.apps().len(), 12);
    let throttled = posts.iter().find(|r| r.status == Some(429)).unwrap().at;
    let since = |r: &Logged| r.at.saturating_duration_since(throttled);
    // The four first creates went together; then nothing until Retry-After is over, though
    // three tasks were free again after 200 ms.
    let first: Vec<Duration> = posts[..4].iter().map(since).collect();
    assert!(
        first.iter().all(|d| *d < Duration::from_millis(100)),
        "{first:?}"
    );
    let rest: Vec<Duration> = posts[4..].iter().map(since).collect();
    assert!(
        rest.iter().all(|d| *d >= Duration::from_millis(1950)),
        "writes sent during the pause: {rest:?}"
    );
}

/// A manifest of `n` apps (`app-0` ...) and the environment with their secrets.
fn fleet(h: &Harness, n: usize) -> Vec<(String, String)> {
    let mut yaml = String::from("version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n");
    let mut env = Vec::new();
    for i in 0..n {
        yaml.push_str(&format!(
            "  app-{i}:\n    kind: user_level\n    client_id: cid-{i}\n    client_secret: {{env: CS_{i}}}\n    webhook:\n      secret: {{env: WS_{i}}}\n"
        ));
        env.push((format!("CS_{i}"), format!("cs-{i}-secret")));
        env.push((format!("WS_{i}"), format!("ws-{i}-secret")));
    }
    h.write("recallform.yaml", &yaml);
    env
}

#[test]
fn parallelism_16_keeps_16_in_flight_when_pacing_is_generous() {
    for limits in ["write=100000/min", "off"] {
        let h = Harness::new();
        let env = fleet(&h, 32);
        // Each create takes 500 ms, so 16 in flight means 16 arrive before the first answer.
        h.emulator.inject(Fault::new(
            Route::Create,
            32,
            FaultKind::Delay(Duration::from_millis(500)),
        ));
        let mut cmd = h.cmd(&["apply", "--auto-approve", "--parallelism", "16"]);
        cmd.env("RECALLFORM_RATE_LIMIT", limits).envs(env);
        Outcome::of(cmd).expect(0);
        let posts = arrived(&h, "POST");
        assert_eq!(posts.len(), 32);
        let first = posts[0].at;
        let since = |r: &Logged| r.at.duration_since(first);
        assert!(
            since(&posts[15]) < Duration::from_millis(400),
            "{limits}: the 16th create came {:?} after the first",
            since(&posts[15])
        );
        assert!(
            since(&posts[16]) >= Duration::from_millis(450),
            "{limits}: a 17th create came {:?} after the first, before any answer",
            since(&posts[16])
        );
    }
}
