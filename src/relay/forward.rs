//! Sending one event to its app's Recall webhook URL, and what Recall's answer means for Zoom.
//!
//! What goes out is the body byte for byte with the three headers Recall needs:
//! `x-zm-request-timestamp`, `x-zm-signature` and `content-type`, as received. What comes back
//! goes to Zoom as received too (status, body, `content-type`), with one rule: whatever would
//! make Zoom drop the event for good although Recall did not take it (no answer in time, no
//! connection, a 5xx, and also a 3xx, 408 or 429, which Zoom does not retry) becomes a 503,
//! which Zoom retries.
//!
//! The client has the safety settings of every client recallform has: TLS certificates
//! checked, no redirect followed, `http://` only to loopback (checked when the routes are
//! built), and the answer read up to [`MAX_ANSWER_BYTES`]. Decompression is off, so that the
//! body and its headers pass verbatim, and the relay asks for none (`accept-encoding:
//! identity`). Failures are described through the [`Redactor`], which knows every secret.
//!
//! Not for: deciding when to send (the handler, or the durable side's worker).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::StatusCode;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use tokio::time::Instant;

use super::Event;
use super::accept::{Accept, Answer, BoxFuture};
use super::metrics::Metrics;
use super::routes::AppRoute;
use crate::error::Error;
use crate::recall::Redactor;
use crate::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use std::sync::Arc;

/// The largest answer from Recall read: its webhook answers in a few hundred bytes.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The relay's `user-agent` towards Recall.
pub const USER_AGENT: &str = concat!("recallform/", env!("CARGO_PKG_VERSION"), " (relay)");

/// What came of one forward.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// Recall answered.
    Answered {
        /// Its status.
        status: StatusCode,
        /// Its `content-type` and `content-encoding`, if any.
        headers: HeaderMap,
        /// Its body, as received.
        body: Bytes,
        /// From sending to the end of the answer.
        latency: Duration,
    },
    /// No answer.
    Failed {
        /// Why: one of [`super::metrics::FAILURE_REASONS`].
        reason: &'static str,
        /// What happened, redacted, for the log line.
        detail: String,
    },
}

impl Delivery {
    /// Whether Recall took the event (a 2xx).
    pub fn is_delivered(&self) -> bool {
        matches!(self, Delivery::Answered { status, .. } if status.is_success())
    }

    /// Whether trying again later may help: no answer, a 5xx, or a 3xx, 408 or 429. A 2xx is
    /// done, and so is any other 4xx (Recall refused the event itself).
    pub fn is_retriable(&self) -> bool {
        match self {
            Delivery::Failed { .. } => true,
            Delivery::Answered { status, .. } => retriable(*status),
        }
    }

    /// What to answer Zoom: Recall's answer as received, or 503 when it is retriable.
    pub fn into_answer(self) -> Answer {
        match self {
            Delivery::Failed { reason, detail } => {
                Answer::unavailable("recall_unavailable", format!("{reason}: {detail}"))
            }
            Delivery::Answered { status, .. } if retriable(status) => Answer::unavailable(
                "recall_unavailable",
                format!("recall answered {}", status.as_u16()),
            ),
            Delivery::Answered {
                status,
                headers,
                body,
                ..
            } => Answer {
                status,
                headers,
                body,
                outcome: "forwarded".into(),
                detail: None,
            },
        }
    }
}

