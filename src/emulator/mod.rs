//! A local, stateful emulation of Recall's Zoom OAuth Apps API, with the two lists that show an
//! app's health: its logs and its Zoom OAuth credentials.
//!
//! Every test and `--sandbox` run talk to this instead of Recall, through the very client that
//! talks to Recall, so it follows the API reference (shared/recall-api.md §1 to §3) as
//! closely as it is known: `Token` auth, DRF-shaped errors, cursor pagination with absolute
//! `next` links, `Idempotency-Key` replay, per-minute rate limits with `Retry-After`, the
//! WAF's 403 for GET bodies, and Zoom's webhook URL validation. Where the reference is
//! UNCONFIRMED (secrets in responses, duplicate client IDs) the behaviour is a [`Config`]
//! switch so both answers can be tested.
//!
//! Rate limits count requests in a sliding 60 s window (any 60 s, not each clock minute), which
//! is stricter than fixed windows and what a real limiter may be. `GET /_emulator/stats` (not a
//! Recall path, no auth, not logged) counts the requests received so far, by class, and the
//! 429s sent, and says when the first write arrived and the last was answered, for a
//! benchmark that runs `sandbox serve` in another process.
//!
//! Every answer carries an `x-request-id` header (a UUID v4), as Recall's load balancers add
//! one; the log keeps it so tests can look for it in recallform's errors.
//!
//! Recall writes app logs and credentials itself (when something fails, when a Zoom user
//! authorises the app); tests put them in place with [`Emulator::seed_log`] and
//! [`Emulator::seed_credential`], and set an app's `webhook_last_validation` with
//! [`Emulator::set_last_validation`].
//!
//! Tests can also inject faults: error statuses, delays, dropped connections before or after
//! the write, and a hostile or broken server's answers: bodies that echo the secrets sent,
//! bodies too large to read, pages that loop, redirects, bodies cut short, answers that never
//! come (from the Nth request on, with [`Fault::after`]), canned answers of any status, type and
//! body, and real answers with one JSON value changed or removed. The webhook route has its own faults
//! ([`Route::Webhook`]): slow, 5xx, dropped.
//!
//! The webhook route checks Zoom's signature over the raw bytes and records every call it
//! accepts ([`Emulator::webhook_events`]), so tests can assert that what reached Recall is what
//! Zoom sent, byte for byte. It serves through the same HTTP stack as the relay ([`crate::http`]).
//!
//! Not for: production. It keeps secrets in its state file (as Recall keeps them).

pub mod apps;
mod delay;
mod faults;
pub mod knobs;
mod lists;
mod server;
pub mod state;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use store::Touched;

pub use state::{StoredApp, StoredCredential, StoredLog};

/// How the emulator behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// The one accepted API key; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// Items per list page, in every list (Recall's is server-chosen and undocumented).
    pub page_size: usize,
    /// List requests in any 60 s per workspace, the three lists together (Recall: 60 a
    /// minute for each); [`knobs::UNLIMITED`] for no limit.
    pub list_per_minute: u32,
    /// Other requests in any 60 s per workspace (Recall: 300 a minute);
    /// [`knobs::UNLIMITED`] for no limit.
    pub other_per_minute: u32,
    /// How long each API request waits before it is handled (not the webhook route, which
    /// has its own faults): the network and Recall's own time, for benchmarks. Each request
    /// waits on its own, so concurrent requests overlap.
    pub latency: Duration,
    /// Where to keep the workspace between runs; `None` keeps it in memory.
    pub state_file: Option<PathBuf>,
    /// Whether responses include `client_secret` and `webhook_secret` (the 2025 docs show
    /// them; whether Recall still does is UNCONFIRMED).
    pub secrets_in_responses: bool,
    /// Whether a second app with the same `client_id` is refused (UNCONFIRMED in Recall).
    pub reject_duplicate_client_id: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: None,
            page_size: 10,
            list_per_minute: 60,
            other_per_minute: 300,
            latency: Duration::ZERO,
            state_file: None,
            secrets_in_responses: true,
            reject_duplicate_client_id: false,
        }
    }
}

