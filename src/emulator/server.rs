//! The emulator's HTTP layer: routing, auth, rate limits, idempotency, faults, logging.
//!
//! Each request is handled in this order, which is also the order in which Recall's stack
//! would reject it: route, injected fault, webhook (no auth), WAF, auth, rate limit,
//! idempotency, then the workspace rule itself.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use super::faults::{debug_page, echo_errors, huge_page};
use super::lists::{self, APP_LOGS, APPS, CREDENTIALS};
use super::state::{Answer, Workspace, not_found};
use super::store::{Store, Touched};
use super::{Config, Fault, FaultKind, Logged, Route, WebhookEvent, lock};
use crate::http::{self, Close, Limits, Refusal};

/// The largest request body read.
const MAX_BODY: usize = 1 << 20;
/// The span a rate limit counts requests over.
const WINDOW: Duration = Duration::from_secs(60);
/// The emulator's own counters (not a Recall path).
pub(super) const STATS: &str = "/_emulator/stats";
/// How long Recall replays an idempotent request's answer.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(3600);

/// State shared by all connections.
pub(super) struct Shared {
    pub(super) config: Config,
    pub(super) workspace: Mutex<Workspace>,
    /// Where the workspace is saved, if anywhere.
    store: Option<Store>,
    pub(super) faults: Mutex<Vec<Fault>>,
    pub(super) log: Mutex<Vec<Logged>>,
    pub(super) webhook_events: Mutex<Vec<WebhookEvent>>,
    idempotency: Mutex<HashMap<IdempotencyScope, Idempotent>>,
    /// When each request still inside its sliding 60 s window arrived, oldest first.
    windows: Mutex<HashMap<(String, Bucket), VecDeque<Instant>>>,
    /// When the emulator started: the origin of the times in its stats.
    started: Instant,
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

impl Shared {
    pub(super) fn new(config: Config, workspace: Workspace, store: Option<Store>) -> Shared {
        Shared {
            config,
            store,
            workspace: Mutex::new(workspace),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            webhook_events: Mutex::new(Vec::new()),
            idempotency: Mutex::new(HashMap::new()),
            windows: Mutex::new(HashMap::new()),
            started: Instant::now(),
        }
    }

    /// What `GET /_emulator/stats` answers (see [`super::Emulator::stats`]).
    pub(super) fn stats(&self) -> Value {
        stats(&lock(&self.log), self.started)
    }

    /// Journals a change to the workspace `ws` (whose lock the caller holds, which keeps the
    /// lines in order), if it has a state file.
    pub(super) fn record(&self, ws: &Workspace, touched: Touched) {
        if let Some(store) = &self.store
            && let Err(e) = store.record(ws, &touched)
        {
            // An emulator that cannot save is still useful for the current run.
            tracing::warn!("the sandbox cannot save its state: {e}");
        }
    }

    /// Writes the whole workspace to the state file, and empties its journal.
    pub(super) fn fold(&self) {
        if let Some(store) = &self.store
            && store.has_journal()
            && let Err(e) = store.fold(&lock(&self.workspace))
        {
            tracing::warn!("the sandbox cannot save its state: {e}");
        }
    }

    fn take_fault(&self, route: Route) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let mut chosen = None;
        for (i, f) in faults.iter_mut().enumerate() {
            if f.times == 0 || (f.route != route && f.route != Route::Any) {
                continue;
            }
            // Every request counts towards the faults still waiting for their turn.
            if f.skip > 0 {
                f.skip -= 1;
            } else if chosen.is_none() {
                chosen = Some(i);
            }
        }
        let i = chosen?;
        faults[i].times -= 1;
        let kind = faults[i].kind.clone();
        if faults[i].times == 0 {
            faults.remove(i);
        }
        Some(kind)
    }

    /// Counts a request against its sliding 60 s window; `Some(seconds)` when over the limit:
    /// the wait until the oldest request in the window leaves it, so that the retry fits.
    fn throttle(&self, api_key: &str, bucket: Bucket) -> Option<u64> {
        let limit = match bucket {
            Bucket::List => self.config.list_per_minute,
            Bucket::Other => self.config.other_per_minute,
        };
        if limit == super::knobs::UNLIMITED {
            return None;
        }
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let window = windows.entry((api_key.to_string(), bucket)).or_default();
        while window
            .front()
            .is_some_and(|at| now.duration_since(*at) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            let oldest = *window.front().expect("a full window is not empty");
            let left = WINDOW.saturating_sub(now.duration_since(oldest));
            return Some(left.as_secs_f64().ceil().max(1.0) as u64);
        }
        window.push_back(now);
        None
    }
}

