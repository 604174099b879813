//! The HTTP client for Recall's Zoom OAuth Apps API.
//!
//! It owns everything about talking to Recall: authentication, cursor pagination, retries with
//! backoff and `Retry-After`, idempotent creates, and turning failures into errors that say
//! what was being done. It never logs or returns a secret.
//!
//! Not for: deciding what to do (that is `plan`) or recording results (that is `apply`).

use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use url::Url;

use super::error::RecallError;
use super::retry::RetryPolicy;
use super::target::same_origin;
use crate::model::{Kind, RemoteApp, SecretString};

const APPS_PATH: &str = "api/v2/zoom-oauth-apps/";
/// A workspace with more pages than this is not a workspace, it is a loop.
const MAX_PAGES: usize = 10_000;

/// A page of `GET /api/v2/zoom-oauth-apps/`.
#[derive(Deserialize)]
struct Page {
    next: Option<String>,
    results: Vec<WireApp>,
}

/// A Zoom OAuth app as Recall returns it. The secrets may or may not be there (UNCONFIRMED);
/// when they are, they go straight into [`SecretString`]s, which cannot be printed.
#[derive(Deserialize)]
struct WireApp {
    id: String,
    kind: String,
    client_id: String,
    created_at: String,
    #[serde(default)]
    webhook_last_validation: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    webhook_secret: Option<String>,
}

impl From<WireApp> for RemoteApp {
    fn from(w: WireApp) -> RemoteApp {
        RemoteApp {
            id: w.id,
            kind: w.kind,
            client_id: w.client_id,
            created_at: w.created_at,
            webhook_last_validation: w.webhook_last_validation,
            // A masked or empty value tells nothing about the secret: treat it as unreadable.
            client_secret: readable(w.client_secret),
            webhook_secret: readable(w.webhook_secret),
        }
    }
}

/// A secret Recall returned, unless it is absent, empty or visibly masked (`****`, `••••`).
fn readable(value: Option<String>) -> Option<SecretString> {
    value
        .filter(|v| !v.is_empty() && !v.chars().all(|c| matches!(c, '*' | '•' | 'x' | 'X')))
        .map(SecretString::new)
}

/// What a create sends; the secrets leave memory only in the request body.
pub struct NewApp<'a> {
    /// The app's kind.
    pub kind: Kind,
    /// The Zoom client ID.
    pub client_id: &'a str,
    /// The Zoom client secret.
    pub client_secret: &'a SecretString,
    /// Zoom's webhook Secret Token.
    pub webhook_secret: &'a SecretString,
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
        applied_maybe: bool,
    },
}

/// A client bound to one Recall deployment and one API key.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: SecretString,
    retry: RetryPolicy,
}