/// Which endpoint a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /api/v2/zoom-oauth-apps/`
    List,
    /// `POST /api/v2/zoom-oauth-apps/`
    Create,
    /// `GET /api/v2/zoom-oauth-apps/{id}/`
    Retrieve,
    /// `PATCH /api/v2/zoom-oauth-apps/{id}/`
    Update,
    /// `DELETE /api/v2/zoom-oauth-apps/{id}/`
    Delete,
    /// `GET /api/v2/zoom-oauth-app-logs/`
    ListAppLogs,
    /// `GET /api/v2/zoom-oauth-credentials/`
    ListCredentials,
    /// `POST /api/v2/zoom-oauth-apps/{id}/webhook`, where Zoom's events go. Of the faults,
    /// `Status`, `Delay`, `DropBeforeWrite`, `DropAfterWrite` (the event is accepted and
    /// recorded, then the connection closed), `Redirect` and `HugeBody` apply to it.
    Webhook,
    /// Any request.
    Any,
}

/// What an injected fault does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After` seconds, if given) without doing anything.
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u64>,
    },
    /// Close the connection before doing anything.
    DropBeforeWrite,
    /// Do the work, then close the connection without answering.
    DropAfterWrite,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer normally, but with list `next` links pointing at this base URL instead.
    ForeignNext(String),
    /// After authentication, answer `status` with DRF field errors that quote every field of
    /// the request's JSON body back, in each shape a serializer can: inside a message
    /// (`{"client_secret": ["\"<value>\" is not valid."]}`), as a whole value in a nested
    /// list (a number when the value parses as one: `{"nested": {"non_field_errors": [<value>]}}`)
    /// and as an object key (`{"nested": {"by_value": {"<value>": [...]}}}`, as a `DictField`
    /// keys its errors). Nothing is changed.
    Echo {
        /// The HTTP status, usually 400.
        status: u16,
    },
    /// After authentication, answer `status` with an HTML page like Django's debug page: the
    /// request body and the `Authorization` header, HTML-escaped (`&quot;`), in a table.
    /// Nothing is changed.
    EchoPage {
        /// The HTTP status: a 4xx, as recallform retries a 5xx without reading its body.
        status: u16,
    },
    /// Answer 401 with a `detail` that quotes the token received, as some servers do.
    EchoToken,
    /// After authentication, answer `status` with a message that quotes the secrets Recall
    /// stores for every app, as a careless error handler might. Nothing is changed. Unlike
    /// [`FaultKind::Echo`], it reveals secrets the request did not carry.
    EchoStored {
        /// The HTTP status: a 4xx, as recallform retries a 5xx without reading its body.
        status: u16,
    },
    /// Answer 200 with a valid JSON list page (no apps, `next: null`) padded to this many
    /// bytes, sent with its `Content-Length`.
    HugeBody(usize),
    /// Like [`FaultKind::HugeBody`], sent chunked with no `Content-Length`, so only counting
    /// the bytes as they arrive shows its size.
    HugeChunkedBody(usize),
    /// Answer a list normally, except that `next` is the URL of the very page requested.
    LoopingNext,
    /// Answer `status` (a 3xx) with `Location: location` and no body, before anything else.
    Redirect {
        /// The HTTP status, e.g. 302 or 307.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// Do the work, then answer with only the first half of the answer's JSON as its body: a
    /// 200 (or 201) whose body was cut short. An answer without a body (a delete's 204) is sent
    /// as a 200 whose JSON is cut short.
    TruncatedBody,
    /// Never answer, and change nothing: the request is held until the client gives up. With
    /// [`Fault::after`] on [`Route::Any`], a server that stops answering mid-apply.
    Hang,
    /// Answer exactly this before anything else (no auth, nothing changed): the broken or
    /// hostile answers a proxy, a firewall or a faulty deployment gives.
    Canned {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header; none when empty.
        content_type: String,
        /// The body, as sent.
        body: String,
    },
    /// Do the work, then answer with the value at `pointer` (RFC 6901, such as
    /// `/results/0/id`) of the answer's JSON replaced by `value` (JSON text), or removed when
    /// `value` is `None`: a field missing, mistyped or wrong. An answer without that place is
    /// sent unchanged.
    Rewrite {
        /// Where in the answer's JSON.
        pointer: String,
        /// The new value as JSON text; `None` removes it.
        value: Option<String>,
    },
}

