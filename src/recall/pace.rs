//! Client-side pacing: one token bucket per class of Recall's rate limits, shared by every task
//! of one client, so that a run stays under Recall's per-minute limits instead of running into
//! 429s and waiting them out.
//!
//! Recall limits each workspace per minute and per endpoint class (recall-api.md §1.0, §3.4):
//! 60 list calls ([`Class::List`]) and 300 of the rest ([`Class::Write`]: create, patch,
//! delete, and also retrieve, which Recall counts at 300 a minute too). A limit is given as
//! Recall's ([`RateLimits`], `--rate-limit list=60/min,write=300/min`), and the pacer sends
//! below it: at `L - 1 - ceil(L / 50)` a minute (57 of 60, 293 of 300), one request at a time
//! and no burst, so that any 60 s window, sliding or fixed, holds at most one request more than
//! the pace (58 of 60, 294 of 300), and the rest is room for clock and network jitter.
//!
//! A 429 means someone else shares the workspace's budget; it pauses the whole class for
//! `Retry-After`, every task of the client, not only the one that got it, and slots already
//! promised are given again after the pause.
//!
//! Built on `tokio::time`, so tests run it on tokio's paused clock. Not for: retries and
//! backoff (that is [`super::retry`]), or deciding which request is which class (the client
//! says so when it sends).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The classes of Recall's rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// GET of a list endpoint (apps, app logs, credentials): 60 a minute.
    List,
    /// Create, patch, delete and retrieve: 300 a minute.
    Write,
}

impl Class {
    /// The class's name, as `--rate-limit` and the manifest write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::List => "list",
            Class::Write => "write",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Recall's limit for one class, in requests a minute; `None` is no pacing (`off` or `0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(pub Option<u32>);

impl Limit {
    /// Reads `60/min`, `5/s`, `off` or `0`.
    pub fn parse(text: &str) -> Result<Limit, String> {
        let text = text.trim();
        if text == "off" || text == "0" {
            return Ok(Limit(None));
        }
        let (count, unit) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a rate such as `60/min`"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` does not start with a whole number of requests"))?;
        let per_minute = match unit.trim() {
            "min" => Some(count),
            "s" => count.checked_mul(60),
            other => return Err(format!("`{other}` in `{text}` is not `min` or `s`")),
        }
        .ok_or_else(|| format!("`{text}` is too many requests a minute"))?;
        Ok(Limit((per_minute > 0).then_some(per_minute)))
    }

    /// The pace kept under this limit, in requests a minute: one for the request a 60 s window
    /// holds beyond the pace, and 2% for jitter, at least 1.
    pub fn pace(self) -> Option<u32> {
        self.0
            .map(|limit| limit.saturating_sub(1 + limit.div_ceil(50)).max(1))
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}/min"),
            None => f.write_str("off"),
        }
    }
}

/// Recall's limits for both classes, as `--rate-limit` or `recall.rate_limit` give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// The list calls' limit.
    pub list: Limit,
    /// The other calls' limit.
    pub write: Limit,
}

impl Default for RateLimits {
    /// Recall's documented limits: 60 list calls and 300 others a minute.
    fn default() -> Self {
        RateLimits {
            list: Limit(Some(60)),
            write: Limit(Some(300)),
        }
    }
}

impl RateLimits {
    /// No pacing for either class.
    pub const OFF: RateLimits = RateLimits {
        list: Limit(None),
        write: Limit(None),
    };

    /// Reads `list=60/min,write=300/min` (either class alone keeps the other's default), or
    /// `off` for neither.
    pub fn parse(text: &str) -> Result<RateLimits, String> {
        if text.trim() == "off" {
            return Ok(RateLimits::OFF);
        }
        let mut limits = RateLimits::default();
        let mut seen = Vec::new();
        for part in text.split(',') {
            let (class, value) = part.split_once('=').ok_or_else(|| {
                format!(
                    "`{}` is not `CLASS=RATE`, such as `list=60/min`",
                    part.trim()
                )
            })?;
            let class = class.trim();
            if seen.contains(&class.to_string()) {
                return Err(format!("`{class}` is given twice"));
            }
            let limit = Limit::parse(value)?;
            match class {
                "list" => limits.list = limit,
                "write" => limits.write = limit,
                other => return Err(format!("`{other}` is not a class: use `list` or `write`")),
            }
            seen.push(class.to_string());
        }
        Ok(limits)
    }

    /// The limit of `class`.
    pub fn of(&self, class: Class) -> Limit {
        match class {
            Class::List => self.list,
            Class::Write => self.write,
        }
    }
}

impl fmt::Display for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "list={},write={}", self.list, self.write)
    }
}

