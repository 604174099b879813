//! The tee (`--tee URL`, repeatable): a copy of each verified event for the team's own
//! endpoints, with the same body bytes and Zoom headers, sent from a bounded queue per URL
//! with its own retries.
//!
//! The tee never holds up Zoom's answer: [`Tee::send`] only tries to queue the event, and an
//! event that finds a URL's queue full is dropped for that URL and counted
//! ([`TeeStats::dropped`]), so a slow or failing endpoint costs the relay a bounded amount of
//! memory and nothing else. Each URL has [`TeeConfig::concurrency`] senders. A send is retried
//! (up to [`TeeConfig::attempts`] in all, with the worker's backoff) after a timeout, a
//! connection failure, 408, 429 or 5xx; any other status is final. An event given up is
//! counted ([`TeeStats::failed`]).
//!
//! What an endpoint receives: `POST` with the body as Zoom sent it, `content-type` as received
//! (when there was one), `x-zm-request-timestamp` and `x-zm-signature` as received, and the
//! delivery ID as `x-zm-trackingid` (when there was one), so it can verify Zoom's signature
//! itself. The client is as careful as recallform's others: TLS certificates checked, no
//! redirect followed, `http://` to loopback only ([`crate::recall::target::check_url`]).
//!
//! Not for: Recall (the HTTP side forwards to it), durability (a tee's queue lives in memory:
//! what is queued at a stop that outlasts [`Tee::stop`]'s budget is lost), or re-signing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use super::Event;
use super::worker::delay;
use crate::recall::target;
use crate::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, TRACKING_HEADER};

/// The tee's `user-agent`: recallform's, so that the endpoint's logs tell the copy from Zoom.
pub const USER_AGENT: &str = concat!("recallform/", env!("CARGO_PKG_VERSION"), " (relay tee)");

/// How the tee sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TeeConfig {
    /// Events each URL's queue holds, beyond those being sent.
    pub queue: usize,
    /// Senders per URL (at least 1).
    pub concurrency: usize,
    /// Sends per event in all, the first included (at least 1).
    pub attempts: u32,
    /// The budget of one send, from connecting to the answer's status.
    pub timeout: Duration,
    /// The backoff's first ceiling (see [`delay`]).
    pub first_retry: Duration,
    /// The backoff's highest ceiling.
    pub max_retry: Duration,
}

impl Default for TeeConfig {
    /// 1,000 queued per URL, 4 senders, 5 attempts, 10 s each, retries after about 0.5 s, 1 s,
    /// 2 s, 4 s.
    fn default() -> TeeConfig {
        TeeConfig {
            queue: 1000,
            concurrency: 4,
            attempts: 5,
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_millis(500),
            max_retry: Duration::from_secs(30),
        }
    }
}

/// One URL's counts, for the relay's metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeeStats {
    /// The URL.
    pub url: Url,
    /// Events the endpoint accepted (2xx).
    pub delivered: u64,
    /// Events dropped without a send: its queue was full, or the tee was stopping.
    pub dropped: u64,
    /// Events given up: a final status, or every attempt failed.
    pub failed: u64,
    /// Events waiting in its queue now.
    pub queued: usize,
}

/// The tee's senders. Cheap to clone: every clone is the same tee.
#[derive(Clone)]
pub struct Tee {
    inner: Arc<Inner>,
}

