//! The relay's admin listener (`--admin-listen`): `GET /healthz` for load balancers and
//! orchestrators, `GET /metrics` for Prometheus. It is a listener of its own so that neither is
//! exposed where Zoom's requests come in, and so that a busy webhook listener never refuses a
//! health check.
//!
//! Not for: anything that changes the relay (reloads are SIGHUP's).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};

use super::metrics::Metrics;
use super::routes::RouteTable;
use crate::http::{self, Close, Reply, text_reply};

/// The content type of the text exposition format.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the admin listener needs.
pub(super) struct Admin {
    pub(super) metrics: Arc<Metrics>,
    pub(super) routes: Arc<RouteTable>,
}

impl http::Handler for Admin {
    async fn handle(&self, request: Request<Bytes>) -> Result<Reply, Close> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Ok(text_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "the admin endpoints take GET\n",
            ));
        }
        Ok(match request.uri().path() {
            "/healthz" => self.health(),
            "/metrics" => Response::builder()
                .header(hyper::header::CONTENT_TYPE, METRICS_CONTENT_TYPE)
                .body(Full::new(Bytes::from(self.metrics.render())))
                .expect("a static header is valid"),
            _ => text_reply(
                StatusCode::NOT_FOUND,
                "the admin endpoints are `/healthz` and `/metrics`\n",
            ),
        })
    }
}

impl Admin {
    /// 200 once the configuration is loaded, 503 while shutting down (so a load balancer stops
    /// sending before the listener closes).
    fn health(&self) -> Reply {
        if !self.metrics.is_ready() {
            return text_reply(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
        }
        let apps = self.routes.current().len();
        let noun = if apps == 1 { "app" } else { "apps" };
        text_reply(StatusCode::OK, format!("ready: {apps} {noun} served\n"))
    }
}
