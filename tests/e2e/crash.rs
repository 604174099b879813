//! `kill -9` at random points (seeded, so a failure can be replayed): a 200-app apply against a
//! slow emulator, killed again and again; then `state mv`, `import` and `export`, killed the
//! same way. After every kill the lockfile parses (or is absent) and records only apps that
//! exist, and every file is the old one or the new one, never partial; the apply that finally
//! runs to the end leaves exactly 200 apps in Recall, no client ID twice, each one recorded.
//!
//! `RECALLFORM_CRASH_SEED` and `RECALLFORM_CRASH_KILLS` replay a seed or kill more often (the
//! test prints both), e.g. `RECALLFORM_CRASH_KILLS=200 cargo test --test e2e crash`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use recallform::emulator::{Config, Fault, FaultKind, Route};
use recallform::lockfile::LockStore;

use crate::common::*;

/// How many apps the manifest has.
const APPS: usize = 200;
/// How long the emulator takes over each create: with 4 in flight, a whole apply takes about
/// 5 s, so most kills land in the middle of one.
const CREATE_DELAY: Duration = Duration::from_millis(100);
/// Kills of the apply, unless `RECALLFORM_CRASH_KILLS` says otherwise.
const APPLY_KILLS: u64 = 20;
/// Kills of each of `state mv`, `import` and `export`.
const SHORT_KILLS: u64 = 10;
/// The seed of the kill points, unless `RECALLFORM_CRASH_SEED` says otherwise.
const SEED: u64 = 0x5eed_0011;

/// The lockfile's journal, which a kill mid-apply leaves behind.
const JOURNAL: &str = "recallform.lock.json.journal";

const CLIENT_SECRET_ENV: &str = "CRASH_ZOOM_CLIENT_SECRET";
const WEBHOOK_SECRET_ENV: &str = "CRASH_ZOOM_WEBHOOK_SECRET";

/// The number in the variable `name` (decimal, or hex after `0x`), else `default`.
fn env_number(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    }
    .unwrap_or_else(|_| panic!("`{name}` is not a number: `{text}`"))
}

fn name(i: usize) -> String {
    format!("app-{i:03}")
}

fn client_id(i: usize) -> String {
    format!("cid-{i:03}")
}

/// The manifest of `apps` apps, and `extra` (for `import`) when asked.
fn manifest(apps: usize, extra: bool) -> String {
    let mut yaml = String::from("version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n");
    let entry = |name: &str, client_id: &str| {
        format!(
            "  {name}:\n    kind: user_level\n    client_id: {client_id}\n    client_secret: {{env: {CLIENT_SECRET_ENV}}}\n    webhook:\n      secret: {{env: {WEBHOOK_SECRET_ENV}}}\n"
        )
    };
    for i in 0..apps {
        yaml.push_str(&entry(&name(i), &client_id(i)));
    }
    if extra {
        yaml.push_str(&entry("extra", "cid-extra"));
    }
    yaml
}

/// `recallform args` aimed at the harness, with the manifest's two secrets set.
fn process(h: &Harness, args: &[&str]) -> std::process::Command {
    let mut cmd = h.process(args);
    cmd.env(CLIENT_SECRET_ENV, "zcs-crash-Q7vX2pL9sK4m")
        .env(WEBHOOK_SECRET_ENV, "zws-crash-H3nB8tR5wY1c");
    cmd
}

/// Runs `args` to the end.
fn run(h: &Harness, args: &[&str]) -> Outcome {
    let out = Outcome::of(assert_cmd::Command::from_std(process(h, args)));
    assert_no_secret("the output", &out.stdout);
    assert_no_secret("the output", &out.stderr);
    out
}

/// Runs `args` to the end, successfully; how long it took. Kill points are drawn from a little
/// more than that, so that about as many kills land before the write as after it.
fn timed(h: &Harness, args: &[&str]) -> Duration {
    let start = Instant::now();
    run(h, args).expect(0);
    start.elapsed()
}

/// A kill point in the first 120% of `span`.
fn within(rng: &mut fastrand::Rng, span: Duration) -> Duration {
    Duration::from_micros(rng.u64(0..=(span.as_micros() as u64) * 6 / 5))
}