impl Client {
    /// A client for the Recall at `base` (already checked by [`super::target`]); `timeout`
    /// bounds each request, after which its outcome counts as unknown.
    pub fn new(base: Url, api_key: SecretString, timeout: Duration) -> Result<Client, RecallError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("recallform/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            // The key must only go where we send it; a redirect could carry it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RecallError::transport("setting up the HTTP client", &e))?;
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
        })
    }

    fn apps_url(&self) -> Url {
        self.base.join(APPS_PATH).expect("a constant relative path")
    }

    /// Lists every app, following `next` until it is null. With `client_id`, only that one's.
    pub async fn list_apps(&self, client_id: Option<&str>) -> Result<Vec<RemoteApp>, RecallError> {
        let action = match client_id {
            Some(id) => format!("listing the Zoom OAuth apps with client_id `{id}`"),
            None => "listing the Zoom OAuth apps".to_string(),
        };
        let first = self.apps_url();
        let mut url = first.clone();
        if let Some(id) = client_id {
            url.query_pairs_mut().append_pair("client_id", id);
        }
        let mut apps = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self
                .request(&action, || self.http.get(url.clone()), None)
                .await?;
            let page: Page = decode(&action, response).await?;
            apps.extend(page.results.into_iter().map(RemoteApp::from));
            match page.next {
                None => return Ok(apps),
                Some(next) => url = self.next_url(&action, &url, &next)?,
            }
        }
        Err(RecallError::protocol(
            &action,
            format!("more than {MAX_PAGES} pages; stopping"),
        ))
    }

    /// Resolves a `next` value: an absolute URL on the same origin, or a bare cursor.
    fn next_url(&self, action: &str, current: &Url, next: &str) -> Result<Url, RecallError> {
        match Url::parse(next) {
            Ok(url) if same_origin(&url, &self.base) => Ok(url),
            Ok(url) => Err(RecallError::protocol(
                action,
                format!(
                    "the next page is on another host (`{}`); refusing to send the API key there",
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

    /// Creates an app. Safe to call once per logical create: retries reuse one
    /// `Idempotency-Key`, and before re-sending after an unknown outcome it looks the app up by
    /// client ID, so a lost response never produces a second app.
    pub async fn create_app(&self, new: &NewApp<'_>) -> Result<RemoteApp, RecallError> {
        let action = format!(
            "creating the Zoom OAuth app with client_id `{}`",
            new.client_id
        );
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
            .send(&action, build, Some(&body), Some(new.client_id))
            .await?
        {
            Sent::AlreadyCreated(app) => Ok(app),
            Sent::Answer(response) => decode::<WireApp>(&action, response)
                .await
                .map(RemoteApp::from)
                .map_err(|e| e.redact(&[new.client_secret, new.webhook_secret])),
        }
    }

    /// Reads one app by ID; `None` when Recall has no such app (404).
    pub async fn get_app(&self, id: &str) -> Result<Option<RemoteApp>, RecallError> {
        let action = format!("reading the Zoom OAuth app `{id}`");
        let url = self.app_url(id);
        let response = self
            .request(&action, || self.http.get(url.clone()), None)
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        decode::<WireApp>(&action, response)
            .await
            .map(|w| Some(w.into()))
    }

    /// Sends new secrets for an app with PATCH (the only fields Recall can change). Safe to
    /// retry: the same values again change nothing.
    pub async fn update_secrets(
        &self,
        id: &str,
        client_secret: Option<&SecretString>,
        webhook_secret: Option<&SecretString>,
    ) -> Result<RemoteApp, RecallError> {
        let action = format!("updating the secrets of the Zoom OAuth app `{id}`");
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
        let response = self.request(&action, build, Some(&body)).await?;
        let secrets: Vec<&SecretString> = client_secret.into_iter().chain(webhook_secret).collect();
        decode::<WireApp>(&action, response)
            .await
            .map(RemoteApp::from)
            .map_err(|e| e.redact(&secrets))
    }

    /// Deletes an app. Returns whether it existed: a 404 means it is already gone, which is
    /// what a delete wants.
    pub async fn delete_app(&self, id: &str) -> Result<bool, RecallError> {
        let action = format!("deleting the Zoom OAuth app `{id}`");
        let url = self.app_url(id);
        let response = self
            .request(&action, || self.http.delete(url.clone()), None)
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(false),
            s if s.is_success() => Ok(true),
            _ => decode::<serde_json::Value>(&action, response)
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
        build: impl Fn() -> RequestBuilder,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, RecallError> {
        match self.send(action, build, body, None).await? {
            Sent::Answer(response) => Ok(response),
            Sent::AlreadyCreated(_) => unreachable!("only creates look their app up"),
        }
    }

    /// The retry loop. For a create (`creates` names its client ID), a retry after an attempt
    /// that may have taken effect first looks the app up: if the first request created it,
    /// that is the app (plan saw none with this client ID), and sending again could make a
    /// second one.
    async fn send(
        &self,
        action: &str,
        build: impl Fn() -> RequestBuilder,
        body: Option<&serde_json::Value>,
        creates: Option<&str>,
    ) -> Result<Sent, RecallError> {
        let mut attempt = 1;
        loop {
            let (why, after, applied_maybe) =
                match self.attempt(self.authorized(build()), body).await {
                    Attempt::Done(response) => return Ok(Sent::Answer(response)),
                    Attempt::Retry {
                        why,
                        after,
                        applied_maybe,
                    } => (why, after, applied_maybe),
                };
            if attempt >= self.retry.max_attempts {
                return Err(RecallError::gave_up(action, attempt, &why));
            }
            tokio::time::sleep(self.retry.delay(attempt, after)).await;
            attempt += 1;
            if let (Some(client_id), true) = (creates, applied_maybe) {
                // Boxed: listing sends through this loop too.
                let found = Box::pin(self.list_apps(Some(client_id))).await?;
                if let [app] = found.as_slice() {
                    return Ok(Sent::AlreadyCreated(app.clone()));
                }
            }
        }
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
                    applied_maybe: false,
                };
            }
        };
        let (method, url) = (request.method().clone(), request.url().clone());
        tracing::debug!(
            "{method} {url} headers: {}",
            redacted_headers(request.headers())
        );
        if let Some(body) = body {
            tracing::debug!("{method} {url} body: {}", redact_json(body));
        }
        let started = Instant::now();
        let result = self.http.execute(request).await;
        let ms = started.elapsed().as_millis();
        match result {
            Err(e) => {
                let why = RecallError::describe_transport(&e);
                tracing::info!("{method} {url} failed after {ms} ms: {why}");
                Attempt::Retry {
                    why,
                    after: None,
                    // A failed connect never reached Recall; anything later might have.
                    applied_maybe: !e.is_connect(),
                }
            }
            Ok(response) => {
                let status = response.status();
                tracing::info!("{method} {url} -> {status} in {ms} ms");
                if is_retryable(status) {
                    Attempt::Retry {
                        why: format!("Recall answered {status}"),
                        after: retry_after(&response),
                        applied_maybe: status.is_server_error(),
                    }
                } else {
                    Attempt::Done(response)
                }
            }
        }
    }
}

/// Keys whose values are never logged, in requests or responses.
const SENSITIVE_KEYS: &[&str] = &["client_secret", "webhook_secret", "api_key", "token"];

/// A JSON value with every sensitive key's value replaced by `(sensitive)`.
fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if SENSITIVE_KEYS.contains(&k.as_str()) {
                        Value::String("(sensitive)".into())
                    } else {
                        redact_json(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
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

/// 429 (rate limited), 409 (an idempotent request still in flight) and 5xx are transient.
fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::CONFLICT
        || status.is_server_error()
}

/// `Retry-After` in seconds, as Recall sends it.
fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Reads a success body as `T`, or turns an error status into a [`RecallError::Api`].
async fn decode<T: for<'de> Deserialize<'de>>(
    action: &str,
    response: Response,
) -> Result<T, RecallError> {
    let status = response.status();
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let bytes = response
        .bytes()
        .await
        .map_err(|e| RecallError::transport(action, &e))?;
    if status.is_success() {
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| RecallError::protocol(action, format!("unexpected response body: {e}")))?;
        tracing::debug!("response body: {}", redact_json(&value));
        return serde_json::from_value(value)
            .map_err(|e| RecallError::protocol(action, format!("unexpected response body: {e}")));
    }
    Err(RecallError::api(action, status, is_json, &bytes))
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

    #[test]
    fn next_links_absolute_on_the_same_origin_or_bare_cursors() {
        let c = client();
        let current = Url::parse(
            "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/?client_id=a&cursor=old",
        )
        .unwrap();
        let abs = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/?cursor=xyz";
        assert_eq!(c.next_url("x", &current, abs).unwrap().as_str(), abs);
        assert_eq!(
            c.next_url("x", &current, "cD0x").unwrap().as_str(),
            "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/?client_id=a&cursor=cD0x"
        );
        let err = c
            .next_url(
                "listing",
                &current,
                "https://evil.example/api/v2/zoom-oauth-apps/?cursor=1",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("refusing to send the API key there"), "{err}");
        assert!(
            c.next_url("x", &current, "http://us-east-1.recall.ai/?cursor=1")
                .is_err(),
            "a downgrade to http is another origin"
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
