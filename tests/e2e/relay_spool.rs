//! `recallform relay` with its durable side: `--spool` (200 once on disk, delivered in the
//! background, re-signed when late, dead letters past the horizon, nothing lost to kill -9),
//! the duplicate cache, and `--tee`.

use std::path::Path;
use std::time::{Duration, Instant};

use recallform::emulator::{Fault, FaultKind, Route, WebhookEvent};
use recallform::model::SecretString;
use recallform::webhook;

use crate::common::*;
use crate::relay::{
    Conn, Relay, closed_url, now, quantile, record_url, sample, send_load, two_apps, upstream,
    zoom_headers, zoom_headers_at,
};

/// Zoom's headers of one request.
type Headers = Vec<(String, String)>;

/// Recall answers every webhook 503 until [`recallform::emulator::Emulator::clear_faults`].
fn recall_down(h: &Harness) {
    h.emulator.inject(Fault::new(
        Route::Webhook,
        u32::MAX,
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
}

/// Waits until `done` holds, for up to `within`; `what` says what was awaited.
fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < within, "waited {within:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the emulator has accepted `n` webhook events, for up to `within`.
fn wait_for_recall(h: &Harness, n: usize, within: Duration) -> Vec<WebhookEvent> {
    let what = format!("{n} events at Recall");
    wait_until(&what, within, || h.emulator.webhook_events().len() >= n);
    h.emulator.webhook_events()
}

/// Waits until the spool in `dir` holds no pending event.
fn wait_for_empty(dir: &Path) {
    wait_until("an empty spool", Duration::from_secs(5), || {
        pending(dir) == 0
    });
}

/// The pending event files of the spool in `dir`.
fn pending(dir: &Path) -> usize {
    files(dir, "event")
}

/// Files in `dir` whose names end in `.ext`.
fn files(dir: &Path, ext: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == ext))
            .count()
    })
}

/// The bodies Recall accepted, sorted.
fn bodies(events: &[WebhookEvent]) -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = events.iter().map(|e| e.body.to_vec()).collect();
    bodies.sort();
    bodies
}

fn event(n: usize) -> Vec<u8> {
    format!("{{\"event\":\"meeting.started\",  \"payload\":{{\"object\":{{\"id\":{n}}}}}}}")
        .into_bytes()
}

/// `line`'s value of `key=`.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let at = line.find(&format!(" {key}=")).unwrap() + key.len() + 2;
    line[at..].split(' ').next().unwrap()
}

#[test]
fn without_a_spool_a_failed_event_is_retried_by_zoom_and_a_delivered_one_is_not_sent_twice() {
    let h = Harness::new();
    two_apps(&h);
    let relay = Relay::start(&h, &[]);
    let body = event(1);
    let headers = zoom_headers("acme-prod", &body);
    let post = || relay.post("/zoom/acme-prod", &headers, &body);

    // Recall down: 503, and the event is not remembered as delivered.
    h.emulator.inject(Fault::new(
        Route::Webhook,
        1,
        FaultKind::Status {
            status: 500,
            retry_after: None,
        },
    ));
    assert_eq!(post().status, 503);
    // Zoom's retry goes through, and Recall's answer comes back.
    let answer = post();
    assert_eq!((answer.status, answer.text().as_str()), (200, "{}"));
    // Zoom's next retry (it never saw the 200) is answered without a forward.
    let answer = post();
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (200, "already received\n")
    );
    assert_eq!(h.emulator.webhook_events().len(), 1);

    // Without a delivery ID, the body identifies the event.
    let mut bare = zoom_headers("acme-prod", &event(2));
    bare.retain(|(name, _)| name != webhook::TRACKING_HEADER);
    let post = || relay.post("/zoom/acme-prod", &bare, &event(2));
    assert_eq!(post().text(), "{}");
    assert_eq!(post().text(), "already received\n");
    // The same body for another app is another event.
    let mut dev = zoom_headers("acme-dev", &event(2));
    dev.retain(|(name, _)| name != webhook::TRACKING_HEADER);
    assert_eq!(relay.post("/zoom/acme-dev", &dev, &event(2)).text(), "{}");
    assert_eq!(h.emulator.webhook_events().len(), 3);

    assert_eq!(
        relay.wait_for_events(6)[..6]
            .iter()
            .map(|l| field(l, "outcome").to_string() + " " + field(l, "status"))
            .collect::<Vec<_>>(),
        [
            "recall_unavailable 503",
            "forwarded 200",
            "duplicate 200",
            "forwarded 200",
            "duplicate 200",
            "forwarded 200",
        ]
    );
    let metrics = relay.admin("/metrics").text();
    assert_eq!(sample(&metrics, "recallform_relay_duplicates_total"), 2.0);
    assert_eq!(sample(&metrics, "recallform_relay_dedup_keys"), 3.0);
    assert!(!metrics.contains("spool"), "{metrics}");

    // `--dedup-capacity 0` forwards every repeat.
    drop(relay);
    let relay = Relay::start(&h, &["--dedup-capacity", "0"]);
    let headers = zoom_headers("acme-prod", &event(3));
    for _ in 0..2 {
        assert_eq!(
            relay.post("/zoom/acme-prod", &headers, &event(3)).text(),
            "{}"
        );
    }
    assert_eq!(h.emulator.webhook_events().len(), 5);
}

