use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use super::*;
use crate::relay::spool::Counts;

const SECRET: &str = "zws-acme-prod-H3nB8tR5wY1c";

fn secret() -> SecretString {
    SecretString::new(SECRET.into())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An event signed as Zoom would, `age` ago.
fn signed(body: &'static [u8], age: Duration) -> Event {
    let timestamp = (unix_now() - age.as_secs()).to_string();
    Event {
        app: "acme-prod".into(),
        body: Bytes::from_static(body),
        signature: webhook::sign(&secret(), &timestamp, body),
        timestamp,
        content_type: Some(webhook::CONTENT_TYPE.into()),
        delivery_id: None,
        received_at: SystemTime::now(),
    }
}

/// A Recall that fails the first `failures` deliveries with `answer`, then answers 200, and
/// records everything.
struct Fake {
    failures: AtomicUsize,
    answer: Result<StatusCode, String>,
    secret: Option<SecretString>,
    latency: Duration,
    dedup: DedupCache,
    sent: Mutex<Vec<Sent>>,
    reports: Mutex<Vec<Outcome>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

#[derive(Clone, Debug)]
struct Sent {
    event: Event,
    resign: Option<Resign>,
    /// Whether the event was in the duplicate cache as it was sent.
    cached: bool,
}

impl Fake {
    fn new(dedup: &DedupCache) -> Fake {
        Fake {
            failures: AtomicUsize::new(0),
            answer: Ok(StatusCode::SERVICE_UNAVAILABLE),
            secret: Some(secret()),
            latency: Duration::ZERO,
            dedup: dedup.clone(),
            sent: Mutex::default(),
            reports: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        }
    }

    fn failing(self, failures: usize, answer: Result<StatusCode, String>) -> Fake {
        self.failures.store(failures, Ordering::SeqCst);
        Fake { answer, ..self }
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn reports(&self) -> Vec<Outcome> {
        self.reports.lock().unwrap().clone()
    }
}

impl Deliver for Fake {
    async fn deliver(&self, event: &Event, resign: Option<&Resign>) -> Result<StatusCode, String> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        self.sent.lock().unwrap().push(Sent {
            event: event.clone(),
            resign: resign.cloned(),
            cached: self.dedup.seen(&event.dedup_key()),
        });
        tokio::time::sleep(self.latency).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            self.answer.clone()
        } else {
            Ok(StatusCode::OK)
        }
    }

    fn secret_for(&self, app: &str) -> Option<SecretString> {
        assert_eq!(app, "acme-prod");
        self.secret.clone()
    }

    fn report(&self, _id: &EventId, event: Option<&Event>, outcome: &Outcome) {
        assert!(event.is_some());
        self.reports.lock().unwrap().push(outcome.clone());
    }
}

fn quick(horizon: Duration) -> WorkerConfig {
    WorkerConfig {
        backoff: Backoff {
            first: Duration::from_millis(10),
            max: Duration::from_millis(40),
            horizon,
        },
        concurrency: 4,
        late_after: LATE_AFTER,
    }
}

/// Waits (10 s at most) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn the_delay_doubles_up_to_its_cap() {
    let b = Backoff {
        first: Duration::from_secs(1),
        max: Duration::from_secs(60),
        horizon: DEFAULT_HORIZON,
    };
    // jitter 1 gives the ceiling, 0 half of it.
    let ceilings: Vec<u64> = (1..=9).map(|n| b.delay(n, 1.0).as_secs()).collect();
    assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
    assert_eq!(b.delay(7, 0.0), Duration::from_secs(30));
    assert_eq!(b.delay(4, 0.5), Duration::from_secs(6));
    // No overflow however many failures; the cap holds.
    assert_eq!(b.delay(u32::MAX, 1.0), Duration::from_secs(60));
    assert_eq!(b.delay(0, 1.0), Duration::from_secs(1));
    // Jitter out of range, or not a number, is clamped.
    assert_eq!(b.delay(1, 7.0), Duration::from_secs(1));
    assert_eq!(b.delay(1, -1.0), Duration::from_millis(500));
    assert_eq!(b.delay(1, f64::NAN), Duration::from_millis(500));
}

