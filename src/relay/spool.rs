//! The relay's spool (`--spool DIR`): verified events on disk, each made durable before Zoom
//! hears 200, until the delivery worker ([`super::worker`]) has handed it to Recall or given
//! up on it.
//!
//! # The format on disk (version 1)
//!
//! ```text
//! DIR/
//!   .recallform-spool            marks the folder as a spool ("recallform spool 1"), and is
//!                                locked by the relay that uses it
//!   <received>-<uuid>.event      one pending event per file
//!   .recallform-*.tmp            a write that never finished (removed when the spool opens)
//!   dead/<received>-<uuid>.event events that exhausted the delivery horizon
//!   corrupt/<name>               files found in the spool that are not events of this format
//! ```
//!
//! `<received>` is when the relay received the event, in nanoseconds since the Unix epoch and
//! 20 digits wide, so that names sort in arrival order; `<uuid>` is a random v4 UUID in 32 hex
//! digits. An event file is three parts, with nothing between them:
//!
//! 1. the line `recallform spool event 1` and a `\n`;
//! 2. one line of JSON and a `\n`: `app` (the manifest name), `timestamp`, `signature`,
//!    `content_type` and `delivery_id` (the Zoom headers as received; the last two may be
//!    `null`), `received_at_ns`, `attempts` (failed deliveries so far), `next_attempt_at_ns`,
//!    `last_error` (why the last delivery failed, or `null`; for a dead letter, why it was given
//!    up), `body_len` and `body_sha256` (lowercase hex);
//! 3. the body, exactly the bytes Zoom sent: never decoded, re-encoded or re-serialised.
//!
//! No file holds a secret: the signature is Zoom's HMAC, not the key. Files are readable by
//! their owner only (0600), and folders the spool makes are 0700.
//!
//! # Why it survives a crash
//!
//! Every write goes to a temporary file in `DIR`, which is fsynced, renamed over its final
//! name and followed by an fsync of `DIR` ([`crate::fsutil::write_atomically`]), so a reader
//! sees a whole event or none, and [`Spool::put`] returns only once the event would survive a
//! power cut. A retry rewrites the file the same way; giving up rewrites it with the reason and
//! then renames it into `dead/`. A file that does not decode (a foreign file, a truncated
//! copy, a newer format, a body whose length or SHA-256 disagrees with its header) is moved
//! into `corrupt/` and counted; it never stops the relay or the delivery of other events.
//!
//! Moving a file from `dead/` back into `DIR` gives it one more attempt at the next start (its
//! horizon has passed, so a failure sends it back).
//!
//! Not for: URL-validation events (`endpoint.url_validation`), which must never be spooled:
//! Zoom needs Recall's answer to them within 3 seconds, so the HTTP side forwards them
//! synchronously. Not for delivering anything either: that is [`super::worker`]'s job.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use self::folder::{open_blocking, quarantine, sync_dir};
use self::format::{decode, encode, header};
use super::Event;
use crate::fsutil::{Mode, write_atomically};

mod folder;
mod format;

/// The first line of the marker file, with the format's version.
const MARKER_TEXT: &str = "recallform spool 1\n";

/// What the marker file says before the version.
const MARKER_PREFIX: &str = "recallform spool ";

/// The marker file's name: it is also the file the spool's lock is taken on.
const MARKER: &str = ".recallform-spool";

/// The file name ending of an event.
const EXTENSION: &str = ".event";

/// The folder of dead letters.
pub const DEAD_DIR: &str = "dead";

/// The folder of files that were not events.
pub const CORRUPT_DIR: &str = "corrupt";

/// Which spooled event: its file's name without `.event`, which sorts in arrival order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(String);

impl EventId {
    /// A new ID for an event received at `at`.
    fn new(at: SystemTime) -> EventId {
        EventId(format!(
            "{:020}-{}",
            nanos(at),
            uuid::Uuid::new_v4().simple()
        ))
    }

    /// The ID a file name stands for, if it is an event's name.
    fn from_file_name(name: &str) -> Option<EventId> {
        let stem = name.strip_suffix(EXTENSION)?;
        let (received, uuid) = stem.split_once('-')?;
        let well_formed = received.len() == 20
            && received.bytes().all(|b| b.is_ascii_digit())
            && uuid.len() == 32
            && uuid.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| EventId(stem.to_string()))
    }

    /// The ID as text, as in the file's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn file_name(&self) -> String {
        format!("{}{EXTENSION}", self.0)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A spooled event as its file holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spooled {
    /// Which event.
    pub id: EventId,
    /// The event, with its body and headers as received.
    pub event: Event,
    /// Failed deliveries so far.
    pub attempts: u32,
    /// When the next delivery is due.
    pub next_attempt_at: SystemTime,
    /// Why the last delivery failed (for a dead letter, why it was given up).
    pub last_error: Option<String>,
}

