//! What the relay does with a verified event, composed from `--spool`, `--tee` and the
//! duplicate cache around the synchronous [`Forwarder`]: the one [`Accept`] `recallform relay`
//! serves with ([`Pipeline`]).
//!
//! For each verified event that is not a URL validation (the handler forwards those itself):
//!
//! 1. **A repeat** of an event Recall has taken (in the [`DedupCache`]) or, with a spool, of one
//!    the spool holds, is answered 200 (`outcome=duplicate`) and goes nowhere.
//! 2. **The tee** gets a copy, without waiting ([`Tee::send`]).
//! 3. **With `--spool`**, the event is written to disk and fsynced, then answered 200
//!    (`outcome=spooled`); a write that fails is answered 503, which Zoom retries. The
//!    [`Worker`] delivers it in the background through [`ToRecall`], and logs each attempt.
//!    **Without**, it is forwarded at once and Recall's answer goes back to Zoom; a 2xx puts
//!    it in the duplicate cache.
//!
//! Not for: the checks before (the handler), the wire (the forwarder), or the spool's format
//! and the retry schedule ([`super::spool`], [`super::worker`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use hyper::StatusCode;
use tokio::time::Instant;

use super::Event;
use super::accept::{Accept, Answer, BoxFuture};
use super::dedup::DedupCache;
use super::forward::{Delivery, Forwarder};
use super::log::{self, Record, Sink};
use super::metrics::{Exposition, MetricSource};
use super::routes::{AppRoute, RouteTable};
use super::server::Core;
use super::spool::{EventId, Spool};
use super::tee::{Tee, TeeConfig};
use super::worker::{self, Deliver, Outcome, Resign, Worker, WorkerConfig};
use crate::error::Error;
use crate::model::SecretString;

/// What `--spool`, `--spool-horizon`, `--tee` and `--dedup-capacity` ask for.
#[derive(Clone, Debug)]
pub struct DurableOptions {
    /// `--spool DIR`: write each event to disk before answering, and deliver from there.
    pub spool: Option<PathBuf>,
    /// `--spool-horizon`: how long the worker keeps trying an event, from its arrival.
    pub horizon: Duration,
    /// `--spool-concurrency`: deliveries from the spool in flight at once.
    pub concurrency: usize,
    /// `--tee URL`: where copies go.
    pub tee: Vec<String>,
    /// `--dedup-capacity`: delivered events remembered; `0` turns de-duplication off.
    pub dedup_capacity: usize,
}

impl Default for DurableOptions {
    fn default() -> DurableOptions {
        DurableOptions {
            spool: None,
            horizon: worker::DEFAULT_HORIZON,
            concurrency: WorkerConfig::default().concurrency,
            tee: Vec::new(),
            dedup_capacity: super::dedup::DEFAULT_CAPACITY,
        }
    }
}

/// The relay's [`Accept`]: duplicates, then the tee, then the spool or Recall.
pub struct Pipeline {
    forwarder: Arc<Forwarder>,
    dedup: DedupCache,
    tee: Option<Tee>,
    spool: Option<Spool>,
    worker: Mutex<Option<Worker>>,
    counts: Arc<Counts>,
}

/// What only the pipeline counts.
#[derive(Debug, Default)]
struct Counts {
    duplicates: AtomicU64,
    spooled: AtomicU64,
    spool_failures: AtomicU64,
    resigned: AtomicU64,
    /// Worker attempts by result, in the order of [`ATTEMPT_RESULTS`].
    attempts: [AtomicU64; ATTEMPT_RESULTS.len()],
}

/// How long one delivery from the spool may take: no Zoom is waiting for it, and a timeout
/// that was in fact a success is a duplicate at Recall.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a worker attempt ended, as `/metrics` and the log line's `outcome` say it.
pub const ATTEMPT_RESULTS: [&str; 5] =
    ["delivered", "retrying", "dead", "duplicate", "spool_error"];

impl Counts {
    /// Counts `outcome`, and names it.
    fn attempt(&self, outcome: &Outcome) -> &'static str {
        let i = match outcome {
            Outcome::Delivered { .. } => 0,
            Outcome::Retrying { .. } => 1,
            Outcome::Dead { .. } => 2,
            Outcome::Duplicate => 3,
            Outcome::SpoolError { .. } => 4,
        };
        self.attempts[i].fetch_add(1, Ordering::Relaxed);
        ATTEMPT_RESULTS[i]
    }
}