#[test]
fn jitter_stays_between_half_the_ceiling_and_the_ceiling() {
    let b = Backoff::default();
    let mut rng = fastrand::Rng::with_seed(10);
    for failures in 1..40 {
        let ceiling = b.delay(failures, 1.0);
        for _ in 0..50 {
            let d = b.delay(failures, rng.f64());
            assert!(d >= ceiling / 2 && d <= ceiling, "{failures}: {d:?}");
        }
    }
    // The defaults: 1 s first, 10 minutes at most, 24 hours in all.
    assert_eq!(b.delay(1, 1.0), Duration::from_secs(1));
    assert_eq!(b.delay(30, 1.0), Duration::from_secs(600));
    assert_eq!(b.horizon, Duration::from_secs(86_400));
}

#[test]
fn past_the_horizon_there_is_no_next_attempt() {
    let b = Backoff {
        first: Duration::from_secs(60),
        max: Duration::from_secs(60),
        horizon: Duration::from_secs(3600),
    };
    let received = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let at = |mins: u64| received + Duration::from_secs(mins * 60);
    assert_eq!(b.next_attempt(1, received, at(0), 1.0), Some(at(1)));
    // The last attempt may fall on the horizon itself, not after it.
    assert_eq!(b.next_attempt(9, received, at(59), 1.0), Some(at(60)));
    assert_eq!(
        b.next_attempt(9, received, at(59), 0.0),
        Some(at(59) + Duration::from_secs(30))
    );
    assert_eq!(b.next_attempt(9, received, at(60), 1.0), None);
    assert_eq!(
        b.next_attempt(9, received, at(59) + Duration::from_secs(31), 0.5),
        None
    );
}

#[test]
fn lateness_is_the_timestamp_s_age() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let late = |ts: &str| is_late(ts, now, LATE_AFTER);
    assert!(!late("1700000000"));
    assert!(!late("1699999701"));
    assert!(late("1699999700"), "exactly 5 minutes");
    assert!(late("1600000000"));
    // Milliseconds are read as such.
    assert!(!late("1699999999000"));
    assert!(late("1699999000000"));
    // From the future: a skewed clock, not a late event.
    assert!(!late("1700000600"));
    // Not a number: it cannot be trusted to be fresh.
    assert!(late(""));
    assert!(late("soon"));
    assert!(late("-5"));
}

#[test]
fn a_resign_is_a_fresh_valid_signature_over_the_same_body() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_123);
    let r = Resign::new(&secret(), b"{\"a\": 1}", now);
    assert_eq!(r.timestamp, "1700000123");
    assert!(webhook::verify_signature(
        &secret(),
        "1700000123",
        b"{\"a\": 1}",
        &r.signature
    ));
    assert!(!webhook::verify_signature(
        &secret(),
        "1700000123",
        b"{\"a\":1}",
        &r.signature
    ));
}

#[tokio::test]
async fn an_event_failing_three_times_is_delivered_once_after() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup).failing(3, Ok(StatusCode::SERVICE_UNAVAILABLE)));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    let e = signed(b"{\"event\":\"meeting.created\"}", Duration::ZERO);
    spool.put(&e).await.unwrap();
    until("the delivery", || spool.counts().depth == 0).await;
    // Long enough for a wrongly scheduled extra attempt (40 ms at most) to show.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(worker.stop(Duration::from_secs(5)).await);

    let sent = fake.sent();
    assert_eq!(sent.len(), 4);
    for s in &sent {
        // Fresh: Zoom's own headers, and the body as received.
        assert_eq!(s.event, e);
        assert_eq!(s.resign, None);
        // A failed delivery is never in the cache.
        assert!(!s.cached);
    }
    assert!(dedup.seen(&e.dedup_key()));
    let reports = fake.reports();
    assert_eq!(reports.len(), 4, "{reports:?}");
    for (n, r) in reports[..3].iter().enumerate() {
        let Outcome::Retrying { failures, why, .. } = r else {
            panic!("{r:?}")
        };
        assert_eq!(*failures, n as u32 + 1);
        assert_eq!(why, "Recall answered 503 Service Unavailable");
    }
    let Outcome::Delivered {
        status,
        failures,
        resigned,
        ..
    } = &reports[3]
    else {
        panic!("{:?}", reports[3])
    };
    assert_eq!((*status, *failures, *resigned), (StatusCode::OK, 3, false));
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 0,
            dead: 0,
            corrupt: 0
        }
    );
}