/// A fault for the next `times` requests to `route`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Which requests it applies to.
    pub route: Route,
    /// How many of them.
    pub times: u32,
    /// What it does.
    pub kind: FaultKind,
    /// How many requests to `route` pass untouched before it applies (see [`Fault::after`]).
    pub skip: u32,
}

impl Fault {
    /// A fault on the next `times` requests to `route`.
    pub fn new(route: Route, times: u32, kind: FaultKind) -> Fault {
        Fault {
            route,
            times,
            kind,
            skip: 0,
        }
    }

    /// The same fault, applying only once `n` requests to its route have passed untouched:
    /// `Fault::new(Route::Any, u32::MAX, FaultKind::Hang).after(1)` answers the first request
    /// and no other.
    pub fn after(mut self, n: u32) -> Fault {
        self.skip = n;
        self
    }
}

/// One request the emulator received, for tests to assert on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
    /// The `Authorization` header, if sent (tests check where the key went).
    pub authorization: Option<String>,
    /// The `x-request-id` sent with the answer; `None` when the connection was dropped.
    pub request_id: Option<String>,
    /// When the request arrived.
    pub at: std::time::Instant,
    /// When its answer was ready to send; `None` when the connection was dropped (or the
    /// request is still being answered).
    pub answered: Option<std::time::Instant>,
}

/// One call to an app's webhook that the emulator accepted (answered 2xx), as it arrived: for
/// tests that assert what reached Recall byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The ID of the app whose webhook it was sent to.
    pub app_id: String,
    /// The body, exactly as received.
    pub body: bytes::Bytes,
    /// Every header in the order received, names in lowercase (values not UTF-8 are shown
    /// lossily).
    pub headers: Vec<(String, String)>,
}

impl WebhookEvent {
    /// The first value of the header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How long [`Emulator::shutdown`] lets requests in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    server: crate::http::Server,
}