impl Pipeline {
    /// Opens the spool (and takes its lock), starts the tee's senders and the delivery
    /// worker, and registers their metrics. An error names the spool folder or the tee URL.
    pub async fn start(
        core: &Core,
        options: &DurableOptions,
        log: Sink,
    ) -> Result<Arc<Pipeline>, Error> {
        let dedup = DedupCache::new(options.dedup_capacity);
        let tee = match options.tee.is_empty() {
            true => None,
            false => Some(Tee::start(&options.tee, TeeConfig::default()).map_err(Error::Other)?),
        };
        let counts = Arc::new(Counts::default());
        let (spool, worker) = match &options.spool {
            None => (None, None),
            Some(dir) => {
                let spool = Spool::open(dir).await.map_err(|e| {
                    Error::Other(format!("cannot open the spool `{}`: {e}", dir.display()))
                })?;
                let deliver = Arc::new(ToRecall {
                    forwarder: core.forwarder(),
                    routes: core.routes(),
                    log,
                    counts: counts.clone(),
                });
                let config = WorkerConfig {
                    backoff: worker::Backoff {
                        horizon: options.horizon,
                        ..worker::Backoff::default()
                    },
                    concurrency: options.concurrency,
                    ..WorkerConfig::default()
                };
                let worker = Worker::start(spool.clone(), dedup.clone(), deliver, config);
                (Some(spool), Some(worker))
            }
        };
        let pipeline = Arc::new(Pipeline {
            forwarder: core.forwarder(),
            dedup,
            tee,
            spool,
            worker: Mutex::new(worker),
            counts,
        });
        core.metrics().register(pipeline.clone());
        Ok(pipeline)
    }

    async fn take(&self, app: &AppRoute, event: Event) -> Answer {
        let key = event.dedup_key();
        let pending = self.spool.as_ref().is_some_and(|s| s.is_pending(&key));
        if self.dedup.seen(&key) || pending {
            self.counts.duplicates.fetch_add(1, Ordering::Relaxed);
            let detail = match pending {
                true => "a repeat of an event the spool holds",
                false => "a repeat of an event Recall has taken",
            };
            return Answer::text(StatusCode::OK, "duplicate", "already received\n")
                .with_detail(detail.to_string());
        }
        if let Some(tee) = &self.tee {
            tee.send(&event);
        }
        let Some(spool) = &self.spool else {
            let delivery = self.forwarder.send(app, &event).await;
            if delivery.is_delivered() {
                self.dedup.delivered(&key);
            }
            return delivery.into_answer();
        };
        match spool.put(&event).await {
            Ok(id) => {
                self.counts.spooled.fetch_add(1, Ordering::Relaxed);
                Answer::text(StatusCode::OK, "spooled", "received\n")
                    .with_detail(format!("id {id}"))
            }
            Err(e) => {
                self.counts.spool_failures.fetch_add(1, Ordering::Relaxed);
                Answer::unavailable(
                    "spool_failed",
                    format!("cannot write to the spool `{}`: {e}", spool.dir().display()),
                )
            }
        }
    }
}

impl Accept for Pipeline {
    fn accept(&self, app: Arc<AppRoute>, event: Event) -> BoxFuture<'_, Answer> {
        Box::pin(async move { self.take(&app, event).await })
    }

    /// Lets the worker's deliveries in flight finish and the tee work through its queues,
    /// both until `deadline`. The spool needs no flush: each event was on disk before its 200.
    fn close(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let within = deadline.saturating_duration_since(Instant::now());
            let worker = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
            let worker = async {
                if let Some(worker) = worker {
                    worker.stop(within).await;
                }
            };
            let tee = async {
                if let Some(tee) = &self.tee {
                    tee.stop(within).await;
                }
            };
            tokio::join!(worker, tee);
        })
    }
}

