//! The emulator's HTTP layer: routing, auth, rate limits, idempotency, faults, logging.
//!
//! Each request is handled in this order, which is also the order in which Recall's stack
//! would reject it: route, injected fault, webhook (no auth), WAF, auth, rate limit,
//! idempotency, then the workspace rule itself.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::faults::{debug_page, echo_errors, huge_page};
use super::lists::{self, APP_LOGS, APPS, CREDENTIALS};
use super::state::{Answer, Workspace, not_found};
use super::{Config, Fault, FaultKind, Logged, Route, lock};
use crate::fsutil;
const MAX_BODY: usize = 1 << 20;
/// How long Recall replays an idempotent request's answer.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(3600);

/// State shared by all connections.
pub(super) struct Shared {
    pub(super) config: Config,
    pub(super) workspace: Mutex<Workspace>,
    pub(super) faults: Mutex<Vec<Fault>>,
    pub(super) log: Mutex<Vec<Logged>>,
    idempotency: Mutex<HashMap<IdempotencyScope, Idempotent>>,
    windows: Mutex<HashMap<(String, Bucket), (Instant, u32)>>,
}

/// Recall matches a key together with the caller, the method and the path.
#[derive(Clone, PartialEq, Eq, Hash)]
struct IdempotencyScope {
    api_key: String,
    method: String,
    path: String,
    key: String,
}

enum Idempotent {
    InFlight,
    Done { at: Instant, answer: Answer },
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    List,
    Other,
}

/// Returned by the handler to make hyper close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

impl Shared {
    pub(super) fn new(config: Config, workspace: Workspace) -> Shared {
        Shared {
            config,
            workspace: Mutex::new(workspace),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            idempotency: Mutex::new(HashMap::new()),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Saves the workspace, if it has a state file. Holding the lock while writing keeps
    /// concurrent writes in order.
    pub(super) fn persist(&self) {
        let Some(path) = &self.config.state_file else {
            return;
        };
        let ws = lock(&self.workspace);
        let text = serde_json::to_vec_pretty(&*ws).expect("the workspace serializes");
        if let Err(e) = fsutil::write_atomically(path, &text, fsutil::Mode::Private) {
            // An emulator that cannot save is still useful for the current run.
            tracing::warn!("the sandbox cannot save `{}`: {e}", path.display());
        }
    }

    fn take_fault(&self, route: Route) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let i = faults
            .iter()
            .position(|f| f.times > 0 && (f.route == route || f.route == Route::Any))?;
        faults[i].times -= 1;
        let kind = faults[i].kind.clone();
        if faults[i].times == 0 {
            faults.remove(i);
        }
        Some(kind)
    }

    /// Counts a request against its per-minute window; `Some(seconds)` when over the limit.
    fn throttle(&self, api_key: &str, bucket: Bucket) -> Option<u64> {
        let limit = match bucket {
            Bucket::List => self.config.list_per_minute,
            Bucket::Other => self.config.other_per_minute,
        };
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let (start, count) = windows
            .entry((api_key.to_string(), bucket))
            .or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *count = 0;
        }
        if *count >= limit {
            let left = Duration::from_secs(60).saturating_sub(now.duration_since(*start));
            return Some(left.as_secs_f64().ceil().max(1.0) as u64);
        }
        *count += 1;
        None
    }
}

/// Reads a state file; a missing file is an empty workspace.
pub(super) fn load_state(path: &Path) -> std::io::Result<Workspace> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("`{}` is not an emulator state file: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Workspace::default()),
        Err(e) => Err(e),
    }
}

/// Accepts connections until `shutdown` turns true.
pub(super) async fn serve(
    listener: TcpListener,
    shared: std::sync::Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(shared.clone(), req));
                    // Errors here are dropped connections, injected or the client's own.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

pub(super) type Reply = Response<Full<Bytes>>;