#[test]
fn with_a_spool_recall_down_is_200_and_each_event_reaches_recall_once_when_it_is_back() {
    let h = Harness::new();
    two_apps(&h);
    let spool = h.dir.path().join("spool");
    let relay = Relay::start(&h, &["--spool", spool.to_str().unwrap()]);
    recall_down(&h);
    let sent: Vec<(Vec<u8>, Headers)> = (0..5)
        .map(|n| {
            let body = event(n);
            (body.clone(), zoom_headers("acme-prod", &body))
        })
        .collect();
    for (body, headers) in &sent {
        let started = Instant::now();
        let answer = relay.post("/zoom/acme-prod", headers, body);
        assert_eq!((answer.status, answer.text().as_str()), (200, "received\n"));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    assert_eq!(pending(&spool), 5);
    // Zoom's retry of an event the spool holds is not spooled twice.
    let answer = relay.post("/zoom/acme-prod", &sent[0].1, &sent[0].0);
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (200, "already received\n")
    );
    assert_eq!(pending(&spool), 5);
    // Each has failed once before Recall is back.
    wait_until("5 failed attempts", Duration::from_secs(10), || {
        relay.log().matches("outcome=retrying").count() >= 5
    });
    assert!(h.emulator.webhook_events().is_empty());

    h.emulator.clear_faults();
    let events = wait_for_recall(&h, 5, Duration::from_secs(15));
    let mut want: Vec<Vec<u8>> = sent.iter().map(|(b, _)| b.clone()).collect();
    want.sort();
    assert_eq!(bodies(&events), want);
    // Fresh events keep Zoom's own headers.
    for event in &events {
        let (_, headers) = sent.iter().find(|(b, _)| *b == event.body).unwrap();
        for name in ["x-zm-request-timestamp", "x-zm-signature", "content-type"] {
            let want = headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str());
            assert_eq!(event.header(name), want, "{name}");
        }
    }
    wait_for_empty(&spool);
    // Once delivered, a repeat is a duplicate too, and nothing more reaches Recall.
    let answer = relay.post("/zoom/acme-prod", &sent[1].1, &sent[1].0);
    assert_eq!(answer.text(), "already received\n");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(h.emulator.webhook_events().len(), 5);

    let log = relay.log();
    let delivered: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("outcome=delivered"))
        .collect();
    assert_eq!(delivered.len(), 5, "{log}");
    for line in &delivered {
        assert!(
            line.contains("app=acme-prod event=meeting.started outcome=delivered status=200"),
            "{line}"
        );
        assert!(!line.contains("re-signed"), "{line}");
    }
    let retrying = log
        .lines()
        .find(|l| l.contains("outcome=retrying"))
        .unwrap();
    assert!(
        retrying.contains("status=- ") && retrying.contains("failed: Recall answered 503"),
        "{retrying}"
    );
    let metrics = relay.admin("/metrics").text();
    assert_eq!(sample(&metrics, "recallform_relay_spooled_total"), 5.0);
    assert_eq!(sample(&metrics, "recallform_relay_spool_depth"), 0.0);
    assert_eq!(sample(&metrics, "recallform_relay_dead_letters"), 0.0);
    assert_eq!(
        sample(
            &metrics,
            "recallform_relay_deliveries_total{result=\"delivered\"}"
        ),
        5.0
    );
    assert!(
        sample(
            &metrics,
            "recallform_relay_deliveries_total{result=\"retrying\"}"
        ) >= 5.0
    );
    assert_eq!(sample(&metrics, "recallform_relay_duplicates_total"), 2.0);
    assert_eq!(
        sample(&metrics, "recallform_relay_answers_total{code=\"200\"}"),
        7.0
    );
    assert_no_secret("stderr", &log);
}

