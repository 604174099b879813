//! Reading a request's body in full, up to a cap.
//!
//! A body over the cap is still read on (and thrown away) for a while before the refusal is
//! sent: a server that closes a connection with unread bytes in its receive buffer sends a TCP
//! reset, and a reset can destroy the 413 on its way to the client, who then sees a broken
//! connection instead of the answer (nginx's "lingering close" exists for this).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::http::request::Parts;
use tokio::time::Instant;

/// How much of a body past the cap is read and thrown away so that a refusal arrives intact.
#[derive(Clone, Copy, Debug)]
pub(super) struct Drain {
    /// At most this many bytes past the cap.
    pub bytes: usize,
    /// For at most this long once the cap is passed.
    pub time: Duration,
}

/// For a 413: a few MiB, for a second.
pub(super) const DRAIN_TOO_LARGE: Drain = Drain {
    bytes: 4 << 20,
    time: Duration::from_secs(1),
};

/// For a 503 of an overloaded server, which must stay cheap.
pub(super) const DRAIN_BUSY: Drain = Drain {
    bytes: 64 << 10,
    time: Duration::from_millis(100),
};

/// Why a body was not read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Unread {
    /// Larger than the cap; `drained` when it was read to its end all the same.
    TooLarge {
        /// Whether the whole body was read, so the connection may be kept.
        drained: bool,
    },
    /// The client broke off, sent a broken body, or was too slow: close without an answer.
    Broken,
}

/// Reads `body` in full when it has at most `max` bytes, by `deadline` if one is given; past
/// `max`, reads on as `drain` allows and throws the rest away.
pub(super) async fn read(
    head: &Parts,
    mut body: Incoming,
    max: usize,
    drain: Drain,
    mut deadline: Option<Instant>,
) -> Result<Bytes, Unread> {
    let declared = body.size_hint().exact().or_else(|| content_length(head));
    if declared.is_some_and(|n| n > max.saturating_add(drain.bytes) as u64) {
        return Err(Unread::TooLarge { drained: false });
    }
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    let mut draining = false;
    loop {
        let next = body.frame();
        let frame = match deadline {
            Some(at) => match tokio::time::timeout_at(at, next).await {
                Ok(frame) => frame,
                Err(_) if seen > max => return Err(Unread::TooLarge { drained: false }),
                Err(_) => return Err(Unread::Broken),
            },
            None => next.await,
        };
        let Some(frame) = frame else { break };
        let Ok(frame) = frame else {
            return Err(Unread::Broken);
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen <= max {
            kept.extend_from_slice(&data);
        } else if seen > max.saturating_add(drain.bytes) {
            return Err(Unread::TooLarge { drained: false });
        } else if !draining {
            draining = true;
            kept = BytesMut::new();
            let until = Instant::now() + drain.time;
            deadline = Some(deadline.map_or(until, |d| d.min(until)));
        }
    }
    if seen > max {
        return Err(Unread::TooLarge { drained: true });
    }
    Ok(kept.freeze())
}

/// The `Content-Length` header, when it is a number.
fn content_length(head: &Parts) -> Option<u64> {
    head.headers
        .get(hyper::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