/// Whether Zoom must be asked to retry after Recall answered `status`.
fn retriable(status: StatusCode) -> bool {
    status.is_server_error()
        || status.is_redirection()
        || status.is_informational()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// Sends events to Recall.
pub struct Forwarder {
    http: reqwest::Client,
    timeout: Duration,
    redactor: Redactor,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// A forwarder that gives each forward `timeout` in all, describes failures through
    /// `redactor`, and counts answers and latencies in `metrics`.
    pub fn new(
        timeout: Duration,
        redactor: Redactor,
        metrics: Arc<Metrics>,
    ) -> Result<Forwarder, Error> {
        // Certificate and host-name checks stay as reqwest sets them: on.
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            // Decompression would change the body and drop its headers on the way back.
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .no_zstd()
            .build()
            .map_err(|e| Error::Other(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Forwarder {
            http,
            timeout,
            redactor,
            metrics,
        })
    }

    /// The metrics it counts in.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Sends `event` to `app`'s Recall webhook URL and reads the answer, within the timeout.
    pub async fn send(&self, app: &AppRoute, event: &Event) -> Delivery {
        self.send_within(app, event, self.timeout).await
    }

    /// [`Forwarder::send`] with a budget of its own (connecting stays within the timeout):
    /// a delivery from the spool has no Zoom waiting for it.
    pub async fn send_within(&self, app: &AppRoute, event: &Event, budget: Duration) -> Delivery {
        let mut request = self
            .http
            .post(app.recall_url.clone())
            .timeout(budget)
            .header(TIMESTAMP_HEADER, &event.timestamp)
            .header(SIGNATURE_HEADER, &event.signature)
            .header(reqwest::header::ACCEPT_ENCODING, "identity")
            .body(event.body.clone());
        if let Some(content_type) = &event.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let started = Instant::now();
        let exchange = tokio::time::timeout(budget, async {
            let response = request.send().await?;
            let status = response.status();
            let mut headers = HeaderMap::new();
            for name in [CONTENT_TYPE, CONTENT_ENCODING] {
                if let Some(value) = response.headers().get(&name) {
                    headers.insert(
                        name,
                        HeaderValue::from_bytes(value.as_bytes()).expect("a header value"),
                    );
                }
            }
            let body = read_capped(response).await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        })
        .await;
        let latency = started.elapsed();
        let failed = |reason: &'static str, detail: String| {
            self.metrics.recall_failed(reason);
            Delivery::Failed { reason, detail }
        };
        let late = || format!("no answer within {} ms", budget.as_millis());
        match exchange {
            Err(_) => failed("timeout", late()),
            Ok(Err(e)) if e.is_timeout() => failed("timeout", late()),
            Ok(Err(e)) if e.is_connect() => failed("unreachable", self.describe(&e)),
            Ok(Err(e)) => failed("broken", self.describe(&e)),
            Ok(Ok((_, _, None))) => failed(
                "too_large",
                format!("an answer larger than {} KiB", MAX_ANSWER_BYTES / 1024),
            ),
            Ok(Ok((status, headers, Some(body)))) => {
                self.metrics.recall_answered(status.as_u16(), latency);
                Delivery::Answered {
                    status,
                    headers,
                    body,
                    latency,
                }
            }
        }
    }

    /// One line for a transport failure: what failed and its innermost cause, redacted.
    fn describe(&self, e: &reqwest::Error) -> String {
        let mut cause = e.to_string();
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        self.redactor.text(&cause)
    }
}

impl Accept for Forwarder {
    fn accept(&self, app: Arc<AppRoute>, event: Event) -> BoxFuture<'_, Answer> {
        Box::pin(async move { self.send(&app, &event).await.into_answer() })
    }
}

/// The answer's body, or `None` when it is larger than [`MAX_ANSWER_BYTES`] (checked against
/// `Content-Length`, then counted while reading).
async fn read_capped(mut response: reqwest::Response) -> Result<Option<Bytes>, reqwest::Error> {
    let cap = MAX_ANSWER_BYTES as u64;
    if response.content_length().is_some_and(|n| n > cap) {
        return Ok(None);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Delivery {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Delivery::Answered {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Bytes::from_static(br#"{"detail":"x"}"#),
            latency: Duration::ZERO,
        }
    }

    #[test]
    fn only_final_answers_pass_through() {
        for status in [200, 204, 400, 401, 404, 410] {
            let answer = answered(status).into_answer();
            assert_eq!(answer.status.as_u16(), status);
            assert_eq!(answer.body, Bytes::from_static(br#"{"detail":"x"}"#));
            assert_eq!(answer.headers[CONTENT_TYPE], "application/json");
            assert_eq!(answer.outcome, "forwarded");
            assert!(!answered(status).is_retriable(), "{status}");
        }
        // Zoom retries none of 3xx, 408, 429 (nor any 4xx): they become 503, as 5xx do.
        for status in [301, 307, 408, 429, 500, 502, 503, 504] {
            let answer = answered(status).into_answer();
            assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{status}");
            assert_eq!(answer.outcome, "recall_unavailable");
            assert_eq!(
                answer.detail.as_deref(),
                Some(format!("recall answered {status}").as_str())
            );
            assert!(answered(status).is_retriable());
        }
        assert!(answered(200).is_delivered() && !answered(400).is_delivered());
        let failed = Delivery::Failed {
            reason: "timeout",
            detail: "no answer within 2500 ms".into(),
        };
        assert!(failed.is_retriable() && !failed.is_delivered());
        let answer = failed.into_answer();
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            answer.detail.as_deref(),
            Some("timeout: no answer within 2500 ms")
        );
    }
}