#[test]
fn a_late_event_is_re_signed_with_a_fresh_timestamp_and_the_same_bytes() {
    let h = Harness::new();
    two_apps(&h);
    let spool = h.dir.path().join("spool");
    let relay = Relay::start(&h, &["--spool", spool.to_str().unwrap()]);
    // Zoom's retry of an event first sent 20 minutes ago, with its first timestamp.
    let then = (now() - 20 * 60).to_string();
    let body = event(7);
    let headers = zoom_headers_at("acme-prod", &body, &then);
    assert_eq!(relay.post("/zoom/acme-prod", &headers, &body).status, 200);
    let events = wait_for_recall(&h, 1, Duration::from_secs(10));
    let got = &events[0];
    assert_eq!(got.body.as_ref(), body.as_slice());
    let timestamp = got.header("x-zm-request-timestamp").unwrap();
    let fresh: u64 = timestamp.parse().unwrap();
    assert!(fresh + 5 >= now() && fresh <= now(), "{timestamp}");
    let secret = SecretString::new(webhook_secret("acme-prod"));
    let signature = got.header("x-zm-signature").unwrap();
    assert_eq!(signature, webhook::sign(&secret, timestamp, &body));
    assert_ne!(
        Some(signature),
        headers
            .iter()
            .find(|(n, _)| n == "x-zm-signature")
            .map(|(_, v)| v.as_str())
    );
    relay.wait_for("re-signed");
    let metrics = relay.admin("/metrics").text();
    assert_eq!(sample(&metrics, "recallform_relay_resigned_total"), 1.0);
}

#[test]
fn a_delivery_from_the_spool_may_take_longer_than_zoom_s_deadline() {
    let h = Harness::new();
    two_apps(&h);
    let spool = h.dir.path().join("spool");
    let relay = Relay::start(
        &h,
        &[
            "--spool",
            spool.to_str().unwrap(),
            "--forward-timeout",
            "500ms",
        ],
    );
    h.emulator.inject(Fault::new(
        Route::Webhook,
        1,
        FaultKind::Delay(Duration::from_millis(1500)),
    ));
    let body = event(1);
    let started = Instant::now();
    let answer = relay.post("/zoom/acme-prod", &zoom_headers("acme-prod", &body), &body);
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() < Duration::from_millis(500));
    relay.wait_for("outcome=delivered");
    let log = relay.log();
    assert!(!log.contains("outcome=retrying"), "{log}");
    assert!(log.contains(", attempt 1\""), "{log}");
    assert_eq!(h.emulator.webhook_events().len(), 1);
}

#[test]
fn a_relay_killed_with_events_in_its_spool_delivers_them_all_once_after_a_restart() {
    let h = Harness::new();
    two_apps(&h);
    let spool = h.dir.path().join("spool");
    let args = ["--spool", spool.to_str().unwrap()];
    let mut relay = Relay::start(&h, &args);
    recall_down(&h);
    let mut want = Vec::new();
    let mut conn = Conn::open(&relay.addr);
    for n in 0..40 {
        let body = event(n);
        let app = if n % 2 == 0 { "acme-prod" } else { "acme-dev" };
        let answer = conn
            .send(
                "POST",
                &format!("/zoom/{app}"),
                &zoom_headers(app, &body),
                &body,
            )
            .unwrap();
        assert_eq!(answer.status, 200);
        want.push(body);
    }
    relay.wait_for("outcome=retrying");
    relay.child.kill().unwrap(); // SIGKILL
    relay.child.wait().unwrap();
    assert_eq!(pending(&spool), 40);
    assert!(h.emulator.webhook_events().is_empty());

    h.emulator.clear_faults();
    let relay = Relay::start(&h, &args);
    let events = wait_for_recall(&h, 40, Duration::from_secs(20));
    want.sort();
    assert_eq!(bodies(&events), want);
    wait_for_empty(&spool);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(h.emulator.webhook_events().len(), 40, "delivered once each");
    assert_eq!(relay.log().matches("outcome=delivered").count(), 40);
}

