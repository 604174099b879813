//! The HTTP client for Recall's Zoom OAuth Apps API, and for the two lists that show an app's
//! health (its logs and its Zoom OAuth credentials), which it only ever reads.
//!
//! It owns everything about talking to Recall: authentication, cursor pagination (one loop for
//! every list, which stops on a loop), retries with backoff and `Retry-After`, idempotent creates, a cap on the size of
//! an answer, and turning failures into errors that say what was being done and quote Recall's
//! request ID. An answer it cannot trust (not JSON, the wrong shape, IDs that are not UUIDs or
//! repeat, pages that break the rules of a list) is an error that names the request and the
//! status, before anything further is sent. It never logs or returns a secret: every error leaving a public method, and
//! every log line, passes through the client's [`Redactor`]. Errors that suggest a mistake in
//! the setup (a key of another Recall, no server at the URL, a base URL with the API's path in
//! it) carry a hint naming the target and where its URL came from.
//!
//! Redirects are never followed (the API key goes only where it is sent), and the TLS
//! certificate of `https://` targets is always checked; a test audits the source for both.
//!
//! Not for: deciding what to do (that is `plan`) or recording results (that is `apply`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use url::Url;

use super::error::{Answered, RecallError, Unredacted, request_id, untrusted_certificate};
use super::pace::{Class, Pacer, RateLimits};
use super::redact::Redactor;
use super::retry::{RetryPolicy, is_retryable, retry_after};
use super::target::same_origin;
use super::wire::{AppLog, AppLogs, Credential, CredentialFilter, Item, Page, WireApp};
use crate::model::{Region, RemoteApp, SecretString};
use crate::units::size;

pub use super::wire::NewApp;

const APPS_PATH: &str = "api/v2/zoom-oauth-apps/";
const APP_LOGS_PATH: &str = "api/v2/zoom-oauth-app-logs/";
const CREDENTIALS_PATH: &str = "api/v2/zoom-oauth-credentials/";
/// A workspace with more pages than this is not a workspace, it is a loop.
const MAX_PAGES: usize = 10_000;

/// The largest answer the client reads, in bytes (16 MiB): a page of apps is a few kilobytes,
/// so anything near this is a broken or hostile server, and reading on would only fill memory.
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// The most of an error body the client reads (64 KiB): Recall's errors are a line of JSON,
/// and the message shows only its start.
pub(super) const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// The most results a page may hold. Recall chooses its page size and documents none; a page
/// of more than this is a broken server, not a page.
pub(super) const MAX_PAGE_RESULTS: usize = 1000;

/// What a paginated list read.
struct Listed<T> {
    items: Vec<T>,
    /// Whether it stopped at its limit before Recall's last item.
    more: bool,
}

/// What the retry loop ends with.
enum Sent {
    /// Recall's answer.
    Answer(Response),
    /// A create whose answer was lost, found by its client ID.
    AlreadyCreated(RemoteApp),
}

/// The outcome of one HTTP attempt.
enum Attempt {
    Done(Response),
    /// Worth trying again; `applied_maybe` is true when the request may have taken effect.
    Retry {
        why: String,
        after: Option<Duration>,
        /// A 429: Recall's budget for the class is spent, for every task alike.
        throttled: bool,
        applied_maybe: bool,
        request_id: Option<String>,
        failure: Failure,
    },
    /// Trying again cannot help (an untrusted certificate).
    Fatal(String),
}

/// What kind of failure a retried attempt was, for the hint when the last one fails too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// No connection: nothing listens at the URL, or its host does not resolve.
    Unreachable,
    /// No answer within `--timeout`.
    TimedOut,
    /// Anything else: an answer worth retrying (429, 5xx), a connection dropped midway.
    Other,
}

/// A client bound to one Recall deployment and one API key.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: SecretString,
    retry: RetryPolicy,
    /// Keeps every task of the client under Recall's per-minute limits.
    pacer: Arc<Pacer>,
    redactor: Redactor,
    max_response_bytes: u64,
    max_pages: usize,
    timeout: Duration,
    /// Where the base URL came from (`` `--api-url` ``), for hints.
    origin: Option<String>,
}

