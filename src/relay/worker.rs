//! The delivery worker of `--spool`: takes each spooled event to Recall, through a delivery
//! function the HTTP side passes in ([`Deliver`]), retrying with capped, jittered, exponential
//! backoff until a horizon (default 24 hours) has passed since the relay received it; then the
//! event is a dead letter ([`super::spool::Spool::dead`]).
//!
//! What counts as delivered: a 2xx from Recall. Everything else (another status, a timeout, a
//! refused connection) is retried, since the horizon bounds the cost and a fix on Recall's side
//! (or of a secret) can make a refused event acceptable later.
//!
//! **Late deliveries are re-signed.** An event is *late* when its `x-zm-request-timestamp` is
//! [`LATE_AFTER`] (5 minutes) old or more when a delivery starts, or is not a number: a
//! receiver that checks freshness most likely uses a window of that size (the common
//! default), and Zoom itself retries first after 5 minutes. A late event goes out with a fresh
//! timestamp (now, in Unix seconds) and its signature made anew with the app's webhook secret
//! ([`crate::webhook::sign`]); the body stays byte-identical. The worker re-signs only a body
//! whose stored signature it has verified with that secret first, so a file slipped into the
//! spool cannot get itself signed. A fresh event goes out with Zoom's own headers.
//!
//! A restarted worker delivers what the spool holds, starting with what is due. Stopping it
//! ([`Worker::stop`]) lets the deliveries in flight finish and starts no new one.
//!
//! # Wiring
//!
//! How `durable.rs` ([`super::Pipeline`]) puts the durable pieces together, for a verified
//! event that is not a URL validation (those are never spooled: they are forwarded
//! synchronously, for Recall's answer):
//!
//! ```text
//! start:    spool = Spool::open(dir)?; dedup = DedupCache::new(DEFAULT_CAPACITY);
//!           tee = Tee::start(&urls, TeeConfig::default())?;
//!           worker = Worker::start(spool.clone(), dedup.clone(), Arc::new(forwarder), config);
//! an event: key = event.dedup_key();
//!           if dedup.seen(&key) || spool.is_pending(&key) { answer 200 }  (a repeat)
//!           tee.send(&event);                                            (never waits)
//!           spool.put(&event).await: Ok → 200, Err → 503 (Zoom retries a 503)
//! no spool: the same, but forward at once; on a 2xx from Recall, dedup.delivered(&key)
//! metrics:  spool.counts() (depth, dead, corrupt: gauges), tee.stats() (dropped, failed per
//!           URL: counters), dedup.len()
//! stop:     stop accepting, finish the requests in flight, then worker.stop(budget) and
//!           tee.stop(budget); the spool needs no flush: every put was durable when it returned
//! ```
//!
//! Not for: HTTP (the [`Deliver`] implementation sends), deciding what to spool (the HTTP
//! side), or several workers on one spool.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::Event;
use super::dedup::DedupCache;
use super::spool::{EventId, Spool};
use crate::model::SecretString;
use crate::webhook;

/// How old an event's timestamp may be and still be delivered with Zoom's own signature.
pub const LATE_AFTER: Duration = Duration::from_secs(5 * 60);

/// How long the worker keeps trying an event, from when the relay received it.
pub const DEFAULT_HORIZON: Duration = Duration::from_secs(24 * 60 * 60);

/// How long an event whose file could not be read waits before the next try.
const SPOOL_ERROR_PAUSE: Duration = Duration::from_secs(5);

/// The longest the worker sleeps before looking at the spool again, should a clock jump.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// When to try a failed delivery again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The delay's ceiling after the first failure; it doubles with every further one.
    pub first: Duration,
    /// The highest ceiling.
    pub max: Duration,
    /// How long after the relay received an event the worker gives up on it.
    pub horizon: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling up to 10 minutes, for 24 hours: some 150 attempts for an event Recall
    /// never takes.
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(10 * 60),
            horizon: DEFAULT_HORIZON,
        }
    }
}

impl Backoff {
    /// The wait after `failures` failed deliveries (at least 1), for a `jitter` in `[0, 1)`:
    /// see [`delay`].
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        delay(self.first, self.max, failures, jitter)
    }

    /// When to try again after `failures` failed deliveries of an event received at
    /// `received_at`, the last one ending at `now`; `None` when that would be past the
    /// horizon, and the event is dead.
    pub fn next_attempt(
        &self,
        failures: u32,
        received_at: SystemTime,
        now: SystemTime,
        jitter: f64,
    ) -> Option<SystemTime> {
        let at = now + self.delay(failures, jitter);
        (at <= received_at + self.horizon).then_some(at)
    }
}

/// Capped exponential backoff with "equal jitter": the ceiling is `first` doubled for each
/// failure after the first (`failures` counts from 1), at most `max`, and the wait is between
/// half the ceiling and the ceiling, as `jitter` goes from 0 to 1. Half is fixed so waits grow
/// for sure; the other half is random so that events failed together (Recall down) do not all
/// come back together.
pub fn delay(first: Duration, max: Duration, failures: u32, jitter: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    let ceiling = first.saturating_mul(1 << doublings).min(max);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    ceiling / 2 + (ceiling / 2).mul_f64(jitter)
}

