//! The relay's spool under `kill -9`: a child process writes events into a spool and is killed
//! at random points (seeded, so a failure can be replayed); after every kill the spool must
//! open, hold every event whose `put` had returned, byte for byte, and show no partial event.
//!
//! The child is this very test binary, run again with [`WRITER_ENV`] set: it then runs
//! [`spool_writer_child`]'s loop instead of returning at once, so no extra binary is needed.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use recallform::relay::Event;
use recallform::relay::spool::Spool;

/// Set to a spool folder, it turns [`spool_writer_child`] into the writer loop.
const WRITER_ENV: &str = "RECALLFORM_TEST_SPOOL_WRITER";

/// The seed of the child's events.
const SEED_ENV: &str = "RECALLFORM_TEST_SPOOL_SEED";

/// How many times the writer is killed.
const KILLS: u64 = 50;

/// The seed of the kill points.
const KILL_SEED: u64 = 0x5eed_0010;

/// Event `n` of the child run with `seed`: the same every time it is made, so the parent can
/// check what it finds without being told the bytes. Bodies are random bytes up to 8 KiB
/// (not even UTF-8), so that some writes are in flight long enough to be cut.
fn generated(seed: u64, n: u64) -> Event {
    let mut rng = fastrand::Rng::with_seed(seed << 32 | n);
    let len = rng.usize(0..=8 * 1024);
    let body: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(len).collect();
    Event {
        app: format!("app-{}", n % 3),
        body: body.into(),
        timestamp: (1_700_000_000 + n).to_string(),
        signature: format!("v0={:032x}{:032x}", rng.u128(..), rng.u128(..)),
        content_type: n
            .is_multiple_of(2)
            .then(|| "application/json; charset=utf-8".to_string()),
        delivery_id: Some(format!("s{seed}-{n}")),
        received_at: UNIX_EPOCH
            + Duration::from_nanos(1_700_000_000_000_000_000 + seed * 1_000_000 + n),
    }
}

/// Which (seed, n) an event was made from, by its delivery ID.
fn origin(event: &Event) -> (u64, u64) {
    let id = event.delivery_id.as_deref().unwrap();
    let (seed, n) = id.strip_prefix('s').unwrap().split_once('-').unwrap();
    (seed.parse().unwrap(), n.parse().unwrap())
}

/// Not a test of its own: with [`WRITER_ENV`] set, the writer loop the crash test kills.
/// It prints `open` once the spool is open, then `put <n> <id>` after each `put` returned.
#[test]
fn spool_writer_child() {
    let Some(dir) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let seed: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let spool = Spool::open(&dir).await.unwrap();
        println!("open");
        for n in 0.. {
            let id = spool.put(&generated(seed, n)).await.unwrap();
            println!("put {n} {id}");
        }
    });
}

/// What the killed child said had returned: (n, id) for each whole `put` line.
fn returned(output: &[u8]) -> Vec<(u64, String)> {
    output
        .split_inclusive(|b| *b == b'\n')
        // A line the kill cut short has no newline, and proves nothing.
        .filter_map(|line| line.strip_suffix(b"\n"))
        .filter_map(|line| std::str::from_utf8(line).ok()?.strip_prefix("put "))
        .map(|rest| {
            let (n, id) = rest.split_once(' ').unwrap();
            (n.parse().unwrap(), id.to_string())
        })
        .collect()
}

/// Runs the writer with `seed` and kills it `after` its spool opened; what it had put.
fn write_and_kill(dir: &Path, seed: u64, after: Duration) -> Vec<(u64, String)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "relay_durable::spool_writer_child",
            "--exact",
            "--nocapture",
        ])
        .env(WRITER_ENV, dir)
        .env(SEED_ENV, seed.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let output: Arc<Mutex<Vec<u8>>> = Arc::default();
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let output = output.clone();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(&mut stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => output.lock().unwrap().extend_from_slice(&line),
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let opened = || {
        String::from_utf8_lossy(&output.lock().unwrap())
            .lines()
            .any(|l| l == "open")
    };
    while !opened() {
        assert!(
            Instant::now() < deadline,
            "the writer never opened the spool"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer died on its own"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(after);
    // SIGKILL: no destructor, no flush, no unlock but the kernel's.
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let output = output.lock().unwrap();
    returned(&output)
}

#[test]
fn a_spool_killed_at_random_points_keeps_every_event_it_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(KILL_SEED);
    let mut accepted: Vec<(u64, u64, String)> = Vec::new();
    let mut cut_writes = 0;
    let mut checked = std::collections::HashSet::new();
    for seed in 0..KILLS {
        let after = Duration::from_micros(rng.u64(0..=20_000));
        for (n, id) in write_and_kill(&spool_dir, seed, after) {
            accepted.push((seed, n, id));
        }
        // What a write cut short leaves: its temporary file, never an event.
        cut_writes += std::fs::read_dir(&spool_dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(".tmp")
            })
            .count();

        runtime.block_on(async {
            let spool = Spool::open(&spool_dir).await.unwrap_or_else(|e| {
                panic!("after kill {seed} (after {after:?}), the spool does not open: {e}")
            });
            let counts = spool.counts();
            assert_eq!(counts.corrupt, 0, "after kill {seed}: a partial event");
            let pending = spool.pending();
            // Every event put and returned is there; those of this run are read back byte
            // for byte (earlier ones were, after their own run; all are again at the end).
            for (s, n, id) in &accepted {
                let id = pending
                    .iter()
                    .find(|p| p.as_str() == id)
                    .unwrap_or_else(|| panic!("after kill {seed}: event {s}/{n} (`{id}`) is lost"));
                if *s == seed {
                    let loaded = spool.load(id).await.unwrap();
                    assert!(
                        loaded.event == generated(*s, *n),
                        "after kill {seed}: {s}/{n} changed"
                    );
                }
            }
            // And whatever else this run left (put, but killed before it could say so) is whole.
            let unchecked: Vec<_> = pending.iter().filter(|id| !checked.contains(*id)).collect();
            for id in unchecked {
                let loaded = spool.load(id).await.unwrap();
                let (s, n) = origin(&loaded.event);
                assert!(
                    loaded.event == generated(s, n),
                    "after kill {seed}: `{id}` is not whole"
                );
                checked.insert(id.clone());
            }
            assert!(pending.len() >= accepted.len());
            // The unfinished writes are gone once it opened.
            let mut names: Vec<String> = std::fs::read_dir(&spool_dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| !name.ends_with(".event"))
                .collect();
            names.sort();
            assert_eq!(names, [".recallform-spool", "corrupt", "dead"]);
        });
    }
    runtime.block_on(async {
        let spool = Spool::open(&spool_dir).await.unwrap();
        for id in spool.pending() {
            let loaded = spool.load(&id).await.unwrap();
            let (s, n) = origin(&loaded.event);
            assert!(
                loaded.event == generated(s, n),
                "at the end: `{id}` changed"
            );
        }
        assert_eq!(spool.counts().corrupt, 0);
    });
    assert!(
        accepted.len() as u64 > KILLS,
        "the writer hardly ever got to write: {} events in {KILLS} runs",
        accepted.len()
    );
    eprintln!(
        "{KILLS} kills: {} events accepted, {cut_writes} writes cut short",
        accepted.len()
    );
}