/// What the emulator accepts: Recall's 1 MiB body cap (as the emulator knows it), no cap on
/// requests in flight, and no timeouts (tests set their own).
pub(super) fn limits() -> Limits {
    Limits {
        max_body: MAX_BODY,
        max_in_flight: None,
        header_read_timeout: None,
        body_read_timeout: None,
    }
}

/// The emulator's handler for the [`http`] stack.
pub(super) struct Emulated(pub(super) Arc<Shared>);

impl http::Handler for Emulated {
    async fn handle(&self, request: Request<Bytes>) -> Result<Reply, Close> {
        handle(self.0.clone(), request).await
    }

    fn refuse(&self, head: &Parts, refusal: Refusal, limits: &Limits) -> Reply {
        let mut reply = match refusal {
            Refusal::TooLarge => {
                json_reply((413, Some(json!({"detail": "Request body too large."}))))
            }
            Refusal::Busy => refusal.reply(limits),
        };
        let mut entry = entry(head);
        tag(&mut reply, &mut entry);
        lock(&self.0.log).push(entry);
        reply
    }
}

pub(super) type Reply = Response<Full<Bytes>>;

async fn handle(shared: Arc<Shared>, req: Request<Bytes>) -> Result<Reply, Close> {
    // Not logged, so that reading the counters does not change them.
    if req.method() == Method::GET && req.uri().path() == STATS {
        return Ok(json_reply((200, Some(shared.stats()))));
    }
    // Recall keeps processing a request whose client has gone away (a timeout, say); so does
    // the emulator, by running it apart from the connection, whose futures hyper drops with it.
    tokio::spawn(async move {
        let (head, body) = req.into_parts();
        let mut entry = entry(&head);
        let mut result = respond(&shared, Request::from_parts(head, body), &entry).await;
        if let Ok(reply) = &mut result {
            tag(reply, &mut entry);
            entry.answered = Some(Instant::now());
        }
        lock(&shared.log).push(entry);
        result
    })
    .await
    .unwrap_or(Err(Close))
}

/// The log entry of a request, before it is answered.
fn entry(head: &Parts) -> Logged {
    Logged {
        method: head.method.to_string(),
        uri: head
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        status: None,
        idempotency_key: header(&head.headers, "idempotency-key"),
        authorization: header(&head.headers, "authorization"),
        request_id: None,
        at: Instant::now(),
        answered: None,
    }
}

/// Gives `reply` an `x-request-id`, as Recall's load balancers do, and notes it and the status
/// in `entry`.
fn tag(reply: &mut Reply, entry: &mut Logged) {
    let id = uuid::Uuid::new_v4().to_string();
    reply.headers_mut().insert(
        "x-request-id",
        id.parse().expect("a UUID is a valid header"),
    );
    entry.status = Some(reply.status().as_u16());
    entry.request_id = Some(id);
}

async fn respond(shared: &Shared, req: Request<Bytes>, entry: &Logged) -> Result<Reply, Close> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let host = header(req.headers(), "host").unwrap_or_else(|| "127.0.0.1".into());
    let auth = header(req.headers(), "authorization");
    let idempotency_key = header(req.headers(), "idempotency-key");
    let zoom_signature = (
        header(req.headers(), "x-zm-request-timestamp"),
        header(req.headers(), "x-zm-signature"),
    );
    let headers = req.headers().clone();
    let body = req.into_body();

    let Some((route, id, webhook)) = route(&method, &path) else {
        return Ok(json_reply(not_found()));
    };
    let Some(route) = route else {
        return Ok(json_reply((
            405,
            Some(json!({"detail": format!("Method \"{method}\" not allowed.")})),
        )));
    };

    if !webhook && !shared.config.latency.is_zero() {
        // A wait of its own, not a lock: concurrent requests overlap, as on a network.
        super::delay::until(entry.at + shared.config.latency).await;
    }

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
        Some(FaultKind::DropBeforeWrite) => return Err(Close),
        Some(FaultKind::Hang) => {
            // Logged now, as it will never be answered; held until the runtime ends.
            lock(&shared.log).push(entry.clone());
            std::future::pending::<()>().await;
        }
        Some(FaultKind::Canned {
            status,
            content_type,
            body,
        }) => return Ok(canned(*status, content_type, body)),
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
        let id = id.unwrap_or_default();
        let reply = webhook_reply(shared, &id, &body, zoom_signature);
        if reply.status().is_success() {
            lock(&shared.webhook_events).push(WebhookEvent {
                app_id: id,
                body,
                headers: headers
                    .iter()
                    .map(|(name, value)| {
                        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                        (name.as_str().to_string(), value)
                    })
                    .collect(),
            });
        }
        if fault == Some(FaultKind::DropAfterWrite) {
            return Err(Close);
        }
        return Ok(reply);
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
    match fault {
        Some(FaultKind::DropAfterWrite) => Err(Close),
        Some(FaultKind::TruncatedBody) => Ok(truncated(answer)),
        Some(FaultKind::Rewrite { pointer, value }) => {
            Ok(json_reply(rewrite(answer, &pointer, value.as_deref())))
        }
        _ => Ok(json_reply(answer)),
    }
}