/// The spool's sizes, for the relay's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events waiting for delivery (a gauge).
    pub depth: usize,
    /// Events in `dead/`, from this run and earlier ones (a gauge; files moved out by hand
    /// are noticed at the next start).
    pub dead: u64,
    /// Files in `corrupt/`, from this run and earlier ones (a gauge, like `dead`).
    pub corrupt: u64,
}

/// The spool folder, open and locked. Cheap to clone: every clone is the same spool.
///
/// One relay (one [`Spool::open`]) per folder: a second open, in this process or another,
/// fails while the first is alive.
#[derive(Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    index: Mutex<Index>,
    /// Wakes the worker when an event arrives.
    arrived: Notify,
    dead: AtomicU64,
    corrupt: AtomicU64,
    /// Holds the lock for as long as the spool is open; the OS releases it when the process
    /// ends however it ends.
    _lock: File,
}

/// What is pending, in memory: the files are the truth, this is their table of contents.
#[derive(Default)]
struct Index {
    entries: HashMap<EventId, Entry>,
    /// By next attempt, then arrival.
    due: BTreeSet<(u64, EventId)>,
    /// Dedup key → the pending event with that key.
    keys: HashMap<String, EventId>,
}

struct Entry {
    key: String,
    next_at: u64,
}

impl Index {
    fn insert(&mut self, id: EventId, key: String, next_at: u64) {
        self.remove(&id);
        self.keys.entry(key.clone()).or_insert_with(|| id.clone());
        self.due.insert((next_at, id.clone()));
        self.entries.insert(id, Entry { key, next_at });
    }

    fn reschedule(&mut self, id: &EventId, next_at: u64) {
        if let Some(entry) = self.entries.get_mut(id) {
            self.due.remove(&(entry.next_at, id.clone()));
            entry.next_at = next_at;
            self.due.insert((next_at, id.clone()));
        }
    }

    fn remove(&mut self, id: &EventId) {
        if let Some(entry) = self.entries.remove(id) {
            self.due.remove(&(entry.next_at, id.clone()));
            if self.keys.get(&entry.key) == Some(id) {
                self.keys.remove(&entry.key);
            }
        }
    }
}