struct Inner {
    targets: Vec<Target>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

struct Target {
    url: Url,
    /// `None` once the tee stops.
    queue: Mutex<Option<mpsc::Sender<Event>>>,
    capacity: usize,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    delivered: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl Tee {
    /// Checks each URL and starts its senders on the current Tokio runtime. An error names
    /// the URL and what is wrong with it.
    pub fn start(urls: &[String], config: TeeConfig) -> Result<Tee, String> {
        let checked = urls
            .iter()
            .map(|raw| {
                target::check_url(raw)
                    .map_err(|why| format!("the tee URL `{}` {why}", without_password(raw)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            // A redirect could carry Zoom's events anywhere; Zoom follows none either.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up the tee's HTTP client: {e}"))?;
        let mut targets = Vec::new();
        let mut tasks = Vec::new();
        for url in checked {
            let capacity = config.queue.max(1);
            let (sender, receiver) = mpsc::channel(capacity);
            let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
            let counts = Arc::new(Counts::default());
            for _ in 0..config.concurrency.max(1) {
                let sender = Sender {
                    http: http.clone(),
                    url: url.clone(),
                    config,
                    counts: counts.clone(),
                };
                tasks.push(tokio::spawn(sender.run(receiver.clone())));
            }
            targets.push(Target {
                url,
                queue: Mutex::new(Some(sender)),
                capacity,
                counts,
            });
        }
        Ok(Tee {
            inner: Arc::new(Inner {
                targets,
                tasks: Mutex::new(tasks),
            }),
        })
    }

    /// Queues a copy of `event` for every URL, without waiting: where a queue is full, the
    /// copy is dropped and counted.
    pub fn send(&self, event: &Event) {
        for target in &self.inner.targets {
            let queued = lock(&target.queue)
                .as_ref()
                .is_some_and(|queue| queue.try_send(event.clone()).is_ok());
            if !queued {
                target.counts.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Each URL's counts, in the order the URLs were given.
    pub fn stats(&self) -> Vec<TeeStats> {
        self.inner
            .targets
            .iter()
            .map(|target| TeeStats {
                url: target.url.clone(),
                delivered: target.counts.delivered.load(Ordering::Relaxed),
                dropped: target.counts.dropped.load(Ordering::Relaxed),
                failed: target.counts.failed.load(Ordering::Relaxed),
                queued: lock(&target.queue)
                    .as_ref()
                    .map_or(0, |queue| target.capacity - queue.capacity()),
            })
            .collect()
    }

    /// Every URL's drops and failures: the events some tee endpoint never got.
    pub fn lost(&self) -> u64 {
        self.stats().iter().map(|s| s.dropped + s.failed).sum()
    }

    /// Stops taking events and lets the senders work through their queues for up to
    /// `within`; whether they finished. Whatever is left then is cut off.
    pub async fn stop(&self, within: Duration) -> bool {
        for target in &self.inner.targets {
            // The last sender gone, each queue ends once it is empty.
            lock(&target.queue).take();
        }
        let tasks = std::mem::take(&mut *lock(&self.inner.tasks));
        let aborts: Vec<_> = tasks.iter().map(|t| t.abort_handle()).collect();
        let all = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        let finished = tokio::time::timeout(within, all).await.is_ok();
        for abort in aborts {
            abort.abort();
        }
        finished
    }
}

/// The URL as typed, but for a password in it, which a message must not repeat.
fn without_password(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_string(),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One of a URL's senders.
struct Sender {
    http: reqwest::Client,
    url: Url,
    config: TeeConfig,
    counts: Arc<Counts>,
}

impl Sender {
    async fn run(self, queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Event>>>) {
        loop {
            // The lock is held only while waiting for the next event, not while sending it.
            let next = queue.lock().await.recv().await;
            let Some(event) = next else { break };
            let counter = if self.send_with_retries(&event).await {
                &self.counts.delivered
            } else {
                &self.counts.failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the endpoint took the event.
    async fn send_with_retries(&self, event: &Event) -> bool {
        let attempts = self.config.attempts.max(1);
        for attempt in 1..=attempts {
            match self.send(event).await {
                Some(status) if status.is_success() => return true,
                Some(status) if !retried(status) => return false,
                _ => {}
            }
            if attempt < attempts {
                let wait = delay(
                    self.config.first_retry,
                    self.config.max_retry,
                    attempt,
                    fastrand::f64(),
                );
                tokio::time::sleep(wait).await;
            }
        }
        false
    }

    /// The endpoint's status, or `None` when there was none (timeout, connection failure).
    async fn send(&self, event: &Event) -> Option<reqwest::StatusCode> {
        let mut request = self
            .http
            .post(self.url.clone())
            .header(TIMESTAMP_HEADER, &event.timestamp)
            .header(SIGNATURE_HEADER, &event.signature)
            .body(event.body.clone());
        if let Some(content_type) = &event.content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        if let Some(id) = &event.delivery_id {
            request = request.header(TRACKING_HEADER, id);
        }
        // The answer's body is not read: only its status matters.
        request.send().await.ok().map(|r| r.status())
    }
}

/// Whether a status is worth another try: the ones Zoom itself would retry, and the two
/// that mean "not now".
fn retried(status: reqwest::StatusCode) -> bool {
    status.is_server_error()
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
}

#[cfg(test)]
mod tests;