impl Emulator {
    /// Starts listening on `listen` (port 0 picks a free port). Must be called inside a Tokio
    /// runtime, which then serves the requests.
    pub async fn start(listen: SocketAddr, config: Config) -> std::io::Result<Emulator> {
        let (store, workspace) = match &config.state_file {
            Some(path) => {
                let (store, workspace) = store::Store::open(path)?;
                (Some(store), workspace)
            }
            None => (None, state::Workspace::default()),
        };
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(config, workspace, store));
        let handler = Arc::new(server::Emulated(shared.clone()));
        let server = crate::http::Server::start(listener, handler, server::limits());
        Ok(Emulator {
            addr,
            shared,
            server,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a fault; faults apply in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Removes every fault not yet used up: Recall is back.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every app, in creation order, secrets included.
    pub fn apps(&self) -> Vec<StoredApp> {
        let ws = lock(&self.shared.workspace);
        ws.filtered(None, None).into_iter().cloned().collect()
    }

    /// Creates an app directly, as if made in Recall's dashboard.
    pub fn seed(&self, kind: &str, client_id: &str) -> StoredApp {
        let mut ws = lock(&self.shared.workspace);
        let body = serde_json::json!({
            "kind": kind, "client_id": client_id,
            "client_secret": "seeded-client-secret", "webhook_secret": "seeded-webhook-secret",
        });
        let (_, app) = ws.create(&body, false);
        let id = app
            .and_then(|a| a["id"].as_str().map(str::to_string))
            .expect("seeded app is valid");
        let stored = ws.apps[&id].clone();
        self.shared.record(&ws, Touched::App(id));
        stored
    }

    /// Deletes an app directly, as if deleted in Recall's dashboard.
    pub fn remove(&self, id: &str) -> bool {
        let mut ws = lock(&self.shared.workspace);
        let removed = ws.apps.remove(id).is_some();
        self.shared.record(&ws, Touched::App(id.to_string()));
        removed
    }

    /// Records a log entry about the app `app_id` at `created_at` (RFC 3339), as Recall does
    /// when something goes wrong with it.
    pub fn seed_log(&self, app_id: &str, message: &str, created_at: &str) -> StoredLog {
        let mut ws = lock(&self.shared.workspace);
        let entry = ws.seed_log(app_id, message, created_at);
        self.shared.record(&ws, Touched::LastLog);
        entry
    }

    /// Adds a Zoom OAuth credential to the app `app_id` with this `status` (`healthy`,
    /// `unhealthy`) and `meeting_sync_status` (`not_started`, `in_progress`, `completed`,
    /// `failed`), as if a Zoom user had authorised the app.
    pub fn seed_credential(
        &self,
        app_id: &str,
        status: &str,
        meeting_sync_status: &str,
    ) -> StoredCredential {
        let mut ws = lock(&self.shared.workspace);
        let credential = ws.seed_credential(app_id, status, meeting_sync_status);
        self.shared
            .record(&ws, Touched::Credential(credential.id.clone()));
        credential
    }

    /// Sets when Zoom last validated the app's webhook URL (`None`: never); `false` when there
    /// is no such app.
    pub fn set_last_validation(&self, app_id: &str, at: Option<&str>) -> bool {
        let mut ws = lock(&self.shared.workspace);
        let found = match ws.apps.get_mut(app_id) {
            Some(app) => {
                app.webhook_last_validation = at.map(str::to_string);
                true
            }
            None => false,
        };
        self.shared.record(&ws, Touched::App(app_id.to_string()));
        found
    }

    /// Every app's log entries, in the order they were recorded.
    pub fn app_logs(&self) -> Vec<StoredLog> {
        lock(&self.shared.workspace).app_logs.clone()
    }

    /// Every credential, in creation order.
    pub fn credentials(&self) -> Vec<StoredCredential> {
        let mut all: Vec<StoredCredential> = lock(&self.shared.workspace)
            .credentials
            .values()
            .cloned()
            .collect();
        all.sort_by_key(|c| c.seq);
        all
    }

    /// What `GET /_emulator/stats` answers: `requests`, `list`, `write`, `retrieve`,
    /// `webhook`, `other` (counts of the requests received so far), `throttled` (the 429s
    /// sent), and `first_write_ms` and `last_write_answered_ms`: when the first write
    /// arrived and when the last answered write was answered, in milliseconds since the
    /// emulator started (`null` before any).
    pub fn stats(&self) -> serde_json::Value {
        self.shared.stats()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared.log).clone()
    }

    /// Every webhook call accepted so far (URL validations and events), in the order they were
    /// answered.
    pub fn webhook_events(&self) -> Vec<WebhookEvent> {
        lock(&self.shared.webhook_events).clone()
    }

    /// Stops accepting connections, lets the requests in flight finish (for up to 2 s), and
    /// closes every connection.
    pub async fn shutdown(self) {
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        self.server.shutdown_by(deadline).await;
        self.shared.fold();
    }
}

/// The workspace a sandbox's state file and its journal hold (see [`Config::state_file`]),
/// read without changing either, so it can be read while the emulator runs.
pub fn read_state(path: &std::path::Path) -> std::io::Result<state::Workspace> {
    store::read(path).map(|(workspace, _)| workspace)
}

/// Locks a mutex, recovering from poisoning: a panicked request must not take the emulator
/// down with it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