#[tokio::test]
async fn a_transport_failure_is_retried_like_a_status() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup).failing(1, Err("timed out after 2.5 s".into())));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    let id = spool.put(&signed(b"{}", Duration::ZERO)).await.unwrap();
    until("the retry", || !fake.reports().is_empty()).await;
    let Outcome::Retrying { why, .. } = &fake.reports()[0] else {
        panic!()
    };
    assert_eq!(why, "timed out after 2.5 s");
    until("the delivery", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert_eq!(fake.sent().len(), 2);
    assert!(!dir.path().join(format!("{id}.event")).exists());
}

#[tokio::test]
async fn a_late_event_is_re_signed_with_the_same_body() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    let body = b"{\"event\": \"user.updated\",  \"k\":\"\\u00e9\"}";
    let late = signed(body, Duration::from_secs(6 * 60));
    let fresh = signed(b"{\"fresh\":1}", Duration::from_secs(4 * 60));
    spool.put(&late).await.unwrap();
    spool.put(&fresh).await.unwrap();
    until("both deliveries", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);

    let sent = fake.sent();
    let of = |e: &Event| {
        sent.iter()
            .find(|s| s.event.body == e.body)
            .unwrap()
            .clone()
    };
    let resigned = of(&late);
    // The event itself is as received; the new headers travel beside it.
    assert_eq!(resigned.event, late);
    let r = resigned.resign.expect("a late event is re-signed");
    let ts: u64 = r.timestamp.parse().unwrap();
    assert!(ts.abs_diff(unix_now()) <= 5, "{ts}");
    assert!(webhook::verify_signature(
        &secret(),
        &r.timestamp,
        body,
        &r.signature
    ));
    assert_ne!(r.signature, late.signature);
    assert_eq!(of(&fresh).resign, None);
    let delivered: Vec<bool> = fake
        .reports()
        .iter()
        .map(|r| match r {
            Outcome::Delivered { resigned, .. } => *resigned,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(delivered.iter().filter(|r| **r).count(), 1);
}

#[tokio::test]
async fn an_event_late_only_after_failing_is_re_signed_then() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup).failing(1, Ok(StatusCode::BAD_GATEWAY)));
    // Late after 1 s; the retry comes 1.2 to 2.4 s after the first attempt.
    let config = WorkerConfig {
        backoff: Backoff {
            first: Duration::from_millis(2400),
            max: Duration::from_millis(2400),
            horizon: DEFAULT_HORIZON,
        },
        concurrency: 1,
        late_after: Duration::from_secs(1),
    };
    let worker = Worker::start(spool.clone(), dedup.clone(), fake.clone(), config);
    spool.put(&signed(b"{}", Duration::ZERO)).await.unwrap();
    until("the delivery", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    let sent = fake.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].resign, None, "fresh at the first attempt");
    assert!(sent[1].resign.is_some(), "late at the second");
}

#[tokio::test]
async fn a_late_event_whose_signature_fails_is_never_re_signed() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    let mut forged = signed(b"{\"forged\":true}", Duration::from_secs(3600));
    forged.signature = webhook::sign(
        &SecretString::new("other".into()),
        &forged.timestamp,
        &forged.body,
    );
    let id = spool.put(&forged).await.unwrap();
    until("the dead letter", || spool.counts().dead == 1).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert!(fake.sent().is_empty());
    assert_eq!(
        fake.reports(),
        [Outcome::Dead {
            failures: 1,
            why: "its signature does not verify with the app's webhook secret, so it cannot be re-signed".into()
        }]
    );
    assert!(dir.path().join("dead").join(format!("{id}.event")).exists());
}

#[tokio::test]
async fn a_late_event_of_an_app_no_longer_known_goes_as_received() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake {
        secret: None,
        ..Fake::new(&dedup)
    });
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    spool
        .put(&signed(b"{}", Duration::from_secs(3600)))
        .await
        .unwrap();
    until("the delivery", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert_eq!(fake.sent()[0].resign, None);
}