/// The counters of `GET /_emulator/stats`, from the request log: every request, the lists,
/// the writes (create, update, delete), the reads of one app, the webhook calls, and the 429s;
/// and when the first write arrived and the last answered one was answered, in milliseconds
/// since `started` (how long a benchmark's writes took, seen from Recall's side).
fn stats(log: &[Logged], started: Instant) -> Value {
    let (mut list, mut write, mut retrieve, mut webhook, mut other, mut throttled) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut first_write, mut last_write_answered) = (None::<Instant>, None::<Instant>);
    for entry in log {
        let path = entry.uri.split('?').next().unwrap_or_default();
        let method = entry.method.parse::<Method>().unwrap_or(Method::OPTIONS);
        match route(&method, path) {
            Some((Some(Route::List | Route::ListAppLogs | Route::ListCredentials), ..)) => {
                list += 1;
            }
            Some((Some(Route::Create | Route::Update | Route::Delete), ..)) => {
                write += 1;
                first_write = Some(first_write.map_or(entry.at, |f| f.min(entry.at)));
                last_write_answered = last_write_answered.max(entry.answered);
            }
            Some((Some(Route::Retrieve), ..)) => retrieve += 1,
            Some((Some(Route::Webhook), ..)) => webhook += 1,
            _ => other += 1,
        }
        throttled += u64::from(entry.status == Some(429));
    }
    // To the microsecond: a benchmark compares them with milliseconds of latency.
    let since = |t: Instant| (t.duration_since(started).as_secs_f64() * 1e6).round() / 1e3;
    json!({
        "requests": log.len(),
        "list": list,
        "write": write,
        "retrieve": retrieve,
        "webhook": webhook,
        "other": other,
        "throttled": throttled,
        "first_write_ms": first_write.map(since),
        "last_write_answered_ms": last_write_answered.map(since),
    })
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
        let r = (*method == Method::POST).then_some(Route::Webhook);
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
        let answer = match route {
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
            Route::Webhook | Route::Any => not_found(),
        };
        if answer.0 < 300 {
            let created = || answer.1.as_ref().and_then(|v| v["id"].as_str());
            let touched = match route {
                Route::Create => created().map(str::to_string),
                Route::Update | Route::Delete => Some(id.to_string()),
                _ => None,
            };
            if let Some(app) = touched {
                shared.record(&ws, Touched::App(app));
            }
        }
        answer
    };
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

/// Zoom's calls to the app's webhook: the URL-validation challenge, or a signed event. The
/// signature is checked over the raw bytes whenever either of its headers is sent; an event
/// other than a URL validation must be signed (whether Recall answers an unsigned validation
/// is not known, so the emulator does).
fn webhook_reply(
    shared: &Shared,
    id: &str,
    body: &Bytes,
    signature: (Option<String>, Option<String>),
) -> Reply {
    let mut ws = lock(&shared.workspace);
    if !ws.apps.contains_key(id) {
        return json_reply(not_found());
    }
    let signed = match &signature {
        (Some(ts), Some(sig)) => {
            if ws.signature_ok(id, ts, body, sig) == Some(false) {
                return json_reply((401, Some(json!({"detail": "Invalid Zoom signature."}))));
            }
            true
        }
        (None, None) => false,
        // Half a signature signs nothing.
        _ => return json_reply((401, Some(json!({"detail": "Missing Zoom signature."})))),
    };
    let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if event["event"] == "endpoint.url_validation" {
        let Some(token) = event["payload"]["plainToken"].as_str() else {
            return json_reply((400, Some(json!({"detail": "Missing plainToken."}))));
        };
        let answer = ws.url_validation(id, token);
        shared.record(&ws, Touched::App(id.to_string()));
        return json_reply(answer);
    }
    if !signed {
        return json_reply((401, Some(json!({"detail": "Missing Zoom signature."}))));
    }
    json_reply((200, Some(json!({}))))
}