fn spawn(h: &Harness, args: &[&str], log: Option<&Path>) -> Child {
    let stderr = match log {
        Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
        None => Stdio::null(),
    };
    process(h, args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Runs `args` and kills it with SIGKILL `after`; whether it was still running then.
fn kill_after(h: &Harness, args: &[&str], after: Duration) -> bool {
    kill_logged(h, args, after, None)
}

/// [`kill_after`], with its stderr in `log`.
fn kill_logged(h: &Harness, args: &[&str], after: Duration, log: Option<&Path>) -> bool {
    let mut child = spawn(h, args, log);
    std::thread::sleep(after);
    let running = child.try_wait().unwrap().is_none();
    // SIGKILL: no destructor, no flush, no cleanup of any kind.
    child.kill().unwrap();
    child.wait().unwrap();
    running
}

/// Waits until Recall's app count has not moved for a while: a create sent just before the
/// kill may still be in the emulator's delay, and the next run would not see it yet. (A real
/// rerun comes much later than that; the client's idempotency keys do not outlive a process.)
fn settle(h: &Harness) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut count = h.emulator.apps().len();
    loop {
        std::thread::sleep(CREATE_DELAY * 2);
        let now = h.emulator.apps().len();
        if now == count || Instant::now() > deadline {
            return;
        }
        count = now;
    }
}

/// The lockfile, read by recallform's own reader (through its journal, if a kill left one);
/// `None` when there is neither.
fn read_lockfile(h: &Harness, when: &str) -> Option<BTreeMap<String, (String, String)>> {
    let path = h.path("recallform.lock.json");
    if !path.exists() && !h.path(JOURNAL).exists() {
        return None;
    }
    let store = LockStore::open_any(&path)
        .unwrap_or_else(|e| panic!("{when}: the lockfile does not parse: {e}"));
    Some(
        store
            .apps()
            .iter()
            .map(|(name, app)| (name.clone(), (app.id.clone(), app.client_id.clone())))
            .collect(),
    )
}

/// Recall's apps by ID (client ID for each), after checking that no client ID is there twice.
fn recall_apps(h: &Harness, when: &str) -> BTreeMap<String, String> {
    let apps = h.emulator.apps();
    let client_ids: BTreeSet<&str> = apps.iter().map(|a| a.client_id.as_str()).collect();
    assert_eq!(
        client_ids.len(),
        apps.len(),
        "{when}: a client ID exists twice in Recall"
    );
    apps.into_iter().map(|a| (a.id, a.client_id)).collect()
}

/// Every record names an app that exists in Recall, with its client ID.
fn check_records(h: &Harness, when: &str) -> usize {
    let recall = recall_apps(h, when);
    let Some(records) = read_lockfile(h, when) else {
        return 0;
    };
    for (name, (id, client_id)) in &records {
        assert_eq!(
            recall.get(id),
            Some(client_id),
            "{when}: `{name}` is recorded as `{id}`, which Recall does not have with its client ID"
        );
    }
    records.len()
}

/// Every app the killed apply's `-vv` log in `log` reported as recorded (after the journal's
/// fsync) is in the lockfile read through its journal, under that name; how many there were.
fn check_reported(h: &Harness, log: &Path, when: &str) -> usize {
    let text = std::fs::read_to_string(log).unwrap();
    let records = read_lockfile(h, when).unwrap_or_default();
    let mut reported = 0;
    for line in text.lines().filter(|l| l.contains("in the journal: ")) {
        let names = line.split("in the journal: ").nth(1).unwrap();
        for name in names.split(", ") {
            let name = name.trim_matches('`');
            assert!(
                records.contains_key(name),
                "{when}: `{name}` was reported as recorded, and the lockfile does not have it"
            );
            reported += 1;
        }
    }
    reported
}

/// The `.recallform-*.tmp` files a write cut short left in the harness's folder `dir`.
fn cut_writes(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with(".recallform-") && name.ends_with(".tmp")
        })
        .count()
}

