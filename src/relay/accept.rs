//! The point where a verified event leaves the HTTP side: [`Accept`] takes it and says what to
//! answer Zoom. `recallform relay` serves with the [`super::Pipeline`], which composes the
//! duplicate cache, the tee and the spool around the synchronous [`super::Forwarder`] (an
//! [`Accept`] of its own, for tests and embedders: it sends the event to Recall and answers
//! with Recall's answer), so routing and checks stay the same whichever is in place.
//!
//! Never given: a request that failed a check (it was answered already), or a URL validation
//! (`endpoint.url_validation`), which the handler always sends to Recall synchronously, since
//! only Recall can answer it and the answer is due within Zoom's 3 seconds.
//!
//! Not for: what happens on the wire (the forwarder), or the log line and the metrics of each
//! answer (the handler writes them from the [`Answer`]).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use tokio::time::Instant;

use super::Event;
use super::routes::AppRoute;
use crate::http::Reply;

/// A boxed future, so that [`Accept`] can be used as `dyn Accept`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Takes verified events for Recall.
pub trait Accept: Send + Sync + 'static {
    /// Takes `event`, already verified, for `app` (whose route gives the Recall URL and the
    /// secret, for a late delivery to re-sign with), and says what to answer Zoom. The answer
    /// is due within Zoom's 3 seconds: a 2xx tells Zoom the event is delivered for good, 503
    /// that it should retry, and any other 4xx is final.
    fn accept(&self, app: Arc<AppRoute>, event: Event) -> BoxFuture<'_, Answer>;

    /// Called once at shutdown, after the last request was answered: finish what must be
    /// finished (flush a spool) before `deadline`, when the relay exits regardless.
    fn close(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        let _ = deadline;
        Box::pin(async {})
    }
}

/// What the relay answers Zoom, and what its log line and metrics say about it.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// Headers of the answer (`content-type`, passed on from Recall as received).
    pub headers: HeaderMap,
    /// The body, passed on from Recall as received, or the relay's own text.
    pub body: Bytes,
    /// What happened, in one word for the log line (`outcome=`) and `/metrics`:
    /// `forwarded`, `recall_unavailable`, or the durable side's own (`spooled`, `duplicate`).
    pub outcome: Cow<'static, str>,
    /// More for the log line, never a secret or a body (redact what came from the network).
    pub detail: Option<String>,
}

impl Answer {
    /// An answer with `status`, no headers and no body.
    pub fn new(status: StatusCode, outcome: impl Into<Cow<'static, str>>) -> Answer {
        Answer {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            outcome: outcome.into(),
            detail: None,
        }
    }

    /// An answer with `status` and a plain-text `text`.
    pub fn text(
        status: StatusCode,
        outcome: impl Into<Cow<'static, str>>,
        text: impl Into<Bytes>,
    ) -> Answer {
        let mut answer = Answer::new(status, outcome);
        answer.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        answer.body = text.into();
        answer
    }

    /// 503: Zoom retries it (5 minutes later, then 20, then 60).
    pub fn unavailable(outcome: impl Into<Cow<'static, str>>, detail: String) -> Answer {
        Answer::text(
            StatusCode::SERVICE_UNAVAILABLE,
            outcome,
            "recall could not take the event now; retry later\n",
        )
        .with_detail(detail)
    }

    /// The same answer, with `detail` for the log line.
    pub fn with_detail(mut self, detail: String) -> Answer {
        self.detail = Some(detail);
        self
    }

    /// The HTTP answer.
    pub fn into_reply(self) -> Reply {
        let mut reply = Response::new(Full::new(self.body));
        *reply.status_mut() = self.status;
        *reply.headers_mut() = self.headers;
        reply
    }
}
