//! The duplicate cache: which events the relay has delivered to Recall lately, by
//! [`Event::dedup_key`](super::Event::dedup_key), so that a repeat of one (Zoom delivers at
//! least once, and retries an event whose 2xx it never saw) is answered 200 without being
//! forwarded again.
//!
//! A key goes in only once Recall has accepted the event ([`DedupCache::delivered`]), never
//! when it arrives: an event whose delivery failed is not in the cache, so Zoom's retry of it
//! goes through. The cache is bounded: past its capacity the oldest key leaves first. Zoom's
//! retries span about 85 minutes, so the capacity should hold that long a stretch of events.
//!
//! Not for: remembering across restarts (it lives in memory; the spool keeps what is not yet
//! delivered, and [`super::spool::Spool::is_pending`] answers for that), or for several relays
//! behind one load balancer, which each see only their own events.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// The capacity `recallform relay` uses unless told otherwise: at about 100 bytes a key, some
/// 20 MB at most, and 85 minutes of 20 events a second.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Keys of delivered events, the newest `capacity` of them. Cheap to clone: every clone is
/// the same cache.
#[derive(Clone)]
pub struct DedupCache {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    capacity: usize,
    keys: HashSet<Arc<str>>,
    /// Insertion order, oldest first: what leaves when the cache is full.
    order: VecDeque<Arc<str>>,
}

impl DedupCache {
    /// A cache of at most `capacity` keys; `0` remembers nothing, turning de-duplication off.
    pub fn new(capacity: usize) -> DedupCache {
        DedupCache {
            inner: Arc::new(Mutex::new(Inner {
                capacity,
                keys: HashSet::new(),
                order: VecDeque::new(),
            })),
        }
    }

    /// Whether an event with this key has been delivered (and not yet evicted).
    pub fn seen(&self, key: &str) -> bool {
        self.lock().keys.contains(key)
    }

    /// Records that the event with this key was delivered: call it only once Recall has
    /// answered 2xx. A key already there keeps its place.
    pub fn delivered(&self, key: &str) {
        let mut inner = self.lock();
        if inner.capacity == 0 || inner.keys.contains(key) {
            return;
        }
        let key: Arc<str> = Arc::from(key);
        inner.keys.insert(key.clone());
        inner.order.push_back(key);
        while inner.order.len() > inner.capacity {
            if let Some(oldest) = inner.order.pop_front() {
                inner.keys.remove(&oldest);
            }
        }
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change leaves `keys` and `order` consistent before anything can panic.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_delivered_keys_are_seen() {
        let cache = DedupCache::new(10);
        assert!(!cache.seen("acme:id:t-1"));
        // Arriving, or failing, puts nothing in: only `delivered` does.
        assert!(!cache.seen("acme:id:t-1"));
        cache.delivered("acme:id:t-1");
        assert!(cache.seen("acme:id:t-1"));
        assert!(!cache.seen("acme:id:t-2"));
        assert!(!cache.seen("other:id:t-1"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_oldest_key_leaves_when_it_is_full() {
        let cache = DedupCache::new(3);
        for key in ["a", "b", "c"] {
            cache.delivered(key);
        }
        // A repeat keeps its place: "a" is still the oldest.
        cache.delivered("a");
        assert_eq!(cache.len(), 3);
        cache.delivered("d");
        assert_eq!(cache.len(), 3);
        assert!(!cache.seen("a"));
        assert!(cache.seen("b") && cache.seen("c") && cache.seen("d"));
        cache.delivered("e");
        assert!(!cache.seen("b"));
        assert!(cache.seen("c") && cache.seen("d") && cache.seen("e"));
    }

    #[test]
    fn capacity_zero_remembers_nothing() {
        let cache = DedupCache::new(0);
        cache.delivered("a");
        assert!(!cache.seen("a"));
        assert!(cache.is_empty());
    }

    #[test]
    fn clones_share_the_cache() {
        let cache = DedupCache::new(2);
        cache.clone().delivered("a");
        assert!(cache.seen("a"));
    }
}