fn waf_block() -> Reply {
    canned(403, "text/html", WAF_PAGE)
}

/// The page of Recall's firewall (shared/recall-api.md §3.3): HTML, not an API answer.
pub(super) const WAF_PAGE: &str =
    "<html><head><title>403 Forbidden</title></head><body><h1>Request blocked</h1></body></html>";

/// An answer exactly as a [`FaultKind::Canned`] gives it.
fn canned(status: u16, content_type: &str, body: &str) -> Reply {
    let mut builder = Response::builder().status(status);
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a test's status and content type are valid")
}

/// `answer` with the value at `pointer` replaced by `value` (JSON text) or removed.
fn rewrite((status, body): Answer, pointer: &str, value: Option<&str>) -> Answer {
    let Some(mut body) = body else {
        return (status, None);
    };
    match value {
        Some(text) => {
            let new: Value = serde_json::from_str(text).expect("a test's value is JSON");
            if let Some(place) = body.pointer_mut(pointer) {
                *place = new;
            }
        }
        None => {
            let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
            match body.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(last);
                }
                Some(Value::Array(a)) => {
                    if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < a.len()) {
                        a.remove(i);
                    }
                }
                _ => {}
            }
        }
    }
    (status, Some(body))
}

/// `answer` with only the first half of its JSON, sent as the whole body. (Cutting it on the
/// wire, with a `Content-Length` the body does not meet, cannot be done through hyper, which
/// frames every answer by its body; the client's handling of that is tested with a raw socket.)
fn truncated((status, body): Answer) -> Reply {
    let (status, text) = match body {
        Some(v) => (status, v.to_string()),
        None => (200, json!({"detail": "Done."}).to_string()),
    };
    let half = text.len() / 2;
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text[..half].to_string())))
        .expect("a status from this module is valid")
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

fn header(headers: &hyper::HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(list: u32) -> Shared {
        let config = Config {
            list_per_minute: list,
            ..Config::default()
        };
        Shared::new(config, Workspace::default(), None)
    }

    #[test]
    fn the_rate_limit_counts_any_60_seconds() {
        let shared = limited(2);
        assert_eq!(shared.throttle("k", Bucket::List), None);
        assert_eq!(shared.throttle("k", Bucket::List), None);
        assert_eq!(shared.throttle("k", Bucket::List), Some(60));
        // Each key and each class has its own window.
        assert_eq!(shared.throttle("other", Bucket::List), None);
        assert_eq!(shared.throttle("k", Bucket::Other), None);

        // A request 59.5 s old still counts, and the retry waits until it leaves; one 60 s
        // old has left. A fixed window that started with it would have let both through.
        let shared = limited(1);
        let now = Instant::now();
        let old = |secs: f64| now.checked_sub(Duration::from_secs_f64(secs)).unwrap();
        let window = VecDeque::from([old(59.5)]);
        lock(&shared.windows).insert(("k".into(), Bucket::List), window);
        assert_eq!(shared.throttle("k", Bucket::List), Some(1));
        let window = VecDeque::from([old(60.0)]);
        lock(&shared.windows).insert(("k".into(), Bucket::List), window);
        assert_eq!(shared.throttle("k", Bucket::List), None);
        assert_eq!(
            lock(&shared.windows)[&("k".to_string(), Bucket::List)].len(),
            1
        );
    }

    #[test]
    fn no_limit_keeps_no_window() {
        let shared = limited(crate::emulator::knobs::UNLIMITED);
        for _ in 0..1000 {
            assert_eq!(shared.throttle("k", Bucket::List), None);
        }
        assert!(lock(&shared.windows).is_empty());
    }

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
            Some((Some(Route::Webhook), Some("abc".into()), true))
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