/// Whether an event with this `x-zm-request-timestamp` is late at `now`: its age is
/// `late_after` or more, or the value is not a number. Zoom sends seconds; a value above
/// 10^12 is read as milliseconds. A timestamp from the future (a skewed clock) is not late.
pub fn is_late(timestamp: &str, now: SystemTime, late_after: Duration) -> bool {
    let Ok(value) = timestamp.trim().parse::<u64>() else {
        return true;
    };
    let at = if value > 1_000_000_000_000 {
        UNIX_EPOCH + Duration::from_millis(value)
    } else {
        UNIX_EPOCH + Duration::from_secs(value)
    };
    now.duration_since(at).is_ok_and(|age| age >= late_after)
}

/// The headers a late delivery carries instead of Zoom's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resign {
    /// The new `x-zm-request-timestamp`: the time of the delivery, in Unix seconds.
    pub timestamp: String,
    /// The new `x-zm-signature`, over that timestamp and the unchanged body.
    pub signature: String,
}

impl Resign {
    /// Fresh headers for `body`, signed with `secret` at `now`.
    pub fn new(secret: &SecretString, body: &[u8], now: SystemTime) -> Resign {
        let timestamp = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .to_string();
        let signature = webhook::sign(secret, &timestamp, body);
        Resign {
            timestamp,
            signature,
        }
    }
}

/// How the worker sends, implemented by the HTTP side.
pub trait Deliver: Send + Sync + 'static {
    /// Sends `event` to its app's Recall webhook URL: the body as it is, `content-type` and the
    /// delivery ID as received, and `x-zm-request-timestamp` and `x-zm-signature` from
    /// `resign` when given, else the event's own. Gives Recall's status, or why there was none
    /// (stored in the spool and reported: never a secret, never a body).
    fn deliver(
        &self,
        event: &Event,
        resign: Option<&Resign>,
    ) -> impl Future<Output = Result<StatusCode, String>> + Send;

    /// The app's webhook secret now (reloads included), to re-sign a late event; `None` for an
    /// app the relay no longer knows, whose events go out with Zoom's headers.
    fn secret_for(&self, app: &str) -> Option<SecretString>;

    /// Hears what became of each attempt, to log and count it; it must not block. The event is
    /// `None` when its file could not be read.
    fn report(&self, id: &EventId, event: Option<&Event>, outcome: &Outcome) {
        let _ = (id, event, outcome);
    }
}

/// What became of one attempt at a spooled event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Recall answered 2xx; the event left the spool.
    Delivered {
        /// Recall's status.
        status: StatusCode,
        /// Failed attempts before this one.
        failures: u32,
        /// Whether it went out with a fresh timestamp and signature.
        resigned: bool,
        /// How long Recall took.
        latency: Duration,
    },
    /// Already delivered (in the duplicate cache): removed without sending it again.
    Duplicate,
    /// The attempt failed; there will be another.
    Retrying {
        /// Failed attempts so far, this one included.
        failures: u32,
        /// Why it failed.
        why: String,
        /// When the next one is due.
        next_attempt_at: SystemTime,
    },
    /// Given up: the event moved into `dead/`.
    Dead {
        /// Failed attempts, this one included.
        failures: u32,
        /// Why it was given up.
        why: String,
    },
    /// Its file did not decode and moved into `corrupt/`, or the spool could not read or
    /// update it.
    SpoolError {
        /// What went wrong.
        why: String,
    },
}

/// How the worker runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerConfig {
    /// When to retry, and when to give up.
    pub backoff: Backoff,
    /// How many deliveries may be in flight at once (at least 1).
    pub concurrency: usize,
    /// How old a timestamp makes an event late, and re-signed ([`LATE_AFTER`]).
    pub late_after: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            backoff: Backoff::default(),
            concurrency: 16,
            late_after: LATE_AFTER,
        }
    }
}

/// A running delivery worker. Dropping it stops it as [`Worker::stop`] does, without waiting.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Starts delivering what `spool` holds and whatever is put into it, recording each
    /// delivery in `dedup`, on the current Tokio runtime.
    pub fn start<D: Deliver>(
        spool: Spool,
        dedup: DedupCache,
        deliver: Arc<D>,
        config: WorkerConfig,
    ) -> Worker {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(spool, dedup, deliver, config, stopped));
        Worker { stop, task }
    }

    /// Stops: no new delivery starts, and those in flight may finish for up to `within`.
    /// Whether they all finished; any that did not is cut off and stays in the spool, to be
    /// delivered (again, perhaps: at least once) at the next start.
    pub async fn stop(self, within: Duration) -> bool {
        let _ = self.stop.send(true);
        let mut task = self.task;
        match tokio::time::timeout(within, &mut task).await {
            Ok(_) => true,
            Err(_) => {
                task.abort();
                false
            }
        }
    }
}