impl Client {
    /// A client for the Recall at `base` (already checked by [`super::target`]); `timeout`
    /// bounds each request, after which its outcome counts as unknown.
    pub fn new(base: Url, api_key: SecretString, timeout: Duration) -> Result<Client, RecallError> {
        let redactor = Redactor::new();
        redactor.learn(&api_key);
        // Certificate and host-name checks stay as reqwest sets them: on.
        let http = reqwest::Client::builder()
            .user_agent(concat!("recallform/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            // The key must only go where we send it; a redirect could carry it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                redactor.error(RecallError::transport("setting up the HTTP client", &e))
            })?;
        let mut base = base;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Client {
            http,
            base,
            api_key,
            retry: RetryPolicy::default(),
            pacer: Arc::new(Pacer::new(RateLimits::default())),
            redactor,
            max_response_bytes: MAX_RESPONSE_BYTES,
            max_pages: MAX_PAGES,
            timeout,
            origin: None,
        })
    }

    /// Says where the base URL came from (`` `--api-url` ``, `` `recall.region` in the
    /// manifest` ``), so that hints can point there.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Client {
        self.origin = Some(origin.into());
        self
    }

    /// Paces under `limits` instead of Recall's documented limits (60 list calls and 300
    /// others a minute), with a pacer of its own.
    pub fn with_rate_limits(self, limits: RateLimits) -> Client {
        self.with_pacer(Arc::new(Pacer::new(limits)))
    }

    /// Paces through `pacer`, which other clients may share (clients of one workspace share
    /// its budget).
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> Client {
        self.pacer = pacer;
        self
    }

    /// The pacer every request of this client waits for.
    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    /// The target for hints: `` `URL` (from ORIGIN) ``.
    fn target(&self) -> String {
        let url = self.base.as_str().trim_end_matches('/');
        match &self.origin {
            Some(origin) => format!("`{url}` (from {origin})"),
            None => format!("`{url}`"),
        }
    }

    /// The hint for a 401: the key must be one of this Recall's. Recall's regions are
    /// separate deployments, each with its own keys, so a key of another region is refused.
    fn unauthorized_hint(&self) -> String {
        let region = Region::ALL.into_iter().any(|r| {
            r.base_url().trim_end_matches('/') == self.base.as_str().trim_end_matches('/')
        });
        let each = if region {
            "; each Recall region has its own keys"
        } else {
            ""
        };
        format!(
            "check the API key, and that it is a key of the Recall at {}{each}",
            self.target()
        )
    }

    /// The hint for a 404 on the list, when the base URL already has an API path in it
    /// (`/api/v2`, `/api`, `zoom-oauth-apps`): recallform adds the path itself, so the request
    /// went to `/api/v2/api/v2/...`. `None` when the base URL looks like a base URL.
    fn api_path_hint(&self) -> Option<String> {
        let segments: Vec<&str> = self
            .base
            .path_segments()?
            .filter(|s| !s.is_empty())
            .collect();
        let at = segments
            .iter()
            .position(|s| *s == "api" || *s == "zoom-oauth-apps")?;
        let mut base = self.base.clone();
        base.set_path(&segments[..at].join("/"));
        let base = base.as_str().trim_end_matches('/').to_string();
        Some(format!(
            "{} has the API's path in it, and recallform adds `/{APPS_PATH}` itself: give the base URL only, such as `{base}`",
            self.target()
        ))
    }

    /// The hint when the last attempt failed too, for the failures a setup mistake explains.
    fn gave_up_hint(&self, failure: Failure) -> Option<String> {
        match failure {
            Failure::Unreachable => Some(format!(
                "is {} the right URL, and is the server running?",
                self.target()
            )),
            Failure::TimedOut => Some(format!(
                "no answer came within {}; `--timeout SECONDS` waits longer",
                crate::error::plural(
                    usize::try_from(self.timeout.as_secs()).unwrap_or(usize::MAX),
                    "second"
                )
            )),
            Failure::Other => None,
        }
    }

    /// Tells the client the session's other secrets (every client secret and webhook secret
    /// the manifest resolved), so that no error or log line shows one even if Recall echoes
    /// it. The API key, the secrets this client sends and those Recall returns are known
    /// without it. Call it before the first request.
    pub fn know_secrets<'a>(&self, secrets: impl IntoIterator<Item = &'a SecretString>) {
        self.redactor.learn_all(secrets);
    }

    /// The redactor that cleans this client's errors and logs; its clones share what it knows.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Lowers (or raises) the largest answer read, [`MAX_RESPONSE_BYTES`] by default.
    pub fn with_max_response_bytes(mut self, bytes: u64) -> Client {
        self.max_response_bytes = bytes;
        self
    }

    /// Lowers the page cap, so tests can reach it without 10,000 requests.
    #[cfg(test)]
    pub(super) fn with_max_pages(mut self, pages: usize) -> Client {
        self.max_pages = pages;
        self
    }

    /// Another retry policy, so tests can give up quickly.
    #[cfg(test)]
    pub(super) fn with_retry(mut self, retry: RetryPolicy) -> Client {
        self.retry = retry;
        self
    }

    /// Lists every app, following `next` until it is null. With `client_id`, only that one's.
    pub async fn list_apps(&self, client_id: Option<&str>) -> Result<Vec<RemoteApp>, RecallError> {
        self.seal(self.list(client_id).await)
    }

    /// The newest entries of the app `app_id`'s log, newest first: at most `limit`, and with
    /// `since` (RFC 3339) only those recorded since then. Reads no more pages than it needs for
    /// `limit` entries, and says whether Recall has more.
    pub async fn list_app_logs(
        &self,
        app_id: &str,
        since: Option<&str>,
        limit: usize,
    ) -> Result<AppLogs, RecallError> {
        self.seal(self.app_logs(app_id, since, limit).await)
    }

    /// Lists every Zoom OAuth credential that matches `filter`, following `next` until it is
    /// null. Only reads: recallform never changes a credential.
    pub async fn list_credentials(
        &self,
        filter: &CredentialFilter<'_>,
    ) -> Result<Vec<Credential>, RecallError> {
        self.seal(self.credentials(filter).await)
    }

    /// Creates an app. Safe to call once per logical create: retries reuse one
    /// `Idempotency-Key`, and before re-sending after an unknown outcome it looks the app up by
    /// client ID, so a lost response never produces a second app.
    pub async fn create_app(&self, new: &NewApp<'_>) -> Result<RemoteApp, RecallError> {
        self.seal(self.create(new).await)
    }

    /// Reads one app by ID; `None` when Recall has no such app (404).
    pub async fn get_app(&self, id: &str) -> Result<Option<RemoteApp>, RecallError> {
        self.seal(self.get(id).await)
    }

    /// Sends new secrets for an app with PATCH (the only fields Recall can change). Safe to
    /// retry: the same values again change nothing.
    pub async fn update_secrets(
        &self,
        id: &str,
        client_secret: Option<&SecretString>,
        webhook_secret: Option<&SecretString>,
    ) -> Result<RemoteApp, RecallError> {
        self.seal(self.update(id, client_secret, webhook_secret).await)
    }

    /// Deletes an app. Returns whether it existed: a 404 means it is already gone, which is
    /// what a delete wants.
    pub async fn delete_app(&self, id: &str) -> Result<bool, RecallError> {
        self.seal(self.delete(id).await)
    }

    /// The one way an error leaves the client: through the redactor. [`Unredacted`] does not
    /// convert into [`RecallError`] otherwise, so a public method cannot skip this.
    fn seal<T>(&self, result: Result<T, Unredacted>) -> Result<T, RecallError> {
        result.map_err(|Unredacted(e)| self.redactor.error(e))
    }

    fn apps_url(&self) -> Url {
        self.base.join(APPS_PATH).expect("a constant relative path")
    }

    async fn list(&self, client_id: Option<&str>) -> Result<Vec<RemoteApp>, Unredacted> {
        let action = match client_id {
            Some(id) => format!("listing the Zoom OAuth apps with client_id `{id}`"),
            None => "listing the Zoom OAuth apps".to_string(),
        };
        let mut url = self.apps_url();
        if let Some(id) = client_id {
            url.query_pairs_mut().append_pair("client_id", id);
        }
        // A filter the server ignored would pass another app off as this one (a create's
        // lookup adopts what it finds), so every app must have the client ID asked for.
        let filtered = |app: &WireApp| {
            client_id.filter(|id| app.client_id() != *id).map(|id| {
                format!(
                    "it lists an app with the client_id `{}`, not the `{id}` the list was filtered by",
                    app.client_id()
                )
            })
        };
        let listed = self.paginate(&action, url, None, filtered).await?;
        Ok(listed.items.into_iter().map(RemoteApp::from).collect())
    }

    async fn app_logs(
        &self,
        app_id: &str,
        since: Option<&str>,
        limit: usize,
    ) -> Result<AppLogs, Unredacted> {
        let action = format!("listing the app logs of the Zoom OAuth app `{app_id}`");
        let mut url = self
            .base
            .join(APP_LOGS_PATH)
            .expect("a constant relative path");
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("oauth_app", app_id);
            if let Some(since) = since {
                query.append_pair("created_at_after", since);
            }
            // Newest first, whatever Recall's default order is, so the first page is the news.
            query.append_pair("ordering", "-created_at");
        }
        let listed = self
            .paginate::<AppLog>(&action, url, Some(limit), |_| None)
            .await?;
        // A message is Recall's free text: it could quote what it was sent.
        let entries = listed
            .items
            .into_iter()
            .map(|e| AppLog {
                message: self.redactor.text(&e.message),
                ..e
            })
            .collect();
        Ok(AppLogs {
            entries,
            more: listed.more,
        })
    }

    async fn credentials(
        &self,
        filter: &CredentialFilter<'_>,
    ) -> Result<Vec<Credential>, Unredacted> {
        let mut url = self
            .base
            .join(CREDENTIALS_PATH)
            .expect("a constant relative path");
        let mut action = "listing the Zoom OAuth credentials".to_string();
        let filters = [
            ("oauth_app", filter.oauth_app),
            ("status", filter.status),
            ("meeting_sync_status", filter.meeting_sync_status),
        ];
        let mut with = Vec::new();
        for (name, value) in filters {
            if let Some(value) = value {
                url.query_pairs_mut().append_pair(name, value);
                with.push(format!("{name} `{value}`"));
            }
        }
        if !with.is_empty() {
            action = format!("{action} with {}", with.join(" and "));
        }
        let filtered = |c: &Credential| {
            filter
                .oauth_app
                .filter(|app| c.oauth_app != *app)
                .map(|app| format!("it lists a credential of the app `{}`, not of the `{app}` the list was filtered by", c.oauth_app))
        };
        Ok(self.paginate(&action, url, None, filtered).await?.items)
    }

    /// Reads the cursor-paginated list at `url`, following `next` until it is null, or until
    /// `limit` items are read: the one pagination loop of every list, whatever its items.
    ///
    /// Every page must keep the rules of a list, or the list stops with an error before the
    /// next request, so nothing is planned on a list that may be wrong: each item passes its
    /// own checks ([`Item::problem`]) and `check`, no ID is listed twice, no page is larger than
    /// the first full one (Recall's pages all have its one page size) or than
    /// [`MAX_PAGE_RESULTS`], and an empty page has no next one.
    async fn paginate<T: for<'de> Deserialize<'de> + Item>(
        &self,
        action: &str,
        mut url: Url,
        limit: Option<usize>,
        check: impl Fn(&T) -> Option<String>,
    ) -> Result<Listed<T>, Unredacted> {
        let mut items = Vec::new();
        // Every page URL read so far: a `next` that points back at one is a loop, stopped
        // before the request that would go round it again.
        let mut read: HashSet<Url> = HashSet::new();
        let mut ids: HashSet<String> = HashSet::new();
        // The size of the first page that had a next one: Recall's page size.
        let mut page_size: Option<usize> = None;
        loop {
            if read.len() >= self.max_pages {
                return Err(RecallError::protocol(
                    action,
                    format!(
                        "Recall listed more than {} pages, more than any workspace holds; stopping",
                        self.max_pages
                    ),
                    None,
                )
                .into());
            }
            read.insert(url.clone());
            let response = self
                .request(action, Class::List, || self.http.get(url.clone()), None)
                .await?;
            let (page, answered): (Page<T>, Answered) = self
                .decode_with(action, &Method::GET, response)
                .await
                .map_err(|Unredacted(e)| match (&e, self.api_path_hint()) {
                    (RecallError::Api { status: 404, .. }, Some(hint)) => {
                        Unredacted(e.with_hint(hint))
                    }
                    _ => Unredacted(e),
                })?;
            let broken =
                |detail: String| Unredacted(RecallError::malformed(&answered, action, detail));
            let n = page.results.len();
            if n > MAX_PAGE_RESULTS {
                return Err(broken(format!(
                    "the page holds {n} results, more than the {MAX_PAGE_RESULTS} any page of a list can"
                )));
            }
            if let Some(size) = page_size.filter(|size| n > *size) {
                return Err(broken(format!(
                    "the page holds {n} results, more than the {size} of the first page, and Recall's pages all have one size"
                )));
            }
            if n == 0 && page.next.is_some() {
                return Err(broken(
                    "the page is empty and yet names a next page, so the list could go on without end".into(),
                ));
            }
            for item in &page.results {
                if let Some(problem) = item.problem() {
                    return Err(broken(format!("it lists {} with {problem}", T::A_NOUN)));
                }
                if let Some(problem) = check(item) {
                    return Err(broken(problem));
                }
                if let Some(id) = item.id().filter(|id| !ids.insert(id.to_string())) {
                    return Err(broken(format!(
                        "it lists the {} `{id}` a second time, so its pages overlap",
                        T::NOUN
                    )));
                }
            }
            if page_size.is_none() && page.next.is_some() {
                page_size = Some(n);
            }
            items.extend(page.results);
            if let Some(limit) = limit.filter(|l| items.len() >= *l) {
                let more = items.len() > limit || page.next.is_some();
                items.truncate(limit);
                return Ok(Listed { items, more });
            }
            let Some(next) = page.next else {
                return Ok(Listed { items, more: false });
            };
            let next = self.next_url(action, &url, &next, &answered)?;
            if read.contains(&next) {
                return Err(RecallError::protocol(
                    action,
                    format!(
                        "the next page `{next}` was already read, so Recall's pages go round in a loop; stopping"
                    ),
                    answered.request_id.as_deref(),
                )
                .into());
            }
            url = next;
        }
    }

    /// Resolves a `next` value: an absolute URL on the same origin, or a bare cursor.
    fn next_url(
        &self,
        action: &str,
        current: &Url,
        next: &str,
        answered: &Answered,
    ) -> Result<Url, RecallError> {
        match Url::parse(next) {
            Ok(url) if same_origin(&url, &self.base) => Ok(url),
            Ok(url) => Err(RecallError::malformed(
                answered,
                action,
                format!(
                    "the next page is on another host, port or scheme (`{}`); refusing to send the API key there",
                    url.origin().ascii_serialization()
                ),
            )),
            Err(_) => {
                let mut url = current.clone();
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "cursor")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                url.query_pairs_mut()
                    .clear()
                    .extend_pairs(kept)
                    .append_pair("cursor", next);
                Ok(url)
            }
        }
    }

    async fn create(&self, new: &NewApp<'_>) -> Result<RemoteApp, Unredacted> {
        let action = format!(
            "creating the Zoom OAuth app with client_id `{}`",
            new.client_id
        );
        // Whatever the session told the client, the secrets it sends are secrets.
        self.redactor
            .learn_all([new.client_secret, new.webhook_secret]);
        let key = uuid::Uuid::new_v4().to_string();
        let body = serde_json::json!({
            "kind": new.kind.as_str(),
            "client_id": new.client_id,
            "client_secret": new.client_secret.expose(),
            "webhook_secret": new.webhook_secret.expose(),
        });
        let url = self.apps_url();
        let build = || {
            self.http
                .post(url.clone())
                .header("Idempotency-Key", &key)
                .json(&body)
        };
        match self
            .send(
                &action,
                Class::Write,
                build,
                Some(&body),
                Some(new.client_id),
            )
            .await?
        {
            Sent::AlreadyCreated(app) => Ok(app),
            Sent::Answer(response) => {
                let created = response.status().is_success();
                match self.decode_app(&action, &Method::POST, response).await {
                    // Recall says it created the app but its answer cannot be read (cut short,
                    // not JSON): the app exists all the same, so it is looked up by client ID
                    // rather than lost, as after a lost answer.
                    Err(e) if created => match Box::pin(self.list(Some(new.client_id))).await {
                        Ok(found) if found.len() == 1 => {
                            Ok(found.into_iter().next().expect("one app"))
                        }
                        _ => Err(e),
                    },
                    other => other,
                }
            }
        }
    }

    async fn get(&self, id: &str) -> Result<Option<RemoteApp>, Unredacted> {
        let action = format!("reading the Zoom OAuth app `{id}`");
        let url = self.app_url(id);
        let response = self
            .request(&action, Class::Write, || self.http.get(url.clone()), None)
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.decode_app(&action, &Method::GET, response)
            .await
            .map(Some)
    }

    async fn update(
        &self,
        id: &str,
        client_secret: Option<&SecretString>,
        webhook_secret: Option<&SecretString>,
    ) -> Result<RemoteApp, Unredacted> {
        let action = format!("updating the secrets of the Zoom OAuth app `{id}`");
        self.redactor
            .learn_all(client_secret.into_iter().chain(webhook_secret));
        let mut body = serde_json::Map::new();
        if let Some(s) = client_secret {
            body.insert("client_secret".into(), s.expose().into());
        }
        if let Some(s) = webhook_secret {
            body.insert("webhook_secret".into(), s.expose().into());
        }
        let body = serde_json::Value::Object(body);
        let key = uuid::Uuid::new_v4().to_string();
        let url = self.app_url(id);
        let build = || {
            self.http
                .patch(url.clone())
                .header("Idempotency-Key", &key)
                .json(&body)
        };
        let response = self
            .request(&action, Class::Write, build, Some(&body))
            .await?;
        self.decode_app(&action, &Method::PATCH, response).await
    }

    async fn delete(&self, id: &str) -> Result<bool, Unredacted> {
        let action = format!("deleting the Zoom OAuth app `{id}`");
        let url = self.app_url(id);
        let response = self
            .request(
                &action,
                Class::Write,
                || self.http.delete(url.clone()),
                None,
            )
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(false),
            s if s.is_success() => Ok(true),
            _ => self
                .decode::<serde_json::Value>(&action, &Method::DELETE, response)
                .await
                .map(|_| true),
        }
    }

    fn app_url(&self, id: &str) -> Url {
        let mut url = self.apps_url();
        // One path segment, percent-encoded: an ID can never reach another path.
        url.path_segments_mut()
            .expect("an http(s) URL has path segments")
            .pop_if_empty()
            .push(id)
            .push("");
        url
    }

    /// Sends a request built by `build`, retrying what is worth retrying, and returns the
    /// answer.
    async fn request(
        &self,
        action: &str,
        class: Class,
        build: impl Fn() -> RequestBuilder,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, Unredacted> {
        match self.send(action, class, build, body, None).await? {
            Sent::Answer(response) => Ok(response),
            Sent::AlreadyCreated(_) => unreachable!("only creates look their app up"),
        }
    }

    /// The retry loop. For a create (`creates` names its client ID), a retry after an attempt
    /// that may have taken effect first looks the app up: if the first request created it,
    /// that is the app (plan saw none with this client ID), and sending again could make a
    /// second one.
    /// Every attempt waits for its slot of `class` first ([`Pacer::acquire`]); a 429 with
    /// `Retry-After` pauses the whole class, and this attempt's retry waits in line with the
    /// rest.
    async fn send(
        &self,
        action: &str,
        class: Class,
        build: impl Fn() -> RequestBuilder,
        body: Option<&serde_json::Value>,
        creates: Option<&str>,
    ) -> Result<Sent, Unredacted> {
        let mut attempt = 1;
        loop {
            self.paced(class).await;
            let (why, after, throttled, applied_maybe, id, failure) =
                match self.attempt(self.authorized(build()), body).await {
                    Attempt::Done(response) => return Ok(Sent::Answer(response)),
                    Attempt::Fatal(detail) => {
                        return Err(RecallError::Transport {
                            action: action.into(),
                            detail,
                        }
                        .into());
                    }
                    Attempt::Retry {
                        why,
                        after,
                        throttled,
                        applied_maybe,
                        request_id,
                        failure,
                    } => (why, after, throttled, applied_maybe, request_id, failure),
                };
            if attempt >= self.retry.max_attempts {
                let e = RecallError::gave_up(action, attempt, &why, id.as_deref());
                return Err(match self.gave_up_hint(failure) {
                    Some(hint) => e.with_hint(hint),
                    None => e,
                }
                .into());
            }
            let delay = self.retry.delay(attempt, after);
            if throttled && after.is_some() {
                // Every task of the class waits it out, this one in line with the rest.
                self.info(|| {
                    format!(
                        "Recall answered 429: pausing every {class} request for {} ms",
                        delay.as_millis()
                    )
                });
                self.pacer.pause(class, delay);
            } else {
                tokio::time::sleep(delay).await;
            }
            attempt += 1;
            if let (Some(client_id), true) = (creates, applied_maybe) {
                // Boxed: listing sends through this loop too.
                let found = Box::pin(self.list(Some(client_id))).await?;
                if let [app] = found.as_slice() {
                    return Ok(Sent::AlreadyCreated(app.clone()));
                }
            }
        }
    }

    /// Waits for a slot of `class`, and says at `-v` how long it waited.
    async fn paced(&self, class: Class) {
        let waited = self.pacer.acquire(class).await;
        if waited.total.is_zero() {
            return;
        }
        self.info(|| {
            let limit = self.pacer.limits().of(class);
            let why = if waited.paused {
                "a 429 paused them".to_string()
            } else {
                let pace = limit.pace().map_or("off".into(), |p| format!("{p}/min"));
                format!("paced at {pace} under Recall's {limit}")
            };
            format!(
                "waited {} ms for the next {class} request: {why}",
                waited.total.as_millis()
            )
        });
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        request.header(
            reqwest::header::AUTHORIZATION,
            format!("Token {}", self.api_key.expose()),
        )
    }

    /// One HTTP exchange, classified and logged (`-v`: one line; `-vv`: headers and body,
    /// redacted).
    async fn attempt(&self, request: RequestBuilder, body: Option<&serde_json::Value>) -> Attempt {
        let request = match request.build() {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    why: RecallError::describe_transport(&e),
                    after: None,
                    throttled: false,
                    applied_maybe: false,
                    request_id: None,
                    failure: Failure::Other,
                };
            }
        };
        let (method, url) = (request.method().clone(), request.url().clone());
        self.debug(|| {
            format!(
                "{method} {url} headers: {}",
                redacted_headers(request.headers())
            )
        });
        if let Some(body) = body {
            self.debug(|| format!("{method} {url} body: {}", self.redactor.json(body)));
        }
        let started = Instant::now();
        let result = self.http.execute(request).await;
        let ms = started.elapsed().as_millis();
        match result {
            Err(e) => {
                let why = RecallError::describe_transport(&e);
                self.info(|| format!("{method} {url} failed after {ms} ms: {why}"));
                if untrusted_certificate(&e) {
                    return Attempt::Fatal(why);
                }
                // A connect that timed out is a connect that failed: nothing answered there.
                let failure = if e.is_connect() {
                    Failure::Unreachable
                } else if e.is_timeout() {
                    Failure::TimedOut
                } else {
                    Failure::Other
                };
                Attempt::Retry {
                    why,
                    after: None,
                    throttled: false,
                    // A failed connect never reached Recall; anything later might have.
                    applied_maybe: !e.is_connect(),
                    request_id: None,
                    failure,
                }
            }
            Ok(response) => {
                let status = response.status();
                let id = request_id(response.headers());
                self.info(|| {
                    let id = id
                        .as_deref()
                        .map(|i| format!(" (request ID {i})"))
                        .unwrap_or_default();
                    format!("{method} {url} -> {status} in {ms} ms{id}")
                });
                if is_retryable(status) {
                    Attempt::Retry {
                        why: format!("Recall answered {status}"),
                        after: retry_after(&response),
                        throttled: status == StatusCode::TOO_MANY_REQUESTS,
                        applied_maybe: status.is_server_error(),
                        request_id: id,
                        failure: Failure::Other,
                    }
                } else {
                    Attempt::Done(response)
                }
            }
        }
    }

    /// Reads an app, refusing one whose ID is not a UUID.
    async fn decode_app(
        &self,
        action: &str,
        method: &Method,
        response: Response,
    ) -> Result<RemoteApp, Unredacted> {
        let (app, answered): (WireApp, Answered) =
            self.decode_with(action, method, response).await?;
        match app.problem() {
            Some(problem) => {
                let detail = format!("the app it returned has {problem}");
                Err(RecallError::malformed(&answered, action, detail).into())
            }
            None => Ok(app.into()),
        }
    }

    /// Reads a success body as `T`, or turns an error status into a [`RecallError::Api`].
    async fn decode<T: for<'de> Deserialize<'de>>(
        &self,
        action: &str,
        method: &Method,
        response: Response,
    ) -> Result<T, Unredacted> {
        Ok(self.decode_with(action, method, response).await?.0)
    }

    /// [`Client::decode`], with what is known of the answer, for checks of what it holds. A
    /// success body must say it is JSON, be JSON, and have the shape of `T`; otherwise the
    /// error names the request and the status ([`RecallError::Malformed`]). Secrets in a
    /// success body are learned before anything of it is logged.
    async fn decode_with<T: for<'de> Deserialize<'de>>(
        &self,
        action: &str,
        method: &Method,
        response: Response,
    ) -> Result<(T, Answered), Unredacted> {
        let (answered, bytes) = self.read_body(action, method, response).await?;
        if answered.status.is_success() {
            let broken = |detail: String| RecallError::malformed(&answered, action, detail);
            if !answered.is_json {
                let text = self.redactor.text(&String::from_utf8_lossy(&bytes));
                return Err(broken(format!(
                    "its body is not marked as JSON ({}): {}",
                    answered.content_type(),
                    super::error::snippet(&text)
                ))
                .into());
            }
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| broken(format!("its body is not valid JSON ({e})")))?;
            self.redactor.learn_from_response(&value);
            self.debug(|| format!("response body: {}", self.redactor.json(&value)));
            let typed = serde_json::from_value(value)
                .map_err(|e| broken(format!("its JSON is not what the API returns ({e})")))?;
            return Ok((typed, answered));
        }
        self.debug(
            || match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(value) => format!("response body: {}", self.redactor.json(&value)),
                Err(_) => format!(
                    "response body (not JSON): {}",
                    self.redactor.text(&String::from_utf8_lossy(&bytes))
                ),
            },
        );
        let e = RecallError::api(action, &answered, &bytes, &self.redactor);
        Err(match answered.status {
            StatusCode::UNAUTHORIZED => e.with_hint(self.unauthorized_hint()),
            _ => e,
        }
        .into())
    }

    /// Reads the whole body, up to the cap: refused up front when `Content-Length` says it is
    /// larger, and stopped as soon as the chunks read pass it, so no more than the cap is ever
    /// held. An error body is read up to [`MAX_ERROR_BODY_BYTES`] only, and the rest left
    /// unread ([`Answered::cut`]): its start is all a message shows.
    async fn read_body(
        &self,
        action: &str,
        method: &Method,
        mut response: Response,
    ) -> Result<(Answered, Vec<u8>), Unredacted> {
        let mut answered = Answered::of(method, &response);
        let error = !answered.status.is_success();
        let cap = if error {
            self.max_response_bytes.min(MAX_ERROR_BODY_BYTES)
        } else {
            self.max_response_bytes
        };
        let too_large = |answered: &Answered| {
            RecallError::protocol(
                action,
                format!("the answer is larger than {}; stopping", size(cap)),
                answered.request_id.as_deref(),
            )
        };
        if !error && response.content_length().is_some_and(|n| n > cap) {
            return Err(too_large(&answered).into());
        }
        let mut body = Vec::new();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    let detail = format!(
                        "{} after {} bytes",
                        RecallError::describe_transport(&e),
                        body.len()
                    );
                    return Err(RecallError::malformed(&answered, action, detail).into());
                }
            };
            if (body.len() + chunk.len()) as u64 > cap {
                if error {
                    let room = usize::try_from(cap).unwrap_or(usize::MAX) - body.len();
                    body.extend_from_slice(&chunk[..room]);
                    answered.cut = true;
                    break;
                }
                return Err(too_large(&answered).into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((answered, body))
    }

    /// Logs at `-vv`, redacted; the line is built only when it will be shown.
    fn debug(&self, line: impl FnOnce() -> String) {
        if tracing::enabled!(tracing::Level::DEBUG) {
            tracing::debug!("{}", self.redactor.text(&line()));
        }
    }

    /// Logs at `-v`, redacted.
    fn info(&self, line: impl FnOnce() -> String) {
        if tracing::enabled!(tracing::Level::INFO) {
            tracing::info!("{}", self.redactor.text(&line()));
        }
    }
}