#[test]
fn an_apply_killed_at_random_points_loses_no_id_and_creates_no_app_twice() {
    let seed = env_number("RECALLFORM_CRASH_SEED", SEED);
    let kills = env_number("RECALLFORM_CRASH_KILLS", APPLY_KILLS);
    eprintln!("crash test: seed {seed:#x}, {kills} kills of the apply");
    let mut rng = fastrand::Rng::with_seed(seed);
    let h = Harness::with_config(Config {
        page_size: 100,
        list_per_minute: 100_000,
        other_per_minute: 100_000,
        ..Config::default()
    });
    h.emulator.inject(Fault::new(
        Route::Create,
        u32::MAX,
        FaultKind::Delay(CREATE_DELAY),
    ));
    h.write("recallform.yaml", &manifest(APPS, false));

    let mut mid_apply = 0;
    let mut recorded_at_kill = Vec::new();
    let (mut reported, mut journals) = (0, 0);
    let log = h.path("apply.log");
    for kill in 0..kills {
        let after = Duration::from_millis(rng.u64(0..=700));
        let when = format!("after kill {kill} of seed {seed:#x} ({after:?} in)");
        let args = ["apply", "--auto-approve", "-vv"];
        if kill_logged(&h, &args, after, Some(&log)) {
            mid_apply += 1;
        }
        settle(&h);
        recorded_at_kill.push(check_records(&h, &when));
        journals += usize::from(h.path(JOURNAL).exists());
        reported += check_reported(&h, &log, &when);
    }
    let temporary = cut_writes(h.dir.path());

    run(&h, &["apply", "--auto-approve"]).expect(0);
    assert!(
        !h.path(JOURNAL).exists(),
        "the apply that ran to the end folded the journal"
    );
    let recall = recall_apps(&h, "at the end");
    assert_eq!(recall.len(), APPS, "apps in Recall at the end");
    let records = read_lockfile(&h, "at the end").unwrap();
    let expected: BTreeMap<String, String> = (0..APPS).map(|i| (name(i), client_id(i))).collect();
    let recorded: BTreeMap<String, String> = records
        .iter()
        .map(|(name, (_, client_id))| (name.clone(), client_id.clone()))
        .collect();
    assert_eq!(recorded, expected, "each app recorded under its name");
    let ids: BTreeSet<&String> = records.values().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        recall.keys().collect(),
        "every ID in Recall is recorded"
    );
    let plan = run(&h, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the plan after it is empty:\n{}", plan.stdout);

    assert!(
        mid_apply * 2 >= kills,
        "only {mid_apply} of {kills} kills landed while the apply ran"
    );
    assert!(journals > 0, "no kill left a journal to fold");
    assert!(reported > 0, "no kill came after a reported record");
    eprintln!(
        "crash test: {kills} kills ({mid_apply} mid-apply, {journals} left a journal), records after each: {recorded_at_kill:?}; {reported} records reported before the kills, none lost; {temporary} writes cut short; then {APPS} apps, each once, all recorded"
    );

    short_commands_killed_at_random_points(&h, &mut rng, seed);
}

/// What one file may be after a kill: the old bytes, or a whole new file.
struct Watched<'a> {
    path: std::path::PathBuf,
    old: Vec<u8>,
    is_new: &'a dyn Fn(&[u8]) -> bool,
}

impl Watched<'_> {
    /// Checks the file; whether it is the new one.
    fn check(&self, when: &str) -> bool {
        let now = std::fs::read(&self.path).unwrap();
        if now == self.old {
            return false;
        }
        assert!(
            (self.is_new)(&now),
            "{when}: `{}` is neither the old file nor a whole new one:\n{}",
            self.path.display(),
            String::from_utf8_lossy(&now)
        );
        true
    }
}

/// Whether `text` is a lockfile recallform reads whose records pass `check`.
fn lockfile_with(text: &[u8], check: impl Fn(&BTreeMap<String, (String, String)>) -> bool) -> bool {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("l.json");
    std::fs::write(&path, text).unwrap();
    let Ok(store) = LockStore::open_any(&path) else {
        return false;
    };
    let apps = store
        .apps()
        .iter()
        .map(|(n, a)| (n.clone(), (a.id.clone(), a.client_id.clone())))
        .collect();
    check(&apps)
}