#[tokio::test]
async fn an_event_past_its_horizon_is_a_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake =
        Arc::new(Fake::new(&dedup).failing(usize::MAX, Ok(StatusCode::INTERNAL_SERVER_ERROR)));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(Duration::from_millis(100)),
    );
    let e = signed(b"{\"doomed\":1}", Duration::ZERO);
    let id = spool.put(&e).await.unwrap();
    until("the dead letter", || spool.counts().dead == 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(worker.stop(Duration::from_secs(5)).await);

    let attempts = fake.sent().len();
    // 100 ms at 5-40 ms apart: a few attempts, and none after giving up.
    assert!((2..=20).contains(&attempts), "{attempts}");
    let reports = fake.reports();
    assert_eq!(reports.len(), attempts);
    assert_eq!(
        reports.last().unwrap(),
        &Outcome::Dead {
            failures: attempts as u32,
            why: "Recall answered 500 Internal Server Error".into()
        }
    );
    assert!(!dedup.seen(&e.dedup_key()));
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 0,
            dead: 1,
            corrupt: 0
        }
    );
    let text = std::fs::read(dir.path().join("dead").join(format!("{id}.event"))).unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.contains(r#""last_error":"Recall answered 500 Internal Server Error""#),
        "{text}"
    );
    assert!(
        text.contains(&format!(r#""attempts":{}"#, attempts - 1)),
        "{text}"
    );
    assert!(!text.contains(SECRET));
}

#[tokio::test]
async fn a_restarted_worker_delivers_what_the_spool_holds() {
    let dir = tempfile::tempdir().unwrap();
    let bodies: [&'static [u8]; 5] = [
        b"{\"n\":1}",
        b"{\"n\":2}",
        b"{\"n\":3}",
        b"{ \"n\" : 4 }",
        b"[5]",
    ];
    {
        // A relay that received events and died before delivering any.
        let spool = Spool::open(dir.path()).await.unwrap();
        for body in bodies {
            spool.put(&signed(body, Duration::ZERO)).await.unwrap();
        }
        let first = spool.pending()[0].clone();
        spool
            .retry_later(
                &first,
                2,
                SystemTime::now(),
                "Recall answered 503 Service Unavailable",
            )
            .await
            .unwrap();
    }
    let spool = Spool::open(dir.path()).await.unwrap();
    assert_eq!(spool.counts().depth, 5);
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    until("the deliveries", || spool.counts().depth == 0).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    let mut sent: Vec<Bytes> = fake.sent().into_iter().map(|s| s.event.body).collect();
    sent.sort();
    let mut expected: Vec<Bytes> = bodies.iter().map(|b| Bytes::from_static(b)).collect();
    expected.sort();
    assert_eq!(sent, expected, "each exactly once");
    // The failures before the restart count.
    let failures: Vec<u32> = fake
        .reports()
        .iter()
        .map(|r| match r {
            Outcome::Delivered { failures, .. } => *failures,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        failures.iter().filter(|f| **f == 2).count(),
        1,
        "{failures:?}"
    );
}

#[tokio::test]
async fn an_event_already_delivered_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let e = signed(b"{\"dup\":1}", Duration::ZERO);
    dedup.delivered(&e.dedup_key());
    let fake = Arc::new(Fake::new(&dedup));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    spool.put(&e).await.unwrap();
    until("its removal", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert!(fake.sent().is_empty());
    assert_eq!(fake.reports(), [Outcome::Duplicate]);
}

#[tokio::test]
async fn stopping_lets_the_delivery_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake {
        latency: Duration::from_millis(300),
        ..Fake::new(&dedup)
    });
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    spool
        .put(&signed(b"{\"a\":1}", Duration::ZERO))
        .await
        .unwrap();
    until("the send", || !fake.sent().is_empty()).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    // Finished and recorded, not cut off.
    assert_eq!(spool.counts().depth, 0);
    assert!(matches!(fake.reports()[..], [Outcome::Delivered { .. }]));
    // Nothing starts after the stop.
    spool
        .put(&signed(b"{\"b\":1}", Duration::ZERO))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fake.sent().len(), 1);
    assert_eq!(spool.counts().depth, 1);
}