impl MetricSource for Pipeline {
    fn render(&self, out: &mut Exposition) {
        let p = "recallform_relay";
        let counter = |out: &mut Exposition, name: &str, help: &str, value: u64| {
            let name = format!("{p}_{name}");
            out.family(&name, "counter", help);
            out.sample(&name, &[], value as f64);
        };
        let gauge = |out: &mut Exposition, name: &str, help: &str, value: f64| {
            let name = format!("{p}_{name}");
            out.family(&name, "gauge", help);
            out.sample(&name, &[], value);
        };
        let counts = &self.counts;
        counter(
            out,
            "duplicates_total",
            "Repeats of an event already taken, answered 200 without forwarding.",
            counts.duplicates.load(Ordering::Relaxed),
        );
        gauge(
            out,
            "dedup_keys",
            "Delivered events the duplicate cache remembers.",
            self.dedup.len() as f64,
        );
        if let Some(spool) = &self.spool {
            let now = spool.counts();
            counter(
                out,
                "spooled_total",
                "Events written to the spool and answered 200.",
                counts.spooled.load(Ordering::Relaxed),
            );
            counter(
                out,
                "spool_failures_total",
                "Events the spool could not write, answered 503.",
                counts.spool_failures.load(Ordering::Relaxed),
            );
            gauge(
                out,
                "spool_depth",
                "Events in the spool waiting for delivery.",
                now.depth as f64,
            );
            gauge(
                out,
                "dead_letters",
                "Events in the spool's dead/ folder.",
                now.dead as f64,
            );
            gauge(
                out,
                "spool_corrupt",
                "Files in the spool's corrupt/ folder.",
                now.corrupt as f64,
            );
            let name = format!("{p}_deliveries_total");
            out.family(
                &name,
                "counter",
                "Deliveries from the spool to Recall, by result.",
            );
            for (result, count) in ATTEMPT_RESULTS.iter().zip(&counts.attempts) {
                out.sample(
                    &name,
                    &[("result", result)],
                    count.load(Ordering::Relaxed) as f64,
                );
            }
            counter(
                out,
                "resigned_total",
                "Late deliveries from the spool sent with a fresh timestamp and signature.",
                counts.resigned.load(Ordering::Relaxed),
            );
        }
        if let Some(tee) = &self.tee {
            let stats = tee.stats();
            let families: [(&str, &str, &str); 4] = [
                (
                    "tee_delivered_total",
                    "counter",
                    "Copies a tee endpoint accepted (2xx).",
                ),
                (
                    "tee_dropped_total",
                    "counter",
                    "Copies dropped unsent: the endpoint's queue was full, or the relay was stopping.",
                ),
                (
                    "tee_failed_total",
                    "counter",
                    "Copies given up: a final status, or every attempt failed.",
                ),
                (
                    "tee_queued",
                    "gauge",
                    "Copies waiting in the endpoint's queue.",
                ),
            ];
            for (i, (name, kind, help)) in families.into_iter().enumerate() {
                let name = format!("{p}_{name}");
                out.family(&name, kind, help);
                for s in &stats {
                    let mut url = s.url.clone();
                    let _ = url.set_password(None);
                    let value = [s.delivered, s.dropped, s.failed, s.queued as u64][i];
                    out.sample(&name, &[("url", url.as_str())], value as f64);
                }
            }
        }
    }
}

/// How the worker reaches Recall: through the forwarder, to the route in force at the time of
/// the delivery (a reload may have changed it), and one log line per attempt.
pub struct ToRecall {
    forwarder: Arc<Forwarder>,
    routes: Arc<RouteTable>,
    log: Sink,
    counts: Arc<Counts>,
}

impl Deliver for ToRecall {
    async fn deliver(&self, event: &Event, resign: Option<&Resign>) -> Result<StatusCode, String> {
        let Some(app) = self.routes.current().app(&event.app).cloned() else {
            return Err(format!("the relay no longer serves `{}`", event.app));
        };
        let delivery = match resign {
            None => {
                self.forwarder
                    .send_within(&app, event, DELIVERY_TIMEOUT)
                    .await
            }
            Some(resign) => {
                let mut late = event.clone();
                late.timestamp = resign.timestamp.clone();
                late.signature = resign.signature.clone();
                self.forwarder
                    .send_within(&app, &late, DELIVERY_TIMEOUT)
                    .await
            }
        };
        match delivery {
            Delivery::Answered { status, .. } => Ok(status),
            Delivery::Failed { reason, detail } => Err(format!("{reason}: {detail}")),
        }
    }

    fn secret_for(&self, app: &str) -> Option<SecretString> {
        self.routes.current().app(app).map(|a| a.secret.clone())
    }

    fn report(&self, id: &EventId, event: Option<&Event>, outcome: &Outcome) {
        let result = self.counts.attempt(outcome);
        let (status, latency, detail) = match outcome {
            Outcome::Delivered {
                status,
                failures,
                resigned,
                latency,
            } => {
                if *resigned {
                    self.counts.resigned.fetch_add(1, Ordering::Relaxed);
                }
                let mut detail = format!("id {id}, attempt {}", failures + 1);
                if *resigned {
                    detail.push_str(", re-signed");
                }
                (Some(status.as_u16()), *latency, detail)
            }
            Outcome::Retrying {
                failures,
                why,
                next_attempt_at,
            } => {
                let wait = next_attempt_at
                    .duration_since(SystemTime::now())
                    .unwrap_or_default();
                let detail = format!(
                    "id {id}, attempt {failures} failed: {why}; next in {:.1} s",
                    wait.as_secs_f64()
                );
                (None, Duration::ZERO, detail)
            }
            Outcome::Dead { failures, why } => {
                let detail = format!(
                    "id {id}, given up after {failures} attempt{}: {why}; moved into dead/",
                    if *failures == 1 { "" } else { "s" }
                );
                (None, Duration::ZERO, detail)
            }
            Outcome::Duplicate => (
                None,
                Duration::ZERO,
                format!("id {id}, already delivered: removed without sending"),
            ),
            Outcome::SpoolError { why } => (None, Duration::ZERO, format!("id {id}: {why}")),
        };
        (self.log)(Record {
            app: event.map(|e| e.app.clone()),
            event: event.and_then(|e| log::event_type_of(&e.body)),
            outcome: result.into(),
            status,
            latency,
            detail: Some(detail),
        });
    }
}
