//! The relay's webhook listener: for each request, the route (404 for a path no app is served
//! at, 405 for a method other than `POST`), the checks (401), then the [`Accept`] in place, or
//! for a URL validation the forwarder itself; and for every request one log line and its
//! counts. The stack before it has already refused what is too large (413) or one request too
//! many (503).
//!
//! It reads a copy of a verified body as JSON only to learn the event type (for the log line)
//! and whether it is a URL validation; what it forwards is the body as received.
//!
//! Not for: the checks themselves ([`super::checks`]) or the wire ([`super::forward`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::http::request::Parts;
use hyper::{Method, Request, StatusCode};
use tokio::time::Instant;

use super::Event;
use super::accept::{Accept, Answer};
use super::checks;
use super::forward::Forwarder;
use super::log::{self, Record, Sink};
use super::metrics::Metrics;
use super::routes::RouteTable;
use crate::http::{self, Close, Limits, Refusal, Reply};
use crate::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, TRACKING_HEADER, URL_VALIDATION_EVENT};

/// The other header Zoom's examples carry a delivery ID in.
const REQUEST_ID_HEADER: &str = "x-zm-request-id";

/// What the listener needs.
pub(super) struct Webhooks {
    pub(super) routes: Arc<RouteTable>,
    pub(super) accept: Arc<dyn Accept>,
    pub(super) forwarder: Arc<Forwarder>,
    pub(super) max_age: Option<Duration>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) log: Sink,
}

impl http::Handler for Webhooks {
    async fn handle(&self, request: Request<Bytes>) -> Result<Reply, Close> {
        let started = Instant::now();
        let _in_flight = self.metrics.enter();
        let (head, body) = request.into_parts();
        let routes = self.routes.current();
        let Some(app) = routes.find(head.uri.path()).cloned() else {
            self.metrics.received("-");
            let detail = format!("no app is served at `{}`", log::path(head.uri.path()));
            let answer = Answer::text(
                StatusCode::NOT_FOUND,
                "unknown_app",
                "no app is served at this path\n",
            )
            .with_detail(detail);
            return Ok(self.finish(None, None, answer, started, Some("unknown_app")));
        };
        self.metrics.received(&app.name);
        if head.method != Method::POST {
            let mut answer = Answer::text(
                StatusCode::METHOD_NOT_ALLOWED,
                "method",
                "Zoom's webhooks are POST requests\n",
            );
            answer
                .headers
                .insert(hyper::header::ALLOW, "POST".parse().expect("a token"));
            return Ok(self.finish(Some(&app.name), None, answer, started, Some("method")));
        }
        let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
        let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
        let checked = checks::check(
            &app.secret,
            timestamp,
            signature,
            &body,
            self.max_age,
            SystemTime::now(),
        );
        if let Err(rejection) = checked {
            let answer = Answer::text(
                StatusCode::UNAUTHORIZED,
                rejection.reason(),
                rejection.message(),
            );
            let reason = Some(rejection.reason());
            return Ok(self.finish(Some(&app.name), None, answer, started, reason));
        }
        let event = Event {
            app: app.name.clone(),
            timestamp: timestamp.unwrap_or_default().to_string(),
            signature: signature.unwrap_or_default().to_string(),
            content_type: header(hyper::header::CONTENT_TYPE.as_str()).map(str::to_string),
            delivery_id: header(REQUEST_ID_HEADER)
                .or_else(|| header(TRACKING_HEADER))
                .map(str::to_string),
            received_at: SystemTime::now(),
            body,
        };
        // A copy, read only for the log line and to tell a URL validation.
        let event_type = log::event_type_of(&event.body);
        let validation = event_type.as_deref() == Some(URL_VALIDATION_EVENT);
        let name = app.name.clone();
        let answer = match validation {
            // Only Recall can answer it, now: never spooled, never deduplicated.
            true => self.forwarder.send(&app, &event).await.into_answer(),
            false => self.accept.accept(app, event).await,
        };
        Ok(self.finish(Some(&name), event_type, answer, started, None))
    }

    fn refuse(&self, head: &Parts, refusal: Refusal, limits: &Limits) -> Reply {
        let app = self
            .routes
            .current()
            .find(head.uri.path())
            .map(|a| a.name.clone());
        self.metrics.received(app.as_deref().unwrap_or("-"));
        let (reason, detail) = match refusal {
            Refusal::TooLarge => (
                "too_large",
                format!("the body is larger than {} bytes", limits.max_body),
            ),
            Refusal::Busy => (
                "busy",
                format!(
                    "the cap on requests in flight ({}) is reached",
                    limits.max_in_flight.unwrap_or_default()
                ),
            ),
        };
        self.metrics.rejected(reason);
        let reply = refusal.reply(limits);
        self.metrics.answered(reply.status().as_u16());
        (self.log)(Record {
            app,
            event: None,
            outcome: reason.into(),
            status: Some(reply.status().as_u16()),
            latency: Duration::ZERO,
            detail: Some(detail),
        });
        reply
    }
}

