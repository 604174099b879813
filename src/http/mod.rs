//! The one HTTP server stack of recallform. The Recall emulator (the tests, `--sandbox`,
//! `sandbox serve`) and `recallform relay` both serve through it, so that what the tests
//! exercise is what the relay runs: one accept loop, one way of reading bodies, one shutdown.
//!
//! For every request, before its [`Handler`] sees it:
//! - **a cap on requests in flight** ([`Limits::max_in_flight`]): one over it is refused at
//!   once with [`Refusal::Busy`] (503 unless the handler says otherwise). It is never queued,
//!   since a queue only turns overload into missed deadlines, and never answered 429 or 408,
//!   which Zoom does not retry (shared/zoom-webhooks.md §1);
//! - **the body, read in full up to [`Limits::max_body`] bytes**: a larger one is refused with
//!   [`Refusal::TooLarge`] (413). A handler gets the body as raw bytes, never parsed.
//!
//! **Shutdown** ([`Server::shutdown_by`]) stops accepting, lets the requests in flight finish,
//! closes idle keep-alive connections, and cuts off whatever is still open at a deadline: hyper's
//! graceful shutdown alone can wait for a connection that never sends a request, or for a
//! client that stops reading (hyper issues #2730, #4170), so a timer always caps it.
//!
//! Not for: routing, or what an answer means (the handlers: `emulator/server.rs`,
//! `relay/handler.rs`). HTTP/1.1 only: Zoom and Recall's clients speak it.

mod body;
mod serve;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};

pub use serve::{Drained, Server};

/// An answer: a status, headers and a body held in memory.
pub type Reply = Response<Full<Bytes>>;

/// What a server accepts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest body read, in bytes; a larger one gets [`Refusal::TooLarge`].
    pub max_body: usize,
    /// The most requests handled at once; one more gets [`Refusal::Busy`] at once. `None`: no cap.
    pub max_in_flight: Option<usize>,
    /// How long a connection may take to send a request's headers (hyper closes it after);
    /// `None`: no limit.
    pub header_read_timeout: Option<Duration>,
    /// How long a request's body may take to arrive once its headers have; after that the
    /// connection is closed without an answer. `None`: no limit.
    pub body_read_timeout: Option<Duration>,
}

/// Why the stack answered a request itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The body is larger than [`Limits::max_body`].
    TooLarge,
    /// [`Limits::max_in_flight`] requests are already being handled.
    Busy,
}

impl Refusal {
    /// The stack's own answer: 413, or 503 with `Retry-After: 1`, in plain text.
    pub fn reply(self, limits: &Limits) -> Reply {
        let (status, text) = match self {
            Refusal::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes\n",
                    limits.max_body
                ),
            ),
            Refusal::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many requests in flight; retry later\n".to_string(),
            ),
        };
        let mut reply = text_reply(status, text);
        if self == Refusal::Busy {
            reply
                .headers_mut()
                .insert(hyper::header::RETRY_AFTER, "1".parse().expect("a digit"));
        }
        reply
    }
}

/// Returned by a handler to close the connection without answering (the emulator's dropped
/// connections; a client that went away).
#[derive(Debug)]
pub struct Close;

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection was closed without an answer")
    }
}

impl std::error::Error for Close {}

/// What serves the requests of a [`Server`].
pub trait Handler: Send + Sync + 'static {
    /// Answers one request, whose body has been read in full.
    fn handle(&self, request: Request<Bytes>) -> impl Future<Output = Result<Reply, Close>> + Send;

    /// The answer to a request the stack refused (`head` is all of it the handler sees); the
    /// stack's own by default. Handlers that count or log what they refuse do it here.
    fn refuse(&self, head: &Parts, refusal: Refusal, limits: &Limits) -> Reply {
        let _ = head;
        refusal.reply(limits)
    }
}

/// A plain-text answer.
pub fn text_reply(status: StatusCode, text: impl Into<Bytes>) -> Reply {
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(text.into()))
        .expect("a status and a static header are valid")
}