async fn handle(shared: std::sync::Arc<Shared>, req: Request<Incoming>) -> Result<Reply, Dropped> {
    // Recall keeps processing a request whose client has gone away (a timeout, say); so does
    // the emulator, by running it apart from the connection, whose futures hyper drops with it.
    tokio::spawn(async move {
        let mut entry = Logged {
            method: req.method().to_string(),
            uri: req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            status: None,
            idempotency_key: header(&req, "idempotency-key"),
            authorization: header(&req, "authorization"),
            request_id: None,
            at: Instant::now(),
        };
        let mut result = respond(&shared, req).await;
        if let Ok(reply) = &mut result {
            let id = uuid::Uuid::new_v4().to_string();
            reply.headers_mut().insert(
                "x-request-id",
                id.parse().expect("a UUID is a valid header"),
            );
            entry.status = Some(reply.status().as_u16());
            entry.request_id = Some(id);
        }
        lock(&shared.log).push(entry);
        result
    })
    .await
    .unwrap_or(Err(Dropped))
}

async fn respond(shared: &Shared, req: Request<Incoming>) -> Result<Reply, Dropped> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let host = header(&req, "host").unwrap_or_else(|| "127.0.0.1".into());
    let auth = header(&req, "authorization");
    let idempotency_key = header(&req, "idempotency-key");
    let zoom_signature = (
        header(&req, "x-zm-request-timestamp"),
        header(&req, "x-zm-signature"),
    );
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(json_reply((
                413,
                Some(json!({"detail": "Request body too large."})),
            )));
        }
    };

    let Some((route, id, webhook)) = route(&method, &path) else {
        return Ok(json_reply(not_found()));
    };
    let Some(route) = route else {
        return Ok(json_reply((
            405,
            Some(json!({"detail": format!("Method \"{method}\" not allowed.")})),
        )));
    };

    let fault = shared.take_fault(route);
    match &fault {
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => {
            let mut reply = json_reply((*status, Some(json!({"detail": "Injected fault."}))));
            if let Some(s) = retry_after {
                reply
                    .headers_mut()
                    .insert("retry-after", s.to_string().parse().expect("digits"));
            }
            return Ok(reply);
        }
        Some(FaultKind::DropBeforeWrite) => return Err(Dropped),
        Some(FaultKind::Redirect { status, location }) => {
            return Ok(Response::builder()
                .status(*status)
                .header("location", location.as_str())
                .body(Full::new(Bytes::new()))
                .expect("a test's status and location are valid"));
        }
        Some(FaultKind::HugeBody(size)) => return Ok(huge_page(*size, false)),
        Some(FaultKind::HugeChunkedBody(size)) => return Ok(huge_page(*size, true)),
        _ => {}
    }

    if webhook {
        // Recall's webhook can be slow too: Zoom gives it 3 s.
        if let Some(FaultKind::Delay(d)) = &fault {
            tokio::time::sleep(*d).await;
        }
        return Ok(webhook_reply(
            shared,
            id.unwrap_or_default(),
            &body,
            zoom_signature,
        ));
    }

    // Recall's WAF blocks a body on GET, and `localhost` anywhere in a payload.
    let text = String::from_utf8_lossy(&body);
    if (method == Method::GET && !body.is_empty()) || text.contains("localhost") {
        return Ok(waf_block());
    }

    if fault == Some(FaultKind::EchoToken) {
        let token = auth.as_deref().unwrap_or_default();
        let token = token.strip_prefix("Token ").unwrap_or(token);
        return Ok(json_reply((
            401,
            Some(json!({"detail": format!("Invalid token \"{token}\".")})),
        )));
    }
    let api_key = match authenticate(&shared.config, auth.as_deref()) {
        Ok(key) => key,
        Err(detail) => return Ok(json_reply((401, Some(json!({"detail": detail}))))),
    };

    // Recall limits each list to 60 a minute; this counts them together, which is stricter.
    let bucket = match route {
        Route::List | Route::ListAppLogs | Route::ListCredentials => Bucket::List,
        _ => Bucket::Other,
    };
    if let Some(wait) = shared.throttle(&api_key, bucket) {
        let mut reply = json_reply((
            429,
            Some(
                json!({"detail": format!("Request was throttled. Expected available in {wait} seconds.")}),
            ),
        ));
        reply
            .headers_mut()
            .insert("retry-after", wait.to_string().parse().expect("digits"));
        return Ok(reply);
    }

    // Validation errors come from the view, after authentication and throttling.
    match &fault {
        Some(FaultKind::Echo { status }) => {
            let sent = serde_json::from_slice(&body).unwrap_or(Value::Null);
            return Ok(json_reply((*status, Some(echo_errors(&sent)))));
        }
        Some(FaultKind::EchoPage { status }) => {
            return Ok(debug_page(*status, &path, &body, auth.as_deref()));
        }
        Some(FaultKind::EchoStored { status }) => {
            let stored: Vec<String> = lock(&shared.workspace)
                .apps
                .values()
                .map(|a| {
                    format!(
                        "app {} has client_secret {} and webhook_secret {}",
                        a.client_id, a.client_secret, a.webhook_secret
                    )
                })
                .collect();
            return Ok(json_reply((
                *status,
                Some(json!({"non_field_errors": stored})),
            )));
        }
        _ => {}
    }

    let scope = match (&idempotency_key, &method) {
        (Some(key), &Method::POST | &Method::PATCH | &Method::PUT) => Some(IdempotencyScope {
            api_key: api_key.clone(),
            method: method.to_string(),
            path: path.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    if let Some(scope) = &scope {
        let mut store = lock(&shared.idempotency);
        match store.get(scope) {
            Some(Idempotent::InFlight) => {
                return Ok(json_reply((
                    409,
                    Some(
                        json!({"detail": "A request with this idempotency key is already being processed."}),
                    ),
                )));
            }
            Some(Idempotent::Done { at, answer }) if at.elapsed() < IDEMPOTENCY_TTL => {
                return Ok(json_reply(answer.clone()));
            }
            _ => {
                store.insert(scope.clone(), Idempotent::InFlight);
            }
        }
    }

    if let Some(FaultKind::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }

    let answer = execute(shared, route, id.as_deref(), &query, &host, &body, &fault);

    if let Some(scope) = scope {
        lock(&shared.idempotency).insert(
            scope,
            Idempotent::Done {
                at: Instant::now(),
                answer: answer.clone(),
            },
        );
    }
    if fault == Some(FaultKind::DropAfterWrite) {
        return Err(Dropped);
    }
    Ok(json_reply(answer))
}

/// Maps a path to (route, id, is-webhook); `Some((None, ..))` is a known path with a method
/// it does not allow.
#[allow(clippy::type_complexity)]
fn route(method: &Method, path: &str) -> Option<(Option<Route>, Option<String>, bool)> {
    // Only listed here: Recall's other credential operations are not emulated.
    for (list, route) in [
        (APP_LOGS, Route::ListAppLogs),
        (CREDENTIALS, Route::ListCredentials),
    ] {
        if path == list {
            return Some(((*method == Method::GET).then_some(route), None, false));
        }
    }
    if path == APPS {
        let r = match *method {
            Method::GET => Some(Route::List),
            Method::POST => Some(Route::Create),
            _ => None,
        };
        return Some((r, None, false));
    }
    let rest = path.strip_prefix(APPS)?;
    if let Some(id) = rest.strip_suffix("/webhook") {
        let r = (*method == Method::POST).then_some(Route::Any);
        return Some((r, Some(id.to_string()), true)).filter(|_| !id.contains('/'));
    }
    let id = rest.strip_suffix('/')?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    let r = match *method {
        Method::GET => Some(Route::Retrieve),
        Method::PATCH => Some(Route::Update),
        Method::DELETE => Some(Route::Delete),
        _ => None,
    };
    Some((r, Some(id.to_string()), false))
}

fn authenticate(config: &Config, header: Option<&str>) -> Result<String, &'static str> {
    let Some(value) = header else {
        return Err("Authentication credentials were not provided.");
    };
    // The 2026 docs accept the key with or without the `Token ` prefix.
    let key = value.strip_prefix("Token ").unwrap_or(value).trim();
    if key.is_empty() {
        return Err("Invalid token header. No credentials provided.");
    }
    match &config.api_key {
        Some(expected) if expected != key => Err("Invalid token."),
        _ => Ok(key.to_string()),
    }
}

fn execute(
    shared: &Shared,
    route: Route,
    id: Option<&str>,
    query: &str,
    host: &str,
    body: &Bytes,
    fault: &Option<FaultKind>,
) -> Answer {
    let parsed = || -> Result<Value, Answer> {
        serde_json::from_slice(body).map_err(|e| {
            (
                400,
                Some(json!({"detail": format!("JSON parse error - {e}")})),
            )
        })
    };
    let with_secrets = shared.config.secrets_in_responses;
    let id = id.unwrap_or_default();
    let answer = {
        let mut ws = lock(&shared.workspace);
        match route {
            Route::List | Route::ListAppLogs | Route::ListCredentials => {
                return lists::list(
                    &ws,
                    route,
                    query,
                    host,
                    shared.config.page_size,
                    with_secrets,
                    fault,
                );
            }
            Route::Retrieve => {
                return match ws.apps.get(id) {
                    Some(app) => (200, Some(app.to_json(with_secrets))),
                    None => not_found(),
                };
            }
            Route::Create => match parsed() {
                Ok(v) => ws.create(&v, shared.config.reject_duplicate_client_id),
                Err(a) => a,
            },
            Route::Update => match parsed() {
                Ok(v) => ws.update(id, &v),
                Err(a) => a,
            },
            Route::Delete => ws.delete(id),
            Route::Any => not_found(),
        }
    };
    if answer.0 < 300 {
        shared.persist();
    }
    match answer {
        (status, Some(mut v)) if !with_secrets => {
            if let Some(o) = v.as_object_mut() {
                o.remove("client_secret");
                o.remove("webhook_secret");
            }
            (status, Some(v))
        }
        other => other,
    }
}

/// Zoom's calls to the app's webhook: the URL-validation challenge, or a signed event.
fn webhook_reply(
    shared: &Shared,
    id: String,
    body: &Bytes,
    signature: (Option<String>, Option<String>),
) -> Reply {
    let mut ws = lock(&shared.workspace);
    if !ws.apps.contains_key(&id) {
        return json_reply(not_found());
    }
    if let (Some(ts), Some(sig)) = &signature
        && ws.signature_ok(&id, ts, body, sig) == Some(false)
    {
        return json_reply((401, Some(json!({"detail": "Invalid Zoom signature."}))));
    }
    let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if event["event"] == "endpoint.url_validation" {
        let Some(token) = event["payload"]["plainToken"].as_str() else {
            return json_reply((400, Some(json!({"detail": "Missing plainToken."}))));
        };
        let answer = ws.url_validation(&id, token);
        drop(ws);
        shared.persist();
        return json_reply(answer);
    }
    if signature.1.is_none() {
        return json_reply((401, Some(json!({"detail": "Missing Zoom signature."}))));
    }
    json_reply((200, Some(json!({}))))
}

fn waf_block() -> Reply {
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .header("content-type", "text/html")
        .body(Full::new(Bytes::from_static(
            b"<html><head><title>403 Forbidden</title></head><body><h1>Request blocked</h1></body></html>",
        )))
        .expect("a static response is valid")
}

fn json_reply((status, body): Answer) -> Reply {
    let builder = Response::builder().status(status);
    match body {
        Some(v) => builder
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(v.to_string()))),
        None => builder.body(Full::new(Bytes::new())),
    }
    .expect("status codes come from this module and are valid")
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers().get(name)?.to_str().ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route(&Method::GET, APPS),
            Some((Some(Route::List), None, false))
        );
        assert_eq!(
            route(&Method::DELETE, "/api/v2/zoom-oauth-apps/abc/"),
            Some((Some(Route::Delete), Some("abc".into()), false))
        );
        assert_eq!(
            route(&Method::PUT, "/api/v2/zoom-oauth-apps/abc/"),
            Some((None, Some("abc".into()), false))
        );
        assert_eq!(route(&Method::GET, "/api/v2/zoom-oauth-apps/abc"), None);
        assert_eq!(
            route(&Method::POST, "/api/v2/zoom-oauth-apps/abc/webhook"),
            Some((Some(Route::Any), Some("abc".into()), true))
        );
        assert_eq!(
            route(&Method::GET, APP_LOGS),
            Some((Some(Route::ListAppLogs), None, false))
        );
        assert_eq!(
            route(&Method::GET, CREDENTIALS),
            Some((Some(Route::ListCredentials), None, false))
        );
        assert_eq!(route(&Method::POST, APP_LOGS), Some((None, None, false)));
        assert_eq!(route(&Method::GET, "/api/v2/zoom-oauth-app-logs/x/"), None);
    }
}