/// Request headers for the log, with the API key replaced.
fn redacted_headers(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if name == reqwest::header::AUTHORIZATION {
                "Token (redacted)"
            } else {
                value.to_str().unwrap_or("(binary)")
            };
            format!("{name}: {shown}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new(
            Url::parse("https://us-east-1.recall.ai").unwrap(),
            SecretString::new("k".into()),
            Duration::from_secs(1),
        )
        .unwrap()
    }

    fn answered() -> Answered {
        Answered {
            request: "GET /api/v2/zoom-oauth-apps/".into(),
            status: StatusCode::OK,
            is_json: true,
            content_type: Some("application/json".into()),
            cut: false,
            request_id: None,
            location: None,
        }
    }

    #[test]
    fn next_links_absolute_on_the_same_origin_or_bare_cursors() {
        let c = client();
        let a = answered();
        let current = Url::parse(
            "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/?client_id=a&cursor=old",
        )
        .unwrap();
        let abs = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/?cursor=xyz";
        assert_eq!(c.next_url("x", &current, abs, &a).unwrap().as_str(), abs);
        assert_eq!(
            c.next_url("x", &current, "cD0x", &a).unwrap().as_str(),
            "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/?client_id=a&cursor=cD0x"
        );
        let err = c
            .next_url(
                "listing",
                &current,
                "https://evil.example/api/v2/zoom-oauth-apps/?cursor=1",
                &a,
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "listing: Recall answered 200 to `GET /api/v2/zoom-oauth-apps/`, but the next page is on another host, port or scheme (`https://evil.example`); refusing to send the API key there"
        );
        assert!(
            c.next_url("x", &current, "http://us-east-1.recall.ai/?cursor=1", &a)
                .is_err(),
            "a downgrade to http is another origin"
        );
    }

    #[test]
    fn a_401_names_the_target_and_for_a_region_says_keys_are_per_region() {
        let c = client().with_origin("`recall.region` in the manifest");
        assert_eq!(
            c.unauthorized_hint(),
            "check the API key, and that it is a key of the Recall at `https://us-east-1.recall.ai` (from `recall.region` in the manifest); each Recall region has its own keys"
        );
        let c = Client::new(
            Url::parse("https://proxy.example/recall/").unwrap(),
            SecretString::new("k".into()),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            c.unauthorized_hint(),
            "check the API key, and that it is a key of the Recall at `https://proxy.example/recall`"
        );
    }

    #[test]
    fn only_a_base_url_with_an_api_path_gets_the_404_hint() {
        let hint = |base: &str| {
            Client::new(
                Url::parse(base).unwrap(),
                SecretString::new("k".into()),
                Duration::from_secs(1),
            )
            .unwrap()
            .api_path_hint()
        };
        assert_eq!(hint("https://us-east-1.recall.ai"), None);
        assert_eq!(hint("https://proxy.example/recall/"), None);
        assert_eq!(hint("https://proxy.example/apis"), None);
        let suggested = |base: &str| {
            let h = hint(base).unwrap_or_else(|| panic!("{base}"));
            h.rsplit_once("such as ").unwrap().1.to_string()
        };
        assert_eq!(
            suggested("https://us-east-1.recall.ai/api/v2"),
            "`https://us-east-1.recall.ai`"
        );
        assert_eq!(
            suggested("https://us-east-1.recall.ai/api/"),
            "`https://us-east-1.recall.ai`"
        );
        assert_eq!(
            suggested("https://proxy.example/recall/api/v2/zoom-oauth-apps/"),
            "`https://proxy.example/recall`"
        );
        assert_eq!(
            suggested("https://proxy.example/zoom-oauth-apps"),
            "`https://proxy.example`"
        );
    }

    #[test]
    fn a_base_url_with_a_path_keeps_it() {
        let c = Client::new(
            Url::parse("https://proxy.example/recall").unwrap(),
            SecretString::new("k".into()),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            c.apps_url().as_str(),
            "https://proxy.example/recall/api/v2/zoom-oauth-apps/"
        );
    }
}
