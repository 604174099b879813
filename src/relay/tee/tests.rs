use std::sync::atomic::AtomicUsize;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use super::*;

/// What the test endpoint does with its n-th request (from 0).
#[derive(Clone)]
enum Answer {
    Status(u16),
    /// Never answers.
    Hang,
    /// 307 to this URL.
    Redirect(String),
}

#[derive(Clone, Debug)]
struct Seen {
    headers: hyper::HeaderMap,
    body: Bytes,
}

/// A webhook endpoint on 127.0.0.1 that records what it receives.
struct Endpoint {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Endpoint {
    async fn start(answer: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Endpoint {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/zoom", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let answer = Arc::new(answer);
        let count = Arc::new(AtomicUsize::new(0));
        let recorded = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (answer, count, seen) = (answer.clone(), count.clone(), recorded.clone());
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (answer, count, seen) = (answer.clone(), count.clone(), seen.clone());
                    async move {
                        let headers = req.headers().clone();
                        let body = req.into_body().collect().await?.to_bytes();
                        seen.lock().unwrap().push(Seen { headers, body });
                        let n = count.fetch_add(1, Ordering::SeqCst);
                        let response = match answer(n) {
                            Answer::Status(code) => Response::builder().status(code),
                            Answer::Hang => std::future::pending().await,
                            Answer::Redirect(to) => {
                                Response::builder().status(307).header("location", to)
                            }
                        };
                        Ok::<_, hyper::Error>(response.body(Full::new(Bytes::new())).unwrap())
                    }
                });
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Endpoint { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn event(body: &'static [u8]) -> Event {
    Event {
        app: "acme-prod".into(),
        body: Bytes::from_static(body),
        timestamp: "1700000000".into(),
        signature: "v0=5eed".into(),
        content_type: Some("application/json; charset=utf-8".into()),
        delivery_id: Some("tr-42".into()),
        received_at: SystemTime::now(),
    }
}

fn quick() -> TeeConfig {
    TeeConfig {
        first_retry: Duration::from_millis(10),
        max_retry: Duration::from_millis(20),
        ..TeeConfig::default()
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

#[tokio::test]
async fn the_copy_has_the_same_bytes_and_headers() {
    let endpoint = Endpoint::start(|_| Answer::Status(200)).await;
    let tee = Tee::start(std::slice::from_ref(&endpoint.url), quick()).unwrap();
    let body = b"{ \"event\":\"meeting.created\" ,\"n\":12345678901234567890,\"s\":\"\\u00e9\"}";
    tee.send(&event(body));
    until("the delivery", || tee.stats()[0].delivered == 1).await;
    let seen = endpoint.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body.as_ref(), body);
    let header = |name: &str| {
        seen[0]
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("x-zm-request-timestamp"), "1700000000");
    assert_eq!(header("x-zm-signature"), "v0=5eed");
    assert_eq!(header("content-type"), "application/json; charset=utf-8");
    assert_eq!(header("x-zm-trackingid"), "tr-42");
    assert_eq!(header("user-agent"), USER_AGENT);
    assert_eq!(
        tee.stats(),
        [TeeStats {
            url: Url::parse(&endpoint.url).unwrap(),
            delivered: 1,
            dropped: 0,
            failed: 0,
            queued: 0,
        }]
    );
    // Without a content type or delivery ID, none is made up.
    let mut bare = event(b"{}");
    bare.content_type = None;
    bare.delivery_id = None;
    tee.send(&bare);
    until("the second delivery", || tee.stats()[0].delivered == 2).await;
    let seen = endpoint.seen();
    assert!(seen[1].headers.get("content-type").is_none());
    assert!(seen[1].headers.get("x-zm-trackingid").is_none());
    assert!(tee.stop(Duration::from_secs(5)).await);
}

#[tokio::test]
async fn failures_are_retried_until_the_endpoint_takes_the_event() {
    let endpoint = Endpoint::start(|n| match n {
        0 => Answer::Status(503),
        1 => Answer::Status(429),
        _ => Answer::Status(204),
    })
    .await;
    let tee = Tee::start(std::slice::from_ref(&endpoint.url), quick()).unwrap();
    tee.send(&event(b"{\"retry\":1}"));
    until("the delivery", || tee.stats()[0].delivered == 1).await;
    let seen = endpoint.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.body.as_ref() == b"{\"retry\":1}"));
    assert_eq!((tee.stats()[0].failed, tee.lost()), (0, 0));
}

#[tokio::test]
async fn every_attempt_failing_gives_the_event_up() {
    let endpoint = Endpoint::start(|_| Answer::Status(500)).await;
    let config = TeeConfig {
        attempts: 3,
        ..quick()
    };
    let tee = Tee::start(std::slice::from_ref(&endpoint.url), config).unwrap();
    tee.send(&event(b"{}"));
    until("giving up", || tee.stats()[0].failed == 1).await;
    assert_eq!(endpoint.seen().len(), 3);
    assert_eq!(tee.lost(), 1);
    // Nothing listening is a failure too, retried the same way.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tee = Tee::start(&[format!("http://127.0.0.1:{port}/")], config).unwrap();
    tee.send(&event(b"{}"));
    until("giving up", || tee.stats()[0].failed == 1).await;
}

#[tokio::test]
async fn a_final_status_is_not_retried() {
    let endpoint = Endpoint::start(|_| Answer::Status(400)).await;
    let tee = Tee::start(std::slice::from_ref(&endpoint.url), quick()).unwrap();
    tee.send(&event(b"{}"));
    until("giving up", || tee.stats()[0].failed == 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(endpoint.seen().len(), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let elsewhere = Endpoint::start(|_| Answer::Status(200)).await;
    let to = elsewhere.url.clone();
    let endpoint = Endpoint::start(move |_| Answer::Redirect(to.clone())).await;
    let tee = Tee::start(std::slice::from_ref(&endpoint.url), quick()).unwrap();
    tee.send(&event(b"{}"));
    until("giving up", || tee.stats()[0].failed == 1).await;
    assert_eq!(endpoint.seen().len(), 1);
    assert!(elsewhere.seen().is_empty());
}

#[tokio::test]
async fn a_hanging_endpoint_never_holds_up_the_caller() {
    let hanging = Endpoint::start(|_| Answer::Hang).await;
    let healthy = Endpoint::start(|_| Answer::Status(200)).await;
    let config = TeeConfig {
        queue: 2,
        concurrency: 1,
        timeout: Duration::from_secs(60),
        ..quick()
    };
    let tee = Tee::start(&[hanging.url.clone(), healthy.url.clone()], config).unwrap();
    tee.send(&event(b"{\"n\":0}"));
    // The one sender is now stuck on the first event.
    until("the first request", || hanging.seen().len() == 1).await;
    let started = Instant::now();
    for _ in 0..9 {
        tee.send(&event(b"{\"n\":1}"));
    }
    let took = started.elapsed();
    assert!(took < Duration::from_millis(100), "{took:?}");
    let stats = tee.stats();
    // Two wait in the queue; the other seven are dropped and counted.
    assert_eq!(
        (stats[0].queued, stats[0].dropped, stats[0].delivered),
        (2, 7, 0)
    );
    // The healthy endpoint is not held up by its neighbour (its queue of 2 may drop too,
    // but what it took, it got).
    until("the healthy deliveries", || {
        let s = &tee.stats()[1];
        s.delivered + s.dropped == 10 && s.queued == 0
    })
    .await;
    assert_eq!(tee.stats()[1].delivered as usize, healthy.seen().len());
    assert_eq!(tee.lost(), 7 + tee.stats()[1].dropped);
    // A stop within its budget cuts the stuck sender off, and says so.
    let started = Instant::now();
    assert!(!tee.stop(Duration::from_millis(100)).await);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_stop_works_through_the_queue_then_refuses_events() {
    let endpoint = Endpoint::start(|_| Answer::Status(200)).await;
    let config = TeeConfig {
        concurrency: 1,
        ..quick()
    };
    let tee = Tee::start(std::slice::from_ref(&endpoint.url), config).unwrap();
    for _ in 0..5 {
        tee.send(&event(b"{}"));
    }
    assert!(tee.stop(Duration::from_secs(5)).await);
    assert_eq!(tee.stats()[0].delivered, 5);
    assert_eq!(endpoint.seen().len(), 5);
    tee.send(&event(b"{}"));
    assert_eq!(tee.stats()[0].dropped, 1);
}

#[tokio::test]
async fn urls_are_checked() {
    let err = |url: &str| {
        Tee::start(&[url.to_string()], TeeConfig::default())
            .err()
            .unwrap()
    };
    assert_eq!(
        err("http://example.com/hook"),
        "the tee URL `http://example.com/hook` uses plain http://, which is allowed only to loopback (127.0.0.1, ::1, localhost); use https://"
    );
    assert_eq!(
        err("https://user:pw@example.com/hook"),
        "the tee URL `https://user:***@example.com/hook` must not carry a user name or password"
    );
    assert_eq!(
        err("https://user@example.com/hook"),
        "the tee URL `https://user@example.com/hook` must not carry a user name or password"
    );
    assert!(err("example.com").starts_with("the tee URL `example.com` is not a valid URL"));
    assert!(
        Tee::start(
            &["https://hooks.example.com/zoom".into()],
            TeeConfig::default()
        )
        .is_ok()
    );
    // No URL, no tee: sending is a no-op.
    let none = Tee::start(&[], TeeConfig::default()).unwrap();
    none.send(&event(b"{}"));
    assert!(none.stats().is_empty());
}