#[test]
fn sigterm_leaves_undelivered_events_in_the_spool_and_a_second_relay_cannot_share_it() {
    let h = Harness::new();
    two_apps(&h);
    let spool = h.dir.path().join("spool");
    let args = ["--spool", spool.to_str().unwrap()];
    let mut relay = Relay::start(&h, &args);
    recall_down(&h);
    let body = event(1);
    assert_eq!(
        relay
            .post("/zoom/acme-prod", &zoom_headers("acme-prod", &body), &body)
            .status,
        200
    );

    // One relay per spool.
    let out = h.run(&[
        "relay",
        "--listen",
        "127.0.0.1:0",
        "--spool",
        spool.to_str().unwrap(),
    ]);
    let out = out.expect(1);
    assert!(
        out.stderr
            .contains(&format!("cannot open the spool `{}`", spool.display())),
        "{}",
        out.stderr
    );

    relay.signal("TERM");
    assert_eq!(relay.exit_code(Duration::from_secs(12)), 0);
    assert_eq!(pending(&spool), 1);
}

#[test]
fn an_event_recall_never_takes_becomes_a_dead_letter_after_the_horizon() {
    let h = Harness::new();
    two_apps(&h);
    record_url(&h, "acme-dev", &closed_url());
    let spool = h.dir.path().join("spool");
    let relay = Relay::start(
        &h,
        &["--spool", spool.to_str().unwrap(), "--spool-horizon", "2s"],
    );
    let body = event(9);
    assert_eq!(
        relay
            .post("/zoom/acme-dev", &zoom_headers("acme-dev", &body), &body)
            .status,
        200
    );
    relay.wait_for("outcome=dead");
    let line = relay
        .log()
        .lines()
        .find(|l| l.contains("outcome=dead"))
        .unwrap()
        .to_string();
    assert!(
        line.contains("app=acme-dev event=meeting.started outcome=dead status=-"),
        "{line}"
    );
    assert!(
        line.contains("unreachable") && line.contains("moved into dead/"),
        "{line}"
    );
    assert_eq!(pending(&spool), 0);
    assert_eq!(files(&spool.join("dead"), "event"), 1);
    let dead = std::fs::read_dir(spool.join("dead"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(dead).unwrap();
    assert!(bytes.ends_with(&body), "the body, byte for byte");
    let metrics = relay.admin("/metrics").text();
    assert_eq!(sample(&metrics, "recallform_relay_dead_letters"), 1.0);
    assert_eq!(
        sample(
            &metrics,
            "recallform_relay_deliveries_total{result=\"dead\"}"
        ),
        1.0
    );

    // `--spool-horizon` needs `--spool`.
    let out = h.run(&["relay", "--spool-horizon", "1h"]);
    let out = out.expect(64);
    assert!(out.stderr.contains("--spool <DIR>"), "{}", out.stderr);
}

#[test]
fn a_tee_gets_the_same_bytes_and_a_hanging_or_failing_tee_changes_nothing_for_zoom() {
    let h = Harness::new();
    two_apps(&h);
    let (good, seen) = upstream(b"HTTP/1.1 204 No Content\r\n\r\n");
    let (failing, _) = upstream(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    // Takes connections and never answers.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hanging_url = format!("http://{}/hook", hanging.local_addr().unwrap());
    let relay = Relay::start(
        &h,
        &["--tee", &good, "--tee", &failing, "--tee", &hanging_url],
    );
    let mut conn = Conn::open(&relay.addr);
    let mut slowest = Duration::ZERO;
    let mut sent = Vec::new();
    for n in 0..20 {
        let body = event(n);
        let headers = zoom_headers("acme-prod", &body);
        let started = Instant::now();
        let answer = conn
            .send("POST", "/zoom/acme-prod", &headers, &body)
            .unwrap();
        slowest = slowest.max(started.elapsed());
        assert_eq!((answer.status, answer.text().as_str()), (200, "{}"));
        sent.push((body, headers));
    }
    assert!(slowest < Duration::from_millis(500), "{slowest:?}");
    assert_eq!(h.emulator.webhook_events().len(), 20);

    wait_until("20 copies", Duration::from_secs(10), || {
        seen.lock().unwrap().len() >= 20
    });
    let copies = seen.lock().unwrap().clone();
    for (body, headers) in &sent {
        let copy = copies
            .iter()
            .find(|c| c.ends_with(body))
            .expect("a copy of each event");
        let text = String::from_utf8_lossy(copy).to_lowercase();
        for (name, value) in headers {
            if [
                "x-zm-request-timestamp",
                "x-zm-signature",
                "content-type",
                "x-zm-trackingid",
            ]
            .contains(&name.as_str())
            {
                assert!(
                    text.contains(&format!("{name}: {}", value.to_lowercase())),
                    "{name} in {text}"
                );
            }
        }
    }
    let failed = format!("recallform_relay_tee_failed_total{{url=\"{failing}\"}}");
    wait_until("20 failed copies", Duration::from_secs(10), || {
        sample(&relay.admin("/metrics").text(), &failed) >= 20.0
    });
    let metrics = relay.admin("/metrics").text();
    let of = |name: &str, url: &str| {
        sample(
            &metrics,
            &format!("recallform_relay_{name}{{url=\"{url}\"}}"),
        )
    };
    assert_eq!(of("tee_delivered_total", &good), 20.0);
    assert_eq!(of("tee_failed_total", &good), 0.0);
    assert_eq!(of("tee_delivered_total", &hanging_url), 0.0);
    drop(hanging);
}

#[test]
fn a_tee_whose_queue_is_full_drops_and_counts_without_slowing_zoom_s_answers() {
    let h = Harness::new();
    two_apps(&h);
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", hanging.local_addr().unwrap());
    let relay = Relay::start(&h, &["--tee", &url]);
    // 4 senders hang on the first 4 copies; the queue holds 1,000 more.
    const EVENTS: usize = 1_010;
    let mut conn = Conn::open(&relay.addr);
    let mut latencies = Vec::new();
    for n in 0..EVENTS {
        let body = event(n);
        let started = Instant::now();
        let answer = conn
            .send(
                "POST",
                "/zoom/acme-prod",
                &zoom_headers("acme-prod", &body),
                &body,
            )
            .unwrap();
        latencies.push(started.elapsed());
        assert_eq!(answer.status, 200);
    }
    latencies.sort();
    eprintln!(
        "hanging tee: p50 {:?}, p99 {:?}",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99)
    );
    assert!(quantile(&latencies, 0.99) < Duration::from_millis(500));
    let metrics = relay.admin("/metrics").text();
    let of = |name: &str| {
        sample(
            &metrics,
            &format!("recallform_relay_{name}{{url=\"{url}\"}}"),
        )
    };
    assert_eq!(
        of("tee_dropped_total"),
        (EVENTS - 1_004) as f64,
        "{metrics}"
    );
    assert_eq!(of("tee_queued"), 1_000.0);
    assert_eq!(h.emulator.webhook_events().len(), EVENTS);
    drop(hanging);
}

#[test]
fn a_load_of_5000_events_on_200_connections_through_the_spool_loses_and_alters_nothing() {
    const CONNECTIONS: usize = 200;
    const PER_CONNECTION: usize = 25;
    const RECALL_LATENCY: Duration = Duration::from_millis(50);
    let h = Harness::new();
    two_apps(&h);
    let spool = h.dir.path().join("spool");
    let relay = Relay::start(&h, &["--spool", spool.to_str().unwrap()]);
    h.emulator.inject(Fault::new(
        Route::Webhook,
        (CONNECTIONS * PER_CONNECTION) as u32,
        FaultKind::Delay(RECALL_LATENCY),
    ));
    let started = Instant::now();
    let results = send_load(&relay, CONNECTIONS, PER_CONNECTION);
    let answered = started.elapsed();
    let not_ok = results.iter().filter(|r| r.0 != 200).count();
    assert_eq!(not_ok, 0, "answers that were not 200");
    let events = wait_for_recall(&h, results.len(), Duration::from_secs(120));
    let delivered = started.elapsed();
    let mut sent: Vec<Vec<u8>> = results.iter().map(|r| r.2.clone().into_bytes()).collect();
    sent.sort();
    assert!(
        bodies(&events) == sent,
        "a body was lost, altered or sent twice"
    );
    let mut latencies: Vec<Duration> = results.iter().map(|r| r.1).collect();
    latencies.sort();
    eprintln!(
        "relay load through the spool: {} events on {CONNECTIONS} connections answered in {:.2} s (p50 {:?}, p99 {:?}), all delivered to Recall ({:?} each) in {:.2} s",
        results.len(),
        answered.as_secs_f64(),
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        RECALL_LATENCY,
        delivered.as_secs_f64(),
    );
    assert!(
        quantile(&latencies, 0.99) < Duration::from_millis(2500),
        "{latencies:?}"
    );
}