/// One class's bucket: the generic cell rate algorithm, which is a token bucket of one token
/// kept as the time the next request may go.
#[derive(Debug)]
struct Bucket {
    /// The time between two requests; `None` when not paced.
    interval: Option<Duration>,
    /// The earliest time the next request may go.
    next: Instant,
    /// Bumped by every pause, so that a task that was promised a slot before it asks again.
    epoch: u64,
    /// Until when a 429 paused the class.
    paused_until: Option<Instant>,
}

/// What [`Pacer::acquire`] waited for, for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waited {
    /// The whole wait.
    pub total: Duration,
    /// Whether part of it was a 429's pause.
    pub paused: bool,
}

/// The pacer of one client: a bucket per class, shared by all its tasks (wrap the client, or
/// the pacer, in an `Arc`).
#[derive(Debug)]
pub struct Pacer {
    limits: RateLimits,
    list: Mutex<Bucket>,
    write: Mutex<Bucket>,
}

impl Pacer {
    /// A pacer under `limits`, with both buckets ready for a first request now.
    pub fn new(limits: RateLimits) -> Pacer {
        let bucket = |limit: Limit| {
            Mutex::new(Bucket {
                interval: limit
                    .pace()
                    .map(|per_minute| Duration::from_secs(60) / per_minute),
                next: Instant::now(),
                epoch: 0,
                paused_until: None,
            })
        };
        Pacer {
            limits,
            list: bucket(limits.list),
            write: bucket(limits.write),
        }
    }