impl Spool {
    /// Opens the spool in `dir`, making the folder if it does not exist, and locks it.
    ///
    /// Refuses a folder that has files but no spool marker (so that a mistyped path never
    /// turns someone's files into "corrupt events"), a spool of another format, and a spool
    /// another relay holds. Removes unfinished writes and moves files that are not events into
    /// `corrupt/`.
    pub async fn open(dir: impl Into<PathBuf>) -> io::Result<Spool> {
        let dir = dir.into();
        blocking(move || open_blocking(dir)).await
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Writes `event` durably (file and folder fsynced) and returns its ID; once this returns
    /// `Ok`, the event survives a crash of the process or the machine, and the relay may
    /// answer Zoom 200. The worker is woken to deliver it.
    ///
    /// An event whose [`Event::dedup_key`] is already pending is not written again: the
    /// pending event's ID is returned (Zoom's retry of an event the relay already holds).
    pub async fn put(&self, event: &Event) -> io::Result<EventId> {
        let key = event.dedup_key();
        if let Some(id) = self.index().keys.get(&key) {
            return Ok(id.clone());
        }
        let id = EventId::new(event.received_at);
        let received = nanos(event.received_at);
        let bytes = encode(&header(event, 0, received, None), &event.body);
        let path = self.inner.dir.join(id.file_name());
        blocking(move || write_atomically(&path, &bytes, Mode::Private)).await?;
        self.index().insert(id.clone(), key, received);
        self.inner.arrived.notify_one();
        Ok(id)
    }

    /// Whether an event with this [`Event::dedup_key`] is pending.
    pub fn is_pending(&self, key: &str) -> bool {
        self.index().keys.contains_key(key)
    }

    /// The pending events, the next due first (then in arrival order).
    pub fn pending(&self) -> Vec<EventId> {
        self.index().due.iter().map(|(_, id)| id.clone()).collect()
    }

    /// Reads a pending event. A file that does not decode is moved into `corrupt/`, leaves
    /// the pending set, and gives an `InvalidData` error.
    pub async fn load(&self, id: &EventId) -> io::Result<Spooled> {
        let spool = self.clone();
        let id = id.clone();
        blocking(move || spool.read_or_quarantine(&id)).await
    }

    /// Removes a delivered event. Removing one that is already gone is no error.
    pub async fn done(&self, id: &EventId) -> io::Result<()> {
        self.index().remove(id);
        let dir = self.inner.dir.clone();
        let path = dir.join(id.file_name());
        blocking(move || {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
            // Without this, a crash could bring the delivered event back.
            sync_dir(&dir)
        })
        .await
    }

    /// Records a failed delivery: `attempts` failures so far, `why` the last one failed
    /// (never a secret: it is stored), and when to try again.
    pub async fn retry_later(
        &self,
        id: &EventId,
        attempts: u32,
        next_attempt_at: SystemTime,
        why: &str,
    ) -> io::Result<()> {
        // The schedule holds in memory even if the disk refuses the rewrite: the file then
        // keeps its older schedule, which only matters after a restart.
        self.index().reschedule(id, nanos(next_attempt_at));
        let spool = self.clone();
        let id = id.clone();
        let why = why.to_string();
        blocking(move || {
            let mut spooled = spool.read_or_quarantine(&id)?;
            spooled.attempts = attempts;
            spooled.next_attempt_at = next_attempt_at;
            spooled.last_error = Some(why);
            spool.rewrite(&spooled)
        })
        .await
    }

    /// Gives up on an event: its file, with `why` (never a secret: it is stored) as its
    /// `last_error`, moves into `dead/`, and the dead letters count one more.
    pub async fn dead(&self, id: &EventId, why: &str) -> io::Result<()> {
        self.index().remove(id);
        let spool = self.clone();
        let id = id.clone();
        let why = why.to_string();
        blocking(move || {
            let mut spooled = spool.read_or_quarantine(&id)?;
            spooled.last_error = Some(why);
            spool.rewrite(&spooled)?;
            let dir = &spool.inner.dir;
            let dead = dir.join(DEAD_DIR);
            fs::rename(dir.join(id.file_name()), dead.join(id.file_name()))?;
            sync_dir(&dead)?;
            sync_dir(dir)?;
            spool.inner.dead.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .await
    }

    /// The spool's sizes now.
    pub fn counts(&self) -> Counts {
        Counts {
            depth: self.index().entries.len(),
            dead: self.inner.dead.load(Ordering::Relaxed),
            corrupt: self.inner.corrupt.load(Ordering::Relaxed),
        }
    }

    /// The first pending event due by `now` that is not in `busy`.
    pub(crate) fn next_due(
        &self,
        now: SystemTime,
        busy: &std::collections::HashSet<EventId>,
    ) -> Option<EventId> {
        let now = nanos(now);
        self.index()
            .due
            .iter()
            .take_while(|(at, _)| *at <= now)
            .find(|(_, id)| !busy.contains(id))
            .map(|(_, id)| id.clone())
    }

    /// When the first pending event not in `busy` is due.
    pub(crate) fn next_due_at(
        &self,
        busy: &std::collections::HashSet<EventId>,
    ) -> Option<SystemTime> {
        self.index()
            .due
            .iter()
            .find(|(_, id)| !busy.contains(id))
            .map(|(at, _)| UNIX_EPOCH + Duration::from_nanos(*at))
    }

    /// Holds a pending event back until `until`, in memory only.
    pub(crate) fn hold(&self, id: &EventId, until: SystemTime) {
        self.index().reschedule(id, nanos(until));
    }

    /// Waits until an event is put (or was put since the last wait).
    pub(crate) async fn arrived(&self) {
        self.inner.arrived.notified().await;
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        // A panic while holding the lock cannot leave the index half-changed in a way that
        // matters more than losing the relay: keep going.
        self.inner
            .index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read_or_quarantine(&self, id: &EventId) -> io::Result<Spooled> {
        let path = self.inner.dir.join(id.file_name());
        let bytes = fs::read(&path).inspect_err(|e| {
            // Someone removed it by hand: nothing is left to deliver.
            if e.kind() == io::ErrorKind::NotFound {
                self.index().remove(id);
            }
        })?;
        decode(id.clone(), &bytes).map_err(|why| {
            self.index().remove(id);
            quarantine(&self.inner.dir, &path);
            self.inner.corrupt.fetch_add(1, Ordering::Relaxed);
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the spooled event `{id}` {why}; it was moved into `{CORRUPT_DIR}/`"),
            )
        })
    }

    fn rewrite(&self, spooled: &Spooled) -> io::Result<()> {
        let header = header(
            &spooled.event,
            spooled.attempts,
            nanos(spooled.next_attempt_at),
            spooled.last_error.clone(),
        );
        let path = self.inner.dir.join(spooled.id.file_name());
        write_atomically(&path, &encode(&header, &spooled.event.body), Mode::Private)
    }
}

/// Nanoseconds since the Unix epoch (0 before it, the most a u64 holds after 2554).
pub(crate) fn nanos(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

#[cfg(test)]
mod tests;