impl Webhooks {
    /// Counts and logs `answer`, and turns it into the reply; `rejected` names the reason of a
    /// request refused before forwarding.
    fn finish(
        &self,
        app: Option<&str>,
        event: Option<String>,
        answer: Answer,
        started: Instant,
        rejected: Option<&str>,
    ) -> Reply {
        if let Some(reason) = rejected {
            self.metrics.rejected(reason);
        }
        self.metrics.answered(answer.status.as_u16());
        (self.log)(Record {
            app: app.map(str::to_string),
            event,
            outcome: answer.outcome.clone(),
            status: Some(answer.status.as_u16()),
            latency: started.elapsed(),
            detail: answer.detail.clone(),
        });
        answer.into_reply()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use url::Url;

    use super::*;
    use crate::emulator::{self, Emulator};
    use crate::http::Handler;
    use crate::model::SecretString;
    use crate::recall::Redactor;
    use crate::relay::BoxFuture;
    use crate::relay::routes::{AppRoute, Routes};
    use crate::webhook;

    /// An [`Accept`] that keeps what it is given and answers 202 without forwarding, as a
    /// spool would.
    #[derive(Default)]
    struct Keeps(Mutex<Vec<Event>>);

    impl Accept for Keeps {
        fn accept(
            &self,
            app: Arc<super::super::routes::AppRoute>,
            event: Event,
        ) -> BoxFuture<'_, Answer> {
            assert_eq!(app.name, event.app);
            self.0.lock().unwrap().push(event);
            Box::pin(async { Answer::new(StatusCode::ACCEPTED, "spooled") })
        }
    }

    fn signed(secret: &SecretString, body: &'static [u8]) -> Request<Bytes> {
        let ts = "1700000000";
        Request::builder()
            .method(Method::POST)
            .uri("/zoom/acme-prod")
            .header(TIMESTAMP_HEADER, ts)
            .header(SIGNATURE_HEADER, webhook::sign(secret, ts, body))
            .header("content-type", webhook::CONTENT_TYPE)
            .header(REQUEST_ID_HEADER, "req-1")
            .body(Bytes::from_static(body))
            .unwrap()
    }

    #[tokio::test]
    async fn url_validations_go_to_recall_and_every_other_event_to_the_accept_in_place() {
        let recall = Emulator::start(([127, 0, 0, 1], 0).into(), emulator::Config::default())
            .await
            .unwrap();
        let app = recall.seed("user_level", "cid");
        let secret = SecretString::new(app.webhook_secret.clone());
        let url = format!("{}/api/v2/zoom-oauth-apps/{}/webhook", recall.url(), app.id);
        let routes = Routes::new(vec![AppRoute {
            name: "acme-prod".into(),
            recall_id: app.id.clone(),
            recall_url: Url::parse(&url).unwrap(),
            recorded_url: url,
            secret: secret.clone(),
            paths: vec!["/zoom/acme-prod".into()],
        }])
        .unwrap();
        let metrics = Arc::new(Metrics::new());
        let forwarder = Forwarder::new(Duration::from_secs(2), Redactor::new(), metrics.clone());
        let keeps = Arc::new(Keeps::default());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let log = lines.clone();
        let webhooks = Webhooks {
            routes: Arc::new(RouteTable::new(routes)),
            accept: keeps.clone(),
            forwarder: Arc::new(forwarder.unwrap()),
            max_age: None,
            metrics,
            log: Arc::new(move |r: Record| log.lock().unwrap().push(r.outcome.to_string())),
        };

        let body = br#"{"event":"meeting.created","payload":{}}"#;
        let reply = webhooks.handle(signed(&secret, body)).await.unwrap();
        assert_eq!(reply.status(), StatusCode::ACCEPTED);
        let kept = keeps.0.lock().unwrap().clone();
        assert_eq!(kept.len(), 1);
        let event = &kept[0];
        assert_eq!(
            (
                event.app.as_str(),
                event.body.as_ref(),
                event.timestamp.as_str()
            ),
            ("acme-prod", &body[..], "1700000000")
        );
        assert_eq!(event.signature, webhook::sign(&secret, "1700000000", body));
        assert_eq!(event.content_type.as_deref(), Some(webhook::CONTENT_TYPE));
        assert_eq!(event.delivery_id.as_deref(), Some("req-1"));
        assert!(recall.webhook_events().is_empty());

        let body =
            br#"{"payload":{"plainToken":"tok"},"event_ts":1,"event":"endpoint.url_validation"}"#;
        let reply = webhooks.handle(signed(&secret, body)).await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        assert_eq!(keeps.0.lock().unwrap().len(), 1, "not given to the Accept");
        assert_eq!(recall.webhook_events().len(), 1);
        assert_eq!(*lines.lock().unwrap(), ["spooled", "forwarded"]);
        recall.shutdown().await;
    }
}