    /// The limits it paces under.
    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    fn bucket(&self, class: Class) -> std::sync::MutexGuard<'_, Bucket> {
        match class {
            Class::List => &self.list,
            Class::Write => &self.write,
        }
        .lock()
        .unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request of `class` may go, and takes its slot. Slots are handed out in
    /// the order asked for; a pause that comes while a task waits sends it to ask again.
    pub async fn acquire(&self, class: Class) -> Waited {
        let started = Instant::now();
        let (mut paused, mut slept) = (false, false);
        loop {
            let (at, epoch) = {
                let mut b = self.bucket(class);
                let now = Instant::now();
                let mut at = now;
                if let Some(until) = b.paused_until {
                    if until > now {
                        at = until;
                        paused = true;
                    } else {
                        b.paused_until = None;
                    }
                }
                if let Some(interval) = b.interval {
                    at = at.max(b.next);
                    b.next = at + interval;
                }
                (at, b.epoch)
            };
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
                slept = true;
            }
            if self.bucket(class).epoch == epoch {
                return Waited {
                    // A slot free at once is no wait, whatever taking it cost.
                    total: if slept {
                        started.elapsed()
                    } else {
                        Duration::ZERO
                    },
                    paused,
                };
            }
        }
    }

    /// A 429 for `class` that said `Retry-After: after`: no request of the class goes before
    /// then, and slots promised for later are given again after the pause.
    pub fn pause(&self, class: Class, after: Duration) {
        let mut b = self.bucket(class);
        let until = Instant::now() + after;
        if b.paused_until.is_some_and(|u| u >= until) {
            return;
        }
        b.paused_until = Some(until);
        b.next = until;
        b.epoch += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn limits(list: u32, write: u32) -> RateLimits {
        RateLimits {
            list: Limit(Some(list)),
            write: Limit(Some(write)),
        }
    }

    #[test]
    fn the_default_paces_at_57_and_293_a_minute() {
        let d = RateLimits::default();
        assert_eq!(d.list.pace(), Some(57));
        assert_eq!(d.write.pace(), Some(293));
        assert_eq!(Limit(Some(1)).pace(), Some(1));
        assert_eq!(Limit(Some(120)).pace(), Some(116));
        assert_eq!(Limit(None).pace(), None);
    }

    #[test]
    fn rate_limits_parse_and_say_what_is_wrong() {
        assert_eq!(
            RateLimits::parse("list=60/min,write=300/min").unwrap(),
            RateLimits::default()
        );
        assert_eq!(
            RateLimits::parse("write=10/s").unwrap(),
            limits(60, 600),
            "a class not given keeps its default"
        );
        assert_eq!(
            RateLimits::parse("list=off, write=0").unwrap(),
            RateLimits::OFF
        );
        assert_eq!(RateLimits::parse("off").unwrap(), RateLimits::OFF);
        assert_eq!(
            RateLimits::parse("list=0/min").unwrap().list,
            Limit(None),
            "zero a minute is no pacing"
        );
        for (text, error) in [
            ("list", "`list` is not `CLASS=RATE`, such as `list=60/min`"),
            (
                "lists=60/min",
                "`lists` is not a class: use `list` or `write`",
            ),
            ("list=60", "`60` is not a rate such as `60/min`"),
            ("list=60/h", "`h` in `60/h` is not `min` or `s`"),
            (
                "list=x/min",
                "`x/min` does not start with a whole number of requests",
            ),
            ("list=1/min,list=2/min", "`list` is given twice"),
            (
                "write=99999999999/s",
                "`99999999999/s` does not start with a whole number of requests",
            ),
            (
                "write=99999999/s",
                "`99999999/s` is too many requests a minute",
            ),
        ] {
            assert_eq!(RateLimits::parse(text).unwrap_err(), error, "{text}");
        }
        assert_eq!(
            RateLimits::default().to_string(),
            "list=60/min,write=300/min"
        );
        assert_eq!(RateLimits::OFF.to_string(), "list=off,write=off");
    }

    /// A limit of 63 a minute paces at 60: one request a second exactly.
    const ONE_A_SECOND: u32 = 63;

    #[tokio::test(start_paused = true)]
    async fn n_acquisitions_take_n_minus_one_intervals() {
        let pacer = Pacer::new(limits(ONE_A_SECOND, 300));
        let start = Instant::now();
        for _ in 0..61 {
            pacer.acquire(Class::List).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(60));

        // The default: 57 a minute, so 58 lists (one more than the pace) fill 60 s: 57 intervals
        // of 60/57 s, less a few nanoseconds of rounding that tokio's millisecond timer rounds
        // up again.
        let pacer = Pacer::new(RateLimits::default());
        let start = Instant::now();
        for _ in 0..58 {
            pacer.acquire(Class::List).await;
        }
        assert_eq!(
            (Duration::from_secs(60) / 57) * 57,
            Duration::new(59, 999_999_946)
        );
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        // Writes have a bucket of their own: not held back by the lists.
        let start = Instant::now();
        for _ in 0..294 {
            pacer.acquire(Class::Write).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_60_s_window_never_holds_more_than_the_pace_plus_one() {
        let pacer = Pacer::new(RateLimits::default());
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..200 {
            pacer.acquire(Class::List).await;
            sent.push(start.elapsed());
        }
        for (i, first) in sent.iter().enumerate() {
            let within = sent[i..]
                .iter()
                .take_while(|t| **t <= *first + Duration::from_secs(60))
                .count();
            assert!(within <= 58, "{within} lists within 60 s of {first:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn off_never_waits() {
        let pacer = Pacer::new(RateLimits::OFF);
        let start = Instant::now();
        for _ in 0..1000 {
            assert_eq!(pacer.acquire(Class::List).await, Waited::default());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_tasks_share_one_bucket() {
        let pacer = Arc::new(Pacer::new(limits(ONE_A_SECOND, ONE_A_SECOND)));
        let start = Instant::now();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    let mut at = Vec::new();
                    for _ in 0..5 {
                        pacer.acquire(Class::Write).await;
                        at.push(start.elapsed());
                    }
                    at
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        // 80 requests from 16 tasks, one a second between them all: 0 s, 1 s, ..., 79 s.
        let expected: Vec<Duration> = (0..80).map(Duration::from_secs).collect();
        assert_eq!(all, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_every_task_of_the_class() {
        let pacer = Arc::new(Pacer::new(RateLimits::OFF));
        let start = Instant::now();
        // Unpaced, so only the pause can hold anyone back.
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100 * i)).await;
                    let waited = pacer.acquire(Class::List).await;
                    (start.elapsed(), waited)
                })
            })
            .collect();
        // One task got a 429 at 50 ms, saying `Retry-After: 7`.
        tokio::time::sleep(Duration::from_millis(50)).await;
        pacer.pause(Class::List, Duration::from_secs(7));
        let until = Duration::from_millis(7050);
        for (i, t) in tasks.into_iter().enumerate() {
            let (at, waited) = t.await.unwrap();
            if i == 0 {
                assert_eq!(at, Duration::ZERO, "task 0 went before the 429");
                assert!(!waited.paused);
            } else {
                assert_eq!(at, until, "task {i}");
                assert!(waited.paused, "task {i}");
            }
        }
        // Writes were not paused.
        let before = Instant::now();
        pacer.acquire(Class::Write).await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_takes_back_the_slots_promised_and_then_paces_again() {
        let pacer = Arc::new(Pacer::new(limits(ONE_A_SECOND, 300)));
        let start = Instant::now();
        // Four tasks promised the slots 0 s, 1 s, 2 s, 3 s.
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.acquire(Class::List).await;
                    start.elapsed()
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        pacer.pause(Class::List, Duration::from_secs(10));
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        // Two went (0 s, 1 s); the other two go from the end of the pause, a second apart.
        let ms = Duration::from_millis;
        assert_eq!(at, [ms(0), ms(1000), ms(11_500), ms(12_500)]);
        // A shorter pause than the one in force changes nothing.
        pacer.pause(Class::List, Duration::from_secs(10));
        pacer.pause(Class::List, Duration::from_secs(1));
        let before = Instant::now();
        pacer.acquire(Class::List).await;
        assert_eq!(before.elapsed(), Duration::from_secs(10));
    }
}