#[tokio::test]
async fn a_stop_past_its_budget_cuts_off_and_keeps_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake {
        latency: Duration::from_secs(30),
        ..Fake::new(&dedup)
    });
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    let id = spool.put(&signed(b"{}", Duration::ZERO)).await.unwrap();
    until("the send", || !fake.sent().is_empty()).await;
    let started = Instant::now();
    assert!(!worker.stop(Duration::from_millis(100)).await);
    assert!(started.elapsed() < Duration::from_secs(2));
    // Still spooled, for the next start.
    assert_eq!(spool.pending(), [id]);
}

#[tokio::test]
async fn deliveries_run_side_by_side_up_to_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    for n in 0..12u8 {
        let body: &'static [u8] =
            Box::leak(format!("{{\"n\":{n}}}").into_bytes().into_boxed_slice());
        spool.put(&signed(body, Duration::ZERO)).await.unwrap();
    }
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake {
        latency: Duration::from_millis(100),
        ..Fake::new(&dedup)
    });
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    let started = Instant::now();
    until("the deliveries", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert_eq!(fake.sent().len(), 12);
    assert_eq!(fake.most_in_flight.load(Ordering::SeqCst), 4);
    // Three rounds of four, not twelve one after another.
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_corrupt_file_is_reported_and_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let bad = spool
        .put(&signed(b"{\"bad\":1}", Duration::ZERO))
        .await
        .unwrap();
    let good = signed(b"{\"good\":1}", Duration::ZERO);
    spool.put(&good).await.unwrap();
    std::fs::write(dir.path().join(format!("{bad}.event")), b"scribbled over").unwrap();
    struct Quiet(Fake, Mutex<Vec<String>>);
    impl Deliver for Quiet {
        async fn deliver(&self, e: &Event, r: Option<&Resign>) -> Result<StatusCode, String> {
            self.0.deliver(e, r).await
        }
        fn secret_for(&self, app: &str) -> Option<SecretString> {
            self.0.secret_for(app)
        }
        fn report(&self, _id: &EventId, event: Option<&Event>, outcome: &Outcome) {
            if let Outcome::SpoolError { why } = outcome {
                assert!(event.is_none());
                self.1.lock().unwrap().push(why.clone());
            }
        }
    }
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Quiet(Fake::new(&dedup), Mutex::default()));
    let worker = Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    );
    until("the delivery", || spool.counts().depth == 0).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert_eq!(fake.0.sent().len(), 1);
    assert_eq!(fake.0.sent()[0].event, good);
    assert_eq!(
        *fake.1.lock().unwrap(),
        [format!(
            "the spooled event `{bad}` is not a recallform spool event; it was moved into `corrupt/`"
        )]
    );
    assert_eq!(spool.counts().corrupt, 1);
}

#[tokio::test]
async fn an_unreadable_file_waits_instead_of_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let id = spool.put(&signed(b"{}", Duration::ZERO)).await.unwrap();
    // A folder where the file should be: reading it fails, and not as "gone" or "corrupt".
    let path = dir.path().join(format!("{id}.event"));
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    struct Counting(AtomicUsize);
    impl Deliver for Counting {
        async fn deliver(&self, _: &Event, _: Option<&Resign>) -> Result<StatusCode, String> {
            Ok(StatusCode::OK)
        }
        fn secret_for(&self, _: &str) -> Option<SecretString> {
            None
        }
        fn report(&self, _: &EventId, _: Option<&Event>, outcome: &Outcome) {
            assert!(matches!(outcome, Outcome::SpoolError { .. }), "{outcome:?}");
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let counting = Arc::new(Counting(AtomicUsize::new(0)));
    let worker = Worker::start(
        spool.clone(),
        DedupCache::new(10),
        counting.clone(),
        quick(DEFAULT_HORIZON),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(worker.stop(Duration::from_secs(5)).await);
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
    assert_eq!(spool.pending(), [id]);
}

#[tokio::test]
async fn dropping_the_worker_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let dedup = DedupCache::new(100);
    let fake = Arc::new(Fake::new(&dedup));
    drop(Worker::start(
        spool.clone(),
        dedup.clone(),
        fake.clone(),
        quick(DEFAULT_HORIZON),
    ));
    tokio::time::sleep(Duration::from_millis(50)).await;
    spool.put(&signed(b"{}", Duration::ZERO)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(fake.sent().is_empty());
    // Its task has ended: nothing holds the deliverer but this test.
    assert_eq!(Arc::strong_count(&fake), 1);
}
