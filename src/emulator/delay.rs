//! The emulator's latency, to the tens of microseconds: a request waits until `--latency` after
//! it arrived, timed by one thread of the emulator's own. tokio's timer counts in whole
//! milliseconds and rounds each wait up to the next tick: with it, a 20 ms latency took 21.7 ms
//! on average as the client saw it (20.9 ms with this thread), 4% of the latency-bound
//! benchmark that is no latency Recall adds.
//!
//! One thread for every emulator in the process, started by the first wait: it sleeps on a
//! condition variable until the earliest deadline (the kernel's high-resolution timers), then
//! wakes each request whose deadline has come. A request whose deadline has passed does not wait.
//!
//! Not for: faults' delays, which only need to be longer than a timeout (tokio's timer).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use tokio::sync::oneshot;

/// Returns at `deadline`, or at once if it has passed.
pub async fn until(deadline: Instant) {
    if deadline <= Instant::now() {
        return;
    }
    let (wake, woken) = oneshot::channel();
    let line = line();
    {
        let mut waiting = line.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.push(Waiting { deadline, wake });
    }
    line.changed.notify_one();
    // The thread never drops a sender unsent; if it were gone, waiting longer would not help.
    let _ = woken.await;
}

/// The requests waiting, earliest deadline first, and the condition the thread sleeps on.
struct Line {
    waiting: Mutex<BinaryHeap<Waiting>>,
    changed: Condvar,
}

/// The line, its thread started on first use.
fn line() -> &'static Line {
    static LINE: OnceLock<&'static Line> = OnceLock::new();
    LINE.get_or_init(|| {
        let line: &'static Line = Box::leak(Box::new(Line {
            waiting: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("emulator-latency".into())
            .spawn(move || run(line))
            .expect("the emulator's latency thread starts");
        line
    })
}

/// The thread: wakes what is due, then sleeps until the next deadline or a new request.
fn run(line: &Line) {
    let mut waiting = line.waiting.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let now = Instant::now();
        while waiting.peek().is_some_and(|w| w.deadline <= now) {
            let due = waiting.pop().expect("peeked");
            // A request whose connection went away has dropped its receiver: nothing to wake.
            let _ = due.wake.send(());
        }
        waiting = match waiting.peek() {
            Some(next) => {
                let left = next.deadline.saturating_duration_since(now);
                line.changed
                    .wait_timeout(waiting, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => line
                .changed
                .wait(waiting)
                .unwrap_or_else(PoisonError::into_inner),
        };
    }
}

/// One request's wait.
struct Waiting {
    deadline: Instant,
    wake: oneshot::Sender<()>,
}

// A max-heap ordered by deadline reversed: the earliest deadline on top.
impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        other.deadline.cmp(&self.deadline)
    }
}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}

impl Eq for Waiting {}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn each_wait_ends_at_its_deadline_never_before_in_deadline_order() {
        let start = Instant::now();
        // Pushed out of order, so that the heap, not arrival, decides who wakes first.
        let ms = [30u64, 10, 20, 0, 10];
        let woken = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ms) in ms.into_iter().enumerate() {
            let woken = woken.clone();
            tasks.spawn(async move {
                let deadline = start + Duration::from_millis(ms);
                until(deadline).await;
                let now = Instant::now();
                woken.lock().unwrap().push((i, ms));
                now >= deadline
            });
        }
        while let Some(on_time) = tasks.join_next().await {
            assert!(on_time.unwrap(), "a wait ended before its deadline");
        }
        let order: Vec<u64> = woken.lock().unwrap().iter().map(|(_, ms)| *ms).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "woken in deadline order");
    }

    #[tokio::test]
    async fn a_deadline_that_has_passed_does_not_wait() {
        let past = Instant::now() - Duration::from_secs(1);
        tokio::time::timeout(Duration::from_secs(5), until(past))
            .await
            .expect("returns at once");
    }
}