async fn run<D: Deliver>(
    spool: Spool,
    dedup: DedupCache,
    deliver: Arc<D>,
    config: WorkerConfig,
    mut stopped: watch::Receiver<bool>,
) {
    let concurrency = config.concurrency.max(1);
    // Which event each delivery task has, so that even one that panicked frees its event.
    let mut busy: HashMap<tokio::task::Id, EventId> = HashMap::new();
    let mut tasks = JoinSet::new();
    while !*stopped.borrow() {
        while tasks.len() < concurrency {
            let in_flight: HashSet<EventId> = busy.values().cloned().collect();
            let Some(id) = spool.next_due(SystemTime::now(), &in_flight) else {
                break;
            };
            let attempt = attempt(
                spool.clone(),
                dedup.clone(),
                deliver.clone(),
                config,
                id.clone(),
            );
            busy.insert(tasks.spawn(attempt).id(), id);
        }
        // With every slot taken, only a finished delivery can start another.
        let idle = if tasks.len() < concurrency {
            let in_flight: HashSet<EventId> = busy.values().cloned().collect();
            spool
                .next_due_at(&in_flight)
                .map(|at| at.duration_since(SystemTime::now()).unwrap_or_default())
                .unwrap_or(MAX_IDLE)
                .min(MAX_IDLE)
        } else {
            MAX_IDLE
        };
        tokio::select! {
            changed = stopped.changed() => {
                // The `Worker` dropped without a stop: stop as if asked.
                if changed.is_err() {
                    break;
                }
            }
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let task = match done {
                    Ok((task, ())) => task,
                    Err(e) => e.id(),
                };
                busy.remove(&task);
            }
            _ = spool.arrived() => {}
            _ = tokio::time::sleep(idle) => {}
        }
    }
    // Graceful: what is in flight finishes; nothing new starts.
    while tasks.join_next().await.is_some() {}
}

/// One delivery attempt, and what follows from it.
async fn attempt<D: Deliver>(
    spool: Spool,
    dedup: DedupCache,
    deliver: Arc<D>,
    config: WorkerConfig,
    id: EventId,
) {
    let spooled = match spool.load(&id).await {
        Ok(spooled) => spooled,
        Err(e) => {
            // A file gone or moved aside has left the pending set; one the disk would not
            // give up (too many open files, say) waits a while rather than spin.
            if !matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::InvalidData
            ) {
                spool.hold(&id, SystemTime::now() + SPOOL_ERROR_PAUSE);
            }
            deliver.report(&id, None, &Outcome::SpoolError { why: e.to_string() });
            return;
        }
    };
    let event = &spooled.event;
    let key = event.dedup_key();
    let report = |outcome: Outcome| deliver.report(&id, Some(event), &outcome);
    if dedup.seen(&key) {
        let outcome = match spool.done(&id).await {
            Ok(()) => Outcome::Duplicate,
            Err(e) => Outcome::SpoolError { why: e.to_string() },
        };
        return report(outcome);
    }
    let failures = spooled.attempts + 1;
    let resign = if is_late(&event.timestamp, SystemTime::now(), config.late_after) {
        match deliver.secret_for(&event.app) {
            Some(secret)
                if !webhook::verify_signature(
                    &secret,
                    &event.timestamp,
                    &event.body,
                    &event.signature,
                ) =>
            {
                let why = "its signature does not verify with the app's webhook secret, so it cannot be re-signed";
                return report(give_up(&spool, &id, failures, why).await);
            }
            Some(secret) => Some(Resign::new(&secret, &event.body, SystemTime::now())),
            None => None,
        }
    } else {
        None
    };
    let started = Instant::now();
    let result = deliver.deliver(event, resign.as_ref()).await;
    let latency = started.elapsed();
    let why = match result {
        Ok(status) if status.is_success() => {
            // In the cache first: should removing the file fail, the next attempt finds the
            // key and removes it without sending the event again.
            dedup.delivered(&key);
            let outcome = match spool.done(&id).await {
                Ok(()) => Outcome::Delivered {
                    status,
                    failures: spooled.attempts,
                    resigned: resign.is_some(),
                    latency,
                },
                Err(e) => Outcome::SpoolError { why: e.to_string() },
            };
            return report(outcome);
        }
        Ok(status) => format!("Recall answered {status}"),
        Err(why) => why,
    };
    let next = config.backoff.next_attempt(
        failures,
        event.received_at,
        SystemTime::now(),
        fastrand::f64(),
    );
    let outcome = match next {
        Some(at) => match spool.retry_later(&id, failures, at, &why).await {
            Ok(()) => Outcome::Retrying {
                failures,
                why,
                next_attempt_at: at,
            },
            Err(e) => Outcome::SpoolError { why: e.to_string() },
        },
        None => give_up(&spool, &id, failures, &why).await,
    };
    report(outcome);
}

async fn give_up(spool: &Spool, id: &EventId, failures: u32, why: &str) -> Outcome {
    match spool.dead(id, why).await {
        Ok(()) => Outcome::Dead {
            failures,
            why: why.to_string(),
        },
        Err(e) => Outcome::SpoolError { why: e.to_string() },
    }
}

#[cfg(test)]
mod tests;