/// `state mv`, `import` and `export --force`, each killed [`SHORT_KILLS`] times at random
/// points of its short life, on the 200-app lockfile.
fn short_commands_killed_at_random_points(h: &Harness, rng: &mut fastrand::Rng, seed: u64) {
    let lockfile = h.path("recallform.lock.json");
    let mut tally = Vec::new();

    // state mv, back and forth: the lockfile is the old one or has the record renamed.
    let span = timed(h, &["state", "mv", &name(0), "renamed"]);
    let (mut from, mut to) = ("renamed".to_string(), name(0));
    let mut renamed = 0;
    for kill in 0..SHORT_KILLS {
        let watched = Watched {
            path: lockfile.clone(),
            old: std::fs::read(&lockfile).unwrap(),
            is_new: &|text| {
                lockfile_with(text, |apps| {
                    apps.len() == APPS && apps.contains_key(&to) && !apps.contains_key(&from)
                })
            },
        };
        kill_after(h, &["state", "mv", &from, &to], within(rng, span));
        if watched.check(&format!("state mv, kill {kill} of seed {seed:#x}")) {
            renamed += 1;
            std::mem::swap(&mut from, &mut to);
        }
    }
    if from != name(0) {
        h.run(&["state", "mv", &from, &to]).expect(0);
    }
    tally.push(format!("state mv {renamed}/{SHORT_KILLS}"));

    // import: the lockfile is the old one or also records `extra`.
    h.write("recallform.yaml", &manifest(APPS, true));
    let extra = h.emulator.seed("user_level", "cid-extra").id;
    let span = timed(h, &["import", "extra", &extra]);
    h.run(&["state", "rm", "extra"]).expect(0);
    let mut imported = 0;
    for kill in 0..SHORT_KILLS {
        let watched = Watched {
            path: lockfile.clone(),
            old: std::fs::read(&lockfile).unwrap(),
            is_new: &|text| {
                lockfile_with(text, |apps| {
                    apps.len() == APPS + 1
                        && apps.get("extra") == Some(&(extra.clone(), "cid-extra".to_string()))
                })
            },
        };
        kill_after(h, &["import", "extra", &extra], within(rng, span));
        if watched.check(&format!("import, kill {kill} of seed {seed:#x}")) {
            imported += 1;
            h.run(&["state", "rm", "extra"]).expect(0);
        }
    }
    tally.push(format!("import {imported}/{SHORT_KILLS}"));

    // export --force: each of its two files is the old one or a whole new one.
    let span = timed(h, &["export", "--out", "out"]);
    let exported_manifest = std::fs::read(h.path("out/recallform.yaml")).unwrap();
    let mut replaced = [0, 0];
    for kill in 0..SHORT_KILLS {
        let when = format!("export, kill {kill} of seed {seed:#x}");
        let is_manifest = |text: &[u8]| text == exported_manifest;
        let is_lockfile = |text: &[u8]| lockfile_with(text, |apps| apps.len() == APPS + 1);
        let files = [
            Watched {
                path: h.path("out/recallform.yaml"),
                old: std::fs::read(h.path("out/recallform.yaml")).unwrap(),
                is_new: &is_manifest,
            },
            Watched {
                path: h.path("out/recallform.lock.json"),
                old: std::fs::read(h.path("out/recallform.lock.json")).unwrap(),
                is_new: &is_lockfile,
            },
        ];
        kill_after(h, &["export", "--out", "out", "--force"], within(rng, span));
        for (i, file) in files.iter().enumerate() {
            if file.check(&when) {
                replaced[i] += 1;
            }
        }
    }
    // The manifest's new content is its old one (the apps did not change), so only the
    // lockfile, whose lineage is new each time, tells when a kill came after the write.
    tally.push(format!("export {}/{SHORT_KILLS}", replaced[1]));
    eprintln!(
        "crash test: {SHORT_KILLS} kills each of the short commands (new file after the kill / kills): {}",
        tally.join(", ")
    );
}
